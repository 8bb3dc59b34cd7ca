#pragma once
// BrokerConfig: the broker's settings under Apache Kafka's names and defaults, parsed from a
// server.properties text plus `name=value` overrides (kafka-server-start.sh --override).
//
// Rules (README.md has the full table):
// - Unknown keys and malformed values are errors that name the key: a typo must not start a
//   broker with a silently different setting.
// - KRaft settings (process.roles, node.id, controller.quorum.voters, controller.listener.names,
//   listener.security.protocol.map, ...) are parsed and validated like Kafka's KafkaConfig.
// - Keys that mean nothing to tern (zookeeper.connect, num.network.threads, ...) are accepted
//   and ignored, each with one warning: Kafka's own sample server.properties must start tern.
// - Later settings win (file order, then overrides in order), like java.util.Properties.
// - Without process.roles (tern's older config files, Kafka's ZooKeeper-era sample) the node
//   is a one-node combined cluster: roles broker+controller, the quorum just this node (see
//   quorum_voters below).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
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
// A properties file's blanks (space, tab, CR, form feed) cut from both ends of a key/value.
std::string_view trim_blanks(std::string_view s);

Result<std::vector<Listener>> parse_listeners(std::string_view text);

// One member of the static controller quorum: controller.quorum.voters' `id@host:port`.
struct QuorumVoter {
  int32_t id = -1;
  std::string host;
  uint16_t port = 0;
  std::string to_string() const;  // 1@localhost:9093
  bool operator==(const QuorumVoter&) const = default;
};

// Parses "1@localhost:9093,2@[::1]:9094". Errors (without the key): a malformed entry, a
// duplicate id, a duplicate host:port. "" is an empty list.
Result<std::vector<QuorumVoter>> parse_quorum_voters(std::string_view text);

enum class ProcessRole : uint8_t { broker, controller };

// Kafka's security protocols (listener.security.protocol.map values); tern serves PLAINTEXT.
inline constexpr std::string_view kSecurityProtocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT",
                                                          "SASL_SSL"};

struct BrokerConfig {
  int32_t node_id = 1;                                       // node.id (broker.id)
  // process.roles. Without the key: {broker, controller}, a one-node combined cluster.
  std::set<ProcessRole> process_roles{ProcessRole::broker, ProcessRole::controller};
  // controller.quorum.voters, the static Raft quorum. Without the key and without
  // process.roles it is derived (re-derived after every setting): just this node, at its
  // controller listener when one is configured (controller.listener.names, else a listener
  // named CONTROLLER), else at its client listener's advertised address; a one-voter quorum
  // elects itself and never dials that address. With process.roles it must be given.
  std::vector<QuorumVoter> quorum_voters{{1, "127.0.0.1", 9092}};
  std::vector<std::string> controller_listener_names;        // controller.listener.names
  // listeners
  std::vector<Listener> listeners{{"PLAINTEXT", "127.0.0.1", 9092}};
  std::vector<Listener> advertised_listeners;  // advertised.listeners (empty: listeners)
  // listener.security.protocol.map: listener name -> security protocol (Kafka's default map).
  std::map<std::string, std::string> listener_security_protocol_map{
      {"PLAINTEXT", "PLAINTEXT"}, {"SASL_PLAINTEXT", "SASL_PLAINTEXT"},
      {"SASL_SSL", "SASL_SSL"}, {"SSL", "SSL"}};
  std::string inter_broker_listener_name = "PLAINTEXT";     // inter.broker.listener.name
  int32_t controller_quorum_election_timeout_ms = 1000;
  int32_t controller_quorum_election_backoff_max_ms = 1000;
  int32_t controller_quorum_fetch_timeout_ms = 2000;
  int32_t controller_quorum_request_timeout_ms = 2000;
  int32_t broker_session_timeout_ms = 9000;                  // broker.session.timeout.ms
  int32_t broker_heartbeat_interval_ms = 2000;               // broker.heartbeat.interval.ms
  std::string metadata_log_dir;  // metadata.log.dir ("" = the first log dir; metadata_dir())
  int64_t metadata_log_max_record_bytes_between_snapshots = 20 * 1024 * 1024;
  int32_t metadata_max_idle_interval_ms = 500;               // metadata.max.idle.interval.ms
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

  bool has_broker_role() const { return process_roles.count(ProcessRole::broker) > 0; }
  bool has_controller_role() const { return process_roles.count(ProcessRole::controller) > 0; }
  // process.roles was given: a KRaft node of a (possibly) multi-node cluster whose storage
  // must be formatted (`tern storage format`). False: tern's implicit one-node cluster.
  bool process_roles_configured() const;
  // This node's controller listener: the first name of controller.listener.names found in
  // listeners (implicit one-node mode without those names: a listener named CONTROLLER).
  // nullopt on a broker-only node, and in implicit mode without a controller listener (the
  // one-voter quorum needs no network).
  std::optional<Listener> controller_listener() const;
  bool is_controller_listener(std::string_view name) const;
  // The listener this node serves clients and other brokers on: inter.broker.listener.name
  // when it is a listener, else the first listener that is not a controller listener. nullopt
  // when there is none (a controller-only node).
  std::optional<Listener> broker_listener() const;
  // The listener clients reach this broker at: broker_listener()'s entry in
  // advertised.listeners, else broker_listener() itself with a wildcard host made 127.0.0.1.
  Listener advertised() const;
  // Where the data lives on the runtime's Disk: log.dirs[0] without "./" or trailing '/'.
  std::string data_dir() const;
  // metadata.log.dir the same way (default: data_dir()).
  std::string metadata_dir() const;
  // Every directory that holds a meta.properties: the log dirs, then the metadata log dir
  // when it is not one of them; normalized like data_dir(), duplicates dropped, in order.
  std::vector<std::string> storage_dirs() const;
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

// Final cross-field checks (after every setting), KafkaConfig's KRaft rules among them: the
// roles agree with the voters and the listeners, every listener is PLAINTEXT, ... One line
// naming the problem, e.g. "node.id 4 is not in controller.quorum.voters (1,2,3) but
// process.roles has controller".
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
