#pragma once
// The checks a controller makes on topic admin requests, with Kafka's error codes and
// messages (ReplicationControlManager, Topic.validate). Pure functions of the request and
// the cluster's state, shared by the single-node LocalController (broker/server) and the
// quorum controller, so both answer every bad request the same way.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "broker/protocol/error_code.h"
#include "broker/protocol/msg_create_partitions.h"
#include "broker/protocol/msg_create_topics.h"
#include "sim/runtime/result.h"

namespace tern::controller {

// Bounds on what one admin request may ask for (a limit on everything).
inline constexpr int32_t kPartitionsPerTopicMax = 10'000;

// A Kafka error code with its message; code none means the check passed.
struct TopicError {
  protocol::ErrorCode code = protocol::ErrorCode::none;
  std::string message;
  bool ok() const { return code == protocol::ErrorCode::none; }
};

// Kafka's topic name rule (Topic.validate): [a-zA-Z0-9._-]{1,249}, not "." or "..".
// Returns an empty string when valid, else the reason.
std::string topic_name_problem(std::string_view name);

// Validates one topic config value (the broker's topic-config table knows the names).
using TopicConfigCheck = std::function<Status(std::string_view name, std::string_view value)>;

// What a valid CreatableTopic asks for.
struct NewTopic {
  int32_t partitions = 0;
  int16_t replication_factor = 0;
  // Explicit replica assignment by partition index; empty: the controller places replicas.
  std::vector<std::vector<int32_t>> assignment;
  std::map<std::string, std::string> configs;  // non-null values only
};

// The checks of one CreatableTopic after its name and existence were checked: assignment
// xor counts, partition count (defaults for -1), replication factor against the registered
// brokers, every config. Fills `out` when ok.
TopicError check_new_topic(const protocol::CreateTopicsRequest::CreatableTopic& t,
                           const std::vector<int32_t>& brokers, int32_t default_partitions,
                           int16_t default_replication_factor,
                           const TopicConfigCheck& check_config, NewTopic& out);

// CreatePartitions: explicit assignments for the `added` new partitions must each name
// registered brokers only, one list per new partition.
TopicError check_new_assignments(
    int32_t added, const std::vector<protocol::CreatePartitionsRequest::Assignment>& assignments,
    const std::vector<int32_t>& brokers);
// CreatePartitions: the new count must be an increase within bounds.
TopicError check_partition_increase(std::string_view topic, int32_t current, int32_t count);

// Names that appear more than once in a request (Kafka answers each INVALID_REQUEST).
template <class Range, class NameOf>
std::set<std::string> duplicate_names(const Range& items, NameOf name_of) {
  std::set<std::string> seen, dup;
  for (const auto& item : items) {
    if (!seen.insert(name_of(item)).second) dup.insert(name_of(item));
  }
  return dup;
}

}  // namespace tern::controller
