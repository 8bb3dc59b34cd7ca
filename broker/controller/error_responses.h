#pragma once
// The answer to an admin request whose every item gets one error code (NOT_CONTROLLER from
// a node that is not the active controller, REQUEST_TIMED_OUT when no controller answered):
// Kafka's per-item shape, names echoed back.
#include <optional>
#include <string>

#include "broker/protocol/msg_alter_configs.h"
#include "broker/protocol/msg_create_partitions.h"
#include "broker/protocol/msg_create_topics.h"
#include "broker/protocol/msg_delete_topics.h"

namespace tern::controller {

inline protocol::CreateTopicsResponse error_response(const protocol::CreateTopicsRequest& req,
                                                     int16_t code,
                                                     std::optional<std::string> message = {}) {
  protocol::CreateTopicsResponse resp;
  for (const auto& t : req.topics) {
    auto& o = resp.topics.emplace_back();
    o.name = t.name;
    o.error_code = code;
    o.error_message = message;
  }
  return resp;
}

inline protocol::DeleteTopicsResponse error_response(const protocol::DeleteTopicsRequest& req,
                                                     int16_t code,
                                                     std::optional<std::string> = {}) {
  protocol::DeleteTopicsResponse resp;
  for (const auto& name : req.topic_names) {
    auto& o = resp.responses.emplace_back();
    o.name = name;
    o.error_code = code;
  }
  return resp;
}

inline protocol::CreatePartitionsResponse error_response(
    const protocol::CreatePartitionsRequest& req, int16_t code,
    std::optional<std::string> message = {}) {
  protocol::CreatePartitionsResponse resp;
  for (const auto& t : req.topics) {
    auto& o = resp.results.emplace_back();
    o.name = t.name;
    o.error_code = code;
    o.error_message = message;
  }
  return resp;
}

inline protocol::AlterConfigsResponse error_response(const protocol::AlterConfigsRequest& req,
                                                     int16_t code,
                                                     std::optional<std::string> message = {}) {
  protocol::AlterConfigsResponse resp;
  for (const auto& r : req.resources) {
    auto& o = resp.responses.emplace_back();
    o.resource_type = r.resource_type;
    o.resource_name = r.resource_name;
    o.error_code = code;
    o.error_message = message;
  }
  return resp;
}

}  // namespace tern::controller
