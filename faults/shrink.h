#pragma once
// Shrinks a failing fault plan: the smallest plan that still fails is the bug report.
//
// Each round, until nothing changes or the attempt budget runs out:
//  1. the caller's reductions (ShrinkOptions::reductions: e.g. a shorter `set duration`, a
//     dropped workload), tried first and kept while they still fail;
//  2. delta debugging (Zeller's ddmin) over the faults: try dropping chunks of the plan,
//     halving the chunk size when nothing can go, until no single fault can be removed
//     (1-minimal). A restart whose crash was dropped goes with it (it would be noise);
//  3. parameter simplification one fault at a time (drop a trigger, smaller nth, no delay,
//     crash keep_unsynced/tear/half_open=0, shorter restart_after and durations, smaller
//     partition/bridge sides and fewer blocked links, lower ppm, smaller latencies/skews);
//  4. moving faults earlier (to at/2, or half way to the previous fault; never past it, so
//     the order stays): a failure at 0.3 s is quicker to replay and read than one at 9 s.
// Nobody else shrinks a fault schedule (DST-ANCHORS): FDB and the VOPR stop at the seed.
//
// still_fails must be deterministic (it replays the scenario with the candidate plan); the
// caller decides what "fails" means (e.g. the same invariant violated).
#include <cstdint>
#include <functional>
#include <vector>

#include "faults/fault_plan.h"

namespace tern::faults {

struct ShrinkOptions {
  uint64_t max_attempts = 500;  // calls of still_fails
  // heal_all ends the safety phase; dropping it would turn any failure into a liveness
  // failure of a cluster left broken, so by default it stays.
  bool keep_heal_all = true;
  bool simplify_parameters = true;
  bool move_earlier = true;
  // Whole-plan candidates from the caller (settings such as a shorter run or a dropped
  // workload), tried before the faults are shrunk and kept when they still fail. A candidate
  // equal to the current plan, or with more faults, is ignored.
  std::function<std::vector<FaultPlan>(const FaultPlan&)> reductions = nullptr;
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
