// The CONTROLLER listener (Kafka's ControllerApis): the Raft quorum's RPCs (Vote,
// BeginQuorumEpoch, EndQuorumEpoch, Fetch of __cluster_metadata, FetchSnapshot,
// DescribeQuorum), broker registration and heartbeats, producer-id blocks, and the admin
// requests brokers forward to the active controller. Everything that may wait (a long-poll
// fetch, a vote persisted first, a controller write awaiting its commit) runs in stage two,
// so one connection's requests overlap; answers still go out in request order.
//
// DescribeQuorum also arrives on the broker listener (kafka-metadata-quorum.sh
// --bootstrap-server): a broker forwards it to the active controller.
#include <fmt/format.h>

#include "broker/controller/error_responses.h"
#include "broker/controller/kraft_node.h"
#include "broker/protocol/api_table.h"
#include "broker/protocol/msg_api_versions.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

namespace {

// Decodes Req and answers fn(req) -> Resp in stage two (fn may suspend).
template <class Req, class Resp, class Fn>
Reply later(const RequestContext& ctx, Reader& body, Fn fn) {
  return decode_and_handle<Req, Resp>(
      ctx, body, [fn = std::move(fn)](const RequestContext& c, Req& req) mutable {
        const int16_t version = c.version();
        std::shared_ptr<Services> keep = c.services.share();
        return Reply::deferred(
            [keep, req = std::move(req), fn = std::move(fn), version]() mutable {
              Resp resp = fn(*keep, req, version);
              return ResponseBody(encode_body(resp, version));
            });
      });
}

template <class Resp>
Resp not_controller() {
  Resp r;
  r.error_code = to_wire(ErrorCode::not_controller);
  return r;
}

Reply controller_api_versions(const RequestContext& ctx, Reader& body) {
  ApiVersionsResponse resp;
  for (const ApiInfo& a : controller_apis()) {
    ApiVersionsResponse::ApiVersion v;
    v.api_key = static_cast<int16_t>(a.key);
    v.min_version = a.min_version;
    v.max_version = a.max_version;
    resp.api_keys.push_back(v);
  }
  if (ctx.version() < ApiVersionsRequest::kMinVersion ||
      ctx.version() > ApiVersionsRequest::kMaxVersion) {
    resp.error_code = to_wire(ErrorCode::unsupported_version);
    return reply_now(resp, 0);
  }
  ApiVersionsRequest req;
  if (!req.decode(body, ctx.version()).ok()) {
    resp.error_code = to_wire(ErrorCode::invalid_request);
  }
  return reply_now(resp, ctx.version());
}

}  // namespace

Reply dispatch_controller(const RequestContext& ctx, Reader& body) {
  const int16_t key = ctx.header.api_key;
  const int16_t version = ctx.header.api_version;
  if (key == static_cast<int16_t>(ApiKey::api_versions)) {
    return controller_api_versions(ctx, body);
  }
  const ApiInfo* api = find_controller_api(key);
  if (api == nullptr || version < api->min_version || version > api->max_version) {
    return Reply::close(fmt::format("unsupported {} v{} on the controller listener",
                                    api_key_name(key), version));
  }
  controller::KRaftNode* kraft = ctx.services.kraft;
  if (kraft == nullptr) return Reply::close("no controller on this node");
  switch (static_cast<ApiKey>(key)) {
    case ApiKey::vote:
      return later<VoteRequest, VoteResponse>(ctx, body, [](Services& s, VoteRequest& r, int16_t) {
        return s.kraft->raft().handle_vote(r);
      });
    case ApiKey::begin_quorum_epoch:
      return later<BeginQuorumEpochRequest, BeginQuorumEpochResponse>(
          ctx, body, [](Services& s, BeginQuorumEpochRequest& r, int16_t) {
            return s.kraft->raft().handle_begin_quorum_epoch(r);
          });
    case ApiKey::end_quorum_epoch:
      return later<EndQuorumEpochRequest, EndQuorumEpochResponse>(
          ctx, body, [](Services& s, EndQuorumEpochRequest& r, int16_t) {
            return s.kraft->raft().handle_end_quorum_epoch(r);
          });
    case ApiKey::fetch:
      return later<FetchRequest, FetchResponse>(
          ctx, body,
          [](Services& s, FetchRequest& r, int16_t) { return s.kraft->raft().handle_fetch(r); });
    case ApiKey::fetch_snapshot:
      return later<FetchSnapshotRequest, FetchSnapshotResponse>(
          ctx, body, [](Services& s, FetchSnapshotRequest& r, int16_t) {
            return s.kraft->raft().handle_fetch_snapshot(r);
          });
    case ApiKey::describe_quorum:
      return later<DescribeQuorumRequest, DescribeQuorumResponse>(
          ctx, body, [](Services& s, DescribeQuorumRequest& r, int16_t) {
            return s.kraft->raft().handle_describe_quorum(r);
          });
    case ApiKey::broker_registration:
      return later<BrokerRegistrationRequest, BrokerRegistrationResponse>(
          ctx, body, [](Services& s, BrokerRegistrationRequest& r, int16_t) {
            auto* c = s.kraft->controller();
            return c ? c->register_broker(r) : not_controller<BrokerRegistrationResponse>();
          });
    case ApiKey::broker_heartbeat:
      return later<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(
          ctx, body, [](Services& s, BrokerHeartbeatRequest& r, int16_t) {
            auto* c = s.kraft->controller();
            return c ? c->heartbeat(r) : not_controller<BrokerHeartbeatResponse>();
          });
    case ApiKey::allocate_producer_ids:
      return later<AllocateProducerIdsRequest, AllocateProducerIdsResponse>(
          ctx, body, [](Services& s, AllocateProducerIdsRequest& r, int16_t) {
            auto* c = s.kraft->controller();
            return c ? c->allocate_producer_ids(r)
                     : not_controller<AllocateProducerIdsResponse>();
          });
    case ApiKey::create_topics:
      return later<CreateTopicsRequest, CreateTopicsResponse>(
          ctx, body, [](Services& s, CreateTopicsRequest& r, int16_t v) {
            if (auto* c = s.kraft->controller()) return c->create_topics(r, v);
            return controller::error_response(r, to_wire(ErrorCode::not_controller));
          });
    case ApiKey::delete_topics:
      return later<DeleteTopicsRequest, DeleteTopicsResponse>(
          ctx, body, [](Services& s, DeleteTopicsRequest& r, int16_t v) {
            if (auto* c = s.kraft->controller()) return c->delete_topics(r, v);
            return controller::error_response(r, to_wire(ErrorCode::not_controller));
          });
    case ApiKey::create_partitions:
      return later<CreatePartitionsRequest, CreatePartitionsResponse>(
          ctx, body, [](Services& s, CreatePartitionsRequest& r, int16_t v) {
            if (auto* c = s.kraft->controller()) return c->create_partitions(r, v);
            return controller::error_response(r, to_wire(ErrorCode::not_controller));
          });
    case ApiKey::alter_configs:
      return later<AlterConfigsRequest, AlterConfigsResponse>(
          ctx, body, [](Services& s, AlterConfigsRequest& r, int16_t v) {
            if (auto* c = s.kraft->controller()) return c->alter_configs(r, v);
            return controller::error_response(r, to_wire(ErrorCode::not_controller));
          });
    default: break;
  }
  return Reply::close(fmt::format("no controller handler for {}", api_key_name(key)));
}

// DescribeQuorum on the broker listener: answered by the leader's Raft, locally when this
// node leads, else forwarded to it.
Reply handle_describe_quorum(const RequestContext& ctx, Reader& body) {
  return later<DescribeQuorumRequest, DescribeQuorumResponse>(
      ctx, body, [](Services& s, DescribeQuorumRequest& r, int16_t) {
        if (s.kraft == nullptr) return not_controller<DescribeQuorumResponse>();
        raft::RaftNode& raft = s.kraft->raft();
        if (raft.role() == raft::Role::leader || s.kraft->channel() == nullptr) {
          return raft.handle_describe_quorum(r);
        }
        auto resp = s.kraft->channel()->call(r, s.rt.now() + Duration::seconds(10));
        if (!resp.ok()) {
          DescribeQuorumResponse out;
          out.error_code = to_wire(ErrorCode::request_timed_out);
          return out;
        }
        return std::move(resp.value());
      });
}

}  // namespace tern::server
