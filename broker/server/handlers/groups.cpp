// The classic group protocol, until the groups issue lands a coordinator: answered the way
// Kafka answers when no coordinator can serve (FindCoordinator -> COORDINATOR_NOT_AVAILABLE,
// which clients retry) and the way a non-coordinator broker answers group requests
// (NOT_COORDINATOR, which sends clients back to FindCoordinator). ListGroups is empty.
#include "broker/protocol/msg_delete_groups.h"
#include "broker/protocol/msg_describe_groups.h"
#include "broker/protocol/msg_find_coordinator.h"
#include "broker/protocol/msg_heartbeat.h"
#include "broker/protocol/msg_join_group.h"
#include "broker/protocol/msg_leave_group.h"
#include "broker/protocol/msg_list_groups.h"
#include "broker/protocol/msg_offset_commit.h"
#include "broker/protocol/msg_offset_fetch.h"
#include "broker/protocol/msg_sync_group.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server {

using namespace protocol;

Reply handle_find_coordinator(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<FindCoordinatorRequest, FindCoordinatorResponse>(
      ctx, body, [](const RequestContext& c, FindCoordinatorRequest&) {
        FindCoordinatorResponse resp;
        resp.error_code = to_wire(ErrorCode::coordinator_not_available);
        resp.error_message = "The coordinator is not available.";
        resp.node_id = -1;
        resp.host = "";
        resp.port = -1;
        return reply_now(resp, c.version());
      });
}

Reply handle_join_group(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<JoinGroupRequest, JoinGroupResponse>(
      ctx, body, [](const RequestContext& c, JoinGroupRequest& req) {
        JoinGroupResponse resp;
        resp.error_code = kNotCoordinator;
        resp.generation_id = -1;
        resp.member_id = req.member_id;
        return reply_now(resp, c.version());
      });
}

Reply handle_sync_group(const RequestContext& ctx, Reader& body) {
  return reply_error_code<SyncGroupRequest, SyncGroupResponse>(ctx, body, kNotCoordinator);
}

Reply handle_heartbeat(const RequestContext& ctx, Reader& body) {
  return reply_error_code<HeartbeatRequest, HeartbeatResponse>(ctx, body, kNotCoordinator);
}

Reply handle_leave_group(const RequestContext& ctx, Reader& body) {
  return reply_error_code<LeaveGroupRequest, LeaveGroupResponse>(ctx, body, kNotCoordinator);
}

Reply handle_offset_commit(const RequestContext& ctx, Reader& body) {
  return reply_partition_error_code<OffsetCommitRequest, OffsetCommitResponse>(ctx, body,
                                                                             kNotCoordinator);
}

Reply handle_offset_fetch(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<OffsetFetchRequest, OffsetFetchResponse>(
      ctx, body, [](const RequestContext& c, OffsetFetchRequest& req) {
        OffsetFetchResponse resp;
        resp.error_code = kNotCoordinator;  // v2+
        if (req.topics.has_value()) {
          for (const auto& t : *req.topics) {
            auto& tr = resp.topics.emplace_back();
            tr.name = t.name;
            for (int32_t p : t.partition_indexes) {
              auto& pr = tr.partitions.emplace_back();
              pr.partition_index = p;
              pr.committed_offset = -1;
              pr.error_code = kNotCoordinator;  // v0-v1 carry it per partition only
            }
          }
        }
        return reply_now(resp, c.version());
      });
}

Reply handle_describe_groups(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DescribeGroupsRequest, DescribeGroupsResponse>(
      ctx, body, [](const RequestContext& c, DescribeGroupsRequest& req) {
        DescribeGroupsResponse resp;
        for (const std::string& g : req.groups) {
          auto& out = resp.groups.emplace_back();
          out.group_id = g;
          out.error_code = kNotCoordinator;
        }
        return reply_now(resp, c.version());
      });
}

Reply handle_list_groups(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<ListGroupsRequest, ListGroupsResponse>(
      ctx, body, [](const RequestContext& c, ListGroupsRequest&) {
        ListGroupsResponse resp;  // no groups exist yet
        return reply_now(resp, c.version());
      });
}

Reply handle_delete_groups(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DeleteGroupsRequest, DeleteGroupsResponse>(
      ctx, body, [](const RequestContext& c, DeleteGroupsRequest& req) {
        DeleteGroupsResponse resp;
        for (const std::string& g : req.groups_names) {
          auto& out = resp.results.emplace_back();
          out.group_id = g;
          out.error_code = kNotCoordinator;
        }
        return reply_now(resp, c.version());
      });
}

}  // namespace tern::server
