// The restarting-client workload: producers and consumers of one topic whose nodes the fault
// plan crashes and starts again (they are added restartable). Whatever a client needs across
// a restart is on its node's simulated disk, made durable before it is relied on:
//  - a producer's incarnation number, so its values ("rp1-<incarnation>-<seq>") are unique
//    in the run however often it restarts;
//  - a consumer's position per partition, written after the polls are recorded; on restart
//    it seeks there and records the seek (the position may lie behind the last recorded
//    poll: the consumer_monotonic checker accepts the jump back because of the seek).
// With self_crash=on a producer also drops its Producer object abruptly at seeded moments,
// batches in flight and unflushed, and a new one takes over (an application restarting its
// client without close()). The dropped sends stay indeterminate (no completion).
#include <fmt/format.h>

#include <charconv>
#include <optional>

#include "broker/client/admin.h"
#include "broker/client/consumer.h"
#include "broker/client/producer.h"
#include "scenarios/workloads/client_helpers.h"
#include "scenarios/workloads/workloads.h"
#include "sim/runtime/sync/channel.h"

namespace tern::scenarios {

namespace {

struct RestartingOptions : TrafficOptions {
  bool self_crash = false;
};

// A small file replaced atomically: written to a temporary name, fsynced, renamed over the
// old one, and the directory fsynced. A crash leaves the old content or the new, never a
// torn mix (an in-place pwrite of "9" -> "10" could tear into "19").
Status write_durably(Disk& disk, const std::string& name, const std::string& text) {
  const std::string tmp = name + ".tmp";
  {
    auto f = disk.open(tmp, OpenMode::create);
    if (!f.ok()) return f.error();
    TERN_TRY(f.value()->truncate(0));
    TERN_TRY(f.value()->append(std::span(reinterpret_cast<const uint8_t*>(text.data()),
                                         text.size())));
    TERN_TRY(f.value()->fsync());
  }
  TERN_TRY(disk.rename(tmp, name));
  return disk.fsync_dir("");
}

// The file's text, or nullopt when it does not exist.
Result<std::optional<std::string>> read_whole(Disk& disk, const std::string& name) {
  if (!disk.exists(name)) return std::optional<std::string>();
  auto f = disk.open(name, OpenMode::read_write);
  if (!f.ok()) return f.error();
  auto size = f.value()->size();
  if (!size.ok()) return size.error();
  std::string text(size.value(), '\0');
  auto n = f.value()->pread(0, std::span(reinterpret_cast<uint8_t*>(text.data()), text.size()));
  if (!n.ok()) return n.error();
  text.resize(n.value());
  return std::optional<std::string>(std::move(text));
}

std::optional<int64_t> parse_int(std::string_view s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Positions file: one "partition offset" line per partition.
std::string encode_positions(const std::map<int32_t, int64_t>& positions) {
  std::string s;
  for (const auto& [p, o] : positions) s += fmt::format("{} {}\n", p, o);
  return s;
}
std::optional<std::map<int32_t, int64_t>> decode_positions(std::string_view text) {
  std::map<int32_t, int64_t> out;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return std::nullopt;
    auto p = parse_int(line.substr(0, sp));
    auto o = parse_int(line.substr(sp + 1));
    if (!p || !o) return std::nullopt;
    out[static_cast<int32_t>(*p)] = *o;
  }
  return out;
}

constexpr const char* kIncarnationFile = "incarnation";
constexpr const char* kPositionsFile = "positions";

class RestartingClientWorkload final : public Workload {
 public:
  explicit RestartingClientWorkload(RestartingOptions o) : o_(std::move(o)) {}

  void setup(WorkloadContext& ctx) override {
    Shared shared{&ctx.history, ctx.bootstrap, ctx.end, o_};
    ctx.expect_topic(o_.topic, o_.partitions);
    for (int p = 1; p <= o_.producers; ++p) {
      const std::string name = fmt::format("rp{}", p);
      client::ProducerOptions po = draw_producer(ctx, name);
      ctx.add_client(name, [shared, po](Runtime& rt) { run_producer(rt, shared, po); },
                   ClientKind::restartable);
    }
    for (int c = 1; c <= o_.consumers; ++c) {
      const std::string name = fmt::format("rc{}", c);
      ctx.add_client(name, [shared](Runtime& rt) { run_consumer(rt, shared); },
                   ClientKind::restartable);
      ctx.declare_consumer(name, o_.topic);
    }
  }

 private:
  struct Shared {
    History* history;
    std::vector<Address> bootstrap;
    Instant end;
    RestartingOptions o;
  };

  client::ProducerOptions draw_producer(WorkloadContext& ctx, const std::string& name) const {
    client::ProducerOptions po;
    po.acks = client::Acks::all;
    // One batch in flight: the history may promise order (a retry cannot overtake).
    po.max_in_flight = 1;
    po.request_timeout = Duration::seconds(3);
    po.delivery_timeout = Duration::seconds(15);
    po.linger = Duration::millis(5);
    if (!ctx.draw_knobs) return po;
    Rng rng = ctx.rng.fork(name);
    const int64_t lingers[] = {0, 1, 5, 20};
    const size_t batches[] = {512, 4096, 16384};
    po.linger = Duration::millis(lingers[rng.below(4)]);
    po.batch_bytes = batches[rng.below(3)];
    ctx.knob(name, "linger.ms", std::to_string(po.linger.to_millis()));
    ctx.knob(name, "batch.size", std::to_string(po.batch_bytes));
    return po;
  }

  // This start's incarnation number: one more than the last one made durable. Nothing is
  // sent before the new number is durable, so no two incarnations that sent share one.
  static std::optional<int64_t> next_incarnation(Runtime& rt) {
    auto text = read_whole(rt.disk(), kIncarnationFile);
    if (!text.ok()) return std::nullopt;
    int64_t last = 0;
    if (text.value()) {
      auto v = parse_int(*text.value());
      // The file is replaced atomically: anything unreadable is a disk bug, not ours.
      TERN_ASSERT(v.has_value(), "{}: unreadable incarnation file '{}'", rt.node_name(),
                  *text.value());
      last = *v;
    }
    if (!write_durably(rt.disk(), kIncarnationFile, std::to_string(last + 1)).ok())
      return std::nullopt;
    return last + 1;
  }

  static void run_producer(Runtime& rt, const Shared& s, const client::ProducerOptions& po) {
    History& h = *s.history;
    std::optional<int64_t> incarnation;
    while (rt.now() < s.end && !(incarnation = next_incarnation(rt))) {
      // A disk fault: try again (sending without a durable incarnation could reuse values).
      if (!rt.sleep_for(Duration::millis(100)).ok()) return;
    }
    if (!incarnation) return;
    rt.trace("workload.incarnation", {{"n", *incarnation}});
    if (!ensure_topic(rt, s.bootstrap, s.o.topic, s.o.partitions, {}, s.end)) return;
    std::optional<client::Producer> producer;
    producer.emplace(rt, client_options(s.bootstrap), po);
    // Acks are awaited in send order by one task, so the history records each exactly once.
    // An entry says whether its producer was dropped before the answer (indeterminate).
    struct Pending {
      uint64_t id;
      client::DeliveryFuture f;
      uint64_t instance;
    };
    uint64_t instance = 1;
    uint64_t dropped_instances = 0;  // instances 1..dropped_instances were dropped
    Channel<Pending> pending(rt, 4096);
    auto acker = rt.spawn("workload.acker", [&] {
      while (true) {
        auto item = pending.recv();
        if (!item.ok()) return;
        client::Delivery d = item.value().f.get();
        const int64_t now = rt.now().ns;
        // Its producers use acks=all: a delivery without an offset is recorded as it is
        // (offset -1) for the checkers to flag, never dropped.
        if (d.ok()) {
          h.ack(now, rt.node_name(), item.value().id, d->partition, d->offset);
        } else if (!d.ok() && item.value().instance <= dropped_instances) {
          // The batch may have reached the broker before its producer was dropped: the send
          // stays indeterminate (no completion in the history, like Jepsen's :info), and
          // says nothing about the cluster's liveness.
          rt.trace("workload.send_indeterminate",
                   {{"send", item.value().id}, {"error", d.error().message()}});
        } else if (!d.ok()) {
          h.fail(now, rt.node_name(), item.value().id, d.error().message());
        }
      }
    });
    Instant next_drop = Instant::never();
    auto draw_drop = [&] {
      if (s.o.self_crash) next_drop = rt.now() + Duration::millis(rt.rng().between(1000, 6000));
    };
    draw_drop();
    uint64_t seq = 0;
    const Instant stop_sending = s.end - Duration::seconds(3);
    while (rt.now() < stop_sending) {
      if (rt.now() >= next_drop) {
        // Abrupt: no flush, no close. The destructor fails what it had not delivered.
        rt.trace("workload.producer_drop", {{"instance", instance}});
        dropped_instances = instance;
        producer.reset();
        producer.emplace(rt, client_options(s.bootstrap), po);
        ++instance;
        draw_drop();
      }
      const std::string key = fmt::format("k{}", rt.rng().below(static_cast<uint64_t>(s.o.keys)));
      const std::string value = fmt::format("{}-{}-{}", rt.node_name(), *incarnation, ++seq);
      const uint64_t id = h.send(rt.now().ns, rt.node_name(), s.o.topic, key, value, -1, true);
      client::ProducerRecord rec;
      rec.topic = s.o.topic;
      rec.key = to_bytes(key);
      rec.value = to_bytes(value);
      auto f = producer->send(std::move(rec));
      if (!f.ok()) {
        h.fail(rt.now().ns, rt.node_name(), id, f.error().message());
      } else if (!pending.send({id, std::move(f.value()), instance}).ok()) {
        break;
      }
      const auto gap_max = static_cast<uint64_t>(s.o.send_gap_max.ns);
      const auto gap = static_cast<int64_t>(rt.rng().below(gap_max + 1));
      if (!rt.sleep_for(Duration{gap}).ok()) break;
    }
    (void)producer->flush(s.end);
    pending.close();
    (void)acker.join();
  }

  static void run_consumer(Runtime& rt, const Shared& s) {
    History& h = *s.history;
    std::map<int32_t, int64_t> positions;
    while (true) {
      auto text = read_whole(rt.disk(), kPositionsFile);
      if (text.ok()) {
        if (text.value()) {
          auto p = decode_positions(*text.value());
          TERN_ASSERT(p.has_value(), "{}: unreadable positions file", rt.node_name());
          positions = *p;
        }
        break;
      }
      if (rt.now() >= s.end || !rt.sleep_for(Duration::millis(100)).ok()) return;
    }
    client::ConsumerOptions co;
    co.auto_offset_reset = client::OffsetReset::earliest;
    co.fetch_max_wait_ms = 200;
    // Few records per poll (drawn per incarnation): the stored position then often lies in
    // the middle of a batch, and a restart fetches from there (the broker must find the batch
    // that holds the offset, not the next one).
    co.max_poll_records = pick<size_t>(rt.rng(), {1, 3, 500});
    client::Consumer consumer(rt, client_options(s.bootstrap), co);
    while (rt.now() < s.end &&
           !consumer.assign_topic(s.o.topic, rt.now() + Duration::seconds(1)).ok())
      if (!rt.sleep_for(Duration::millis(200)).ok()) return;
    // From the beginning on the first start, from the stored position after a restart.
    for (int p = 0; p < s.o.partitions; ++p) {
      const int64_t at = positions.count(p) ? positions[p] : 0;
      positions[p] = at;
      consumer.seek({s.o.topic, p}, at);
      h.seek(rt.now().ns, rt.node_name(), s.o.topic, p, at);
    }
    rt.trace("workload.consumer_resume", {{"positions", encode_positions(positions)}});
    while (rt.now() < s.end) {
      auto recs = consumer.poll(Duration::millis(300));
      if (!recs.ok()) {
        rt.trace("workload.poll_error", {{"error", recs.error().message()}});
        if (!rt.sleep_for(Duration::millis(100)).ok()) return;
        continue;
      }
      if (recs.value().empty()) continue;
      for (const auto& r : recs.value()) {
        h.poll(rt.now().ns, rt.node_name(), r.topic, r.partition, r.offset, to_string(r.key),
               to_string(r.value));
        positions[r.partition] = r.offset + 1;
      }
      // After the polls are recorded: a crash in between leaves the stored position behind
      // the recorded polls, and the restart's seek goes back (legal: it is recorded).
      Status st = write_durably(rt.disk(), kPositionsFile, encode_positions(positions));
      if (!st.ok()) rt.trace("workload.position_write", {{"error", st.error().message()}});
    }
  }

  RestartingOptions o_;
};

}  // namespace

WorkloadType restarting_client_workload_type() {
  return {"restarting-client",
          "producers and consumers that crash and restart, keeping their incarnation and "
          "positions on their node's disk (self_crash: producers also drop their client)",
          "producers=N consumers=N topic=NAME partitions=N keys=N send_gap=DUR "
          "self_crash=on|off",
          [](const WorkloadOptions& in) -> Result<std::unique_ptr<Workload>> {
            WorkloadOptions opts = in;
            RestartingOptions o;
            read_traffic_options(opts, "restarts", o);
            o.self_crash = opts.get_bool("self_crash", false);
            TERN_TRY(opts.finish("restarting-client"));
            return std::unique_ptr<Workload>(
                std::make_unique<RestartingClientWorkload>(std::move(o)));
          }};
}

}  // namespace tern::scenarios
