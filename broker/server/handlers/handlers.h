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
//   leader_lookup.cpp find_leader (the partition a request names)
// dispatch.cpp maps (api key, version) to them; the version ranges come from the generated
// kSupportedApis table, which ApiVersions advertises, so the two cannot disagree.
#include <memory>
#include <string_view>

#include "broker/partition/partition.h"
#include "broker/protocol/error_code.h"
#include "broker/protocol/wire.h"
#include "broker/server/handler.h"

namespace tern::server {

// The partition a client request names, when this broker leads it, else the error Kafka
// answers (ReplicaManager.getPartitionOrError): UNKNOWN_TOPIC_OR_PARTITION when the metadata
// has no such partition or its log here is unusable (removed, failed to open),
// NOT_LEADER_OR_FOLLOWER when it exists but this broker does not lead it (leader_lookup.cpp).
struct LeaderLookup {
  std::shared_ptr<partition::Partition> partition;  // null on error
  protocol::ErrorCode error = protocol::ErrorCode::none;
};
LeaderLookup find_leader(const Services& services, std::string_view topic, int32_t index);

// Routes one request. Unknown keys and unsupported versions close the connection (Kafka),
// except ApiVersions, which answers UNSUPPORTED_VERSION with a v0 body (KIP-511).
Reply dispatch(const RequestContext& ctx, protocol::Reader& body);
// The CONTROLLER listener's routing (quorum.cpp): Raft, registration, heartbeats, forwarded
// admin requests.
Reply dispatch_controller(const RequestContext& ctx, protocol::Reader& body);
// DescribeQuorum on the broker listener (forwarded to the quorum leader).
Reply handle_describe_quorum(const RequestContext& ctx, protocol::Reader& body);

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
