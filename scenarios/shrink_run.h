#pragma once
// Shrinks a failing run to a small replayable plan that fails the SAME way (the same violated
// invariant, not any failure: a shrink that wanders from a lost write to a liveness failure
// explains nothing). Besides the fault plan (faults/shrink.h) it shortens the run, drops
// workloads and lowers client counts, through the plan's `set` lines, so the small plan
// replays with `tern sim replay --scenario-file F --seed S --plan small.plan`.
#include <cstdint>
#include <string>

#include "faults/fault_plan.h"
#include "scenarios/runner.h"

namespace tern::scenarios {

struct ShrinkReport {
  bool reproduced = false;  // the seed failed with that invariant when replayed
  faults::FaultPlan plan;   // the smallest plan that still fails with the invariant
  std::string invariant;    // what it fails with
  uint64_t attempts = 0;    // replays it took
  bool exhausted = false;   // stopped by the attempt budget
};

// `failing` is the outcome of (scenario, seed) to shrink; its plan_text is the start.
ShrinkReport shrink_failure(const Scenario& scenario, uint64_t seed, const Outcome& failing,
                            const RunOptions& options, uint64_t max_attempts = 300);

}  // namespace tern::scenarios
