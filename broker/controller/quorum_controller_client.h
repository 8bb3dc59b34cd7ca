#pragma once
// QuorumControllerClient: the ControllerClient of a KRaft broker. Admin requests go to the
// active controller through the ControllerChannel (locally when this node hosts it); the
// answer comes back once the change is committed, and this method then waits (bounded)
// until the node's own MetadataImage holds it, so a client that creates a topic and asks
// this broker for metadata right after sees the topic (Kafka makes clients retry instead).
// Producer ids come from controller-granted blocks.
#include "broker/controller/broker_lifecycle.h"
#include "broker/controller/controller_channel.h"
#include "broker/controller/controller_client.h"

namespace tern::controller {

class QuorumControllerClient final : public ControllerClient {
 public:
  QuorumControllerClient(Runtime& rt, ControllerChannel& channel, MetadataCache& cache,
                         BrokerLifecycle& lifecycle, int32_t node_id, Duration timeout);

  protocol::CreateTopicsResponse create_topics(const protocol::CreateTopicsRequest& req,
                                               int16_t version) override;
  protocol::DeleteTopicsResponse delete_topics(const protocol::DeleteTopicsRequest& req,
                                               int16_t version) override;
  protocol::CreatePartitionsResponse create_partitions(
      const protocol::CreatePartitionsRequest& req, int16_t version) override;
  protocol::AlterConfigsResponse alter_configs(const protocol::AlterConfigsRequest& req,
                                               int16_t version) override;
  Result<ProducerIdBlock> allocate_producer_ids() override;

 private:
  Deadline deadline_for(int32_t timeout_ms) const;
  // After a committed change: wait (bounded) until this node's own image shows it.
  template <class Pred>
  void await_local(Pred pred);

  Runtime& rt_;
  ControllerChannel& channel_;
  MetadataCache& cache_;
  BrokerLifecycle& lifecycle_;
  int32_t node_id_;
  Duration timeout_;
};

}  // namespace tern::controller
