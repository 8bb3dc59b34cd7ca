#pragma once
// What a client knows about the cluster: bootstrap addresses, the metadata cache (brokers,
// topics, partition leaders) and one connection per broker, reopened with exponential
// backoff after a failure. Admin, Producer and Consumer each own one.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/client/client_error.h"
#include "broker/client/connection.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/event.h"

namespace tern::client {

struct ClientOptions {
  std::vector<Address> bootstrap;
  ConnectionOptions connection;
  Duration reconnect_backoff = Duration::millis(50);
  Duration reconnect_backoff_max = Duration::seconds(1);
};

struct BrokerInfo {
  int32_t node_id = -1;
  Address address;
  std::optional<std::string> rack;
};

struct PartitionInfo {
  int32_t partition = 0;
  int16_t error_code = 0;
  int32_t leader = -1;
  int32_t leader_epoch = -1;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  std::vector<int32_t> offline;
};

struct TopicInfo {
  std::string name;
  int16_t error_code = 0;
  bool internal = false;
  std::vector<PartitionInfo> partitions;  // sorted by partition index
};

struct ClusterMetadata {
  std::vector<BrokerInfo> brokers;  // sorted by node id
  std::optional<std::string> cluster_id;
  int32_t controller_id = -1;
  std::map<std::string, TopicInfo> topics;
};

// Parses "host:port[,host:port...]".
Result<std::vector<Address>> parse_bootstrap(std::string_view list);

class Cluster {
 public:
  Cluster(Runtime& rt, ClientOptions options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  Runtime& runtime() const { return rt_; }
  const ClientOptions& options() const { return options_; }

  // Asks any broker for metadata of `topics` (nullopt: all topics) and updates the cache.
  ClientResult<ClusterMetadata> refresh(const std::optional<std::vector<std::string>>& topics,
                                        bool allow_auto_create = false);
  // The cached topic if it has partitions, else refreshes until it does or the deadline
  // passes. A topic error (UNKNOWN_TOPIC_OR_PARTITION, ...) is retried until the deadline
  // when it is retriable, returned at once otherwise.
  ClientResult<TopicInfo> topic(const std::string& name, bool allow_auto_create,
                                Deadline deadline);
  // topic(name)'s partition count, without copying the topic's metadata.
  ClientResult<int32_t> partition_count(const std::string& name, bool allow_auto_create,
                                        Deadline deadline);
  // The leader of a partition from the cache (refreshing once if unknown); -1 if none.
  ClientResult<int32_t> leader(const std::string& topic, int32_t partition, Deadline deadline);
  // Forgets a topic's metadata (after NOT_LEADER_OR_FOLLOWER and friends).
  void invalidate(const std::string& topic);
  const ClusterMetadata& cached() const { return meta_; }

  // A live connection to a broker, reconnecting with backoff (waits out the backoff).
  ClientResult<std::shared_ptr<Connection>> connection(int32_t node_id, Deadline deadline);
  // A live connection to any broker: an open one, else the bootstrap list, else known brokers.
  ClientResult<std::shared_ptr<Connection>> any_connection(Deadline deadline);

 private:
  struct Slot {
    Address address;
    std::shared_ptr<Connection> conn;
    bool connecting = false;
    int failures = 0;
    Instant next_attempt{0};
  };
  ClientResult<std::shared_ptr<Connection>> connect_slot(int32_t key, Deadline deadline);
  // topic() without the copy: valid until the cache next changes (a refresh or invalidate).
  ClientResult<const TopicInfo*> find_topic(const std::string& name, bool allow_auto_create,
                                            Deadline deadline);
  void apply(const protocol::MetadataResponse& resp, bool all_topics);

  Runtime& rt_;
  ClientOptions options_;
  ClusterMetadata meta_;
  // Keys: broker node ids >= 0, bootstrap entries -1, -2, ... (like the Java client).
  std::map<int32_t, Slot> slots_;
  // The connection whose broker last answered Metadata without brokers: not preferred for
  // the next refresh (Kafka's least-loaded node moves on too), until a refresh succeeds.
  const Connection* no_brokers_from_ = nullptr;
  Condition changed_;
};

}  // namespace tern::client
