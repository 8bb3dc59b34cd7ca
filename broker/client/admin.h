#pragma once
// Topic administration: create, delete, list, describe (partitions, replicas, configs),
// add partitions, describe and alter configs. Each call returns a value or a ClientError
// whose message names the Kafka error code in words, ready for a CLI's one-line error.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/client/client_error.h"
#include "broker/client/cluster.h"

namespace tern::client {

struct AdminOptions {
  // How long the broker may take (CreateTopics/DeleteTopics timeout_ms) and we wait.
  Duration timeout = Duration::seconds(30);
};

struct NewTopic {
  std::string name;
  int32_t partitions = -1;           // -1: the broker's num.partitions
  int16_t replication_factor = -1;   // -1: the broker's default.replication.factor
  std::map<std::string, std::string> configs;
};

struct ConfigEntry {
  std::string name;
  std::optional<std::string> value;
  bool is_default = false;
  bool read_only = false;
  bool sensitive = false;
  int8_t source = -1;  // Kafka's ConfigSource: 1 topic, 4 static broker, 5 default, ...
};

struct TopicDescription {
  std::string name;
  bool internal = false;
  std::vector<PartitionInfo> partitions;
  // The replica count of partition 0 (what kafka-topics.sh prints as ReplicationFactor).
  int32_t replication_factor() const {
    return partitions.empty() ? 0 : static_cast<int32_t>(partitions[0].replicas.size());
  }
};

// Kafka's resource types in DescribeConfigs/AlterConfigs.
inline constexpr int8_t kResourceTopic = 2;
inline constexpr int8_t kResourceBroker = 4;

class Admin {
 public:
  Admin(Runtime& rt, ClientOptions client, AdminOptions options = {});

  ClientStatus create_topic(const NewTopic& topic, bool validate_only = false);
  ClientStatus delete_topic(const std::string& name);
  // Sorted names; internal topics (like __consumer_offsets) only if asked.
  ClientResult<std::vector<std::string>> list_topics(bool include_internal = false);
  ClientResult<TopicDescription> describe_topic(const std::string& name);
  // Grows the topic to `total_partitions` (kafka-topics.sh --alter --partitions N).
  ClientStatus create_partitions(const std::string& name, int32_t total_partitions);
  // Every config of a topic (resource kResourceTopic) or broker (kResourceBroker, name = id).
  ClientResult<std::vector<ConfigEntry>> describe_configs(int8_t resource_type,
                                                          const std::string& name);
  // Sets topic configs, keeping the topic's other overrides: AlterConfigs replaces the whole
  // set, so we read the current overrides first and merge (a nullopt value removes one).
  // `written`, if given, receives the whole override set just before it is sent: the read
  // may have come from a broker whose image lags, so it is what the write may have done.
  ClientStatus alter_topic_configs(const std::string& name,
                                   const std::map<std::string, std::optional<std::string>>& set,
                                   std::optional<std::map<std::string, std::string>>* written =
                                       nullptr);
  // The metadata quorum's state (DescribeQuorum, kafka-metadata-quorum.sh): any broker
  // forwards it to the quorum's leader.
  ClientResult<protocol::DescribeQuorumResponse> describe_quorum();
  // Metadata of the cluster (brokers, controller, every topic).
  ClientResult<ClusterMetadata> cluster_metadata();

  Cluster& cluster() { return cluster_; }

 private:
  ClientResult<std::shared_ptr<Connection>> controller();
  Deadline deadline() const { return cluster_.runtime().now() + options_.timeout; }

  Cluster cluster_;
  AdminOptions options_;
};

}  // namespace tern::client
