#pragma once
// RoutedControllerClient: the ControllerClient handlers hold for the broker's life, pointing
// at the LocalController (tern's implicit one-node mode) or, once a KRaft node has read its
// storage and started, at the quorum's forwarding client. Handlers keep one reference; what
// sits behind it is decided when the broker knows its cluster.
#include "broker/controller/controller_client.h"
#include "sim/runtime/assert.h"

namespace tern::server {

class RoutedControllerClient final : public controller::ControllerClient {
 public:
  explicit RoutedControllerClient(controller::ControllerClient* target) : target_(target) {}
  void route_to(controller::ControllerClient* target) {
    TERN_ASSERT(target != nullptr);
    target_ = target;
  }

  protocol::CreateTopicsResponse create_topics(const protocol::CreateTopicsRequest& req,
                                               int16_t version) override {
    return target_->create_topics(req, version);
  }
  protocol::DeleteTopicsResponse delete_topics(const protocol::DeleteTopicsRequest& req,
                                               int16_t version) override {
    return target_->delete_topics(req, version);
  }
  protocol::CreatePartitionsResponse create_partitions(
      const protocol::CreatePartitionsRequest& req, int16_t version) override {
    return target_->create_partitions(req, version);
  }
  protocol::AlterConfigsResponse alter_configs(const protocol::AlterConfigsRequest& req,
                                               int16_t version) override {
    return target_->alter_configs(req, version);
  }
  Result<controller::ProducerIdBlock> allocate_producer_ids() override {
    return target_->allocate_producer_ids();
  }

 private:
  controller::ControllerClient* target_;
};

}  // namespace tern::server
