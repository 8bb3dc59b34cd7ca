#include <fmt/format.h>

#include "broker/protocol/api_key.h"
#include "broker/protocol/api_table.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server {

using protocol::ApiKey;

Reply dispatch(const RequestContext& ctx, protocol::Reader& body) {
  const int16_t key = ctx.header.api_key;
  const int16_t version = ctx.header.api_version;
  // ApiVersions answers every version itself (an unsupported one gets error 35).
  if (key == static_cast<int16_t>(ApiKey::api_versions)) return handle_api_versions(ctx, body);
  if (!protocol::is_supported(key, version)) {
    return Reply::close(fmt::format("unsupported {} v{} (key {})", protocol::api_key_name(key),
                                    version, key));
  }
  switch (static_cast<ApiKey>(key)) {
    case ApiKey::produce: return handle_produce(ctx, body);
    case ApiKey::fetch: return handle_fetch(ctx, body);
    case ApiKey::list_offsets: return handle_list_offsets(ctx, body);
    case ApiKey::metadata: return handle_metadata(ctx, body);
    case ApiKey::offset_commit: return handle_offset_commit(ctx, body);
    case ApiKey::offset_fetch: return handle_offset_fetch(ctx, body);
    case ApiKey::find_coordinator: return handle_find_coordinator(ctx, body);
    case ApiKey::join_group: return handle_join_group(ctx, body);
    case ApiKey::heartbeat: return handle_heartbeat(ctx, body);
    case ApiKey::leave_group: return handle_leave_group(ctx, body);
    case ApiKey::sync_group: return handle_sync_group(ctx, body);
    case ApiKey::describe_groups: return handle_describe_groups(ctx, body);
    case ApiKey::list_groups: return handle_list_groups(ctx, body);
    case ApiKey::sasl_handshake: return handle_sasl_handshake(ctx, body);
    case ApiKey::create_topics: return handle_create_topics(ctx, body);
    case ApiKey::delete_topics: return handle_delete_topics(ctx, body);
    case ApiKey::init_producer_id: return handle_init_producer_id(ctx, body);
    case ApiKey::offset_for_leader_epoch: return handle_offset_for_leader_epoch(ctx, body);
    case ApiKey::add_partitions_to_txn: return handle_add_partitions_to_txn(ctx, body);
    case ApiKey::add_offsets_to_txn: return handle_add_offsets_to_txn(ctx, body);
    case ApiKey::end_txn: return handle_end_txn(ctx, body);
    case ApiKey::write_txn_markers: return handle_write_txn_markers(ctx, body);
    case ApiKey::txn_offset_commit: return handle_txn_offset_commit(ctx, body);
    case ApiKey::describe_configs: return handle_describe_configs(ctx, body);
    case ApiKey::alter_configs: return handle_alter_configs(ctx, body);
    case ApiKey::create_partitions: return handle_create_partitions(ctx, body);
    case ApiKey::delete_groups: return handle_delete_groups(ctx, body);
    case ApiKey::describe_cluster: return handle_describe_cluster(ctx, body);
    case ApiKey::describe_quorum: return handle_describe_quorum(ctx, body);
    default: break;
  }
  // kSupportedApis lists a key this switch does not: a build inconsistency, but a client
  // must never crash the broker with it.
  return Reply::close(fmt::format("no handler for {} (key {})", protocol::api_key_name(key), key));
}

}  // namespace tern::server
