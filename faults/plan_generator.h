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
  // Clients (also listed in `clients`) the plan may crash and restart: their crashes are
  // restarted within max_downtime and do not count against the servers' max_down. They get
  // no disk or clock faults.
  std::vector<std::string> restartable_clients;
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

// Faults the swarm draws beside the timed kinds: the triggered ones (a fault placed at a
// moment of the broker's life rather than a time) and client crashes.
//   fsync_crash:  crash a broker 0-300 us after its next log.fsync.start
//   ack_crash:    crash a broker 0-300 us after its k-th produce.ack (k in 1..20, sometimes
//                 only acks to one client)
//   fetch_break:  0-200 us after a fetch.respond to a client (the response in flight), break
//                 the broker-client connection or (fetch_crash_ppm) crash the broker
//   client_crash: crash a restartable client, restart it within max_downtime
// Triggered crashes restart themselves (crash restart_after=...), so the budget holds whenever
// the trigger fires.
enum class SwarmExtra : uint8_t { fsync_crash, ack_crash, fetch_break, client_crash };
inline constexpr int kSwarmExtraCount = static_cast<int>(SwarmExtra::client_crash) + 1;
std::string_view extra_name(SwarmExtra extra);
std::span<const SwarmExtra> swarm_extras();

// What one seed turned on. Kinds that are never drawn on their own (restart follows a crash,
// heal_all ends the plan) stay off here.
struct SwarmConfig {
  std::array<bool, kFaultKindCount> on{};
  // Kinds a scenario forces on: placed before the others, so the budget never crowds them out.
  std::array<bool, kFaultKindCount> forced{};
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
  uint32_t half_open_ppm = 0;      // a crash leaves half-open connections (no reset)
  uint32_t block_links_max = 1;    // a block fault blocks 1..this directed links
  std::array<bool, kSwarmExtraCount> extra_on{};
  std::array<Duration, kSwarmExtraCount> extra_gap{};  // average time between two
  uint32_t ack_match_client_ppm = 0;  // an ack_crash counts only one client's acks
  uint32_t fetch_crash_ppm = 0;       // a fetch_break crashes the broker instead

  bool enabled(FaultKind k) const { return on[static_cast<size_t>(k)]; }
  bool enabled(SwarmExtra e) const { return extra_on[static_cast<size_t>(e)]; }
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
// A triggered fault counts conservatively: from `at` to its latest possible end
// (at + within + delay + its duration or restart_after).
struct PlanProfile {
  uint32_t max_nodes_down = 0;  // crashed or paused at once (ties count as overlap)
  Duration longest_downtime;      // crash -> restart/heal_all
  bool all_recovered = true;      // nothing down, paused, partitioned or faulty at the end
  std::optional<Instant> last_fault_start;  // of faults other than heal_all
};
// With `servers` non-empty, max_nodes_down counts only those (client crashes do not count).
PlanProfile profile(const FaultPlan& plan, std::span<const std::string> servers = {});

// One line per violated rule of the budget (empty: the plan is inside it).
std::vector<std::string> check_budget(const FaultPlan& plan, const ClusterShape& shape,
                                      Duration run, const FaultBudget& budget);

}  // namespace tern::faults
