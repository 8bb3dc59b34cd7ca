// Metadata and DescribeCluster: a one-node cluster in which this broker is the controller
// and the leader (and only replica) of every partition.
#include "broker/protocol/msg_describe_cluster.h"
#include "broker/protocol/msg_metadata.h"
#include "broker/server/broker_core.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server {

using namespace protocol;

namespace {

MetadataResponse::Topic describe_topic(BrokerCore& core, const TopicState& t) {
  MetadataResponse::Topic out;
  out.name = t.meta.name;
  out.error_code = 0;
  out.is_internal = false;
  for (int32_t i = 0; i < t.meta.partitions; ++i) {
    MetadataResponse::Partition p;
    p.partition_index = i;
    p.leader_id = core.node_id();
    // BUGGIFY: no leader for a moment (an election in a real cluster); clients retry.
    if (core.rt().buggify("metadata.leader_not_available")) {
      p.error_code = to_wire(ErrorCode::leader_not_available);
      p.leader_id = -1;
    }
    p.leader_epoch = 0;
    p.replica_nodes = {core.node_id()};
    p.isr_nodes = {core.node_id()};
    out.partitions.push_back(std::move(p));
  }
  TERN_ASSERT(out.partitions.size() == static_cast<size_t>(t.meta.partitions));
  return out;
}

MetadataResponse::Topic topic_error(const std::string& name, ErrorCode code) {
  MetadataResponse::Topic out;
  out.name = name;
  out.error_code = to_wire(code);
  return out;
}

Reply metadata(const RequestContext& ctx, MetadataRequest& req) {
  BrokerCore& core = ctx.core;
  MetadataResponse resp;
  MetadataResponse::Broker self;
  self.node_id = core.node_id();
  self.host = core.advertised().host;
  self.port = core.advertised().port;
  self.rack = core.config().broker_rack;
  resp.brokers.push_back(self);
  resp.cluster_id = core.cluster_id();
  resp.controller_id = core.node_id();

  // v0: an empty list means every topic; v1+: null means every topic, empty means none.
  const bool all = !req.topics.has_value() || (ctx.version() == 0 && req.topics->empty());
  if (all) {
    for (const auto& [name, t] : core.topics()) resp.topics.push_back(describe_topic(core, t));
    return reply_now(resp, ctx.version());
  }
  // Auto-creation: the broker setting, and (v4+) the client's allow flag.
  const bool may_create = core.config().auto_create_topics_enable &&
                          (ctx.version() < 4 || req.allow_auto_topic_creation);
  for (const MetadataRequest::Topic& want : *req.topics) {
    if (const TopicState* t = core.find_topic(want.name)) {
      resp.topics.push_back(describe_topic(core, *t));
      continue;
    }
    if (!topic_name_problem(want.name).empty()) {
      resp.topics.push_back(topic_error(want.name, ErrorCode::invalid_topic_exception));
      continue;
    }
    if (!may_create) {
      resp.topics.push_back(topic_error(want.name, ErrorCode::unknown_topic_or_partition));
      continue;
    }
    std::string message;
    const ErrorCode e =
        core.create_topic(want.name, core.config().num_partitions, {}, false, message);
    const TopicState* created = core.find_topic(want.name);
    if ((e == ErrorCode::none || e == ErrorCode::topic_already_exists) && created != nullptr) {
      resp.topics.push_back(describe_topic(core, *created));
    } else {
      // Kafka answers LEADER_NOT_AVAILABLE while a new topic is not ready; a creation that
      // failed (disk) is the same thing to a client: retry later.
      resp.topics.push_back(topic_error(want.name, ErrorCode::leader_not_available));
    }
  }
  return reply_now(resp, ctx.version());
}

}  // namespace

Reply handle_metadata(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<MetadataRequest, MetadataResponse>(ctx, body, metadata);
}

Reply handle_describe_cluster(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DescribeClusterRequest, DescribeClusterResponse>(
      ctx, body, [](const RequestContext& c, DescribeClusterRequest&) {
        DescribeClusterResponse resp;
        resp.cluster_id = c.core.cluster_id();
        resp.controller_id = c.core.node_id();
        DescribeClusterResponse::Broker self;
        self.broker_id = c.core.node_id();
        self.host = c.core.advertised().host;
        self.port = c.core.advertised().port;
        self.rack = c.core.config().broker_rack;
        resp.brokers.push_back(self);
        return reply_now(resp, c.version());
      });
}

}  // namespace tern::server
