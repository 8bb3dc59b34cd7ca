#pragma once
// Invariant checkers: each one a small, separately tested unit that reads the history and the
// final partition contents and names every violation it finds. Jepsen's Kafka anomaly classes
// map onto them (lost write, inconsistent offsets, poll skip, nonmonotonic poll, duplicate).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scenarios/history.h"

namespace tern::scenarios {

struct Violation {
  std::string invariant;
  std::string message;
  int64_t time_ns = 0;  // when the evidence appeared (for the trace and the picture)
};

struct CheckContext {
  const History& history;
  const FinalState& final_state;
  int64_t heal_ns = 0;          // the last fault healed at this time
  int64_t end_ns = 0;           // the run ended here
  int64_t liveness_bound_ns = 0;  // how long after the heal recovery may take
  bool idempotent = false;      // producers were idempotent: duplicates are bugs
  // Declared consumers (process, topic): each must read every partition of its topic up to
  // every surviving acknowledged write within the liveness bound. Empty: every process that
  // polled, over the partitions that saw acknowledged writes.
  std::vector<std::pair<std::string, std::string>> consumers;
  // Log start offsets seen by the final read; absent partitions count as 0.
  const std::map<TopicPartition, int64_t>* log_start = nullptr;
  // Topics whose retention may delete records during the run: records below the final log
  // start offset may be gone there, and only there.
  std::set<std::string> retention_topics;
  // Sends made this long after the heal must not fail (the cluster had time to recover).
  int64_t liveness_grace_ns = 5'000'000'000;
  // In the healthy phase a consumer must read a surviving acknowledged record within this
  // long: every ack older than end - catch_up must have been polled by the end (the
  // workload's producers stop 3 s before the end).
  int64_t catch_up_ns = 2'000'000'000;

  int64_t log_start_of(const std::string& topic, int32_t partition) const;
  // True if (topic, partition, offset) lies below a log start that retention may have moved.
  bool deleted_by_retention(const std::string& topic, int32_t partition, int64_t offset) const;
};

using CheckFn = std::vector<Violation> (*)(const CheckContext&);

struct Checker {
  const char* name;
  const char* summary;
  CheckFn check;
};

// Every acknowledged acks=all write is in the final log at its acknowledged offset.
std::vector<Violation> check_lost_writes(const CheckContext& ctx);
// Each (partition, offset) holds one record wherever it is seen; final offsets are contiguous.
std::vector<Violation> check_offset_consistency(const CheckContext& ctx);
// One producer's acknowledged offsets in a partition increase in send order.
std::vector<Violation> check_partition_order(const CheckContext& ctx);
// With idempotent producers, no value is stored twice.
std::vector<Violation> check_no_duplicates(const CheckContext& ctx);
// A consumer never skips an existing record nor goes backwards without a seek.
std::vector<Violation> check_consumer_monotonic(const CheckContext& ctx);
// After the heal, writes are accepted and consumers catch up within the bound.
std::vector<Violation> check_liveness(const CheckContext& ctx);

const std::vector<Checker>& all_checkers();

}  // namespace tern::scenarios
