#pragma once
// Every API handler, one function per API, grouped in one file per family:
//   api_versions.cpp  ApiVersions
//   metadata.cpp      Metadata, DescribeCluster
//   produce.cpp       Produce
//   fetch.cpp         Fetch
//   list_offsets.cpp  ListOffsets, OffsetForLeaderEpoch
//   topics.cpp        CreateTopics, DeleteTopics, CreatePartitions
//   configs.cpp       DescribeConfigs, AlterConfigs
//   groups.cpp        group APIs (answer "no coordinator here" until the groups issue)
//   txn.cpp           InitProducerId, transaction APIs, SaslHandshake
// dispatch.cpp maps (api key, version) to them; the version ranges come from the generated
// kSupportedApis table, which ApiVersions advertises, so the two cannot disagree.
#include "broker/protocol/wire.h"
#include "broker/server/handler.h"

namespace tern::server {

// Routes one request. Unknown keys and unsupported versions close the connection (Kafka),
// except ApiVersions, which answers UNSUPPORTED_VERSION with a v0 body (KIP-511).
Reply dispatch(const RequestContext& ctx, protocol::Reader& body);

Reply handle_api_versions(const RequestContext& ctx, protocol::Reader& body);
Reply handle_metadata(const RequestContext& ctx, protocol::Reader& body);
Reply handle_describe_cluster(const RequestContext& ctx, protocol::Reader& body);
Reply handle_produce(const RequestContext& ctx, protocol::Reader& body);
Reply handle_fetch(const RequestContext& ctx, protocol::Reader& body);
Reply handle_list_offsets(const RequestContext& ctx, protocol::Reader& body);
Reply handle_offset_for_leader_epoch(const RequestContext& ctx, protocol::Reader& body);
Reply handle_create_topics(const RequestContext& ctx, protocol::Reader& body);
Reply handle_delete_topics(const RequestContext& ctx, protocol::Reader& body);
Reply handle_create_partitions(const RequestContext& ctx, protocol::Reader& body);
Reply handle_describe_configs(const RequestContext& ctx, protocol::Reader& body);
Reply handle_alter_configs(const RequestContext& ctx, protocol::Reader& body);
// groups.cpp
Reply handle_find_coordinator(const RequestContext& ctx, protocol::Reader& body);
Reply handle_join_group(const RequestContext& ctx, protocol::Reader& body);
Reply handle_sync_group(const RequestContext& ctx, protocol::Reader& body);
Reply handle_heartbeat(const RequestContext& ctx, protocol::Reader& body);
Reply handle_leave_group(const RequestContext& ctx, protocol::Reader& body);
Reply handle_offset_commit(const RequestContext& ctx, protocol::Reader& body);
Reply handle_offset_fetch(const RequestContext& ctx, protocol::Reader& body);
Reply handle_describe_groups(const RequestContext& ctx, protocol::Reader& body);
Reply handle_list_groups(const RequestContext& ctx, protocol::Reader& body);
Reply handle_delete_groups(const RequestContext& ctx, protocol::Reader& body);
// txn.cpp
Reply handle_init_producer_id(const RequestContext& ctx, protocol::Reader& body);
Reply handle_add_partitions_to_txn(const RequestContext& ctx, protocol::Reader& body);
Reply handle_add_offsets_to_txn(const RequestContext& ctx, protocol::Reader& body);
Reply handle_end_txn(const RequestContext& ctx, protocol::Reader& body);
Reply handle_txn_offset_commit(const RequestContext& ctx, protocol::Reader& body);
Reply handle_write_txn_markers(const RequestContext& ctx, protocol::Reader& body);
Reply handle_sasl_handshake(const RequestContext& ctx, protocol::Reader& body);

}  // namespace tern::server
