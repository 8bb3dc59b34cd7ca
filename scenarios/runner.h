#pragma once
// Runs one scenario with one seed in a fresh simulated world and judges it.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faults/fault_plan.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/scenario.h"
#include "sim/runtime/trace.h"

namespace tern::scenarios {

struct RunOptions {
  std::optional<faults::FaultPlan> plan;  // replay this plan instead of drawing one
  bool keep_trace = false;                // keep every event (for --trace / --dot)
  bool buggify = true;
};

struct Outcome {
  std::string scenario;
  uint64_t seed = 0;
  bool passed = false;
  std::vector<Violation> violations;
  uint64_t trace_hash = 0;
  uint64_t trace_events = 0;
  std::string plan_text;  // the fault plan that ran (replayable with --plan)
  std::string swarm_text;
  int64_t sim_ns = 0;
  uint64_t sends = 0, acks = 0, polls = 0, failures = 0;
  std::vector<TraceEvent> trace;  // only with keep_trace
  std::string first_error;        // the first error-severity trace event, if any
};

Outcome run_scenario(const Scenario& scenario, uint64_t seed, const RunOptions& options = {});

}  // namespace tern::scenarios
