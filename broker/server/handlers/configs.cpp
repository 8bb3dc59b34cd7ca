// DescribeConfigs and AlterConfigs for topic (2) and broker (4) resources, with Kafka's
// names. Broker configs are static (read-only): tern has no dynamic broker configs yet.
// DescribeConfigs reads topic overrides from the MetadataImage; AlterConfigs is forwarded
// to the controller (ControllerClient), which validates and applies it.
#include "broker/protocol/msg_alter_configs.h"
#include "broker/protocol/msg_describe_configs.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

namespace {

constexpr int8_t kResourceTopic = 2;
constexpr int8_t kResourceBroker = 4;
// ConfigSource values (DescribeConfigs v1+).
constexpr int8_t kSourceTopicConfig = 1;
constexpr int8_t kSourceStaticBroker = 4;
constexpr int8_t kSourceDefault = 5;

bool wanted(const DescribeConfigsRequest::Resource& r, const std::string& name) {
  if (!r.configuration_keys.has_value()) return true;
  for (const std::string& k : *r.configuration_keys) {
    if (k == name) return true;
  }
  return false;
}

Reply describe_configs(const RequestContext& ctx, DescribeConfigsRequest& req) {
  const Services& sv = ctx.services;
  const controller::MetadataImagePtr image = sv.metadata.current();
  DescribeConfigsResponse resp;
  for (const auto& r : req.resources) {
    auto& out = resp.results.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    out.error_message = std::nullopt;
    std::vector<ConfigEntry> entries;
    bool is_topic = false;
    if (r.resource_type == kResourceTopic) {
      const controller::TopicImage* t = image->find_topic(r.resource_name);
      if (t == nullptr) {
        out.error_code = to_wire(ErrorCode::unknown_topic_or_partition);
        out.error_message = fmt::format("Topic '{}' does not exist.", r.resource_name);
        continue;
      }
      entries = describe_topic_config(sv.config, t->configs);
      is_topic = true;
    } else if (r.resource_type == kResourceBroker) {
      if (!r.resource_name.empty() && r.resource_name != std::to_string(sv.node_id)) {
        out.error_code = to_wire(ErrorCode::invalid_request);
        out.error_message = fmt::format("Unexpected broker id, expected {} or empty string, "
                                        "but received {}", sv.node_id, r.resource_name);
        continue;
      }
      entries = describe_broker_config(sv.config);
    } else {
      out.error_code = to_wire(ErrorCode::invalid_request);
      out.error_message = fmt::format("Unsupported resource type {}", r.resource_type);
      continue;
    }
    for (const ConfigEntry& e : entries) {
      if (!wanted(r, e.name)) continue;
      auto& c = out.configs.emplace_back();
      c.name = e.name;
      c.value = e.value;
      c.read_only = !is_topic;
      c.is_default = e.is_default;
      c.config_source = e.is_default ? kSourceDefault
                                     : (is_topic ? kSourceTopicConfig : kSourceStaticBroker);
      c.is_sensitive = false;
    }
  }
  return reply_now(resp, ctx.version());
}

}  // namespace

Reply handle_describe_configs(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DescribeConfigsRequest, DescribeConfigsResponse>(ctx, body,
                                                                           describe_configs);
}

Reply handle_alter_configs(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<AlterConfigsRequest, AlterConfigsResponse>(
      ctx, body, [](const RequestContext& c, AlterConfigsRequest& req) {
        return reply_now(c.services.controller.alter_configs(req, c.version()), c.version());
      });
}

}  // namespace tern::server
