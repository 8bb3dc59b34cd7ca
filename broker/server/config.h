#pragma once
// BrokerConfig: the broker's settings under Apache Kafka's names and defaults, parsed from a
// server.properties text plus `name=value` overrides (kafka-server-start.sh --override).
//
// Rules (README.md has the full table):
// - Unknown keys and malformed values are errors that name the key: a typo must not start a
//   broker with a silently different setting.
// - Keys that only mean something to a multi-process Kafka deployment (zookeeper.connect,
//   process.roles, controller.quorum.voters, num.network.threads, ...) are accepted and
//   ignored, each with one warning: Kafka's own sample server.properties must start tern.
// - Later settings win (file order, then overrides in order), like java.util.Properties.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/base/limits.h"
#include "broker/log/log_config.h"
#include "sim/runtime/result.h"

namespace tern::server {

// One listener: NAME://host:port (PLAINTEXT://127.0.0.1:9092).
struct Listener {
  std::string name;  // PLAINTEXT
  std::string host;  // "" = every interface (listen) / this host (advertise)
  uint16_t port = 0;
  std::string to_string() const;
};

// Parses "PLAINTEXT://127.0.0.1:9092,CONTROLLER://:9093".
Result<std::vector<Listener>> parse_listeners(std::string_view text);

struct BrokerConfig {
  int32_t node_id = 1;                                       // node.id (broker.id)
  // listeners
  std::vector<Listener> listeners{{"PLAINTEXT", "127.0.0.1", 9092}};
  std::vector<Listener> advertised_listeners;  // advertised.listeners (empty: listeners)
  std::vector<std::string> log_dirs{"./tern-data"};          // log.dirs (log.dir)
  int32_t num_partitions = 1;                                // num.partitions
  int16_t default_replication_factor = 1;                    // default.replication.factor
  bool auto_create_topics_enable = true;                     // auto.create.topics.enable
  bool delete_topic_enable = true;                           // delete.topic.enable
  int32_t message_max_bytes = static_cast<int32_t>(kBatchBytesMaxDefault);  // message.max.bytes
  int32_t socket_request_max_bytes = static_cast<int32_t>(kRequestBytesMaxDefault);
  int64_t log_segment_bytes = kSegmentBytesDefault;          // log.segment.bytes
  int64_t log_roll_ms = 7 * kDayMs;                          // log.roll.ms / log.roll.hours
  int64_t log_retention_ms = 7 * kDayMs;                     // log.retention.{ms,minutes,hours}
  int64_t log_retention_bytes = -1;                          // log.retention.bytes
  int64_t log_retention_check_interval_ms = 300'000;         // log.retention.check.interval.ms
  int64_t log_flush_interval_messages = INT64_MAX;           // log.flush.interval.messages
  int64_t log_flush_interval_ms = INT64_MAX;                 // log.flush.interval.ms
  int64_t log_index_interval_bytes = 4096;                   // log.index.interval.bytes
  MessageTimestampType log_message_timestamp_type = MessageTimestampType::create_time;
  std::string log_cleanup_policy = "delete";                 // log.cleanup.policy
  int32_t min_insync_replicas = 1;                           // min.insync.replicas
  int32_t max_connections = 2'147'483'647;                   // max.connections
  int64_t connections_max_idle_ms = 600'000;                 // connections.max.idle.ms
  int32_t queued_max_requests = 500;   // queued.max.requests (per-connection bound here)
  std::optional<std::string> broker_rack;                    // broker.rack
  // tern.flush.durable (tern's own): true = a partition's high watermark is its fsynced
  // offset and acks=all is answered after fsync (tern's default); false = Kafka's default,
  // flushing left to the OS and the high watermark at the log end.
  bool tern_flush_durable = true;

  // Explicitly set keys, by name (for DescribeConfigs: "default" vs "static broker config").
  std::map<std::string, std::string, std::less<>> explicit_values;
  // One line per accepted-but-ignored key (printed by `tern broker` at startup).
  std::vector<std::string> warnings;

  // The listener clients reach this broker at (advertised, else the first listener with a
  // host, else 127.0.0.1).
  Listener advertised() const;
  // Where the data lives on the runtime's Disk: log.dirs[0] without "./" or trailing '/'.
  std::string data_dir() const;
  // The broker-level defaults for a new partition's log.
  LogConfig log_config() const;
};

// Applies one setting. Errors name the key: "unknown config 'foo'" / "invalid value 'x' for
// num.partitions: expected an integer >= 1".
Status apply_setting(BrokerConfig& config, std::string_view key, std::string_view value);

// Parses server.properties text (comments #/!, blank lines, key=value or key:value, spaces
// around both) into `config`. Errors carry the line number.
Status parse_properties(BrokerConfig& config, std::string_view text);

// Parses "name=value" (an --override argument) and applies it.
Status apply_override(BrokerConfig& config, std::string_view name_equals_value);

// Final cross-field checks (after every setting): a PLAINTEXT listener exists, etc.
Status validate(const BrokerConfig& config);

// The broker-level config entries DescribeConfigs reports: (name, value, is_default),
// sorted by name.
struct ConfigEntry {
  std::string name;
  std::string value;
  bool is_default = true;
};
std::vector<ConfigEntry> describe_broker_config(const BrokerConfig& config);

// ---- topic-level configs (CreateTopics configs, AlterConfigs, DescribeConfigs) -----------

// Kafka's topic config names tern knows, with the broker setting each defaults from.
bool is_known_topic_config(std::string_view name);
// Validates a topic config value ("retention.ms" = "-1" ok, "abc" not).
Status validate_topic_config(std::string_view name, std::string_view value);
// The effective topic config entries (topic overrides over broker defaults), sorted by name.
std::vector<ConfigEntry> describe_topic_config(
    const BrokerConfig& config, const std::map<std::string, std::string>& overrides);
// The LogConfig for a topic: broker defaults with its overrides applied.
LogConfig topic_log_config(const BrokerConfig& config,
                           const std::map<std::string, std::string>& overrides);

}  // namespace tern::server
