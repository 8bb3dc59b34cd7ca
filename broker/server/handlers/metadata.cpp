// Metadata and DescribeCluster, answered from the MetadataImage (brokers, topics, each
// partition's leader, epoch, replicas and ISR). Auto-creation goes to the controller.
// The controller id answered is this broker's own (as in KRaft: clients cannot reach the
// controller quorum, a broker forwards admin requests for them).
#include "broker/controller/topic_validation.h"
#include "broker/protocol/msg_create_topics.h"
#include "broker/protocol/msg_describe_cluster.h"
#include "broker/protocol/msg_metadata.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

namespace {

MetadataResponse::Topic describe_topic(Services& sv, const controller::TopicImage& t) {
  MetadataResponse::Topic out;
  out.name = t.name;
  out.error_code = 0;
  out.is_internal = false;
  for (int32_t i = 0; i < static_cast<int32_t>(t.partitions.size()); ++i) {
    const controller::PartitionInfo& info = t.partitions[static_cast<size_t>(i)];
    MetadataResponse::Partition p;
    p.partition_index = i;
    p.leader_id = info.leader;
    if (info.leader < 0) p.error_code = to_wire(ErrorCode::leader_not_available);
    // BUGGIFY: no leader for a moment (an election in a real cluster); clients retry.
    if (sv.rt.buggify("metadata.leader_not_available")) {
      p.error_code = to_wire(ErrorCode::leader_not_available);
      p.leader_id = -1;
    }
    p.leader_epoch = info.leader_epoch;
    p.replica_nodes = info.replicas;
    p.isr_nodes = info.isr;
    out.partitions.push_back(std::move(p));
  }
  TERN_ASSERT(out.partitions.size() == t.partitions.size());
  return out;
}

MetadataResponse::Topic topic_error(const std::string& name, ErrorCode code) {
  MetadataResponse::Topic out;
  out.name = name;
  out.error_code = to_wire(code);
  return out;
}

// Every unfenced broker with an endpoint on this broker's listener.
template <class BrokerOut, class Fn>
void for_each_live_broker(const Services& sv, const controller::MetadataImage& image, Fn fn) {
  for (const auto& [id, b] : image.brokers) {
    if (b.fenced) continue;
    const controller::BrokerEndpoint* e = b.endpoint(sv.advertised.name);
    if (e == nullptr) continue;
    BrokerOut out;
    fn(out, b, *e);
  }
}

// Auto-creation through the controller (defaults for partitions and replication factor);
// true when the topic exists afterwards, whoever created it.
bool auto_create(Services& sv, const std::string& name) {
  CreateTopicsRequest req;
  auto& t = req.topics.emplace_back();
  t.name = name;
  t.num_partitions = -1;
  t.replication_factor = -1;
  // Not a client's request: the newest version (defaults as -1 need v4+).
  CreateTopicsResponse resp = sv.controller.create_topics(req, CreateTopicsRequest::kMaxVersion);
  TERN_ASSERT(resp.topics.size() == 1);
  const int16_t e = resp.topics[0].error_code;
  return e == 0 || e == to_wire(ErrorCode::topic_already_exists);
}

Reply metadata(const RequestContext& ctx, MetadataRequest& req) {
  Services& sv = ctx.services;
  controller::MetadataImagePtr image = sv.metadata.current();
  MetadataResponse resp;
  // The brokers are listed from the image the topics were described from, last: an
  // auto-creation below publishes a newer image, and brokers taken before it could lack the
  // new partitions' leaders (quorum-5-separate seed 19: leaders 2 beside an empty broker
  // list, and the producer later failed with BROKER_NOT_AVAILABLE).
  auto finish = [&] {
    for_each_live_broker<MetadataResponse::Broker>(
        sv, *image, [&](MetadataResponse::Broker& out, const controller::BrokerInfo& b,
                        const controller::BrokerEndpoint& e) {
          out.node_id = b.id;
          out.host = e.host;
          out.port = e.port;
          out.rack = b.rack;
          resp.brokers.push_back(std::move(out));
        });
    resp.cluster_id = image->cluster_id;
    resp.controller_id = sv.controller_id();
    return reply_now(resp, ctx.version());
  };

  // v0: an empty list means every topic; v1+: null means every topic, empty means none.
  const bool all = !req.topics.has_value() || (ctx.version() == 0 && req.topics->empty());
  if (all) {
    for (const auto& [name, t] : image->topics) resp.topics.push_back(describe_topic(sv, t));
    return finish();
  }
  // Auto-creation: the broker setting, and (v4+) the client's allow flag.
  const bool may_create = sv.config.auto_create_topics_enable &&
                          (ctx.version() < 4 || req.allow_auto_topic_creation);
  for (const MetadataRequest::Topic& want : *req.topics) {
    if (const controller::TopicImage* t = image->find_topic(want.name)) {
      resp.topics.push_back(describe_topic(sv, *t));
      continue;
    }
    if (!controller::topic_name_problem(want.name).empty()) {
      resp.topics.push_back(topic_error(want.name, ErrorCode::invalid_topic_exception));
      continue;
    }
    if (!may_create) {
      resp.topics.push_back(topic_error(want.name, ErrorCode::unknown_topic_or_partition));
      continue;
    }
    const bool created = auto_create(sv, want.name);
    image = sv.metadata.current();  // the creation may have published a newer image
    const controller::TopicImage* t = image->find_topic(want.name);
    if (created && t != nullptr) {
      resp.topics.push_back(describe_topic(sv, *t));
    } else {
      // Kafka answers LEADER_NOT_AVAILABLE while a new topic is not ready (not yet in this
      // broker's image); a creation that failed (disk) is the same thing to a client: retry.
      resp.topics.push_back(topic_error(want.name, ErrorCode::leader_not_available));
    }
  }
  return finish();
}

}  // namespace

Reply handle_metadata(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<MetadataRequest, MetadataResponse>(ctx, body, metadata);
}

Reply handle_describe_cluster(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DescribeClusterRequest, DescribeClusterResponse>(
      ctx, body, [](const RequestContext& c, DescribeClusterRequest&) {
        const Services& sv = c.services;
        const controller::MetadataImagePtr image = sv.metadata.current();
        DescribeClusterResponse resp;
        resp.cluster_id = image->cluster_id;
        resp.controller_id = sv.controller_id();
        for_each_live_broker<DescribeClusterResponse::Broker>(
            sv, *image, [&](DescribeClusterResponse::Broker& out,
                            const controller::BrokerInfo& b, const controller::BrokerEndpoint& e) {
              out.broker_id = b.id;
              out.host = e.host;
              out.port = e.port;
              out.rack = b.rack;
              resp.brokers.push_back(std::move(out));
            });
        return reply_now(resp, c.version());
      });
}

}  // namespace tern::server
