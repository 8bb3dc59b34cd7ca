#pragma once
// Seed -> fault plan, inside a budget.
//
// Swarm testing (Groce et al. 2012; TigerBeetle's options_swarm, FoundationDB's randomized
// knobs): the seed first draws a SwarmConfig (which fault kinds are on, how often each fires,
// how hard) and then the plan. Different seeds thus stress different mixes instead of every
// seed getting a thin uniform sprinkle of everything.
//
// Budget (FoundationDB's canKillProcesses, TigerBeetle's fault atlas): at most max_down
// servers crashed or paused at once (default: a minority, at least 1), every crash is
// restarted within max_downtime, every partition/pause/disk fault ends, no fault starts at or
// after heal_at, and at heal_at a heal_all brings everything back so liveness can be checked.
// Only servers get process, disk and clock faults; clients get network faults at most.
// The budget keeps failures meaningful: a liveness failure inside it is a bug, not bad luck.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "faults/fault.h"
#include "faults/fault_plan.h"
#include "sim/runtime/rng.h"

namespace tern::faults {

struct ClusterShape {
  std::vector<std::string> servers;
  std::vector<std::string> clients;
};

struct FaultBudget {
  // Servers down (crashed) or paused at the same time. Default: a minority ((n-1)/2), but at
  // least 1 so a one- or two-node cluster still sees crashes.
  std::optional<uint32_t> max_down;
  Duration max_downtime = Duration::seconds(5);        // crash -> restart bound
  Duration max_fault_duration = Duration::seconds(3);  // partitions, pauses, clogs, disk faults
  uint32_t heal_at_percent = 80;                       // of the run's duration

  uint32_t max_down_for(size_t servers) const;
  Instant heal_at(Duration run) const;
};

// What one seed turned on. Kinds that are never drawn on their own (restart follows a crash,
// heal_all ends the plan) stay off here.
struct SwarmConfig {
  std::array<bool, kFaultKindCount> on{};
  std::array<Duration, kFaultKindCount> mean_gap{};  // average time between two of a kind
  uint32_t keep_unsynced_ppm = 0;  // a crash keeps a prefix of unsynced writes
  uint32_t tear_ppm = 0;           // ... and tears the next one
  uint32_t one_way_ppm = 0;        // a partition is one-way
  uint32_t isolate_ppm = 0;        // a partition isolates a single node (else a random split)
  uint32_t disk_ppm_max = 0;       // fsync_error / bitflip odds drawn up to this
  Duration latency_max;            // latency faults draw max in [min, latency_max]
  Duration spike_max;              // extra latency of a spike
  Duration slow_io_max;            // extra latency of slow_io
  Duration skew_max;               // |amount| of skew and jump
  uint64_t disk_capacity_max = 0;  // disk_full capacity drawn in [0, this]

  bool enabled(FaultKind k) const { return on[static_cast<size_t>(k)]; }
  std::vector<FaultKind> enabled_kinds() const;
  // Lines starting with "# swarm", so they can head a plan file as comments.
  std::string to_text() const;
};

// The kinds the swarm may turn on (all but restart and heal_all).
std::span<const FaultKind> swarm_kinds();

SwarmConfig draw_swarm(const Rng& rng, Duration run);

struct GeneratedPlan {
  SwarmConfig swarm;
  FaultPlan plan;
  Instant heal_at;
  // The swarm as comments, then the plan: a replayable plan file.
  std::string to_text() const;
};

// Draws the swarm from rng.fork("faults.swarm") and the plan from rng.fork("faults.plan"):
// only the rng's seed matters, not how much of it was used before.
GeneratedPlan generate_plan(const Rng& rng, const ClusterShape& shape, Duration run,
                            const FaultBudget& budget = {});
FaultPlan generate_plan(const Rng& rng, const ClusterShape& shape, Duration run,
                        const FaultBudget& budget, const SwarmConfig& swarm);

// What a plan does to the cluster, as the Injector would apply it (a crash of a down node or
// a restart of an up one is skipped). For budget checks on generated and hand-written plans.
struct PlanProfile {
  uint32_t max_nodes_down = 0;  // crashed or paused at once (ties count as overlap)
  Duration longest_downtime;      // crash -> restart/heal_all
  bool all_recovered = true;      // nothing down, paused, partitioned or faulty at the end
  std::optional<Instant> last_fault_start;  // of faults other than heal_all
};
PlanProfile profile(const FaultPlan& plan);

// One line per violated rule of the budget (empty: the plan is inside it).
std::vector<std::string> check_budget(const FaultPlan& plan, const ClusterShape& shape,
                                      Duration run, const FaultBudget& budget);

}  // namespace tern::faults
