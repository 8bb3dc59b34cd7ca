#include "broker/server/config.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include <fmt/format.h>

namespace tern::server {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\f'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\f'))
    s.remove_suffix(1);
  return s;
}

Error bad_value(std::string_view key, std::string_view value, std::string_view expected) {
  return Error(Errc::invalid_argument,
               fmt::format("invalid value '{}' for {}: expected {}", value, key, expected));
}

Result<int64_t> parse_long(std::string_view key, std::string_view value, int64_t min,
                           int64_t max) {
  int64_t v = 0;
  const char* end = value.data() + value.size();
  auto [p, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || p != end || v < min || v > max) {
    return bad_value(key, value, fmt::format("an integer in [{}, {}]", min, max));
  }
  return v;
}

Result<bool> parse_bool(std::string_view key, std::string_view value) {
  std::string lower(value);
  for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return bad_value(key, value, "true or false");
}

Result<MessageTimestampType> parse_timestamp_type(std::string_view key, std::string_view v) {
  if (v == "CreateTime") return MessageTimestampType::create_time;
  if (v == "LogAppendTime") return MessageTimestampType::log_append_time;
  return bad_value(key, v, "CreateTime or LogAppendTime");
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = trim(text.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

// Keys Kafka deployments carry that mean nothing for one tern process. Accepted, ignored,
// with a warning, so Kafka's sample server.properties files start tern unchanged.
constexpr std::string_view kIgnoredKeys[] = {
    "auto.leader.rebalance.enable",
    "background.threads",
    "broker.id.generation.enable",
    "compression.type",
    "controlled.shutdown.enable",
    "controller.listener.names",
    "controller.quorum.bootstrap.servers",
    "controller.quorum.voters",
    "group.initial.rebalance.delay.ms",
    "group.max.session.timeout.ms",
    "group.min.session.timeout.ms",
    "inter.broker.listener.name",
    "inter.broker.protocol.version",
    "listener.security.protocol.map",
    "log.cleaner.enable",
    "log.cleaner.threads",
    "log.preallocate",
    "num.io.threads",
    "num.network.threads",
    "num.recovery.threads.per.data.dir",
    "num.replica.fetchers",
    "offsets.retention.minutes",
    "offsets.topic.num.partitions",
    "offsets.topic.replication.factor",
    "process.roles",
    "replica.lag.time.max.ms",
    "socket.receive.buffer.bytes",
    "socket.send.buffer.bytes",
    "transaction.state.log.min.isr",
    "transaction.state.log.replication.factor",
    "unclean.leader.election.enable",
    "zookeeper.connect",
    "zookeeper.connection.timeout.ms",
    "zookeeper.session.timeout.ms",
};

using Setter = std::function<Status(BrokerConfig&, std::string_view key, std::string_view v)>;

template <class T>
Setter long_setter(T BrokerConfig::*field, int64_t min, int64_t max, int64_t scale = 1) {
  return [=](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    auto r = parse_long(key, v, min, max);
    if (!r.ok()) return r.error();
    c.*field = static_cast<T>(r.value() * scale);
    return {};
  };
}

Setter bool_setter(bool BrokerConfig::*field) {
  return [=](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    auto r = parse_bool(key, v);
    if (!r.ok()) return r.error();
    c.*field = r.value();
    return {};
  };
}

Setter listeners_setter(std::vector<Listener> BrokerConfig::*field) {
  return [=](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    auto r = parse_listeners(v);
    if (!r.ok()) {
      return bad_value(key, v, "a list like PLAINTEXT://127.0.0.1:9092 (" +
                                   r.error().context() + ")");
    }
    c.*field = std::move(r.value());
    return {};
  };
}

Setter log_dirs_setter() {
  return [](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    auto dirs = split_list(v);
    if (dirs.empty()) return bad_value(key, v, "one or more directories");
    c.log_dirs = std::move(dirs);
    return {};
  };
}

constexpr int64_t kHourMs = 60LL * 60 * 1000;
constexpr int64_t kLongMax = INT64_MAX;
constexpr int64_t kIntMax = INT32_MAX;

const std::map<std::string, Setter, std::less<>>& setters() {
  // Built once per call site use; the map is immutable after construction, so this is not
  // mutable namespace state (STYLE §7 rule 8).
  static const std::map<std::string, Setter, std::less<>> table = {
      {"node.id", long_setter(&BrokerConfig::node_id, 0, kIntMax)},
      {"broker.id", long_setter(&BrokerConfig::node_id, 0, kIntMax)},
      {"listeners", listeners_setter(&BrokerConfig::listeners)},
      {"advertised.listeners", listeners_setter(&BrokerConfig::advertised_listeners)},
      {"log.dirs", log_dirs_setter()},
      {"log.dir", log_dirs_setter()},
      {"num.partitions", long_setter(&BrokerConfig::num_partitions, 1, 1'000'000)},
      {"default.replication.factor",
       long_setter(&BrokerConfig::default_replication_factor, 1, INT16_MAX)},
      {"auto.create.topics.enable", bool_setter(&BrokerConfig::auto_create_topics_enable)},
      {"delete.topic.enable", bool_setter(&BrokerConfig::delete_topic_enable)},
      {"message.max.bytes", long_setter(&BrokerConfig::message_max_bytes, 0,
                                        kBatchBytesHardMax)},
      {"socket.request.max.bytes",
       long_setter(&BrokerConfig::socket_request_max_bytes, 1, kIntMax)},
      {"log.segment.bytes", long_setter(&BrokerConfig::log_segment_bytes, 14,
                                        kSegmentBytesMax)},
      {"log.roll.ms", long_setter(&BrokerConfig::log_roll_ms, 1, kLongMax)},
      {"log.roll.hours", long_setter(&BrokerConfig::log_roll_ms, 1, kIntMax, kHourMs)},
      {"log.retention.ms", long_setter(&BrokerConfig::log_retention_ms, -1, kLongMax)},
      {"log.retention.minutes",
       long_setter(&BrokerConfig::log_retention_ms, -1, kIntMax, 60'000)},
      {"log.retention.hours",
       long_setter(&BrokerConfig::log_retention_ms, -1, kIntMax, kHourMs)},
      {"log.retention.bytes", long_setter(&BrokerConfig::log_retention_bytes, -1, kLongMax)},
      {"log.retention.check.interval.ms",
       long_setter(&BrokerConfig::log_retention_check_interval_ms, 1, kLongMax)},
      {"log.flush.interval.messages",
       long_setter(&BrokerConfig::log_flush_interval_messages, 1, kLongMax)},
      {"log.flush.interval.ms", long_setter(&BrokerConfig::log_flush_interval_ms, 0, kLongMax)},
      {"log.flush.scheduler.interval.ms",
       [](BrokerConfig&, std::string_view key, std::string_view v) -> Status {
         auto r = parse_long(key, v, 0, kLongMax);
         if (!r.ok()) return r.error();
         return {};  // tern's flusher wakes on demand; accepted for compatibility
       }},
      {"log.index.interval.bytes",
       long_setter(&BrokerConfig::log_index_interval_bytes, 0, kIntMax)},
      {"log.message.timestamp.type",
       [](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
         auto r = parse_timestamp_type(key, v);
         if (!r.ok()) return r.error();
         c.log_message_timestamp_type = r.value();
         return {};
       }},
      {"log.cleanup.policy",
       [](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
         if (v != "delete" && v != "compact" && v != "compact,delete" && v != "delete,compact")
           return bad_value(key, v, "delete, compact or compact,delete");
         c.log_cleanup_policy = std::string(v);
         return {};
       }},
      {"min.insync.replicas", long_setter(&BrokerConfig::min_insync_replicas, 1, kIntMax)},
      {"max.connections", long_setter(&BrokerConfig::max_connections, 0, kIntMax)},
      {"connections.max.idle.ms",
       long_setter(&BrokerConfig::connections_max_idle_ms, -1, kLongMax)},
      {"queued.max.requests", long_setter(&BrokerConfig::queued_max_requests, 1, 100'000)},
      {"broker.rack",
       [](BrokerConfig& c, std::string_view, std::string_view v) -> Status {
         c.broker_rack = std::string(v);
         return {};
       }},
      {"tern.flush.durable", bool_setter(&BrokerConfig::tern_flush_durable)},
  };
  return table;
}

}  // namespace

std::string Listener::to_string() const { return fmt::format("{}://{}:{}", name, host, port); }

Result<std::vector<Listener>> parse_listeners(std::string_view text) {
  std::vector<Listener> out;
  for (const std::string& item : split_list(text)) {
    const size_t sep = item.find("://");
    if (sep == std::string::npos || sep == 0) {
      return Error(Errc::invalid_argument, fmt::format("'{}' lacks NAME://", item));
    }
    Listener l;
    l.name = item.substr(0, sep);
    std::string_view rest = std::string_view(item).substr(sep + 3);
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos) {
      return Error(Errc::invalid_argument, fmt::format("'{}' lacks :port", item));
    }
    l.host = std::string(rest.substr(0, colon));
    if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']') {
      l.host = l.host.substr(1, l.host.size() - 2);
    }
    auto port = parse_long("port", rest.substr(colon + 1), 0, 65535);
    if (!port.ok()) return Error(Errc::invalid_argument, fmt::format("bad port in '{}'", item));
    l.port = static_cast<uint16_t>(port.value());
    for (const Listener& other : out) {
      if (other.name == l.name) {
        return Error(Errc::invalid_argument, fmt::format("listener {} twice", l.name));
      }
    }
    out.push_back(std::move(l));
  }
  if (out.empty()) return Error(Errc::invalid_argument, "no listener");
  return out;
}

Listener BrokerConfig::advertised() const {
  TERN_ASSERT(!listeners.empty());
  const Listener& served = listeners.front();
  for (const Listener& a : advertised_listeners) {
    if (a.name == served.name) {
      Listener l = a;
      if (l.host.empty()) l.host = "127.0.0.1";
      return l;
    }
  }
  Listener l = served;
  // Kafka advertises the canonical host name for an empty or wildcard host; tern has no
  // host-name lookup in broker code, so it advertises loopback (set advertised.listeners).
  if (l.host.empty() || l.host == "0.0.0.0") l.host = "127.0.0.1";
  return l;
}

std::string BrokerConfig::data_dir() const {
  TERN_ASSERT(!log_dirs.empty());
  std::string d = log_dirs.front();
  while (d.size() >= 2 && d[0] == '.' && d[1] == '/') d.erase(0, 2);
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (d.empty() || d == ".") d = "data";
  return d;
}

LogConfig BrokerConfig::log_config() const { return topic_log_config(*this, {}); }

Status apply_setting(BrokerConfig& config, std::string_view key, std::string_view value) {
  key = trim(key);
  value = trim(value);
  const auto& table = setters();
  auto it = table.find(key);
  if (it != table.end()) {
    TERN_TRY(it->second(config, key, value));
    config.explicit_values[std::string(key)] = std::string(value);
    return {};
  }
  for (std::string_view ignored : kIgnoredKeys) {
    if (ignored == key) {
      config.warnings.push_back(
          fmt::format("config {} is accepted but ignored by tern (single-process broker)", key));
      return {};
    }
  }
  return Error(Errc::invalid_argument, fmt::format("unknown config '{}'", key));
}

Status parse_properties(BrokerConfig& config, std::string_view text) {
  int line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = trim(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) {
      return Error(Errc::invalid_argument,
                   fmt::format("line {}: expected key=value, got '{}'", line_no, line));
    }
    Status s = apply_setting(config, line.substr(0, sep), line.substr(sep + 1));
    if (!s.ok()) {
      return Error(Errc::invalid_argument, fmt::format("line {}: {}", line_no,
                                                       s.error().context()));
    }
  }
  return {};
}

Status apply_override(BrokerConfig& config, std::string_view name_equals_value) {
  const size_t eq = name_equals_value.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Error(Errc::invalid_argument,
                 fmt::format("override '{}' is not name=value", name_equals_value));
  }
  return apply_setting(config, name_equals_value.substr(0, eq),
                       name_equals_value.substr(eq + 1));
}

Status validate(const BrokerConfig& config) {
  if (config.listeners.empty()) return Error(Errc::invalid_argument, "listeners: none given");
  const Listener& l = config.listeners.front();
  if (l.name != "PLAINTEXT") {
    return Error(Errc::invalid_argument,
                 fmt::format("listeners: {} is not supported (tern serves PLAINTEXT only; put "
                             "the PLAINTEXT listener first)", l.name));
  }
  if (config.log_dirs.empty()) return Error(Errc::invalid_argument, "log.dirs: none given");
  if (config.message_max_bytes > config.socket_request_max_bytes) {
    return Error(Errc::invalid_argument,
                 "message.max.bytes must not exceed socket.request.max.bytes");
  }
  return {};
}

namespace {

struct TopicConfigDef {
  std::string_view name;
  std::string_view broker_key;  // the broker setting it defaults from ("" = fixed default)
  std::function<std::string(const BrokerConfig&)> broker_default;
  // Validation: integer range, or a set of allowed words.
  int64_t min = 0;
  int64_t max = 0;
  std::vector<std::string_view> words;  // non-empty: one of these (comma lists for policy)
};

std::string ts_type_name(MessageTimestampType t) {
  return t == MessageTimestampType::create_time ? "CreateTime" : "LogAppendTime";
}

const std::vector<TopicConfigDef>& topic_defs() {
  static const std::vector<TopicConfigDef> defs = {
      {"cleanup.policy", "log.cleanup.policy",
       [](const BrokerConfig& c) { return c.log_cleanup_policy; }, 0, 0,
       {"delete", "compact", "compact,delete", "delete,compact"}},
      {"compression.type", "", [](const BrokerConfig&) { return std::string("producer"); },
       0, 0, {"producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"}},
      {"delete.retention.ms", "", [](const BrokerConfig&) { return std::string("86400000"); },
       0, INT64_MAX, {}},
      {"file.delete.delay.ms", "", [](const BrokerConfig&) { return std::string("60000"); },
       0, INT64_MAX, {}},
      {"flush.messages", "log.flush.interval.messages",
       [](const BrokerConfig& c) { return std::to_string(c.log_flush_interval_messages); }, 1,
       INT64_MAX, {}},
      {"flush.ms", "log.flush.interval.ms",
       [](const BrokerConfig& c) { return std::to_string(c.log_flush_interval_ms); }, 0,
       INT64_MAX, {}},
      {"index.interval.bytes", "log.index.interval.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.log_index_interval_bytes); }, 0,
       INT32_MAX, {}},
      {"max.message.bytes", "message.max.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.message_max_bytes); }, 0,
       kBatchBytesHardMax, {}},
      {"message.timestamp.type", "log.message.timestamp.type",
       [](const BrokerConfig& c) { return ts_type_name(c.log_message_timestamp_type); }, 0, 0,
       {"CreateTime", "LogAppendTime"}},
      {"min.insync.replicas", "min.insync.replicas",
       [](const BrokerConfig& c) { return std::to_string(c.min_insync_replicas); }, 1,
       INT32_MAX, {}},
      {"retention.bytes", "log.retention.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.log_retention_bytes); }, -1,
       INT64_MAX, {}},
      {"retention.ms", "log.retention.ms",
       [](const BrokerConfig& c) { return std::to_string(c.log_retention_ms); }, -1, INT64_MAX,
       {}},
      {"segment.bytes", "log.segment.bytes",
       [](const BrokerConfig& c) { return std::to_string(c.log_segment_bytes); }, 14,
       kSegmentBytesMax, {}},
      {"segment.ms", "log.roll.ms",
       [](const BrokerConfig& c) { return std::to_string(c.log_roll_ms); }, 1, INT64_MAX, {}},
      {"unclean.leader.election.enable", "",
       [](const BrokerConfig&) { return std::string("false"); }, 0, 0, {"true", "false"}},
  };
  return defs;
}

const TopicConfigDef* find_topic_def(std::string_view name) {
  for (const TopicConfigDef& d : topic_defs()) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

int64_t long_or(const std::map<std::string, std::string>& m, const std::string& key,
                int64_t dflt) {
  auto it = m.find(key);
  if (it == m.end()) return dflt;
  auto r = parse_long(key, it->second, INT64_MIN, INT64_MAX);
  return r.ok() ? r.value() : dflt;
}

}  // namespace

bool is_known_topic_config(std::string_view name) { return find_topic_def(name) != nullptr; }

Status validate_topic_config(std::string_view name, std::string_view value) {
  const TopicConfigDef* d = find_topic_def(name);
  if (d == nullptr) return Error(Errc::invalid_argument, fmt::format("unknown config '{}'", name));
  if (!d->words.empty()) {
    for (std::string_view w : d->words) {
      if (w == value) return {};
    }
    return bad_value(name, value, "one of the documented values");
  }
  auto r = parse_long(name, value, d->min, d->max);
  if (!r.ok()) return r.error();
  return {};
}

std::vector<ConfigEntry> describe_topic_config(
    const BrokerConfig& config, const std::map<std::string, std::string>& overrides) {
  std::vector<ConfigEntry> out;
  for (const TopicConfigDef& d : topic_defs()) {
    auto it = overrides.find(std::string(d.name));
    if (it != overrides.end()) {
      out.push_back({std::string(d.name), it->second, false});
    } else {
      out.push_back({std::string(d.name), d.broker_default(config), true});
    }
  }
  std::sort(out.begin(), out.end(),
            [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
  return out;
}

LogConfig topic_log_config(const BrokerConfig& c,
                           const std::map<std::string, std::string>& o) {
  LogConfig l;
  l.segment_bytes = long_or(o, "segment.bytes", c.log_segment_bytes);
  l.segment_ms = long_or(o, "segment.ms", c.log_roll_ms);
  l.index_interval_bytes = long_or(o, "index.interval.bytes", c.log_index_interval_bytes);
  l.retention_bytes = long_or(o, "retention.bytes", c.log_retention_bytes);
  l.retention_ms = long_or(o, "retention.ms", c.log_retention_ms);
  l.flush_messages = long_or(o, "flush.messages", c.log_flush_interval_messages);
  l.flush_ms = long_or(o, "flush.ms", c.log_flush_interval_ms);
  l.message_timestamp_type = c.log_message_timestamp_type;
  auto ts = o.find("message.timestamp.type");
  if (ts != o.end()) {
    l.message_timestamp_type = ts->second == "LogAppendTime"
                                   ? MessageTimestampType::log_append_time
                                   : MessageTimestampType::create_time;
  }
  l.durable_acks = c.tern_flush_durable;
  TERN_ASSERT(l.segment_bytes > 0);
  return l;
}

std::vector<ConfigEntry> describe_broker_config(const BrokerConfig& c) {
  auto value_of = [&](std::string_view key, std::string dflt) -> ConfigEntry {
    auto it = c.explicit_values.find(key);
    if (it != c.explicit_values.end()) return {std::string(key), it->second, false};
    return {std::string(key), std::move(dflt), true};
  };
  auto join = [](const std::vector<Listener>& ls) {
    std::string s;
    for (const Listener& l : ls) s += (s.empty() ? "" : ",") + l.to_string();
    return s;
  };
  std::string dirs;
  for (const std::string& d : c.log_dirs) dirs += (dirs.empty() ? "" : ",") + d;
  std::vector<ConfigEntry> out = {
      value_of("node.id", std::to_string(c.node_id)),
      value_of("broker.id", std::to_string(c.node_id)),
      value_of("listeners", join(c.listeners)),
      value_of("advertised.listeners", join(c.advertised_listeners)),
      value_of("log.dirs", dirs),
      value_of("num.partitions", std::to_string(c.num_partitions)),
      value_of("default.replication.factor", std::to_string(c.default_replication_factor)),
      value_of("auto.create.topics.enable", c.auto_create_topics_enable ? "true" : "false"),
      value_of("delete.topic.enable", c.delete_topic_enable ? "true" : "false"),
      value_of("message.max.bytes", std::to_string(c.message_max_bytes)),
      value_of("socket.request.max.bytes", std::to_string(c.socket_request_max_bytes)),
      value_of("log.segment.bytes", std::to_string(c.log_segment_bytes)),
      value_of("log.roll.ms", std::to_string(c.log_roll_ms)),
      value_of("log.retention.ms", std::to_string(c.log_retention_ms)),
      value_of("log.retention.bytes", std::to_string(c.log_retention_bytes)),
      value_of("log.retention.check.interval.ms",
               std::to_string(c.log_retention_check_interval_ms)),
      value_of("log.flush.interval.messages", std::to_string(c.log_flush_interval_messages)),
      value_of("log.flush.interval.ms", std::to_string(c.log_flush_interval_ms)),
      value_of("log.index.interval.bytes", std::to_string(c.log_index_interval_bytes)),
      value_of("log.message.timestamp.type", ts_type_name(c.log_message_timestamp_type)),
      value_of("log.cleanup.policy", c.log_cleanup_policy),
      value_of("min.insync.replicas", std::to_string(c.min_insync_replicas)),
      value_of("max.connections", std::to_string(c.max_connections)),
      value_of("tern.flush.durable", c.tern_flush_durable ? "true" : "false"),
  };
  std::sort(out.begin(), out.end(),
            [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
  return out;
}

}  // namespace tern::server
