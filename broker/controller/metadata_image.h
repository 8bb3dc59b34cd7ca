#pragma once
// MetadataImage: the cluster metadata as of one offset of the committed metadata log (Kafka's
// MetadataImage): registered brokers and their fencing, topics with their partitions'
// replicas, leaders and epochs, topic configs, the next producer-id block. Immutable once
// published: readers hold a MetadataImagePtr and see one consistent version however long
// they suspend; a change is a new image (copy, apply the committed records, publish).
//
// Every node builds its image the same way, by applying the committed records in log order,
// so two nodes' images at the same offset are identical (the simulator checks it): nothing
// node-local (the Raft leader, timestamps, who asked) goes into an image.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/wire.h"

namespace tern::controller {

struct BrokerEndpoint {
  std::string listener;  // PLAINTEXT
  std::string host;
  uint16_t port = 0;
  bool operator==(const BrokerEndpoint&) const = default;
};

struct BrokerInfo {
  int32_t id = -1;
  protocol::Uuid incarnation_id;  // a new one per process start (BrokerRegistration)
  int64_t epoch = -1;             // the broker epoch: the offset of its registration record
  std::vector<BrokerEndpoint> endpoints;
  std::optional<std::string> rack;
  bool fenced = true;  // registered but not (yet / any more) heartbeating: no leaderships
  bool operator==(const BrokerInfo&) const = default;
  const BrokerEndpoint* endpoint(std::string_view listener) const;
};

struct PartitionInfo {
  std::vector<int32_t> replicas;  // placement order; replicas[0] is the preferred leader
  std::vector<int32_t> isr;
  int32_t leader = -1;         // -1: no leader (every replica fenced)
  int32_t leader_epoch = 0;    // bumped on every leader change
  int32_t partition_epoch = 0; // bumped on every change of this partition
  bool operator==(const PartitionInfo&) const = default;
};

struct TopicImage {
  std::string name;
  protocol::Uuid id;
  std::map<std::string, std::string> configs;  // topic-level overrides only
  std::vector<PartitionInfo> partitions;       // by partition index
  bool operator==(const TopicImage&) const = default;
};

class MetadataImage {
 public:
  // The offset of the last record applied (-1: nothing yet) and the epoch it was written in.
  int64_t offset = -1;
  int32_t epoch = 0;
  std::string cluster_id;
  std::map<int32_t, BrokerInfo> brokers;     // by broker id
  std::map<std::string, TopicImage> topics;  // by name
  int64_t next_producer_id = 0;              // the first id of the next block to grant

  bool operator==(const MetadataImage&) const = default;

  const TopicImage* find_topic(std::string_view name) const;
  const TopicImage* find_topic(const protocol::Uuid& id) const;
  const PartitionInfo* find_partition(std::string_view topic, int32_t index) const;
  // Registered and not fenced, by id.
  std::vector<int32_t> live_brokers() const;
};

using MetadataImagePtr = std::shared_ptr<const MetadataImage>;

}  // namespace tern::controller
