#include "broker/controller/topic_validation.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "broker/base/limits.h"

namespace tern::controller {

using protocol::ErrorCode;

namespace {

// Every broker id in `ids` is registered and none appears twice.
bool valid_replica_list(const std::vector<int32_t>& ids, const std::vector<int32_t>& brokers) {
  if (ids.empty()) return false;
  std::set<int32_t> seen;
  for (int32_t id : ids) {
    if (!seen.insert(id).second) return false;
    if (std::find(brokers.begin(), brokers.end(), id) == brokers.end()) return false;
  }
  return true;
}

std::string broker_list(const std::vector<int32_t>& brokers) {
  return fmt::format("{}", fmt::join(brokers, ", "));
}

}  // namespace

std::string topic_name_problem(std::string_view name) {
  if (name.empty()) return "Topic name is illegal, it can't be empty";
  if (name == "." || name == "..") return "Topic name cannot be \".\" or \"..\"";
  if (static_cast<int64_t>(name.size()) > kTopicNameBytesMax) {
    return fmt::format("Topic name is illegal, it can't be longer than {} characters",
                       kTopicNameBytesMax);
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return fmt::format("Topic name \"{}\" is illegal, it contains a character other than "
                         "ASCII alphanumerics, '.', '_' and '-'", name);
    }
  }
  return {};
}

TopicError check_new_topic(const protocol::CreateTopicsRequest::CreatableTopic& t,
                           const std::vector<int32_t>& brokers, int32_t default_partitions,
                           int16_t default_replication_factor,
                           const TopicConfigCheck& check_config, NewTopic& out) {
  TERN_ASSERT(!brokers.empty());
  out = NewTopic{};
  if (!t.assignments.empty()) {
    if (t.num_partitions != -1 || t.replication_factor != -1) {
      return {ErrorCode::invalid_request,
              "Both numPartitions or replicationFactor and replicasAssignments were set."};
    }
    for (size_t i = 0; i < t.assignments.size(); ++i) {
      const auto& a = t.assignments[i];
      const bool same_size = a.broker_ids.size() == t.assignments[0].broker_ids.size();
      if (a.partition_index != static_cast<int32_t>(i) || !same_size ||
          !valid_replica_list(a.broker_ids, brokers)) {
        return {ErrorCode::invalid_replica_assignment,
                fmt::format("partition {} must be assigned to distinct registered brokers "
                            "({}) only", a.partition_index, broker_list(brokers))};
      }
      out.assignment.push_back(a.broker_ids);
    }
    out.partitions = static_cast<int32_t>(t.assignments.size());
    out.replication_factor = static_cast<int16_t>(t.assignments[0].broker_ids.size());
  } else {
    out.partitions = t.num_partitions == -1 ? default_partitions : t.num_partitions;
    if (out.partitions <= 0) {
      return {ErrorCode::invalid_partitions, "Number of partitions must be larger than 0."};
    }
    int16_t rf = t.replication_factor;
    if (rf == -1) rf = default_replication_factor;
    if (rf <= 0) {
      return {ErrorCode::invalid_replication_factor,
              "Replication factor must be larger than 0."};
    }
    if (rf > static_cast<int64_t>(brokers.size())) {
      return {ErrorCode::invalid_replication_factor,
              fmt::format("Unable to replicate the partition {} time(s): The target "
                          "replication factor of {} cannot be reached because only {} "
                          "broker(s) are registered.", rf, rf, brokers.size())};
    }
    out.replication_factor = rf;
  }
  for (const auto& c : t.configs) {
    if (!c.value.has_value()) continue;  // null: use the default
    Status s = check_config(c.name, *c.value);
    if (!s.ok()) return {ErrorCode::invalid_config, s.error().context()};
    out.configs[c.name] = *c.value;
  }
  if (out.partitions > kPartitionsPerTopicMax) {
    return {ErrorCode::invalid_partitions,
            fmt::format("Number of partitions must be in [1, {}].", kPartitionsPerTopicMax)};
  }
  return {};
}

TopicError check_new_assignments(
    int32_t added, const std::vector<protocol::CreatePartitionsRequest::Assignment>& assignments,
    const std::vector<int32_t>& brokers) {
  bool ok = added > 0 && static_cast<int32_t>(assignments.size()) == added;
  for (const auto& a : assignments) ok = ok && valid_replica_list(a.broker_ids, brokers);
  if (ok) return {};
  return {ErrorCode::invalid_replica_assignment,
          fmt::format("Each new partition must be assigned to distinct registered brokers "
                      "({}) only.", broker_list(brokers))};
}

TopicError check_partition_increase(std::string_view topic, int32_t current, int32_t count) {
  if (count == current) {
    return {ErrorCode::invalid_partitions,
            fmt::format("Topic already has {} partitions.", current)};
  }
  if (count < current) {
    return {ErrorCode::invalid_partitions,
            fmt::format("The topic {} currently has {} partition(s); {} would not be an "
                        "increase.", topic, current, count)};
  }
  if (count > kPartitionsPerTopicMax) {
    return {ErrorCode::invalid_partitions,
            fmt::format("At most {} partitions per topic.", kPartitionsPerTopicMax)};
  }
  return {};
}

}  // namespace tern::controller
