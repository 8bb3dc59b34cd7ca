#pragma once
// LocalController: the ControllerClient of a single-node cluster, where this broker is the
// controller. It validates admin requests exactly as Kafka's controller does (the shared
// checks of broker/controller/topic_validation.h), persists the cluster metadata in
// `<data dir>/tern-metadata` (metadata_store.h) and publishes a new MetadataImage to the
// MetadataCache after every change — the same path by which a quorum controller's
// committed records reach a broker. A restart loads the file and publishes the same image.
//
// The image it publishes: offset = a counter of changes since this start (not persisted;
// nothing compares offsets across restarts of one node), epoch 0; every partition has
// replicas = isr = {self}, leader = self, leader epoch 0; brokers = {self} once registered,
// unfenced.
//
// Concurrency: changes run under one admin mutex, persisted before they are published;
// publishing runs the cache's subscribers (the ReplicaManager opens or removes logs) before
// the request is answered, so a client sees its topic ready when CreateTopics returns.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "broker/controller/controller_client.h"
#include "broker/controller/metadata_cache.h"
#include "broker/controller/topic_validation.h"
#include "broker/server/config.h"
#include "broker/server/metadata_store.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::server {

class LocalController final : public controller::ControllerClient {
 public:
  LocalController(Runtime& rt, const BrokerConfig& config, controller::MetadataCache& cache);

  // Loads the metadata file (a fresh data dir starts a new cluster with a random id) and
  // publishes the first image. Errors: the file is unreadable or could not be written.
  Status recover();
  // Registers this broker (the endpoint clients reach it at) and publishes it.
  void register_broker(const Listener& advertised);
  // Refuses every later change (REQUEST_TIMED_OUT): the broker is shutting down.
  void stop() { stopping_ = true; }
  // Whether a partition's log could be created on this node once an image naming it was
  // applied; a false answers the request KAFKA_STORAGE_ERROR (the broker is stopping: a log
  // failure is fatal). Unset: always true.
  void set_partition_check(std::function<bool(const std::string& topic, int32_t index)> f) {
    partition_ready_ = std::move(f);
  }

  protocol::CreateTopicsResponse create_topics(const protocol::CreateTopicsRequest& req,
                                               int16_t version) override;
  protocol::DeleteTopicsResponse delete_topics(const protocol::DeleteTopicsRequest& req,
                                               int16_t version) override;
  protocol::CreatePartitionsResponse create_partitions(
      const protocol::CreatePartitionsRequest& req, int16_t version) override;
  protocol::AlterConfigsResponse alter_configs(const protocol::AlterConfigsRequest& req,
                                               int16_t version) override;
  Result<controller::ProducerIdBlock> allocate_producer_ids() override;

 private:
  using CreatableTopic = protocol::CreateTopicsRequest::CreatableTopic;
  controller::TopicError create_topic(const CreatableTopic& t, bool validate_only);
  protocol::ErrorCode delete_topic(const std::string& name);
  controller::TopicError create_partitions_of(const protocol::CreatePartitionsRequest::Topic& t,
                                              bool validate_only);
  controller::TopicError alter_topic_configs(const protocol::AlterConfigsRequest::Resource& r,
                                             bool validate_only);
  // The partitions [from, to) of `topic` have usable logs here.
  bool partitions_ready(const std::string& topic, int32_t from, int32_t to) const;
  Status persist();
  void publish();

  Runtime& rt_;
  const BrokerConfig& config_;
  controller::MetadataCache& cache_;
  std::string data_dir_;
  ClusterMetadata meta_;
  Mutex admin_mutex_;
  int64_t offset_ = -1;  // of the last published image
  std::optional<controller::BrokerInfo> self_;
  std::function<bool(const std::string&, int32_t)> partition_ready_;
  bool stopping_ = false;
};

}  // namespace tern::server
