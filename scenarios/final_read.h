#pragma once
// The checker's own read of the cluster after the run (Jepsen's final reads): every expected
// topic, every partition, from its log start offset to its end, with the log start offsets.
#include <string>
#include <vector>

#include "scenarios/history.h"
#include "scenarios/workload.h"
#include "sim/runtime/runtime.h"

namespace tern::scenarios {

struct FinalRead {
  FinalState state;                            // every expected partition, present even if empty
  std::map<TopicPartition, int64_t> log_start;  // ListOffsets earliest at the read
  std::vector<std::string> problems;           // partitions it could not see or finish
  bool done = false;                           // the read finished (problems may still exist)
};

// Runs on the reader node. Gives up at `deadline` (recorded as a problem).
void read_final_state(Runtime& rt, const std::vector<Address>& bootstrap,
                      const std::vector<ExpectedTopic>& topics, Instant deadline, FinalRead& out);

}  // namespace tern::scenarios
