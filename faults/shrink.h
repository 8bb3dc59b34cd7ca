#pragma once
// Shrinks a failing fault plan: the smallest plan that still fails is the bug report.
//
// First delta debugging (Zeller's ddmin) over the faults: try dropping chunks of the plan,
// halving the chunk size when nothing can go, until no single fault can be removed
// (1-minimal). Then simplify parameters one fault at a time (crash keep_unsynced=0 and
// tear=0, shorter durations, smaller partition sides, two-way partitions, lower ppm, smaller
// latencies/skews), keeping each change that still fails, and repeat both until nothing
// changes or the attempt budget runs out. Nobody else shrinks a fault schedule (DST-ANCHORS):
// FDB and the VOPR stop at the seed.
//
// still_fails must be deterministic (it replays the scenario with the candidate plan).
#include <cstdint>
#include <functional>

#include "faults/fault_plan.h"

namespace tern::faults {

struct ShrinkOptions {
  uint64_t max_attempts = 500;  // calls of still_fails
  // heal_all ends the safety phase; dropping it would turn any failure into a liveness
  // failure of a cluster left broken, so by default it stays.
  bool keep_heal_all = true;
  bool simplify_parameters = true;
};

struct ShrinkResult {
  FaultPlan plan;          // the smallest failing plan found (the input if it did not fail)
  uint64_t attempts = 0;   // calls of still_fails, the first check of the input included
  bool reproduced = false; // the input failed at all
  bool exhausted = false;  // stopped by max_attempts rather than by reaching a fixpoint
};

ShrinkResult shrink(const FaultPlan& plan,
                    const std::function<bool(const FaultPlan&)>& still_fails,
                    const ShrinkOptions& options = {});

}  // namespace tern::faults
