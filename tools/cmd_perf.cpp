// `tern perf produce|consume`: kafka-producer-perf-test.sh / kafka-consumer-perf-test.sh.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "broker/client/consumer.h"
#include "broker/client/producer.h"
#include "sim/runtime/sync/channel.h"
#include "tools/client_cli.h"
#include "tools/commands.h"

namespace tern::tools {

namespace {

const std::vector<FlagSpec> kPerfFlags = {
    {"--bootstrap-server", true, "host:port[,host:port] of the broker(s) (required)"},
    {"--topic", true, "the topic (required)"},
    {"--num-records", true, "how many records (required)"},
    {"--record-size", true, "bytes per record value (produce; default 1024)"},
    {"--acks", true, "all|-1|1|0 (produce; default all)"},
    {"--throughput", true, "records/s cap, -1 = unlimited (produce; default -1)"},
    {"--producer-props", true, "k=v producer settings (default batch.size=1000000 linger.ms=5 "
     "max.in.flight.requests.per.connection=10 buffer.memory=16777216)",
     true},
    {"--producer-property", true, "one k=v producer setting (repeatable)"},
    {"--timeout", true, "consume: give up after this many ms without records (default 10000)"},
    {"--help", false, "this help"},
};

constexpr std::string_view kUsage =
    "tern perf produce|consume --bootstrap-server H:P --topic T --num-records N "
    "[--record-size B] [--acks all|1|0] [--throughput R]";

double secs(Duration d) { return static_cast<double>(d.ns) / 1e9; }
double ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

int run_perf_produce(Runtime& rt, const Flags& flags, std::vector<Address> bootstrap,
                     int64_t num, int64_t size, int64_t throughput,
                     const client::ProducerOptions& popts) {
  const std::string topic = *flags.get("--topic");
  client::Producer producer(rt, cli_client_options(std::move(bootstrap), "tern-perf"), popts);
  auto reach = producer.cluster().any_connection(rt.now() + kCliReachTimeout);
  if (!reach.ok()) {
    return fail(1, "perf", "cannot reach broker {}: {}", *flags.get("--bootstrap-server"),
                reach.error().message());
  }
  Bytes payload(static_cast<size_t>(size));
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>('A' + i % 26);

  // A collector task awaits deliveries in send order; a partition answers its batches in
  // order, so each record's latency is measured when its batch's answer arrives.
  struct Sent {
    Instant at;
    client::DeliveryFuture f;
  };
  Channel<Sent> sent(rt, 1 << 16);
  std::vector<int64_t> latencies;
  latencies.reserve(static_cast<size_t>(num));
  int64_t errors = 0;
  std::string first_error;
  Instant window_start = rt.now();
  int64_t window_count = 0, window_lat = 0, window_max = 0;
  auto collector = rt.spawn("perf-collector", [&] {
    // A batch's records are answered together: the clock is read when the collector had to
    // wait for an answer, and that reading serves the records already answered behind it.
    Instant answered = rt.now();
    while (true) {
      auto s = sent.recv();
      if (!s.ok()) return;
      const bool waited = !s->f.ready();
      auto d = s->f.get();
      if (waited) answered = rt.now();
      const int64_t lat = (std::max(answered, s->at) - s->at).ns;
      if (!d.ok()) {
        if (errors++ == 0) first_error = d.error().message();
        continue;
      }
      latencies.push_back(lat);
      ++window_count;
      window_lat += lat;
      window_max = std::max(window_max, lat);
      // The 5 s report is checked on the clock reading above, not a read per record.
      if (waited && answered - window_start >= Duration::seconds(5)) {
        const double w = secs(answered - window_start);
        std::printf("%lld records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, "
                    "%.1f ms max latency.\n", static_cast<long long>(window_count),
                    window_count / w, window_count * size / w / (1024.0 * 1024.0),
                    ms(window_lat) / window_count, ms(window_max));
        std::fflush(stdout);
        window_start = answered;
        window_count = window_lat = window_max = 0;
      }
    }
  });
  const Instant start = rt.now();
  // A record's send time: the clock is read every 16th record of a full-speed run (a read per
  // record was 7% of this process; 16 records take ~10 us, far below the latencies measured)
  // and before each record of a throttled one.
  Instant at = start;
  // Like kafka-producer-perf-test: one payload, sent again and again (send() copies it).
  client::ProducerRecordView rec;
  rec.topic = topic;
  rec.value = ByteView(payload);
  for (int64_t i = 0; i < num && !g_interrupted; ++i) {
    if (throughput > 0) {
      const Instant due = start + Duration::nanos(i * 1'000'000'000 / throughput);
      at = rt.now();
      if (at < due) {
        (void)rt.sleep_until(due);
        at = rt.now();
      }
    } else if (i % 16 == 0) {
      at = rt.now();
    }
    auto f = producer.send(rec);
    if (!f.ok()) {
      sent.close();
      (void)collector.join();
      return fail(1, "perf", "send: {}", f.error().message());
    }
    (void)sent.send(Sent{at, std::move(f.value())});
  }
  (void)producer.flush();
  sent.close();
  (void)collector.join();
  const double elapsed = secs(rt.now() - start);
  const auto n = static_cast<int64_t>(latencies.size());
  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    size_t idx = static_cast<size_t>(p * static_cast<double>(latencies.size()));
    if (idx >= latencies.size()) idx = latencies.size() - 1;
    return ms(latencies[idx]);
  };
  int64_t sum = 0, max = 0;
  for (int64_t l : latencies) {
    sum += l;
    max = std::max(max, l);
  }
  std::printf("%lld records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, "
              "%.2f ms max latency, %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, "
              "%.2f ms 99.9th.\n",
              static_cast<long long>(n), n / elapsed, n * size / elapsed / (1024.0 * 1024.0),
              n ? ms(sum) / n : 0.0, ms(max), pct(0.5), pct(0.95), pct(0.99), pct(0.999));
  if (errors > 0) {
    return fail(1, "perf", "{} records failed; first error: {}", errors, first_error);
  }
  return 0;
}

int run_perf_consume(Runtime& rt, const Flags& flags, std::vector<Address> bootstrap,
                     int64_t num, int64_t timeout_ms) {
  const std::string topic = *flags.get("--topic");
  client::ConsumerOptions copts;
  copts.auto_offset_reset = client::OffsetReset::earliest;
  copts.max_poll_records = 100000;
  // max.partition.fetch.bytes stays Kafka's 1 MiB: a fetch's bytes then stay in cache while
  // they are received, checked and handed out. Measured on one log: 1 MiB 3.3-3.8 GiB/s,
  // 2 MiB 2.8-3.0, 8 MiB 2.5.
  client::Consumer consumer(rt, cli_client_options(std::move(bootstrap), "tern-perf"), copts);
  auto reach = consumer.cluster().any_connection(rt.now() + kCliReachTimeout);
  if (!reach.ok()) {
    return fail(1, "perf", "cannot reach broker {}: {}", *flags.get("--bootstrap-server"),
                reach.error().message());
  }
  auto st = consumer.assign_topic(topic, rt.now() + kCliReachTimeout);
  if (!st.ok()) return fail(1, "perf", "{}", st.error().message());
  const Instant start = rt.now();
  const int64_t start_wall = rt.wall_now().unix_ms;
  Instant last = rt.now();
  int64_t count = 0, bytes = 0;
  while (count < num && !g_interrupted) {
    // Records as views into the fetched bytes (what librdkafka hands out): a copy of every
    // key and value into its own buffer was a third of this client's time.
    auto n = consumer.poll_each(Duration::millis(500), [&](const client::ConsumerRecordView& r) {
      bytes += static_cast<int64_t>((r.value ? r.value->size() : 0) + (r.key ? r.key->size() : 0));
    });
    if (!n.ok()) return fail(1, "perf", "{}", n.error().message());
    count += static_cast<int64_t>(n.value());
    if (n.value() > 0) last = rt.now();
    if (rt.now() - last > Duration::millis(timeout_ms)) break;
  }
  const double elapsed = secs(last - start);
  const double mb = bytes / (1024.0 * 1024.0);
  std::printf("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, "
              "nMsg.sec\n");
  std::printf("%lld, %lld, %.4f, %.4f, %lld, %.4f\n", static_cast<long long>(start_wall),
              static_cast<long long>(start_wall + (last - start).to_millis()), mb,
              elapsed > 0 ? mb / elapsed : 0.0, static_cast<long long>(count),
              elapsed > 0 ? count / elapsed : 0.0);
  std::printf("%lld records consumed, %.1f records/sec (%.2f MB/sec)\n",
              static_cast<long long>(count), elapsed > 0 ? count / elapsed : 0.0,
              elapsed > 0 ? mb / elapsed : 0.0);
  if (count < num) return fail(1, "perf", "only {} of {} records arrived", count, num);
  return 0;
}

}  // namespace

int cmd_perf(int argc, char** argv) {
  auto flags = parse_flags(argc, argv, kPerfFlags);
  if (!flags.ok()) return fail(2, "perf", "{} (see --help)", flags.error().context());
  if (flags->has("--help")) {
    std::fputs(flags_help(kUsage, kPerfFlags).c_str(), stdout);
    return 0;
  }
  if (flags->positional().size() != 1 ||
      (flags->positional()[0] != "produce" && flags->positional()[0] != "consume")) {
    return fail(2, "perf", "say 'tern perf produce' or 'tern perf consume'");
  }
  const bool produce = flags->positional()[0] == "produce";
  auto server = flags->get("--bootstrap-server");
  if (!server) return fail(2, "perf", "--bootstrap-server is required");
  if (!flags->get("--topic")) return fail(2, "perf", "--topic is required");
  auto bootstrap = client::parse_bootstrap(*server);
  if (!bootstrap.ok()) return fail(2, "perf", "{}", bootstrap.error().context());
  auto num_text = flags->get("--num-records");
  if (!num_text) return fail(2, "perf", "--num-records is required");
  auto num = parse_int("--num-records", *num_text, 1, INT64_MAX / 2);
  if (!num.ok()) return fail(2, "perf", "{}", num.error().context());
  auto size = parse_int("--record-size", flags->get("--record-size").value_or("1024"), 0,
                        64 * 1024 * 1024);
  if (!size.ok()) return fail(2, "perf", "{}", size.error().context());
  auto tput = parse_int("--throughput", flags->get("--throughput").value_or("-1"), -1,
                        INT32_MAX);
  if (!tput.ok()) return fail(2, "perf", "{}", tput.error().context());
  auto timeout = parse_int("--timeout", flags->get("--timeout").value_or("10000"), 0,
                           INT32_MAX);
  if (!timeout.ok()) return fail(2, "perf", "{}", timeout.error().context());

  client::ProducerOptions popts;
  // Throughput defaults in librdkafka's spirit (batch.size 1000000, linger.ms 5, a deep
  // pipeline: its max.in.flight is 1000000), not the Java producer's 16 KiB batches: with
  // acks=all on a durable broker each request waits for an fsync, so the bytes in flight
  // (max.in.flight x batch.size) bound the rate. Measured here against an fsyncing broker,
  // each against a fio run right before: 256 KiB x 5 860-920 MiB/s, 1 MB x 5 1220-1420,
  // 1 MB x 10 1380-1510 (fio 1490-1770).
  popts.linger = Duration::millis(5);
  popts.batch_bytes = 1'000'000;
  popts.max_in_flight = 10;
  popts.max_request_bytes = 8 * 1024 * 1024;
  // buffer.memory: a little more than what is in flight (10 x 1 MB). A deeper queue only
  // lets batches go cold in memory before their CRC and send read them again (measured:
  // 256 MiB 1120-1320 MiB/s, 32 MiB 1190-1420, 12-16 MB 1380-1570; fio 1330-1740).
  popts.buffer_bytes = 16 * 1024 * 1024;
  std::vector<std::string> props = flags->all("--producer-props");
  for (const auto& p : flags->all("--producer-property")) props.push_back(p);
  if (auto a = flags->get("--acks")) props.push_back("acks=" + *a);
  for (const auto& p : props) {
    auto kv = parse_property("--producer-props", p);
    if (!kv.ok()) return fail(2, "perf", "{}", kv.error().context());
    const auto& [k, v] = kv.value();
    if (k == "bootstrap.servers") continue;
    if (Status st = apply_producer_property(popts, k, v); !st.ok())
      return fail(2, "perf", "{}", st.error().message());
  }
  install_interrupt_handler();
  return run_real("tern-perf", [&](Runtime& rt) {
    return produce ? run_perf_produce(rt, flags.value(), bootstrap.value(), *num, *size, *tput,
                                      popts)
                   : run_perf_consume(rt, flags.value(), bootstrap.value(), *num, *timeout);
  });
}

}  // namespace tern::tools
