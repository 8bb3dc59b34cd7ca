#pragma once
// Invariant checkers: each one a small, separately tested unit that reads the history and the
// final partition contents and names every violation it finds. Jepsen's Kafka anomaly classes
// map onto them (lost write, inconsistent offsets, poll skip, nonmonotonic poll, duplicate).
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
