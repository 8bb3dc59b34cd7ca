// CreateTopics, DeleteTopics, CreatePartitions: forwarded as they came to the controller
// (ControllerClient), whose answer is relayed. The checks and their error codes are the
// controller's (broker/controller/topic_validation.h); they take effect here when the
// controller's new MetadataImage is applied, before the answer (single node) or soon after.
#include "broker/protocol/msg_create_partitions.h"
#include "broker/protocol/msg_create_topics.h"
#include "broker/protocol/msg_delete_topics.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

Reply handle_create_topics(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<CreateTopicsRequest, CreateTopicsResponse>(
      ctx, body, [](const RequestContext& c, CreateTopicsRequest& req) {
        return reply_now(c.services.controller.create_topics(req, c.version()), c.version());
      });
}

Reply handle_delete_topics(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DeleteTopicsRequest, DeleteTopicsResponse>(
      ctx, body, [](const RequestContext& c, DeleteTopicsRequest& req) {
        return reply_now(c.services.controller.delete_topics(req, c.version()), c.version());
      });
}

Reply handle_create_partitions(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<CreatePartitionsRequest, CreatePartitionsResponse>(
      ctx, body, [](const RequestContext& c, CreatePartitionsRequest& req) {
        return reply_now(c.services.controller.create_partitions(req, c.version()),
                         c.version());
      });
}

}  // namespace tern::server
