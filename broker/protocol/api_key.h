#pragma once
// Kafka API keys (the int16 that opens every request header) and their protocol names.
// Keys tern does not serve are listed too, so logs and errors can name what a client asked for.
#include <cstdint>
#include <string_view>

namespace tern::protocol {

enum class ApiKey : int16_t {
  produce = 0,
  fetch = 1,
  list_offsets = 2,
  metadata = 3,
  leader_and_isr = 4,
  stop_replica = 5,
  update_metadata = 6,
  controlled_shutdown = 7,
  offset_commit = 8,
  offset_fetch = 9,
  find_coordinator = 10,
  join_group = 11,
  heartbeat = 12,
  leave_group = 13,
  sync_group = 14,
  describe_groups = 15,
  list_groups = 16,
  sasl_handshake = 17,
  api_versions = 18,
  create_topics = 19,
  delete_topics = 20,
  delete_records = 21,
  init_producer_id = 22,
  offset_for_leader_epoch = 23,
  add_partitions_to_txn = 24,
  add_offsets_to_txn = 25,
  end_txn = 26,
  write_txn_markers = 27,
  txn_offset_commit = 28,
  describe_acls = 29,
  create_acls = 30,
  delete_acls = 31,
  describe_configs = 32,
  alter_configs = 33,
  alter_replica_log_dirs = 34,
  describe_log_dirs = 35,
  sasl_authenticate = 36,
  create_partitions = 37,
  create_delegation_token = 38,
  renew_delegation_token = 39,
  expire_delegation_token = 40,
  describe_delegation_token = 41,
  delete_groups = 42,
  elect_leaders = 43,
  incremental_alter_configs = 44,
  alter_partition_reassignments = 45,
  list_partition_reassignments = 46,
  offset_delete = 47,
  describe_client_quotas = 48,
  alter_client_quotas = 49,
  describe_user_scram_credentials = 50,
  alter_user_scram_credentials = 51,
  vote = 52,
  begin_quorum_epoch = 53,
  end_quorum_epoch = 54,
  describe_quorum = 55,
  alter_partition = 56,
  update_features = 57,
  envelope = 58,
  fetch_snapshot = 59,
  describe_cluster = 60,
  describe_producers = 61,
  broker_registration = 62,
  broker_heartbeat = 63,
  unregister_broker = 64,
  describe_transactions = 65,
  list_transactions = 66,
  allocate_producer_ids = 67,
  consumer_group_heartbeat = 68,
  consumer_group_describe = 69,
  controller_registration = 70,
  get_telemetry_subscriptions = 71,
  push_telemetry = 72,
  assign_replicas_to_dirs = 73,
  list_client_metrics_resources = 74,
  describe_topic_partitions = 75,
  share_group_heartbeat = 76,
  share_group_describe = 77,
  share_fetch = 78,
  share_acknowledge = 79,
  add_raft_voter = 80,
  remove_raft_voter = 81,
  update_raft_voter = 82,
};

// "Metadata", "ApiVersions", ...; "Unknown" for a key not in the list.
constexpr std::string_view api_key_name(int16_t key) {
  switch (key) {
    case 0: return "Produce";
    case 1: return "Fetch";
    case 2: return "ListOffsets";
    case 3: return "Metadata";
    case 4: return "LeaderAndIsr";
    case 5: return "StopReplica";
    case 6: return "UpdateMetadata";
    case 7: return "ControlledShutdown";
    case 8: return "OffsetCommit";
    case 9: return "OffsetFetch";
    case 10: return "FindCoordinator";
    case 11: return "JoinGroup";
    case 12: return "Heartbeat";
    case 13: return "LeaveGroup";
    case 14: return "SyncGroup";
    case 15: return "DescribeGroups";
    case 16: return "ListGroups";
    case 17: return "SaslHandshake";
    case 18: return "ApiVersions";
    case 19: return "CreateTopics";
    case 20: return "DeleteTopics";
    case 21: return "DeleteRecords";
    case 22: return "InitProducerId";
    case 23: return "OffsetForLeaderEpoch";
    case 24: return "AddPartitionsToTxn";
    case 25: return "AddOffsetsToTxn";
    case 26: return "EndTxn";
    case 27: return "WriteTxnMarkers";
    case 28: return "TxnOffsetCommit";
    case 29: return "DescribeAcls";
    case 30: return "CreateAcls";
    case 31: return "DeleteAcls";
    case 32: return "DescribeConfigs";
    case 33: return "AlterConfigs";
    case 34: return "AlterReplicaLogDirs";
    case 35: return "DescribeLogDirs";
    case 36: return "SaslAuthenticate";
    case 37: return "CreatePartitions";
    case 38: return "CreateDelegationToken";
    case 39: return "RenewDelegationToken";
    case 40: return "ExpireDelegationToken";
    case 41: return "DescribeDelegationToken";
    case 42: return "DeleteGroups";
    case 43: return "ElectLeaders";
    case 44: return "IncrementalAlterConfigs";
    case 45: return "AlterPartitionReassignments";
    case 46: return "ListPartitionReassignments";
    case 47: return "OffsetDelete";
    case 48: return "DescribeClientQuotas";
    case 49: return "AlterClientQuotas";
    case 50: return "DescribeUserScramCredentials";
    case 51: return "AlterUserScramCredentials";
    case 52: return "Vote";
    case 53: return "BeginQuorumEpoch";
    case 54: return "EndQuorumEpoch";
    case 55: return "DescribeQuorum";
    case 56: return "AlterPartition";
    case 57: return "UpdateFeatures";
    case 58: return "Envelope";
    case 59: return "FetchSnapshot";
    case 60: return "DescribeCluster";
    case 61: return "DescribeProducers";
    case 62: return "BrokerRegistration";
    case 63: return "BrokerHeartbeat";
    case 64: return "UnregisterBroker";
    case 65: return "DescribeTransactions";
    case 66: return "ListTransactions";
    case 67: return "AllocateProducerIds";
    case 68: return "ConsumerGroupHeartbeat";
    case 69: return "ConsumerGroupDescribe";
    case 70: return "ControllerRegistration";
    case 71: return "GetTelemetrySubscriptions";
    case 72: return "PushTelemetry";
    case 73: return "AssignReplicasToDirs";
    case 74: return "ListClientMetricsResources";
    case 75: return "DescribeTopicPartitions";
    case 76: return "ShareGroupHeartbeat";
    case 77: return "ShareGroupDescribe";
    case 78: return "ShareFetch";
    case 79: return "ShareAcknowledge";
    case 80: return "AddRaftVoter";
    case 81: return "RemoveRaftVoter";
    case 82: return "UpdateRaftVoter";
  }
  return "Unknown";
}
constexpr std::string_view api_key_name(ApiKey key) {
  return api_key_name(static_cast<int16_t>(key));
}

}  // namespace tern::protocol
