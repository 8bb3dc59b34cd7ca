#pragma once
// BrokerCore: the state behind Broker (private to broker/server; handlers and inspect.h use
// it). Held by shared_ptr: every task the broker spawns keeps it alive.
//
// Concurrency: all of it runs on the node's fibers, cooperatively. Maps are only changed by
// admin operations (create/delete topics, add partitions, alter configs) under admin_mutex_;
// handlers look partitions up and hold a shared_ptr<PartitionState> while they suspend, so a
// concurrent delete cannot free a log under them (it closes it; they see errors).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/log/partition_log.h"
#include "broker/protocol/error_code.h"
#include "broker/server/config.h"
#include "broker/server/metadata_store.h"
#include "sim/runtime/network.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/event.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::server {

class Connection;

struct PartitionState {
  PartitionState(Runtime& rt, std::string t, int32_t i)
      : topic(std::move(t)), index(i), append_mutex(rt) {}
  std::string topic;
  int32_t index;
  std::unique_ptr<PartitionLog> log;
  // Held across the batches of one produce so they get contiguous offsets.
  Mutex append_mutex;
  bool deleted = false;
  bool flush_in_flight = false;  // a durability task for acks 0/1 appends is running
};

struct TopicState {
  TopicMetadata meta;
  std::vector<std::shared_ptr<PartitionState>> partitions;
};

// Kafka's topic name rule (Topic.validate): [a-zA-Z0-9._-]{1,249}, not "." or "..".
// Returns an empty string when valid, else the reason.
std::string topic_name_problem(std::string_view name);

class BrokerCore : public std::enable_shared_from_this<BrokerCore> {
 public:
  BrokerCore(Runtime& rt, BrokerConfig config);
  ~BrokerCore();

  Runtime& rt() { return rt_; }
  const BrokerConfig& config() const { return config_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& cluster_id() const { return meta_.cluster_id; }
  int32_t node_id() const { return config_.node_id; }
  const Listener& advertised() const { return advertised_; }

  // run(): recover, listen, serve until stop; then shut down. See Broker.
  Status run();
  void stop();
  bool serving() const { return serving_; }
  std::optional<Address> bound_address() const;
  // Stops the broker because it can no longer keep its promises (a log failed); run()
  // returns this error after shutting down.
  void fatal(const Error& e);

  // ---- partitions -----------------------------------------------------------------------
  const std::map<std::string, TopicState>& topics() const { return topics_; }
  const TopicState* find_topic(std::string_view name) const;
  std::shared_ptr<PartitionState> find_partition(std::string_view topic, int32_t index) const;
  // What consumers may read: below the fsynced offset when tern.flush.durable, else below
  // the log end.
  Offset high_watermark(const PartitionState& p) const;
  // Wakes long polls; called whenever a partition's data or high watermark may have moved.
  void notify_data_changed() {
    ++data_version_;
    data_changed_.notify_all();
  }
  uint64_t data_version() const { return data_version_; }
  Condition& data_changed() { return data_changed_; }
  // After an append that nobody waits on (acks 0/1) in durable mode: have the durability
  // pump fsync it so the high watermark moves.
  void request_flush(const std::shared_ptr<PartitionState>& p);

  // ---- admin (each takes admin_mutex_ itself) -------------------------------------------
  // Creates a topic (validate_only: checks only). Kafka error codes.
  protocol::ErrorCode create_topic(const std::string& name, int32_t partitions,
                                   const std::map<std::string, std::string>& configs,
                                   bool validate_only, std::string& message);
  protocol::ErrorCode delete_topic(const std::string& name);
  protocol::ErrorCode create_partitions(const std::string& name, int32_t count,
                                        bool validate_only, std::string& message);
  // Replaces a topic's config overrides (AlterConfigs semantics).
  protocol::ErrorCode alter_topic_configs(const std::string& name,
                                          const std::map<std::string, std::string>& configs,
                                          bool validate_only, std::string& message);
  // A new producer id (InitProducerId without a transactional id), persisted in blocks.
  Result<int64_t> allocate_producer_id();

  // ---- connections ----------------------------------------------------------------------
  void register_connection(uint64_t id, Connection* c) { connections_[id] = c; }
  void unregister_connection(uint64_t id);
  size_t connection_count() const { return connections_.size(); }

 private:
  Status recover();
  Status open_partition(TopicState& t, int32_t index);
  Status remove_partition_dir(const std::string& dir_name);
  Status persist();
  void accept_loop();
  void retention_loop();
  void flush_partition(const std::shared_ptr<PartitionState>& p);
  void shutdown();

  Runtime& rt_;
  BrokerConfig config_;
  std::string data_dir_;
  Listener advertised_;
  ClusterMetadata meta_;
  std::map<std::string, TopicState> topics_;
  Mutex admin_mutex_;
  Condition data_changed_;
  uint64_t data_version_ = 0;

  // Durability tasks for acks 0/1 appends in durable mode (one per partition at most).
  int64_t flush_tasks_ = 0;
  Condition flush_tasks_changed_;
  int64_t next_producer_id_ = 0;

  std::unique_ptr<tern::Listener> listener_;
  std::map<uint64_t, Connection*> connections_;  // by id: deterministic order
  Condition connections_changed_;
  uint64_t next_connection_id_ = 1;
  std::vector<TaskHandle> background_;
  bool stopping_ = false;
  std::optional<Error> fatal_;  // why the broker stopped itself (a failed log)
  bool serving_ = false;
  bool ran_ = false;
};

}  // namespace tern::server
