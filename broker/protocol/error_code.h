#pragma once
// Kafka's error codes (the int16 in responses) with their exact numbers and protocol names.
// The numbers are wire protocol: never renumber. Enumerators are the lowercased Kafka names.
#include <cstdint>
#include <string_view>

namespace tern::protocol {

enum class ErrorCode : int16_t {
  unknown_server_error = -1,
  none = 0,
  offset_out_of_range = 1,
  corrupt_message = 2,
  unknown_topic_or_partition = 3,
  invalid_fetch_size = 4,
  leader_not_available = 5,
  not_leader_or_follower = 6,
  request_timed_out = 7,
  broker_not_available = 8,
  replica_not_available = 9,
  message_too_large = 10,
  stale_controller_epoch = 11,
  offset_metadata_too_large = 12,
  network_exception = 13,
  coordinator_load_in_progress = 14,
  coordinator_not_available = 15,
  not_coordinator = 16,
  invalid_topic_exception = 17,
  record_list_too_large = 18,
  not_enough_replicas = 19,
  not_enough_replicas_after_append = 20,
  invalid_required_acks = 21,
  illegal_generation = 22,
  inconsistent_group_protocol = 23,
  invalid_group_id = 24,
  unknown_member_id = 25,
  invalid_session_timeout = 26,
  rebalance_in_progress = 27,
  invalid_commit_offset_size = 28,
  topic_authorization_failed = 29,
  group_authorization_failed = 30,
  cluster_authorization_failed = 31,
  invalid_timestamp = 32,
  unsupported_sasl_mechanism = 33,
  illegal_sasl_state = 34,
  unsupported_version = 35,
  topic_already_exists = 36,
  invalid_partitions = 37,
  invalid_replication_factor = 38,
  invalid_replica_assignment = 39,
  invalid_config = 40,
  not_controller = 41,
  invalid_request = 42,
  unsupported_for_message_format = 43,
  policy_violation = 44,
  out_of_order_sequence_number = 45,
  duplicate_sequence_number = 46,
  invalid_producer_epoch = 47,
  invalid_txn_state = 48,
  invalid_producer_id_mapping = 49,
  invalid_transaction_timeout = 50,
  concurrent_transactions = 51,
  transaction_coordinator_fenced = 52,
  transactional_id_authorization_failed = 53,
  security_disabled = 54,
  operation_not_attempted = 55,
  kafka_storage_error = 56,
  log_dir_not_found = 57,
  sasl_authentication_failed = 58,
  unknown_producer_id = 59,
  reassignment_in_progress = 60,
  delegation_token_auth_disabled = 61,
  delegation_token_not_found = 62,
  delegation_token_owner_mismatch = 63,
  delegation_token_request_not_allowed = 64,
  delegation_token_authorization_failed = 65,
  delegation_token_expired = 66,
  invalid_principal_type = 67,
  non_empty_group = 68,
  group_id_not_found = 69,
  fetch_session_id_not_found = 70,
  invalid_fetch_session_epoch = 71,
  listener_not_found = 72,
  topic_deletion_disabled = 73,
  fenced_leader_epoch = 74,
  unknown_leader_epoch = 75,
  unsupported_compression_type = 76,
  stale_broker_epoch = 77,
  offset_not_available = 78,
  member_id_required = 79,
  preferred_leader_not_available = 80,
  group_max_size_reached = 81,
  fenced_instance_id = 82,
  eligible_leaders_not_available = 83,
  election_not_needed = 84,
  no_reassignment_in_progress = 85,
  group_subscribed_to_topic = 86,
  invalid_record = 87,
  unstable_offset_commit = 88,
  throttling_quota_exceeded = 89,
  producer_fenced = 90,
  resource_not_found = 91,
  duplicate_resource = 92,
  unacceptable_credential = 93,
  inconsistent_voter_set = 94,
  invalid_update_version = 95,
  feature_update_failed = 96,
  principal_deserialization_failure = 97,
  snapshot_not_found = 98,
  position_out_of_range = 99,
  unknown_topic_id = 100,
  duplicate_broker_registration = 101,
  broker_id_not_registered = 102,
  inconsistent_topic_id = 103,
  inconsistent_cluster_id = 104,
  transactional_id_not_found = 105,
  fetch_session_topic_id_error = 106,
  ineligible_replica = 107,
  new_leader_elected = 108,
  offset_moved_to_tiered_storage = 109,
};

constexpr int16_t to_wire(ErrorCode e) { return static_cast<int16_t>(e); }

// "UNKNOWN_TOPIC_OR_PARTITION", ...; "UNKNOWN" for a code not in the list.
constexpr std::string_view error_code_name(int16_t code) {
  switch (code) {
    case -1: return "UNKNOWN_SERVER_ERROR";
    case 0: return "NONE";
    case 1: return "OFFSET_OUT_OF_RANGE";
    case 2: return "CORRUPT_MESSAGE";
    case 3: return "UNKNOWN_TOPIC_OR_PARTITION";
    case 4: return "INVALID_FETCH_SIZE";
    case 5: return "LEADER_NOT_AVAILABLE";
    case 6: return "NOT_LEADER_OR_FOLLOWER";
    case 7: return "REQUEST_TIMED_OUT";
    case 8: return "BROKER_NOT_AVAILABLE";
    case 9: return "REPLICA_NOT_AVAILABLE";
    case 10: return "MESSAGE_TOO_LARGE";
    case 11: return "STALE_CONTROLLER_EPOCH";
    case 12: return "OFFSET_METADATA_TOO_LARGE";
    case 13: return "NETWORK_EXCEPTION";
    case 14: return "COORDINATOR_LOAD_IN_PROGRESS";
    case 15: return "COORDINATOR_NOT_AVAILABLE";
    case 16: return "NOT_COORDINATOR";
    case 17: return "INVALID_TOPIC_EXCEPTION";
    case 18: return "RECORD_LIST_TOO_LARGE";
    case 19: return "NOT_ENOUGH_REPLICAS";
    case 20: return "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
    case 21: return "INVALID_REQUIRED_ACKS";
    case 22: return "ILLEGAL_GENERATION";
    case 23: return "INCONSISTENT_GROUP_PROTOCOL";
    case 24: return "INVALID_GROUP_ID";
    case 25: return "UNKNOWN_MEMBER_ID";
    case 26: return "INVALID_SESSION_TIMEOUT";
    case 27: return "REBALANCE_IN_PROGRESS";
    case 28: return "INVALID_COMMIT_OFFSET_SIZE";
    case 29: return "TOPIC_AUTHORIZATION_FAILED";
    case 30: return "GROUP_AUTHORIZATION_FAILED";
    case 31: return "CLUSTER_AUTHORIZATION_FAILED";
    case 32: return "INVALID_TIMESTAMP";
    case 33: return "UNSUPPORTED_SASL_MECHANISM";
    case 34: return "ILLEGAL_SASL_STATE";
    case 35: return "UNSUPPORTED_VERSION";
    case 36: return "TOPIC_ALREADY_EXISTS";
    case 37: return "INVALID_PARTITIONS";
    case 38: return "INVALID_REPLICATION_FACTOR";
    case 39: return "INVALID_REPLICA_ASSIGNMENT";
    case 40: return "INVALID_CONFIG";
    case 41: return "NOT_CONTROLLER";
    case 42: return "INVALID_REQUEST";
    case 43: return "UNSUPPORTED_FOR_MESSAGE_FORMAT";
    case 44: return "POLICY_VIOLATION";
    case 45: return "OUT_OF_ORDER_SEQUENCE_NUMBER";
    case 46: return "DUPLICATE_SEQUENCE_NUMBER";
    case 47: return "INVALID_PRODUCER_EPOCH";
    case 48: return "INVALID_TXN_STATE";
    case 49: return "INVALID_PRODUCER_ID_MAPPING";
    case 50: return "INVALID_TRANSACTION_TIMEOUT";
    case 51: return "CONCURRENT_TRANSACTIONS";
    case 52: return "TRANSACTION_COORDINATOR_FENCED";
    case 53: return "TRANSACTIONAL_ID_AUTHORIZATION_FAILED";
    case 54: return "SECURITY_DISABLED";
    case 55: return "OPERATION_NOT_ATTEMPTED";
    case 56: return "KAFKA_STORAGE_ERROR";
    case 57: return "LOG_DIR_NOT_FOUND";
    case 58: return "SASL_AUTHENTICATION_FAILED";
    case 59: return "UNKNOWN_PRODUCER_ID";
    case 60: return "REASSIGNMENT_IN_PROGRESS";
    case 61: return "DELEGATION_TOKEN_AUTH_DISABLED";
    case 62: return "DELEGATION_TOKEN_NOT_FOUND";
    case 63: return "DELEGATION_TOKEN_OWNER_MISMATCH";
    case 64: return "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED";
    case 65: return "DELEGATION_TOKEN_AUTHORIZATION_FAILED";
    case 66: return "DELEGATION_TOKEN_EXPIRED";
    case 67: return "INVALID_PRINCIPAL_TYPE";
    case 68: return "NON_EMPTY_GROUP";
    case 69: return "GROUP_ID_NOT_FOUND";
    case 70: return "FETCH_SESSION_ID_NOT_FOUND";
    case 71: return "INVALID_FETCH_SESSION_EPOCH";
    case 72: return "LISTENER_NOT_FOUND";
    case 73: return "TOPIC_DELETION_DISABLED";
    case 74: return "FENCED_LEADER_EPOCH";
    case 75: return "UNKNOWN_LEADER_EPOCH";
    case 76: return "UNSUPPORTED_COMPRESSION_TYPE";
    case 77: return "STALE_BROKER_EPOCH";
    case 78: return "OFFSET_NOT_AVAILABLE";
    case 79: return "MEMBER_ID_REQUIRED";
    case 80: return "PREFERRED_LEADER_NOT_AVAILABLE";
    case 81: return "GROUP_MAX_SIZE_REACHED";
    case 82: return "FENCED_INSTANCE_ID";
    case 83: return "ELIGIBLE_LEADERS_NOT_AVAILABLE";
    case 84: return "ELECTION_NOT_NEEDED";
    case 85: return "NO_REASSIGNMENT_IN_PROGRESS";
    case 86: return "GROUP_SUBSCRIBED_TO_TOPIC";
    case 87: return "INVALID_RECORD";
    case 88: return "UNSTABLE_OFFSET_COMMIT";
    case 89: return "THROTTLING_QUOTA_EXCEEDED";
    case 90: return "PRODUCER_FENCED";
    case 91: return "RESOURCE_NOT_FOUND";
    case 92: return "DUPLICATE_RESOURCE";
    case 93: return "UNACCEPTABLE_CREDENTIAL";
    case 94: return "INCONSISTENT_VOTER_SET";
    case 95: return "INVALID_UPDATE_VERSION";
    case 96: return "FEATURE_UPDATE_FAILED";
    case 97: return "PRINCIPAL_DESERIALIZATION_FAILURE";
    case 98: return "SNAPSHOT_NOT_FOUND";
    case 99: return "POSITION_OUT_OF_RANGE";
    case 100: return "UNKNOWN_TOPIC_ID";
    case 101: return "DUPLICATE_BROKER_REGISTRATION";
    case 102: return "BROKER_ID_NOT_REGISTERED";
    case 103: return "INCONSISTENT_TOPIC_ID";
    case 104: return "INCONSISTENT_CLUSTER_ID";
    case 105: return "TRANSACTIONAL_ID_NOT_FOUND";
    case 106: return "FETCH_SESSION_TOPIC_ID_ERROR";
    case 107: return "INELIGIBLE_REPLICA";
    case 108: return "NEW_LEADER_ELECTED";
    case 109: return "OFFSET_MOVED_TO_TIERED_STORAGE";
  }
  return "UNKNOWN";
}
constexpr std::string_view error_code_name(ErrorCode e) {
  return error_code_name(to_wire(e));
}

// Whether a client may retry the request unchanged (Kafka's RetriableException subclasses).
constexpr bool is_retriable(ErrorCode e) {
  switch (e) {
    case ErrorCode::corrupt_message:
    case ErrorCode::unknown_topic_or_partition:
    case ErrorCode::leader_not_available:
    case ErrorCode::not_leader_or_follower:
    case ErrorCode::request_timed_out:
    case ErrorCode::replica_not_available:
    case ErrorCode::network_exception:
    case ErrorCode::coordinator_load_in_progress:
    case ErrorCode::coordinator_not_available:
    case ErrorCode::not_coordinator:
    case ErrorCode::not_enough_replicas:
    case ErrorCode::not_enough_replicas_after_append:
    case ErrorCode::not_controller:
    case ErrorCode::concurrent_transactions:
    case ErrorCode::kafka_storage_error:
    case ErrorCode::fetch_session_id_not_found:
    case ErrorCode::invalid_fetch_session_epoch:
    case ErrorCode::listener_not_found:
    case ErrorCode::fenced_leader_epoch:
    case ErrorCode::unknown_leader_epoch:
    case ErrorCode::offset_not_available:
    case ErrorCode::preferred_leader_not_available:
    case ErrorCode::eligible_leaders_not_available:
    case ErrorCode::unstable_offset_commit:
    case ErrorCode::throttling_quota_exceeded:
    case ErrorCode::unknown_topic_id:
    case ErrorCode::inconsistent_topic_id:
    case ErrorCode::fetch_session_topic_id_error:
      return true;
    default:
      return false;
  }
}

}  // namespace tern::protocol
