#pragma once
// ControllerClient: how a broker changes cluster metadata. Every write goes to the active
// controller (forwarded over the controller listener when it is another node, like Kafka's
// broker-to-controller forwarding) and takes effect when the controller's record commits and
// is applied — on this node too, through the same MetadataImage path as on every other.
//
// The methods take and return Kafka's own messages: the broker forwards a client's admin
// request as it came (same API, same version) and relays the controller's answer. They
// suspend; errors are Kafka error codes inside the response (NOT_CONTROLLER is retried
// here, until the request's own timeout; REQUEST_TIMED_OUT when no controller answered).
#include <cstdint>

#include "broker/protocol/msg_alter_configs.h"
#include "broker/protocol/msg_create_partitions.h"
#include "broker/protocol/msg_create_topics.h"
#include "broker/protocol/msg_delete_topics.h"
#include "sim/runtime/result.h"

namespace tern::controller {

// A block of producer ids granted to one broker (Kafka's AllocateProducerIds): ids
// [first, first + count) belong to it alone, for ever.
struct ProducerIdBlock {
  int64_t first = 0;
  int32_t count = 0;
};

class ControllerClient {
 public:
  virtual ~ControllerClient() = default;
  virtual protocol::CreateTopicsResponse create_topics(const protocol::CreateTopicsRequest& req,
                                                       int16_t version) = 0;
  virtual protocol::DeleteTopicsResponse delete_topics(const protocol::DeleteTopicsRequest& req,
                                                       int16_t version) = 0;
  virtual protocol::CreatePartitionsResponse create_partitions(
      const protocol::CreatePartitionsRequest& req, int16_t version) = 0;
  virtual protocol::AlterConfigsResponse alter_configs(const protocol::AlterConfigsRequest& req,
                                                       int16_t version) = 0;
  // A new block of producer ids for this broker.
  virtual Result<ProducerIdBlock> allocate_producer_ids() = 0;
};

}  // namespace tern::controller
