// The keyed workload: producers send keyed records with run-unique values to one topic and
// record send/ack/fail; consumers read every partition from the beginning and record every
// poll. With knobs on, the seed draws each client's settings (acks, linger, batch size,
// max.in.flight, compression, timeouts, fetch sizes) and the topic's (LogAppendTime,
// retention small enough to delete during the run, tiny segments).
#include <fmt/format.h>

#include "broker/client/admin.h"
#include "broker/client/consumer.h"
#include "broker/client/producer.h"
#include "scenarios/workloads/client_helpers.h"
#include "scenarios/workloads/workloads.h"
#include "sim/runtime/sync/channel.h"

namespace tern::scenarios {

namespace {

struct KeyedOptions : TrafficOptions {
  std::string acks = "all";  // all | 1 | 0 | mix (drawn per producer)
  int planted_skip_every = 0;  // a planted consumer bug: drop every n-th record (0: none)
};

class KeyedWorkload final : public Workload {
 public:
  explicit KeyedWorkload(KeyedOptions o) : o_(std::move(o)) {}

  void setup(WorkloadContext& ctx) override {
    Shared shared{&ctx.history, ctx.bootstrap, ctx.end, o_};
    draw_topic(ctx, shared);
    ctx.expect_topic(o_.topic, o_.partitions);
    for (int p = 1; p <= o_.producers; ++p) {
      const std::string name = fmt::format("p{}", p);
      ProducerKnobs k = draw_producer(ctx, name);
      ctx.add_client(name, [shared, k](Runtime& rt) { run_producer(rt, shared, k); });
    }
    for (int c = 1; c <= o_.consumers; ++c) {
      const std::string name = fmt::format("c{}", c);
      client::ConsumerOptions k = draw_consumer(ctx, name);
      ctx.add_client(name, [shared, k](Runtime& rt) { run_consumer(rt, shared, k); });
      ctx.declare_consumer(name, o_.topic);
    }
  }

 private:
  struct Shared {
    History* history;
    std::vector<Address> bootstrap;
    Instant end;
    KeyedOptions o;
    std::map<std::string, std::string> topic_configs;
  };
  struct ProducerKnobs {
    client::ProducerOptions po;
    int8_t acks = -1;
  };

  void draw_topic(WorkloadContext& ctx, Shared& s) {
    if (!ctx.draw_knobs) return;
    Rng rng = ctx.rng.fork("topic");
    auto set = [&](const std::string& k, const std::string& v) {
      s.topic_configs[k] = v;
      ctx.knob(o_.topic, k, v);
    };
    // LogAppendTime: the broker's (skewable) clock stamps the records.
    if (rng.one_in(3)) set("message.timestamp.type", "LogAppendTime");
    if (rng.one_in(3)) set("segment.bytes", pick(rng, {"4096", "16384", "65536"}));
    if (rng.one_in(4)) {
      // Retention small enough to delete segments during the run: records below the log
      // start offset may then be gone (the checkers allow exactly that).
      set("segment.bytes", "4096");
      ctx.allow_retention(o_.topic);
      if (rng.one_in(2)) set("retention.bytes", pick(rng, {"8192", "32768"}));
      else set("retention.ms", pick(rng, {"2000", "8000"}));
    }
    if (rng.one_in(4)) set("index.interval.bytes", pick(rng, {"1", "512"}));
  }

  ProducerKnobs draw_producer(WorkloadContext& ctx, const std::string& name) const {
    ProducerKnobs k;
    k.po.request_timeout = Duration::seconds(3);
    k.po.delivery_timeout = Duration::seconds(15);
    k.po.max_in_flight = 1;
    k.po.linger = Duration::millis(5);
    k.acks = o_.acks == "all" ? -1 : o_.acks == "1" ? 1 : o_.acks == "0" ? 0 : -1;
    Rng rng = ctx.rng.fork(name);
    // The first producer never draws acks=0, so a mix always acknowledges something.
    if (o_.acks == "mix")
      k.acks = name == "p1" ? pick<int8_t>(rng, {-1, -1, 1}) : pick<int8_t>(rng, {-1, 1, 0});
    if (ctx.draw_knobs) {
      k.po.linger = Duration::millis(pick<int64_t>(rng, {0, 1, 5, 20}));
      k.po.batch_bytes = pick<size_t>(rng, {512, 4096, 16384, 65536});
      // Above 1 a retried batch may land behind a later one (the history says the producer
      // did not promise order, and the order checker leaves it alone).
      k.po.max_in_flight = pick<int32_t>(rng, {1, 1, 2, 5});
      k.po.compression = pick(rng, {Compression::none, Compression::none,
                                    Compression::gzip, Compression::snappy,
                                    Compression::lz4, Compression::zstd});
      k.po.request_timeout = pick(rng, {Duration::seconds(1), Duration::seconds(3)});
      k.po.retry_backoff = pick(rng, {Duration{0}, Duration::millis(50), Duration::millis(100)});
      ctx.knob(name, "linger.ms", std::to_string(k.po.linger.to_millis()));
      ctx.knob(name, "batch.size", std::to_string(k.po.batch_bytes));
      ctx.knob(name, "max.in.flight", std::to_string(k.po.max_in_flight));
      ctx.knob(name, "compression.type",
               std::string(compression_name(k.po.compression)));
      ctx.knob(name, "request.timeout.ms", std::to_string(k.po.request_timeout.to_millis()));
      ctx.knob(name, "retry.backoff.ms", std::to_string(k.po.retry_backoff.to_millis()));
    }
    if (o_.acks == "mix" || ctx.draw_knobs) ctx.knob(name, "acks", std::to_string(k.acks));
    k.po.acks = static_cast<client::Acks>(k.acks);
    return k;
  }

  client::ConsumerOptions draw_consumer(WorkloadContext& ctx, const std::string& name) const {
    client::ConsumerOptions co;
    co.auto_offset_reset = client::OffsetReset::earliest;
    co.fetch_max_wait_ms = 200;
    if (!ctx.draw_knobs) return co;
    Rng rng = ctx.rng.fork(name);
    // Not near 0: a tailing consumer with no wait polls in a tight loop (legal, but it buys
    // nothing here except simulated network traffic and a slower simulation).
    co.fetch_max_wait_ms = pick<int32_t>(rng, {100, 200, 500});
    // 1 byte: the broker still returns at least one whole batch (Kafka's rule).
    co.max_partition_fetch_bytes = pick<int32_t>(rng, {1, 1024, 65536, 1024 * 1024});
    co.fetch_max_bytes = pick<int32_t>(rng, {4096, 65536, 50 * 1024 * 1024});
    co.max_poll_records = pick<size_t>(rng, {1, 10, 500});
    co.prefetch = rng.one_in(2);
    ctx.knob(name, "fetch.max.wait.ms", std::to_string(co.fetch_max_wait_ms));
    ctx.knob(name, "max.partition.fetch.bytes", std::to_string(co.max_partition_fetch_bytes));
    ctx.knob(name, "fetch.max.bytes", std::to_string(co.fetch_max_bytes));
    ctx.knob(name, "max.poll.records", std::to_string(co.max_poll_records));
    ctx.knob(name, "prefetch", co.prefetch ? "1" : "0");
    return co;
  }

  static void run_producer(Runtime& rt, const Shared& s, const ProducerKnobs& k) {
    History& h = *s.history;
    if (!ensure_topic(rt, s.bootstrap, s.o.topic, s.o.partitions, s.topic_configs, s.end))
      return;
    client::Producer producer(rt, client_options(s.bootstrap), k.po);
    const bool ordered = k.po.max_in_flight == 1;
    // Acks are awaited in send order by one task, so the history records each exactly once.
    Channel<std::pair<uint64_t, client::DeliveryFuture>> pending(rt, 4096);
    auto acker = rt.spawn("workload.acker", [&] {
      while (true) {
        auto item = pending.recv();
        if (!item.ok()) return;
        client::Delivery d = item.value().second.get();
        const int64_t now = rt.now().ns;
        if (!d.ok()) h.fail(now, rt.node_name(), item.value().first, d.error().message());
        // acks=0: the client learns no offset; the write stays indeterminate. With acks=1 or
        // all, a delivery without an offset is a client bug: recorded as it is (offset -1),
        // so the checkers see an acknowledged write that is nowhere.
        else if (d->offset >= 0 || k.acks != 0)
          h.ack(now, rt.node_name(), item.value().first, d->partition, d->offset);
      }
    });
    uint64_t seq = 0;
    const Instant stop_sending = s.end - Duration::seconds(3);
    while (rt.now() < stop_sending) {
      const std::string key = fmt::format("k{}", rt.rng().below(static_cast<uint64_t>(s.o.keys)));
      const std::string value = fmt::format("{}-{}", rt.node_name(), ++seq);
      const uint64_t id = h.send(rt.now().ns, rt.node_name(), s.o.topic, key, value, k.acks,
                                 ordered);
      client::ProducerRecord rec;
      rec.topic = s.o.topic;
      rec.key = to_bytes(key);
      rec.value = to_bytes(value);
      auto f = producer.send(std::move(rec));
      if (!f.ok()) {
        h.fail(rt.now().ns, rt.node_name(), id, f.error().message());
      } else if (!pending.send({id, std::move(f.value())}).ok()) {
        break;
      }
      const auto gap_max = static_cast<uint64_t>(s.o.send_gap_max.ns);
      const auto gap = static_cast<int64_t>(rt.rng().below(gap_max + 1));
      if (!rt.sleep_for(Duration{gap}).ok()) break;
    }
    (void)producer.flush(s.end);
    pending.close();
    (void)acker.join();
  }

  static void run_consumer(Runtime& rt, const Shared& s, const client::ConsumerOptions& co) {
    History& h = *s.history;
    client::Consumer consumer(rt, client_options(s.bootstrap), co);
    // Wait for the topic to exist, then read everything from the beginning.
    while (rt.now() < s.end &&
           !consumer.assign_topic(s.o.topic, rt.now() + Duration::seconds(1)).ok())
      if (!rt.sleep_for(Duration::millis(200)).ok()) return;
    for (int p = 0; p < s.o.partitions; ++p) {
      consumer.seek({s.o.topic, p}, 0);
      h.seek(rt.now().ns, rt.node_name(), s.o.topic, p, 0);
    }
    uint64_t polled = 0;
    while (rt.now() < s.end) {
      auto recs = consumer.poll(Duration::millis(300));
      if (!recs.ok()) {
        rt.trace("workload.poll_error", {{"error", recs.error().message()}});
        if (!rt.sleep_for(Duration::millis(100)).ok()) return;
        continue;
      }
      for (const auto& r : recs.value()) {
        ++polled;
        // The planted bug: a consumer that drops a record on the floor now and then.
        if (s.o.planted_skip_every > 0 && polled % s.o.planted_skip_every == 0) continue;
        h.poll(rt.now().ns, rt.node_name(), r.topic, r.partition, r.offset, to_string(r.key),
               to_string(r.value));
      }
    }
  }

  KeyedOptions o_;
};

}  // namespace

WorkloadType keyed_workload_type() {
  return {"keyed",
          "keyed producers and from-the-beginning consumers of one topic (seed draws their "
          "settings when knobs are on)",
          "producers=N consumers=N topic=NAME partitions=N keys=N send_gap=DUR "
          "acks=all|1|0|mix planted_skip_every=N",
          [](const WorkloadOptions& in) -> Result<std::unique_ptr<Workload>> {
            WorkloadOptions opts = in;
            KeyedOptions o;
            read_traffic_options(opts, "events", o);
            o.acks = opts.get_choice("acks", "all", {"all", "1", "0", "mix"});
            o.planted_skip_every = static_cast<int>(opts.get_int("planted_skip_every", 0, 0,
                                                                 1'000'000));
            TERN_TRY(opts.finish("keyed"));
            return std::unique_ptr<Workload>(std::make_unique<KeyedWorkload>(std::move(o)));
          }};
}

}  // namespace tern::scenarios
