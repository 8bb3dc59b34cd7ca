#pragma once
// Services: what a request handler may use (DESIGN "Seams as the cluster arrives"). Not the
// broker: handlers read cluster state from the MetadataCache's image, change it through the
// ControllerClient, and reach partitions through the ReplicaManager. BrokerCore builds one
// and keeps it for its life; RequestContext carries it.
#include <cstdint>
#include <memory>

#include "broker/controller/controller_client.h"
#include "broker/controller/kraft_node.h"
#include "broker/controller/metadata_cache.h"
#include "broker/partition/replica_manager.h"
#include "broker/server/config.h"
#include "broker/server/producer_id_pool.h"
#include "sim/runtime/runtime.h"

namespace tern::server {

struct Services {
  Runtime& rt;
  const BrokerConfig& config;
  int32_t node_id;
  // Where clients reach this broker (the bound port once listening).
  const Listener& advertised;
  partition::ReplicaManager& replicas;
  controller::MetadataCache& metadata;
  controller::ControllerClient& controller;
  ProducerIdPool& producer_ids;
  // The node's share of the KRaft quorum; nullptr in tern's implicit one-node mode (no
  // process.roles: the LocalController is the whole cluster).
  controller::KRaftNode* kraft = nullptr;
  // What owns all of the above (the broker core): stage-two work keeps it alive with share().
  std::weak_ptr<void> owner;

  // A reference to these services that keeps their owner alive (for stage-two tasks, which
  // may outlive the request's connection when a node crashes).
  // The controller id brokers report (Kafka's KRaft brokers name a live broker, which
  // forwards): the quorum leader when it is a live broker, else this broker.
  int32_t controller_id() const {
    if (kraft == nullptr) return node_id;
    const auto leader = kraft->leader();
    if (leader) {
      const auto image = metadata.current();
      auto it = image->brokers.find(*leader);
      if (it != image->brokers.end() && !it->second.fenced) return *leader;
    }
    return node_id;
  }

  std::shared_ptr<Services> share() {
    std::shared_ptr<void> o = owner.lock();
    TERN_ASSERT(o != nullptr, "services used after their broker was destroyed");
    return std::shared_ptr<Services>(std::move(o), this);
  }
};

}  // namespace tern::server
