// DescribeConfigs and AlterConfigs for topic (2) and broker (4) resources, with Kafka's
// names. Broker configs are static (read-only): tern has no dynamic broker configs yet.
#include "broker/protocol/msg_alter_configs.h"
#include "broker/protocol/msg_describe_configs.h"
#include "broker/server/broker_core.h"
#include "broker/server/handlers/handlers.h"

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
  BrokerCore& core = ctx.core;
  DescribeConfigsResponse resp;
  for (const auto& r : req.resources) {
    auto& out = resp.results.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    out.error_message = std::nullopt;
    std::vector<ConfigEntry> entries;
    bool is_topic = false;
    if (r.resource_type == kResourceTopic) {
      const TopicState* t = core.find_topic(r.resource_name);
      if (t == nullptr) {
        out.error_code = to_wire(ErrorCode::unknown_topic_or_partition);
        out.error_message = fmt::format("Topic '{}' does not exist.", r.resource_name);
        continue;
      }
      entries = describe_topic_config(core.config(), t->meta.configs);
      is_topic = true;
    } else if (r.resource_type == kResourceBroker) {
      if (!r.resource_name.empty() && r.resource_name != std::to_string(core.node_id())) {
        out.error_code = to_wire(ErrorCode::invalid_request);
        out.error_message = fmt::format("Unexpected broker id, expected {} or empty string, "
                                        "but received {}", core.node_id(), r.resource_name);
        continue;
      }
      entries = describe_broker_config(core.config());
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

Reply alter_configs(const RequestContext& ctx, AlterConfigsRequest& req) {
  BrokerCore& core = ctx.core;
  AlterConfigsResponse resp;
  for (const auto& r : req.resources) {
    auto& out = resp.responses.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    out.error_message = std::nullopt;
    if (r.resource_type == kResourceBroker) {
      out.error_code = to_wire(ErrorCode::invalid_config);
      out.error_message = "tern has no dynamic broker configs; set them in server.properties";
      continue;
    }
    if (r.resource_type != kResourceTopic) {
      out.error_code = to_wire(ErrorCode::invalid_request);
      out.error_message = fmt::format("Unsupported resource type {}", r.resource_type);
      continue;
    }
    std::map<std::string, std::string> configs;
    bool bad = false;
    for (const auto& c : r.configs) {
      if (!c.value.has_value()) continue;
      Status s = validate_topic_config(c.name, *c.value);
      if (!s.ok()) {
        out.error_code = to_wire(ErrorCode::invalid_config);
        out.error_message = s.error().context();
        bad = true;
        break;
      }
      configs[c.name] = *c.value;
    }
    if (bad) continue;
    std::string message;
    const ErrorCode e =
        core.alter_topic_configs(r.resource_name, configs, req.validate_only, message);
    out.error_code = to_wire(e);
    if (e != ErrorCode::none) out.error_message = message;
  }
  return reply_now(resp, ctx.version());
}

}  // namespace

Reply handle_describe_configs(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DescribeConfigsRequest, DescribeConfigsResponse>(ctx, body,
                                                                           describe_configs);
}

Reply handle_alter_configs(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<AlterConfigsRequest, AlterConfigsResponse>(ctx, body, alter_configs);
}

}  // namespace tern::server
