// `tern produce`: kafka-console-producer.sh. Reads lines from stdin, one record per line.
#include <poll.h>
#include <unistd.h>

#include <cstdio>
#include <deque>
#include <string>

#include "broker/client/producer.h"
#include "tools/client_cli.h"
#include "tools/commands.h"

namespace tern::tools {

namespace {

Result<client::Acks> parse_acks(std::string_view v) {
  if (v == "all" || v == "-1") return client::Acks::all;
  if (v == "1") return client::Acks::leader;
  if (v == "0") return client::Acks::none;
  return Error(Errc::invalid_argument, fmt::format("acks must be all, -1, 0 or 1, not '{}'", v));
}

const std::vector<FlagSpec> kProduceFlags = {
    {"--bootstrap-server", true, "host:port[,host:port] of the broker(s) (required)"},
    {"--topic", true, "the topic to write to (required)"},
    {"--property", true, "parse.key=true|false, key.separator=<sep> (default tab)"},
    {"--producer-property", true, "acks, linger.ms, batch.size, compression.type, retries, "
                                  "retry.backoff.ms, delivery.timeout.ms, request.timeout.ms"},
    {"--compression-codec", true, "none|gzip|snappy|lz4|zstd"},
    {"--request-required-acks", true, "acks: all|-1|0|1"},
    {"--partition", true, "write every record to this partition"},
    {"--help", false, "this help"},
};

constexpr std::string_view kUsage =
    "tern produce --bootstrap-server H:P --topic T [--property parse.key=true] "
    "[--property key.separator=:] [--producer-property acks=all] [--compression-codec C]";

struct ProduceSettings {
  client::ProducerOptions producer;
  bool parse_key = false;
  std::string key_separator = "\t";
  std::optional<int32_t> partition;
};

Result<ProduceSettings> settings_from(const Flags& flags) {
  ProduceSettings s;
  // kafka-console-producer.sh defaults: acks=1 in old versions, all since 3.0; tern: all.
  s.producer.linger = Duration::millis(5);
  for (const auto& p : flags.all("--property")) {
    auto kv = parse_property("--property", p);
    if (!kv.ok()) return kv.error();
    if (kv->first == "parse.key") {
      auto b = parse_bool("parse.key", kv->second);
      if (!b.ok()) return b.error();
      s.parse_key = b.value();
    } else if (kv->first == "key.separator") {
      s.key_separator = unescape(kv->second);
      if (s.key_separator.empty()) {
        return Error(Errc::invalid_argument, "key.separator must not be empty");
      }
    } else if (kv->first == "ignore.error") {
      // accepted for compatibility
    } else {
      return Error(Errc::invalid_argument, fmt::format("unknown property '{}'", kv->first));
    }
  }
  for (const auto& p : flags.all("--producer-property")) {
    auto kv = parse_property("--producer-property", p);
    if (!kv.ok()) return kv.error();
    TERN_TRY(apply_producer_property(s.producer, kv->first, kv->second));
  }
  if (auto c = flags.get("--compression-codec")) {
    TERN_TRY(apply_producer_property(s.producer, "compression.type", *c));
  }
  if (auto a = flags.get("--request-required-acks")) {
    TERN_TRY(apply_producer_property(s.producer, "acks", *a));
  }
  if (auto p = flags.get("--partition")) {
    auto n = parse_int("--partition", *p, 0, INT32_MAX);
    if (!n.ok()) return n.error();
    s.partition = static_cast<int32_t>(n.value());
  }
  return s;
}

// Reads stdin in chunks. Before blocking on an empty pipe/terminal it lets the caller flush,
// so an interactive line is sent at once instead of waiting for the next one.
class LineReader {
 public:
  // nullopt at end of input (or on interrupt).
  std::optional<std::string> next(const std::function<void()>& before_block) {
    while (true) {
      auto nl = buf_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string line = buf_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (eof_) {
        if (pos_ < buf_.size()) {
          std::string line = buf_.substr(pos_);
          pos_ = buf_.size();
          return line;
        }
        return std::nullopt;
      }
      buf_.erase(0, pos_);
      pos_ = 0;
      pollfd pfd{0, POLLIN, 0};
      if (::poll(&pfd, 1, 0) == 0) before_block();
      char chunk[65536];
      const ssize_t n = ::read(0, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR && !g_interrupted) continue;
      if (n <= 0) {
        eof_ = true;
        continue;
      }
      buf_.append(chunk, static_cast<size_t>(n));
    }
  }

 private:
  std::string buf_;
  size_t pos_ = 0;
  bool eof_ = false;
};

int run_produce(Runtime& rt, const std::string& topic, const ProduceSettings& s,
                std::vector<Address> bootstrap, const std::string& server) {
  client::Producer producer(rt, cli_client_options(std::move(bootstrap), "tern-produce"),
                            s.producer);
  auto reach = producer.cluster().any_connection(rt.now() + kCliReachTimeout);
  if (!reach.ok()) {
    return fail(1, "produce", "cannot reach broker {}: {}", server, reach.error().message());
  }
  std::deque<client::DeliveryFuture> inflight;
  int failures = 0;
  auto reap = [&](bool all) {
    while (!inflight.empty() && (all || inflight.front().ready())) {
      auto d = inflight.front().get();
      inflight.pop_front();
      if (!d.ok()) {
        if (failures++ < 5) {
          fail(0, "produce", "error sending to topic {}: {}", topic, d.error().message());
        }
      }
    }
  };
  LineReader reader;
  int64_t line_no = 0;
  while (!g_interrupted) {
    auto line = reader.next([&] {
      (void)producer.flush(rt.now() + s.producer.delivery_timeout);
      reap(true);
    });
    if (!line) break;
    ++line_no;
    client::ProducerRecord rec;
    rec.topic = topic;
    rec.partition = s.partition;
    if (s.parse_key) {
      auto sep = line->find(s.key_separator);
      if (sep == std::string::npos) {
        (void)producer.flush(rt.now() + s.producer.delivery_timeout);
        return fail(1, "produce", "no key separator found on line number {}: '{}'", line_no,
                    *line);
      }
      rec.key = to_bytes(std::string_view(*line).substr(0, sep));
      rec.value = to_bytes(std::string_view(*line).substr(sep + s.key_separator.size()));
    } else {
      rec.value = to_bytes(*line);
    }
    auto f = producer.send(std::move(rec));
    if (!f.ok()) {
      return fail(1, "produce", "cannot send to topic {}: {}", topic, f.error().message());
    }
    inflight.push_back(std::move(f.value()));
    reap(false);
  }
  auto st = producer.close(rt.now() + s.producer.delivery_timeout + Duration::seconds(5));
  reap(true);
  if (!st.ok()) return fail(1, "produce", "{}", st.error().message());
  return failures > 0 ? 1 : 0;
}

}  // namespace


Status apply_producer_property(client::ProducerOptions& o, const std::string& k,
                               const std::string& v) {
  auto ms = [&](Duration& d) -> Status {
    auto n = parse_int(k, v, 0, INT32_MAX);
    if (!n.ok()) return n.error();
    d = Duration::millis(n.value());
    return {};
  };
  if (k == "acks") {
    auto a = parse_acks(v);
    if (!a.ok()) return a.error();
    o.acks = a.value();
    return {};
  }
  if (k == "linger.ms") return ms(o.linger);
  if (k == "retry.backoff.ms") return ms(o.retry_backoff);
  if (k == "delivery.timeout.ms") return ms(o.delivery_timeout);
  if (k == "request.timeout.ms") return ms(o.request_timeout);
  if (k == "max.block.ms") return ms(o.max_block);
  if (k == "batch.size" || k == "retries" || k == "buffer.memory" || k == "max.request.size" ||
      k == "max.in.flight.requests.per.connection") {
    auto n = parse_int(k, v, k == "retries" ? 0 : 1, INT32_MAX);
    if (!n.ok()) return n.error();
    if (k == "batch.size") o.batch_bytes = static_cast<size_t>(n.value());
    if (k == "retries") o.retries = static_cast<int32_t>(n.value());
    if (k == "buffer.memory") o.buffer_bytes = n.value();
    if (k == "max.request.size") o.max_request_bytes = static_cast<size_t>(n.value());
    if (k == "max.in.flight.requests.per.connection")
      o.max_in_flight = static_cast<int32_t>(n.value());
    return {};
  }
  if (k == "compression.type") {
    auto c = compression_from_name(v);
    if (!c) return Error(Errc::invalid_argument, fmt::format("unknown compression '{}'", v));
    o.compression = *c;
    return {};
  }
  if (k == "client.id" || k == "enable.idempotence") return {};  // accepted, no effect
  return Error(Errc::invalid_argument, fmt::format("unknown producer property '{}'", k));
}

int cmd_produce(int argc, char** argv) {
  auto flags = parse_flags(argc, argv, kProduceFlags);
  if (!flags.ok()) return fail(2, "produce", "{} (see --help)", flags.error().context());
  if (flags->has("--help")) {
    std::fputs(flags_help(kUsage, kProduceFlags).c_str(), stdout);
    return 0;
  }
  if (!flags->positional().empty()) {
    return fail(2, "produce", "unexpected argument '{}'", flags->positional()[0]);
  }
  auto server = flags->get("--bootstrap-server");
  if (!server) return fail(2, "produce", "--bootstrap-server is required");
  auto topic = flags->get("--topic");
  if (!topic || topic->empty()) return fail(2, "produce", "--topic is required");
  auto bootstrap = client::parse_bootstrap(*server);
  if (!bootstrap.ok()) return fail(2, "produce", "{}", bootstrap.error().context());
  auto settings = settings_from(flags.value());
  if (!settings.ok()) return fail(2, "produce", "{}", settings.error().context());
  install_interrupt_handler();
  return run_real("tern-produce", [&](Runtime& rt) {
    return run_produce(rt, *topic, settings.value(), bootstrap.value(), *server);
  });
}

}  // namespace tern::tools
