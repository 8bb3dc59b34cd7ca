#include "broker/client/admin.h"

#include <algorithm>

namespace tern::client {

using protocol::ErrorCode;
using protocol::to_wire;

namespace {

ClientStatus check(int16_t code, const std::optional<std::string>& message,
                   const std::string& what) {
  if (code == 0) return {};
  std::string context = what;
  if (message && !message->empty()) context += ": " + *message;
  return ClientError::kafka(code, std::move(context));
}

}  // namespace

Admin::Admin(Runtime& rt, ClientOptions client, AdminOptions options)
    : cluster_(rt, std::move(client)), options_(options) {}

ClientResult<std::shared_ptr<Connection>> Admin::controller() {
  // Topic changes go to the controller; with no metadata yet (or a controller we cannot
  // name), any broker forwards or answers NOT_CONTROLLER.
  if (cluster_.cached().brokers.empty()) {
    auto r = cluster_.refresh(std::vector<std::string>{});
    if (!r.ok()) return r.error();
  }
  const int32_t id = cluster_.cached().controller_id;
  if (id >= 0) {
    auto c = cluster_.connection(id, deadline());
    if (c.ok()) return c;
  }
  return cluster_.any_connection(deadline());
}

ClientResult<ClusterMetadata> Admin::cluster_metadata() { return cluster_.refresh(std::nullopt); }

ClientResult<protocol::DescribeQuorumResponse> Admin::describe_quorum() {
  auto conn = cluster_.any_connection(deadline());
  if (!conn.ok()) return conn.error();
  protocol::DescribeQuorumRequest req;
  auto& t = req.topics.emplace_back();
  t.topic_name = "__cluster_metadata";
  t.partitions.emplace_back().partition_index = 0;
  auto r = conn.value()->call(req);
  if (!r.ok()) return r.error();
  if (r.value().error_code != 0) return ClientError::kafka(r.value().error_code, "DescribeQuorum");
  return r;
}

ClientStatus Admin::create_topic(const NewTopic& topic, bool validate_only) {
  auto conn = controller();
  if (!conn.ok()) return conn.error();
  protocol::CreateTopicsRequest req;
  protocol::CreateTopicsRequest::CreatableTopic t;
  t.name = topic.name;
  t.num_partitions = topic.partitions;
  t.replication_factor = topic.replication_factor;
  for (const auto& [k, v] : topic.configs) {
    protocol::CreateTopicsRequest::CreatableTopicConfig c;
    c.name = k;
    c.value = v;
    t.configs.push_back(std::move(c));
  }
  req.topics.push_back(std::move(t));
  req.timeout_ms = static_cast<int32_t>(options_.timeout.to_millis());
  req.validate_only = validate_only;
  auto version = conn.value()->version_for<protocol::CreateTopicsRequest>();
  if (!version.ok()) return version.error();
  // Defaults (-1) need v4 (KIP-464); older brokers need explicit values.
  if (version.value() < 4 && (topic.partitions < 0 || topic.replication_factor < 0)) {
    return ClientError::kafka(to_wire(ErrorCode::invalid_request),
                              "the broker needs explicit --partitions and --replication-factor");
  }
  auto resp = conn.value()->call(req, version.value());
  if (!resp.ok()) return resp.error();
  for (const auto& r : resp->topics) {
    if (r.name == topic.name) return check(r.error_code, r.error_message, "topic " + r.name);
  }
  return ClientError::kafka(to_wire(ErrorCode::unknown_server_error),
                            "CreateTopics answer lacks topic " + topic.name);
}

ClientStatus Admin::delete_topic(const std::string& name) {
  auto conn = controller();
  if (!conn.ok()) return conn.error();
  protocol::DeleteTopicsRequest req;
  req.topic_names.push_back(name);
  req.timeout_ms = static_cast<int32_t>(options_.timeout.to_millis());
  auto resp = conn.value()->call(req);
  if (!resp.ok()) return resp.error();
  cluster_.invalidate(name);
  for (const auto& r : resp->responses) {
    if (r.name == name) return check(r.error_code, std::nullopt, "topic " + name);
  }
  return ClientError::kafka(to_wire(ErrorCode::unknown_server_error),
                            "DeleteTopics answer lacks topic " + name);
}

ClientResult<std::vector<std::string>> Admin::list_topics(bool include_internal) {
  auto meta = cluster_.refresh(std::nullopt);
  if (!meta.ok()) return meta.error();
  std::vector<std::string> names;
  for (const auto& [name, t] : meta->topics) {
    if (t.internal && !include_internal) continue;
    names.push_back(name);
  }
  TERN_ASSERT(std::is_sorted(names.begin(), names.end()));
  return names;
}

ClientResult<TopicDescription> Admin::describe_topic(const std::string& name) {
  auto meta = cluster_.refresh(std::vector<std::string>{name});
  if (!meta.ok()) return meta.error();
  auto it = meta->topics.find(name);
  if (it == meta->topics.end()) {
    return ClientError::kafka(to_wire(ErrorCode::unknown_topic_or_partition), "topic " + name);
  }
  if (it->second.error_code != 0) {
    return ClientError::kafka(it->second.error_code, "topic " + name);
  }
  return TopicDescription{name, it->second.internal, it->second.partitions};
}

ClientStatus Admin::create_partitions(const std::string& name, int32_t total_partitions) {
  auto conn = controller();
  if (!conn.ok()) return conn.error();
  protocol::CreatePartitionsRequest req;
  protocol::CreatePartitionsRequest::Topic t;
  t.name = name;
  t.count = total_partitions;
  t.assignments.reset();  // null: the broker places the new partitions
  req.topics.push_back(std::move(t));
  req.timeout_ms = static_cast<int32_t>(options_.timeout.to_millis());
  auto resp = conn.value()->call(req);
  if (!resp.ok()) return resp.error();
  cluster_.invalidate(name);
  for (const auto& r : resp->results) {
    if (r.name == name) return check(r.error_code, r.error_message, "topic " + name);
  }
  return ClientError::kafka(to_wire(ErrorCode::unknown_server_error),
                            "CreatePartitions answer lacks topic " + name);
}

ClientResult<std::vector<ConfigEntry>> Admin::describe_configs(int8_t resource_type,
                                                               const std::string& name) {
  auto conn = cluster_.any_connection(deadline());
  if (!conn.ok()) return conn.error();
  protocol::DescribeConfigsRequest req;
  protocol::DescribeConfigsRequest::Resource res;
  res.resource_type = resource_type;
  res.resource_name = name;
  res.configuration_keys.reset();  // null: every key
  req.resources.push_back(std::move(res));
  auto version = conn.value()->version_for<protocol::DescribeConfigsRequest>();
  if (!version.ok()) return version.error();
  auto resp = conn.value()->call(req, version.value());
  if (!resp.ok()) return resp.error();
  for (const auto& r : resp->results) {
    if (r.resource_name != name) continue;
    ClientStatus st = check(r.error_code, r.error_message, "configs of " + name);
    if (!st.ok()) return st.error();
    std::vector<ConfigEntry> out;
    for (const auto& c : r.configs) {
      ConfigEntry e;
      e.name = c.name;
      e.value = c.value;
      e.read_only = c.read_only;
      e.sensitive = c.is_sensitive;
      // v0 has is_default; v1+ has config_source (5 = DEFAULT_CONFIG).
      e.source = c.config_source;
      e.is_default = version.value() == 0 ? c.is_default : c.config_source == 5;
      if (version.value() == 0 && !c.is_default && e.source < 0) e.source = 1;
      out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end(),
              [](const ConfigEntry& a, const ConfigEntry& b) { return a.name < b.name; });
    return out;
  }
  return ClientError::kafka(to_wire(ErrorCode::unknown_server_error),
                            "DescribeConfigs answer lacks " + name);
}

ClientStatus Admin::alter_topic_configs(
    const std::string& name, const std::map<std::string, std::optional<std::string>>& set,
    std::optional<std::map<std::string, std::string>>* written) {
  // Read-modify-write (AlterConfigs replaces the whole override set): the read may come from
  // a broker whose metadata lags the controller's, as with Kafka's non-incremental API.
  auto current = describe_configs(kResourceTopic, name);
  if (!current.ok()) return current.error();
  std::map<std::string, std::optional<std::string>> merged;
  for (const auto& e : current.value()) {
    if (e.source == 1 && e.value) merged[e.name] = e.value;  // DYNAMIC_TOPIC_CONFIG
  }
  for (const auto& [k, v] : set) {
    if (v) merged[k] = v; else merged.erase(k);
  }
  auto conn = controller();
  if (!conn.ok()) return conn.error();
  protocol::AlterConfigsRequest req;
  protocol::AlterConfigsRequest::Resource res;
  res.resource_type = kResourceTopic;
  res.resource_name = name;
  for (const auto& [k, v] : merged) {
    protocol::AlterConfigsRequest::AlterableConfig c;
    c.name = k;
    c.value = v;
    res.configs.push_back(std::move(c));
  }
  req.resources.push_back(std::move(res));
  if (written != nullptr) {
    written->emplace();
    for (const auto& [k, v] : merged) (*written)->emplace(k, *v);
  }
  auto resp = conn.value()->call(req);
  if (!resp.ok()) return resp.error();
  for (const auto& r : resp->responses) {
    if (r.resource_name == name) return check(r.error_code, r.error_message, "topic " + name);
  }
  return ClientError::kafka(to_wire(ErrorCode::unknown_server_error),
                            "AlterConfigs answer lacks " + name);
}

}  // namespace tern::client
