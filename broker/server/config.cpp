#include "broker/server/config.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace tern::server {

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                        s.front() == '\f'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\f'))
    s.remove_suffix(1);
  return s;
}

namespace {

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
    std::string_view item = trim_blanks(text.substr(start, comma - start));
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

// Keys Kafka deployments carry that mean nothing for tern. Accepted, ignored, with a
// warning, so Kafka's sample server.properties files start tern unchanged.
constexpr std::string_view kIgnoredKeys[] = {
    "auto.leader.rebalance.enable",
    "background.threads",
    "broker.id.generation.enable",
    "compression.type",
    "controlled.shutdown.enable",
    "controller.quorum.append.linger.ms",
    "controller.quorum.retry.backoff.ms",
    "group.initial.rebalance.delay.ms",
    "group.max.session.timeout.ms",
    "group.min.session.timeout.ms",
    "initial.broker.registration.timeout.ms",
    "inter.broker.protocol.version",
    "log.cleaner.enable",
    "log.cleaner.threads",
    "log.preallocate",
    "metadata.log.segment.bytes",
    "metadata.log.segment.ms",
    "metadata.max.retention.bytes",
    "metadata.max.retention.ms",
    "num.io.threads",
    "num.network.threads",
    "num.recovery.threads.per.data.dir",
    "num.replica.fetchers",
    "offsets.retention.minutes",
    "offsets.topic.num.partitions",
    "offsets.topic.replication.factor",
    "replica.lag.time.max.ms",
    "share.coordinator.state.topic.min.isr",
    "share.coordinator.state.topic.replication.factor",
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

bool valid_listener_name(std::string_view name) {
  if (name.empty()) return false;
  for (char ch : name) {
    const bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

Setter process_roles_setter() {
  return [](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    std::set<ProcessRole> roles;
    const auto items = split_list(v);
    for (const std::string& item : items) {
      ProcessRole role;
      if (item == "broker") {
        role = ProcessRole::broker;
      } else if (item == "controller") {
        role = ProcessRole::controller;
      } else {
        return bad_value(key, v, "broker, controller or broker,controller");
      }
      if (!roles.insert(role).second) {
        return bad_value(key, v, "each role once (duplicate role " + item + ")");
      }
    }
    if (roles.empty()) return bad_value(key, v, "broker, controller or broker,controller");
    c.process_roles = std::move(roles);
    return {};
  };
}

Setter quorum_voters_setter() {
  return [](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    auto r = parse_quorum_voters(v);
    if (!r.ok()) {
      return bad_value(key, v, "a list like 1@localhost:9093,2@host2:9093 (" +
                                   r.error().context() + ")");
    }
    c.quorum_voters = std::move(r.value());
    return {};
  };
}

Setter listener_names_setter(std::vector<std::string> BrokerConfig::*field) {
  return [=](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    std::vector<std::string> names = split_list(v);
    for (size_t i = 0; i < names.size(); ++i) {
      if (!valid_listener_name(names[i])) {
        return bad_value(key, v, "listener names like CONTROLLER");
      }
      for (size_t k = 0; k < i; ++k) {
        if (names[k] == names[i]) return bad_value(key, v, "each name once");
      }
    }
    c.*field = std::move(names);
    return {};
  };
}

Setter protocol_map_setter() {
  return [](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    std::map<std::string, std::string> map;
    for (const std::string& item : split_list(v)) {
      const size_t colon = item.find(':');
      if (colon == std::string::npos) {
        return bad_value(key, v, "NAME:PROTOCOL pairs like CONTROLLER:PLAINTEXT");
      }
      std::string name(trim_blanks(std::string_view(item).substr(0, colon)));
      std::string protocol(trim_blanks(std::string_view(item).substr(colon + 1)));
      if (!valid_listener_name(name)) {
        return bad_value(key, v, "NAME:PROTOCOL pairs like CONTROLLER:PLAINTEXT");
      }
      bool known = false;
      for (std::string_view p : kSecurityProtocols) known = known || p == protocol;
      if (!known) {
        return bad_value(key, v, fmt::format("a security protocol for {} (PLAINTEXT, SSL, "
                                             "SASL_PLAINTEXT or SASL_SSL), not '{}'",
                                             name, protocol));
      }
      if (!map.emplace(name, protocol).second) {
        return bad_value(key, v, fmt::format("listener {} once", name));
      }
    }
    if (map.empty()) return bad_value(key, v, "NAME:PROTOCOL pairs like CONTROLLER:PLAINTEXT");
    c.listener_security_protocol_map = std::move(map);
    return {};
  };
}

Setter listener_name_setter(std::string BrokerConfig::*field) {
  return [=](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    if (!valid_listener_name(v)) return bad_value(key, v, "a listener name like PLAINTEXT");
    c.*field = std::string(v);
    return {};
  };
}

Setter dir_setter(std::string BrokerConfig::*field) {
  return [=](BrokerConfig& c, std::string_view key, std::string_view v) -> Status {
    if (v.empty() || v.find(',') != std::string_view::npos) {
      return bad_value(key, v, "one directory");
    }
    c.*field = std::string(v);
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
      {"process.roles", process_roles_setter()},
      {"controller.quorum.voters", quorum_voters_setter()},
      {"controller.listener.names",
       listener_names_setter(&BrokerConfig::controller_listener_names)},
      {"listener.security.protocol.map", protocol_map_setter()},
      {"inter.broker.listener.name",
       listener_name_setter(&BrokerConfig::inter_broker_listener_name)},
      {"controller.quorum.election.timeout.ms",
       long_setter(&BrokerConfig::controller_quorum_election_timeout_ms, 1, kIntMax)},
      {"controller.quorum.election.backoff.max.ms",
       long_setter(&BrokerConfig::controller_quorum_election_backoff_max_ms, 1, kIntMax)},
      {"controller.quorum.fetch.timeout.ms",
       long_setter(&BrokerConfig::controller_quorum_fetch_timeout_ms, 1, kIntMax)},
      {"controller.quorum.request.timeout.ms",
       long_setter(&BrokerConfig::controller_quorum_request_timeout_ms, 1, kIntMax)},
      {"broker.session.timeout.ms",
       long_setter(&BrokerConfig::broker_session_timeout_ms, 1, kIntMax)},
      {"broker.heartbeat.interval.ms",
       long_setter(&BrokerConfig::broker_heartbeat_interval_ms, 1, kIntMax)},
      {"metadata.log.dir", dir_setter(&BrokerConfig::metadata_log_dir)},
      {"metadata.log.max.record.bytes.between.snapshots",
       long_setter(&BrokerConfig::metadata_log_max_record_bytes_between_snapshots, 1,
                   kLongMax)},
      {"metadata.max.idle.interval.ms",
       long_setter(&BrokerConfig::metadata_max_idle_interval_ms, 0, kIntMax)},
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

std::string QuorumVoter::to_string() const {
  if (host.find(':') != std::string::npos) return fmt::format("{}@[{}]:{}", id, host, port);
  return fmt::format("{}@{}:{}", id, host, port);
}

Result<std::vector<QuorumVoter>> parse_quorum_voters(std::string_view text) {
  std::vector<QuorumVoter> out;
  for (const std::string& item : split_list(text)) {
    const size_t at = item.find('@');
    if (at == std::string::npos || at == 0) {
      return Error(Errc::invalid_argument, fmt::format("'{}' lacks id@", item));
    }
    auto id = parse_long("id", std::string_view(item).substr(0, at), 0, kIntMax);
    if (!id.ok()) return Error(Errc::invalid_argument, fmt::format("bad id in '{}'", item));
    std::string_view rest = std::string_view(item).substr(at + 1);
    const size_t colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error(Errc::invalid_argument, fmt::format("'{}' lacks host:port", item));
    }
    QuorumVoter v;
    v.id = static_cast<int32_t>(id.value());
    v.host = std::string(rest.substr(0, colon));
    if (v.host.size() >= 2 && v.host.front() == '[' && v.host.back() == ']') {
      v.host = v.host.substr(1, v.host.size() - 2);
    }
    auto port = parse_long("port", rest.substr(colon + 1), 1, 65535);
    if (v.host.empty() || !port.ok()) {
      return Error(Errc::invalid_argument, fmt::format("bad host or port in '{}'", item));
    }
    v.port = static_cast<uint16_t>(port.value());
    for (const QuorumVoter& other : out) {
      if (other.id == v.id) {
        return Error(Errc::invalid_argument, fmt::format("voter id {} appears twice", v.id));
      }
      if (other.host == v.host && other.port == v.port) {
        return Error(Errc::invalid_argument,
                     fmt::format("voters {} and {} share the address {}:{}", other.id, v.id,
                                 v.host, v.port));
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

// The controller listener names in force: controller.listener.names, or CONTROLLER in
// tern's implicit one-node mode (no process.roles) when that key is absent.
std::vector<std::string> effective_controller_names(const BrokerConfig& c) {
  if (!c.controller_listener_names.empty()) return c.controller_listener_names;
  if (!c.process_roles_configured()) return {"CONTROLLER"};
  return {};
}

// A listener's security protocol: its entry in listener.security.protocol.map; without one,
// a controller listener is PLAINTEXT when the map was not set (Kafka does the same).
std::optional<std::string> security_protocol(const BrokerConfig& c, const std::string& name) {
  auto it = c.listener_security_protocol_map.find(name);
  if (it != c.listener_security_protocol_map.end()) return it->second;
  if (!c.explicit_values.count("listener.security.protocol.map") &&
      c.is_controller_listener(name)) {
    return std::string("PLAINTEXT");
  }
  return std::nullopt;
}

std::string host_or_loopback(const std::string& host) {
  // Kafka advertises the canonical host name for an empty or wildcard host; tern has no
  // host-name lookup in broker code, so it advertises loopback (set advertised.listeners).
  return host.empty() || host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
}

// Without process.roles and controller.quorum.voters the quorum is this node alone; its
// address follows node.id and the listeners, so it is derived again after every setting.
void derive_implicit_quorum(BrokerConfig& c) {
  if (c.explicit_values.count("controller.quorum.voters")) return;
  if (c.process_roles_configured()) {
    c.quorum_voters.clear();  // a KRaft node names its quorum (validate says so)
    return;
  }
  QuorumVoter self;
  self.id = c.node_id;
  if (auto l = c.controller_listener()) {
    self.host = host_or_loopback(l->host);
    self.port = l->port;
  } else {
    const Listener a = c.advertised();
    self.host = a.host;
    self.port = a.port;
  }
  c.quorum_voters = {self};
}

std::string voter_ids(const std::vector<QuorumVoter>& voters) {
  std::string s;
  for (const QuorumVoter& v : voters) s += (s.empty() ? "" : ",") + std::to_string(v.id);
  return s;
}

std::string roles_text(const std::set<ProcessRole>& roles) {
  std::string s;
  for (ProcessRole r : roles) {
    s += s.empty() ? "" : ",";
    s += r == ProcessRole::broker ? "broker" : "controller";
  }
  return s;
}

Error invalid(std::string message) { return Error(Errc::invalid_argument, std::move(message)); }

std::string normalize_dir(std::string d) {
  while (d.size() >= 2 && d[0] == '.' && d[1] == '/') d.erase(0, 2);
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  if (d.empty() || d == ".") d = "data";
  return d;
}

}  // namespace

bool BrokerConfig::process_roles_configured() const {
  return explicit_values.count("process.roles") > 0;
}

bool BrokerConfig::is_controller_listener(std::string_view name) const {
  for (const std::string& n : effective_controller_names(*this)) {
    if (n == name) return true;
  }
  return false;
}

std::optional<Listener> BrokerConfig::controller_listener() const {
  if (!has_controller_role()) return std::nullopt;
  for (const std::string& n : effective_controller_names(*this)) {
    for (const Listener& l : listeners) {
      if (l.name == n) return l;
    }
  }
  return std::nullopt;
}

std::optional<Listener> BrokerConfig::broker_listener() const {
  for (const Listener& l : listeners) {
    if (l.name == inter_broker_listener_name && !is_controller_listener(l.name)) return l;
  }
  for (const Listener& l : listeners) {
    if (!is_controller_listener(l.name)) return l;
  }
  return std::nullopt;
}

Listener BrokerConfig::advertised() const {
  TERN_ASSERT(!listeners.empty());
  const Listener served = broker_listener().value_or(listeners.front());
  for (const Listener& a : advertised_listeners) {
    if (a.name == served.name) {
      Listener l = a;
      if (l.host.empty()) l.host = "127.0.0.1";
      return l;
    }
  }
  Listener l = served;
  l.host = host_or_loopback(l.host);
  return l;
}

std::string BrokerConfig::data_dir() const {
  TERN_ASSERT(!log_dirs.empty());
  return normalize_dir(log_dirs.front());
}

std::string BrokerConfig::metadata_dir() const {
  return metadata_log_dir.empty() ? data_dir() : normalize_dir(metadata_log_dir);
}

std::vector<std::string> BrokerConfig::storage_dirs() const {
  std::vector<std::string> out;
  auto add = [&](std::string d) {
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  };
  for (const std::string& d : log_dirs) add(normalize_dir(d));
  add(metadata_dir());
  TERN_ASSERT(!out.empty());
  return out;
}

LogConfig BrokerConfig::log_config() const { return topic_log_config(*this, {}); }

Status apply_setting(BrokerConfig& config, std::string_view key, std::string_view value) {
  key = trim_blanks(key);
  value = trim_blanks(value);
  const auto& table = setters();
  auto it = table.find(key);
  if (it != table.end()) {
    TERN_TRY(it->second(config, key, value));
    config.explicit_values[std::string(key)] = std::string(value);
    derive_implicit_quorum(config);
    return {};
  }
  if (key == "controller.quorum.bootstrap.servers") {
    config.warnings.push_back(
        "config controller.quorum.bootstrap.servers is ignored: tern's quorum is static, "
        "set controller.quorum.voters");
    return {};
  }
  for (std::string_view ignored : kIgnoredKeys) {
    if (ignored == key) {
      config.warnings.push_back(fmt::format("config {} is accepted but ignored by tern", key));
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
    std::string_view line = trim_blanks(text.substr(start, nl - start));
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

namespace {

// KafkaConfig's KRaft checks on roles, voters and listeners, in the order Kafka reports them.
Status validate_quorum(const BrokerConfig& c) {
  const bool kraft = c.process_roles_configured();
  const bool voters_set = c.explicit_values.count("controller.quorum.voters") > 0;
  const std::string roles = roles_text(c.process_roles);
  if (c.process_roles.empty()) return invalid("process.roles: no role");
  if (kraft && !c.explicit_values.count("node.id") && !c.explicit_values.count("broker.id")) {
    return invalid("node.id must be set when process.roles is set");
  }
  if (kraft && c.quorum_voters.empty()) {
    return invalid("controller.quorum.voters must list the controllers (1@host:9093,...) when "
                   "process.roles is set (controller.quorum.bootstrap.servers is not supported)");
  }
  for (size_t i = 0; i < c.quorum_voters.size(); ++i) {
    for (size_t k = 0; k < i; ++k) {
      const QuorumVoter& a = c.quorum_voters[k];
      const QuorumVoter& b = c.quorum_voters[i];
      if (a.id == b.id) {
        return invalid(fmt::format("controller.quorum.voters: voter id {} appears twice", a.id));
      }
      if (a.host == b.host && a.port == b.port) {
        return invalid(fmt::format("controller.quorum.voters: voters {} and {} share the "
                                   "address {}:{}", a.id, b.id, a.host, a.port));
      }
    }
  }
  bool voter = false;
  for (const QuorumVoter& v : c.quorum_voters) voter = voter || v.id == c.node_id;
  const std::string ids = voter_ids(c.quorum_voters);
  if (c.has_controller_role() && !voter) {
    return invalid(fmt::format("node.id {} is not in controller.quorum.voters ({}) but "
                               "process.roles has controller", c.node_id, ids));
  }
  if (!c.has_controller_role() && voter) {
    return invalid(fmt::format("node.id {} is in controller.quorum.voters ({}) but "
                               "process.roles is {} (a voter needs the controller role)",
                               c.node_id, ids, roles));
  }
  if (c.controller_listener_names.empty() && (kraft || voters_set)) {
    return invalid("controller.listener.names must name the controller listener (e.g. "
                   "CONTROLLER) when process.roles or controller.quorum.voters is set");
  }
  return {};
}

Status validate_listeners(const BrokerConfig& c) {
  const std::string roles = roles_text(c.process_roles);
  const bool explicit_names = !c.controller_listener_names.empty();
  bool has_controller_listener = false;
  bool has_other_listener = false;
  for (const Listener& l : c.listeners) {
    const bool controller = c.is_controller_listener(l.name);
    has_controller_listener = has_controller_listener || controller;
    has_other_listener = has_other_listener || !controller;
    if (controller && !c.has_controller_role()) {
      return invalid(fmt::format("listeners has the controller listener {} but process.roles "
                                 "is {} (a broker-only node does not serve the quorum)",
                                 l.name, roles));
    }
    if (!controller && !c.has_broker_role()) {
      return invalid(fmt::format("listeners has {}, which is not in controller.listener.names, "
                                 "but process.roles is {} (a controller-only node serves only "
                                 "controller listeners)", l.name, roles));
    }
  }
  if (c.has_controller_role() && explicit_names && !has_controller_listener) {
    return invalid(fmt::format("process.roles has controller but listeners has no listener "
                               "named in controller.listener.names ({})",
                               fmt::join(c.controller_listener_names, ",")));
  }
  if (c.has_broker_role()) {
    if (!has_other_listener) {
      return invalid("process.roles has broker but every listener is a controller listener "
                     "(add e.g. PLAINTEXT://:9092)");
    }
    const std::string& ibl = c.inter_broker_listener_name;
    if (c.is_controller_listener(ibl)) {
      return invalid(fmt::format("inter.broker.listener.name {} is a controller listener "
                                 "(controller.listener.names)", ibl));
    }
    bool found = false;
    for (const Listener& l : c.listeners) found = found || l.name == ibl;
    if (!found && c.explicit_values.count("inter.broker.listener.name")) {
      return invalid(fmt::format("inter.broker.listener.name {} is not a listener in "
                                 "listeners", ibl));
    }
    // BrokerCore serves clients on the first listener only.
    const std::optional<Listener> served = c.broker_listener();
    TERN_ASSERT(served.has_value());
    if (c.listeners.front().name != served->name) {
      return invalid(fmt::format("listeners: put the broker listener {} first (tern serves "
                                 "clients on the first listener)", served->name));
    }
  }
  for (const Listener& a : c.advertised_listeners) {
    if (c.is_controller_listener(a.name)) {
      return invalid(fmt::format("advertised.listeners must not contain the controller "
                                 "listener {}: clients talk to brokers only", a.name));
    }
  }
  // Every listener this node serves or dials must be PLAINTEXT.
  std::vector<std::string> used;
  for (const Listener& l : c.listeners) used.push_back(l.name);
  for (const std::string& n : c.controller_listener_names) used.push_back(n);
  for (const std::string& name : used) {
    const std::optional<std::string> protocol = security_protocol(c, name);
    if (!protocol) {
      return invalid(fmt::format("listener {} has no security protocol: add {}:PLAINTEXT to "
                                 "listener.security.protocol.map", name, name));
    }
    if (*protocol != "PLAINTEXT") {
      return invalid(fmt::format("listener {} uses security protocol {}: tern supports "
                                 "PLAINTEXT only", name, *protocol));
    }
  }
  return {};
}

}  // namespace

Status validate(const BrokerConfig& config) {
  if (config.listeners.empty()) return invalid("listeners: none given");
  if (config.log_dirs.empty()) return invalid("log.dirs: none given");
  TERN_TRY(validate_quorum(config));
  TERN_TRY(validate_listeners(config));
  if (config.message_max_bytes > config.socket_request_max_bytes) {
    return invalid("message.max.bytes must not exceed socket.request.max.bytes");
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
  std::string voters;
  for (const QuorumVoter& v : c.quorum_voters) voters += (voters.empty() ? "" : ",") +
                                                          v.to_string();
  std::string protocols;
  for (const auto& [name, protocol] : c.listener_security_protocol_map) {
    protocols += fmt::format("{}{}:{}", protocols.empty() ? "" : ",", name, protocol);
  }
  auto num = [](int64_t v) { return std::to_string(v); };
  std::vector<ConfigEntry> out = {
      value_of("process.roles", roles_text(c.process_roles)),
      value_of("controller.quorum.voters", voters),
      value_of("controller.listener.names", fmt::format("{}",
                                                        fmt::join(c.controller_listener_names,
                                                                  ","))),
      value_of("listener.security.protocol.map", protocols),
      value_of("inter.broker.listener.name", c.inter_broker_listener_name),
      value_of("controller.quorum.election.timeout.ms",
               num(c.controller_quorum_election_timeout_ms)),
      value_of("controller.quorum.election.backoff.max.ms",
               num(c.controller_quorum_election_backoff_max_ms)),
      value_of("controller.quorum.fetch.timeout.ms", num(c.controller_quorum_fetch_timeout_ms)),
      value_of("controller.quorum.request.timeout.ms",
               num(c.controller_quorum_request_timeout_ms)),
      value_of("broker.session.timeout.ms", num(c.broker_session_timeout_ms)),
      value_of("broker.heartbeat.interval.ms", num(c.broker_heartbeat_interval_ms)),
      value_of("metadata.log.dir", c.metadata_log_dir.empty() ? c.log_dirs.front()
                                                               : c.metadata_log_dir),
      value_of("metadata.log.max.record.bytes.between.snapshots",
               num(c.metadata_log_max_record_bytes_between_snapshots)),
      value_of("metadata.max.idle.interval.ms", num(c.metadata_max_idle_interval_ms)),
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
