#pragma once
// Runs one scenario with one seed in a fresh simulated world and judges it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faults/fault_plan.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/scenario.h"
#include "sim/runtime/trace.h"

namespace tern::scenarios {

struct RunOptions {
  // Replay this plan instead of drawing one. Its `set` lines reshape the run (what the
  // shrinker uses): `set duration S` (seconds: clients run that long), `set drop-workloads
  // I,J` (0-based workload lines left out), `set w<I>.<option> V` (a workload option).
  std::optional<faults::FaultPlan> plan;
  bool keep_trace = false;  // keep every event (for --trace / --dot)
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
  std::vector<std::string> knobs;  // settings the seed drew ("p1 linger.ms=0")
  bool shuffled = false;           // the scheduler broke ties by the seed
  int64_t sim_ns = 0;
  uint64_t sends = 0, acks = 0, polls = 0, failures = 0;
  size_t leaders_elected = 0;  // cluster scenarios: quorum leaders over the run
  // Cluster scenarios: controller failovers (active controller down -> next commit) and
  // metadata propagation (commit -> applied on every node), simulated ns (ClusterWatch).
  std::vector<int64_t> failovers_ns;
  std::vector<int64_t> propagation_ns;
  // How hard the run tested the system (tern sim run prints these per suite).
  std::map<std::string, uint64_t> faults_applied;  // by kind, heal_all left out
  uint64_t crashes_after_ack = 0;           // broker crashes after it had acknowledged writes
  uint64_t acks_crashed_before_fsync = 0;   // acks followed by a crash before their log's fsync
  uint64_t triggers_fired = 0;    // event-triggered faults whose event came
  uint64_t triggers_expired = 0;  // ... and those whose event never came in time
  std::vector<TraceEvent> trace;  // only with keep_trace
  std::string first_error;        // the first error-severity trace event, if any

  // The invariant a failure is about: the first violation's, or "error-event".
  std::string failure_kind() const;
};

Outcome run_scenario(const Scenario& scenario, uint64_t seed, const RunOptions& options = {});

// The scenario as a plan's `set` lines reshape it (see RunOptions::plan); an error names the
// bad setting.
Result<Scenario> apply_plan_settings(const Scenario& scenario, const faults::FaultPlan& plan);

}  // namespace tern::scenarios
