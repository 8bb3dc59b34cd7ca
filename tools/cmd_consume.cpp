// `tern consume`: kafka-console-consumer.sh without consumer groups (partitions are assigned
// directly: every partition of the topic, or the one given with --partition).
#include <cstdio>
#include <string>

#include "broker/client/consumer.h"
#include "tools/client_cli.h"
#include "tools/commands.h"

namespace tern::tools {

namespace {

const std::vector<FlagSpec> kConsumeFlags = {
    {"--bootstrap-server", true, "host:port[,host:port] of the broker(s) (required)"},
    {"--topic", true, "the topic to read (required)"},
    {"--from-beginning", false, "start at the earliest offset (default: the latest)"},
    {"--partition", true, "read only this partition"},
    {"--offset", true, "N, earliest or latest (needs --partition)"},
    {"--max-messages", true, "exit after this many records"},
    {"--timeout-ms", true, "exit when no record arrived for this long"},
    {"--property", true, "print.key, print.value, print.timestamp, print.partition, "
                         "print.offset, print.headers (true|false), key.separator, "
                         "line.separator"},
    {"--consumer-property", true, "fetch.max.wait.ms, fetch.min.bytes, max.poll.records, "
                                  "max.partition.fetch.bytes"},
    {"--isolation-level", true, "read_uncommitted (read_committed is not supported yet)"},
    {"--group", true, "not supported yet (tern consume assigns partitions directly)"},
    {"--help", false, "this help"},
};

constexpr std::string_view kUsage =
    "tern consume --bootstrap-server H:P --topic T [--from-beginning] [--partition N] "
    "[--offset N|earliest|latest] [--max-messages N] [--timeout-ms N] "
    "[--property print.key=true] [--property key.separator=...]";

struct Format {
  bool key = false, value = true, timestamp = false, partition = false, offset = false,
       headers = false;
  std::string key_separator = "\t";
  std::string line_separator = "\n";
};

struct ConsumeSettings {
  client::ConsumerOptions consumer;
  Format format;
  std::optional<int32_t> partition;
  std::optional<std::string> offset;  // "earliest", "latest" or a number
  std::optional<int64_t> max_messages;
  std::optional<int64_t> timeout_ms;
};

Result<ConsumeSettings> settings_from(const Flags& flags) {
  ConsumeSettings s;
  for (const auto& p : flags.all("--property")) {
    auto kv = parse_property("--property", p);
    if (!kv.ok()) return kv.error();
    const auto& [k, v] = kv.value();
    bool* target = nullptr;
    if (k == "print.key") target = &s.format.key;
    if (k == "print.value") target = &s.format.value;
    if (k == "print.timestamp") target = &s.format.timestamp;
    if (k == "print.partition") target = &s.format.partition;
    if (k == "print.offset") target = &s.format.offset;
    if (k == "print.headers") target = &s.format.headers;
    if (target != nullptr) {
      auto b = parse_bool(k, v);
      if (!b.ok()) return b.error();
      *target = b.value();
    } else if (k == "key.separator") {
      s.format.key_separator = unescape(v);
    } else if (k == "line.separator") {
      s.format.line_separator = unescape(v);
    } else {
      return Error(Errc::invalid_argument, fmt::format("unknown property '{}'", k));
    }
  }
  for (const auto& p : flags.all("--consumer-property")) {
    auto kv = parse_property("--consumer-property", p);
    if (!kv.ok()) return kv.error();
    const auto& [k, v] = kv.value();
    auto n = parse_int(k, v, 0, INT32_MAX);
    if (k == "auto.offset.reset" || k == "client.id" || k == "group.id") continue;
    if (!n.ok()) return n.error();
    if (k == "fetch.max.wait.ms") s.consumer.fetch_max_wait_ms = static_cast<int32_t>(*n);
    else if (k == "fetch.min.bytes") s.consumer.fetch_min_bytes = static_cast<int32_t>(*n);
    else if (k == "max.poll.records") s.consumer.max_poll_records = static_cast<size_t>(*n);
    else if (k == "max.partition.fetch.bytes")
      s.consumer.max_partition_fetch_bytes = static_cast<int32_t>(*n);
    else return Error(Errc::invalid_argument, fmt::format("unknown consumer property '{}'", k));
  }
  if (auto iso = flags.get("--isolation-level"); iso && *iso != "read_uncommitted") {
    return Error(Errc::invalid_argument, fmt::format("--isolation-level {} is not supported",
                                                     *iso));
  }
  if (flags.has("--group")) {
    return Error(Errc::invalid_argument, "--group is not supported yet (no consumer groups)");
  }
  if (auto p = flags.get("--partition")) {
    auto n = parse_int("--partition", *p, 0, INT32_MAX);
    if (!n.ok()) return n.error();
    s.partition = static_cast<int32_t>(n.value());
  }
  if (auto o = flags.get("--offset")) {
    if (!s.partition) {
      return Error(Errc::invalid_argument, "the partition is required when offset is specified");
    }
    if (*o != "earliest" && *o != "latest") {
      auto n = parse_int("--offset", *o, 0, INT64_MAX);
      if (!n.ok()) return n.error();
    }
    if (flags.has("--from-beginning")) {
      return Error(Errc::invalid_argument, "--from-beginning and --offset exclude each other");
    }
    s.offset = *o;
  }
  if (auto m = flags.get("--max-messages")) {
    auto n = parse_int("--max-messages", *m, 1, INT64_MAX);
    if (!n.ok()) return n.error();
    s.max_messages = n.value();
  }
  if (auto t = flags.get("--timeout-ms")) {
    auto n = parse_int("--timeout-ms", *t, 0, INT32_MAX);
    if (!n.ok()) return n.error();
    s.timeout_ms = n.value();
  }
  s.consumer.auto_offset_reset = flags.has("--from-beginning") ? client::OffsetReset::earliest
                                                                : client::OffsetReset::latest;
  return s;
}

std::string_view text(const std::optional<Bytes>& b) {
  return b ? as_chars(*b) : std::string_view("null");
}

void print_record(const client::ConsumerRecord& r, const Format& f) {
  std::string out;
  const std::string& sep = f.key_separator;
  if (f.timestamp) {
    out += r.timestamp_type == TimestampType::log_append_time ? "LogAppendTime:" : "CreateTime:";
    out += std::to_string(r.timestamp) + sep;
  }
  if (f.partition) out += "Partition:" + std::to_string(r.partition) + sep;
  if (f.offset) out += "Offset:" + std::to_string(r.offset) + sep;
  if (f.headers) {
    if (r.headers.empty()) out += "NO_HEADERS";
    for (size_t i = 0; i < r.headers.size(); ++i) {
      out += (i ? "," : "") + r.headers[i].key + ":" + std::string(text(r.headers[i].value));
    }
    out += sep;
  }
  if (f.key) out += std::string(text(r.key)) + sep;
  if (f.value) out += std::string(text(r.value));
  out += f.line_separator;
  std::fwrite(out.data(), 1, out.size(), stdout);
}

int run_consume(Runtime& rt, const std::string& topic, const ConsumeSettings& s,
                std::vector<Address> bootstrap, const std::string& server) {
  client::Consumer consumer(rt, cli_client_options(std::move(bootstrap), "tern-consume"),
                            s.consumer);
  auto reach = consumer.cluster().any_connection(rt.now() + kCliReachTimeout);
  if (!reach.ok()) {
    return fail(1, "consume", "cannot reach broker {}: {}", server, reach.error().message());
  }
  if (s.partition) {
    auto t = consumer.cluster().topic(topic, false, rt.now() + kCliReachTimeout);
    if (!t.ok()) return fail(1, "consume", "{}", t.error().message());
    if (*s.partition >= static_cast<int32_t>(t->partitions.size())) {
      return fail(1, "consume", "topic {} has no partition {}", topic, *s.partition);
    }
    consumer.assign({{topic, *s.partition}});
  } else {
    auto st = consumer.assign_topic(topic, rt.now() + kCliReachTimeout);
    if (!st.ok()) return fail(1, "consume", "{}", st.error().message());
  }
  if (s.offset) {
    const client::TopicPartition tp{topic, *s.partition};
    client::ClientStatus st;
    if (*s.offset == "earliest") {
      st = consumer.seek_to_beginning({tp});
    } else if (*s.offset == "latest") {
      st = consumer.seek_to_end({tp});
    } else {
      consumer.seek(tp, std::stoll(*s.offset));
    }
    if (!st.ok()) return fail(1, "consume", "{}", st.error().message());
  }
  int64_t count = 0;
  Instant last_record = rt.now();
  int rc = 0;
  while (!g_interrupted && (!s.max_messages || count < *s.max_messages)) {
    auto recs = consumer.poll(Duration::millis(200));
    if (!recs.ok()) {
      rc = fail(1, "consume", "{}", recs.error().message());
      break;
    }
    for (const auto& r : recs.value()) {
      if (s.max_messages && count >= *s.max_messages) break;
      print_record(r, s.format);
      ++count;
    }
    if (!recs->empty()) {
      std::fflush(stdout);
      last_record = rt.now();
    } else if (s.timeout_ms && rt.now() - last_record >= Duration::millis(*s.timeout_ms)) {
      break;
    }
  }
  std::fflush(stdout);
  std::fprintf(stderr, "Processed a total of %lld messages\n", static_cast<long long>(count));
  return rc;
}

}  // namespace

int cmd_consume(int argc, char** argv) {
  auto flags = parse_flags(argc, argv, kConsumeFlags);
  if (!flags.ok()) return fail(2, "consume", "{} (see --help)", flags.error().context());
  if (flags->has("--help")) {
    std::fputs(flags_help(kUsage, kConsumeFlags).c_str(), stdout);
    return 0;
  }
  if (!flags->positional().empty()) {
    return fail(2, "consume", "unexpected argument '{}'", flags->positional()[0]);
  }
  auto server = flags->get("--bootstrap-server");
  if (!server) return fail(2, "consume", "--bootstrap-server is required");
  auto topic = flags->get("--topic");
  if (!topic || topic->empty()) return fail(2, "consume", "--topic is required");
  auto bootstrap = client::parse_bootstrap(*server);
  if (!bootstrap.ok()) return fail(2, "consume", "{}", bootstrap.error().context());
  auto settings = settings_from(flags.value());
  if (!settings.ok()) return fail(2, "consume", "{}", settings.error().context());
  install_interrupt_handler();
  return run_real("tern-consume", [&](Runtime& rt) {
    return run_consume(rt, *topic, settings.value(), bootstrap.value(), *server);
  });
}

}  // namespace tern::tools
