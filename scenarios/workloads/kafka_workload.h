#pragma once
// The Kafka workload, written against tern's own client (broker/client): producers send
// keyed records with unique values and record send/ack/fail; consumers read every partition
// from the beginning and record every poll; after the run a reader collects the final
// contents of every partition for the checkers.
#include <vector>

#include "scenarios/history.h"
#include "scenarios/scenario.h"
#include "sim/runtime/runtime.h"

namespace tern::scenarios {

struct WorkloadPlan {
  const Scenario* scenario = nullptr;
  History* history = nullptr;
  std::vector<Address> bootstrap;
  Instant end;  // the workload stops here; the final read starts
};

void run_producer(Runtime& rt, const WorkloadPlan& plan);
void run_consumer(Runtime& rt, const WorkloadPlan& plan);
// Reads every partition from its start to its high watermark. False if it did not finish.
bool read_final_state(Runtime& rt, const WorkloadPlan& plan, FinalState& out);

}  // namespace tern::scenarios
