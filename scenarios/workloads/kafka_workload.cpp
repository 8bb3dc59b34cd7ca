#include "scenarios/workloads/kafka_workload.h"

#include <fmt/format.h>

#include "broker/client/admin.h"
#include "broker/client/consumer.h"
#include "broker/client/producer.h"
#include "sim/runtime/sync/channel.h"

namespace tern::scenarios {

namespace {

Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
std::string to_string(const std::optional<Bytes>& b) {
  return b ? std::string(b->begin(), b->end()) : std::string();
}

client::ClientOptions client_options(const WorkloadPlan& plan) {
  client::ClientOptions o;
  o.bootstrap = plan.bootstrap;
  return o;
}

// Creates the topic (or finds it created by another client) before the workload starts.
bool ensure_topic(Runtime& rt, const WorkloadPlan& plan) {
  const Scenario& sc = *plan.scenario;
  client::Admin admin(rt, client_options(plan));
  while (rt.now() < plan.end) {
    client::NewTopic t;
    t.name = sc.topic;
    t.partitions = sc.partitions;
    t.replication_factor = static_cast<int16_t>(sc.brokers);
    auto s = admin.create_topic(t);
    if (s.ok() || s.error() == protocol::ErrorCode::topic_already_exists) return true;
    rt.trace("workload.create_topic", {{"error", s.error().message()}});
    if (!rt.sleep_for(Duration::millis(200)).ok()) return false;
  }
  return false;
}

std::vector<client::TopicPartition> all_partitions(const Scenario& sc) {
  std::vector<client::TopicPartition> tps;
  for (int p = 0; p < sc.partitions; ++p) tps.push_back({sc.topic, p});
  return tps;
}

}  // namespace

void run_producer(Runtime& rt, const WorkloadPlan& plan) {
  const Scenario& sc = *plan.scenario;
  History& h = *plan.history;
  if (!ensure_topic(rt, plan)) return;
  client::ProducerOptions po;
  po.acks = static_cast<client::Acks>(sc.acks);
  po.request_timeout = Duration::seconds(3);
  po.delivery_timeout = Duration::seconds(15);
  // One request in flight per partition: the order checker holds acked writes to send order,
  // which a pipelined non-idempotent producer does not promise across retries.
  po.max_in_flight = 1;
  po.linger = Duration::millis(rt.buggify("workload.producer.no_linger") ? 0 : 5);
  client::Producer producer(rt, client_options(plan), po);
  // Acks are awaited in send order by one task, so the history records each exactly once.
  Channel<std::pair<uint64_t, client::DeliveryFuture>> pending(rt, 4096);
  auto acker = rt.spawn("workload.acker", [&] {
    while (true) {
      auto item = pending.recv();
      if (!item.ok()) return;
      client::Delivery d = item.value().second.get();
      const int64_t now = rt.now().ns;
      if (d.ok()) h.ack(now, rt.node_name(), item.value().first, d->partition, d->offset);
      else h.fail(now, rt.node_name(), item.value().first, d.error().message());
    }
  });
  uint64_t seq = 0;
  const Instant stop_sending = plan.end - Duration::seconds(3);
  while (rt.now() < stop_sending) {
    const std::string key = fmt::format("k{}", rt.rng().below(static_cast<uint64_t>(sc.keys)));
    const std::string value = fmt::format("{}-{}", rt.node_name(), ++seq);
    const uint64_t id = h.send(rt.now().ns, rt.node_name(), sc.topic, key, value, sc.acks);
    client::ProducerRecord rec;
    rec.topic = sc.topic;
    rec.key = to_bytes(key);
    rec.value = to_bytes(value);
    auto f = producer.send(std::move(rec));
    if (!f.ok()) {
      h.fail(rt.now().ns, rt.node_name(), id, f.error().message());
    } else if (!pending.send({id, std::move(f.value())}).ok()) {
      break;
    }
    const auto gap_max = static_cast<uint64_t>(sc.send_gap_max.ns);
    const auto gap = static_cast<int64_t>(rt.rng().below(gap_max + 1));
    if (!rt.sleep_for(Duration{gap}).ok()) break;
  }
  (void)producer.flush(plan.end);
  pending.close();
  (void)acker.join();
}

void run_consumer(Runtime& rt, const WorkloadPlan& plan) {
  const Scenario& sc = *plan.scenario;
  History& h = *plan.history;
  client::ConsumerOptions co;
  co.auto_offset_reset = client::OffsetReset::earliest;
  co.fetch_max_wait_ms = 200;
  client::Consumer consumer(rt, client_options(plan), co);
  // Wait for the topic to exist, then read everything from the beginning.
  while (rt.now() < plan.end &&
         !consumer.assign_topic(sc.topic, rt.now() + Duration::seconds(1)).ok())
    if (!rt.sleep_for(Duration::millis(200)).ok()) return;
  for (const auto& tp : all_partitions(sc)) {
    consumer.seek(tp, 0);
    h.seek(rt.now().ns, rt.node_name(), tp.topic, tp.partition, 0);
  }
  uint64_t polled = 0;
  while (rt.now() < plan.end) {
    auto recs = consumer.poll(Duration::millis(300));
    if (!recs.ok()) {
      rt.trace("workload.poll_error", {{"error", recs.error().message()}});
      if (!rt.sleep_for(Duration::millis(100)).ok()) return;
      continue;
    }
    for (const auto& r : recs.value()) {
      ++polled;
      // The planted bug: a consumer that drops a record on the floor now and then.
      if (sc.bug == PlantedBug::consumer_skips && polled % 37 == 0) continue;
      h.poll(rt.now().ns, rt.node_name(), r.topic, r.partition, r.offset, to_string(r.key),
             to_string(r.value));
    }
  }
}

bool read_final_state(Runtime& rt, const WorkloadPlan& plan, FinalState& out) {
  const Scenario& sc = *plan.scenario;
  client::ConsumerOptions co;
  co.auto_offset_reset = client::OffsetReset::earliest;
  co.fetch_max_wait_ms = 100;
  client::Consumer consumer(rt, client_options(plan), co);
  const Instant deadline = rt.now() + Duration::seconds(50);
  if (!consumer.assign_topic(sc.topic, deadline).ok()) {
    // The topic was never created (no broker ever came up in time): nothing is stored.
    return true;
  }
  const auto tps = consumer.assignment();
  std::map<client::TopicPartition, int64_t> ends;
  while (rt.now() < deadline) {
    auto e = consumer.list_offsets(tps, client::kLatestTimestamp);
    if (e.ok()) {
      ends = e.value();
      break;
    }
    if (!rt.sleep_for(Duration::millis(200)).ok()) return false;
  }
  if (ends.empty()) return false;
  for (const auto& tp : tps) {
    consumer.seek(tp, 0);
    out[{tp.topic, tp.partition}];  // present even when empty
  }
  auto done = [&] {
    for (const auto& tp : tps) {
      const auto& recs = out[{tp.topic, tp.partition}];
      const int64_t next = recs.empty() ? 0 : recs.back().offset + 1;
      if (next < ends[tp]) return false;
    }
    return true;
  };
  while (!done() && rt.now() < deadline) {
    auto recs = consumer.poll(Duration::millis(200));
    if (!recs.ok()) {
      if (!rt.sleep_for(Duration::millis(100)).ok()) return false;
      continue;
    }
    for (const auto& r : recs.value())
      out[{r.topic, r.partition}].push_back({r.offset, to_string(r.key), to_string(r.value)});
  }
  return done();
}

}  // namespace tern::scenarios
