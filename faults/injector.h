#pragma once
// Applies a FaultPlan to a sim::World at the planned simulated times.
//
// arm() resolves every node name against the world (an unknown name is an error, and then
// nothing is scheduled) and schedules each fault, and the end of each fault with a duration,
// with World::at(). Faults that no longer make sense when they fire (a crash of a node that
// is down, a restart of one that is up, a pause of a paused node) are skipped with a
// "fault.skip" trace event, not an error: a shrunk or hand-edited plan stays runnable.
// Every applied fault is a "fault.<kind>" trace event with the fault's parameters, its end a
// "fault.<kind>.end" event, so the text trace and the Graphviz picture show them.
//
// Faults with a duration undo only their own effect when they end: a partition unblocks the
// paths it blocked (unless another active partition still blocks them), a disk fault puts
// back the setting it replaced, a pause resumes the node only if that pause still holds it.
//
// Triggered faults (Fault::trigger): at `at` the injector starts counting matching trace
// events (through World::observe_trace); at the nth it traces `fault.trigger` and schedules
// the fault `delay` later with World::at (never from inside the observer, which runs in the
// emitting node's fiber). A trigger still waiting at at + within is dropped: a `fault.skip`
// (reason "trigger never fired"), counted in stats().triggers_expired. A triggered fault's
// duration (and a crash's restart_after) counts from when it is applied. heal_all drops the
// triggers still waiting and the triggered faults not yet applied: nothing new after the heal.
//
// An optional InjectorBudget bounds the triggered faults, which the plan cannot place exactly:
// a triggered crash or pause of a budget server that would leave more than max_down of them
// down or paused is skipped ("fault.skip reason=budget ...").
//
// Every fault.* event goes through World::trace_event, so observers (the runner's counters,
// other triggers) see the injector's faults too.
//
// The injector must outlive the world's run (its timers and its trace observer call into it).
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "faults/fault_plan.h"
#include "sim/simulated/world.h"

namespace tern::faults {

// Bounds triggered crashes and pauses: at most max_down of `servers` down or paused at once.
struct InjectorBudget {
  std::vector<std::string> servers;
  uint32_t max_down = 1;
};

class Injector {
 public:
  Injector(sim::World& world, FaultPlan plan);
  Injector(const Injector&) = delete;
  Injector& operator=(const Injector&) = delete;

  // Before arm(): bound the triggered crashes and pauses.
  void set_budget(InjectorBudget budget);
  // Checks node names and parameters, then schedules the plan. Call once, before running.
  Status arm();
  // Undoes every fault now: heals the network (partitions, clogs, spikes, latency back to
  // what it was at construction), clears disk faults and clock skew, resumes the nodes it
  // paused and restarts the nodes it crashed. What a plan's heal_all does.
  void heal_all();

  const FaultPlan& plan() const { return plan_; }
  struct Stats {
    uint64_t applied = 0;  // faults that took effect (restart_after restarts included)
    uint64_t skipped = 0;  // faults that did not apply (incl. expired triggers, budget)
    uint64_t ended = 0;    // durations that ran out
    std::map<FaultKind, uint64_t> applied_by_kind;
    uint64_t triggers_fired = 0;    // triggers whose nth event came
    uint64_t triggers_expired = 0;  // triggers that never fired (within ran out, or heal_all)
    uint64_t skipped_budget = 0;    // triggered crashes/pauses the budget refused
    uint64_t applied_of(FaultKind k) const {
      auto it = applied_by_kind.find(k);
      return it == applied_by_kind.end() ? 0 : it->second;
    }
  };
  const Stats& stats() const { return stats_; }

 private:
  using Path = std::pair<uint32_t, uint32_t>;
  void apply(size_t index);
  void applied(FaultKind kind);
  void end(size_t index);
  void activate(size_t index);
  void expire(size_t index);
  void observe(std::string_view node, std::string_view kind,
               std::initializer_list<TraceField> fields);
  void auto_restart(uint32_t node, uint64_t epoch);
  // Whether a triggered crash/pause of `node` fits the budget; else the reason.
  std::optional<std::string> over_budget(uint32_t node) const;
  void skip(const Fault& f, std::string_view reason);
  void trace_fault(const Fault& f, std::string_view suffix);
  uint32_t id(const std::string& name) const;
  void block(size_t index, const Fault& f);
  void unblock(size_t index);
  void set_disk(size_t index, const Fault& f);

  sim::World& world_;
  FaultPlan plan_;
  bool armed_ = false;
  Stats stats_;
  sim::LatencyRange baseline_latency_;
  std::vector<sim::DiskFaults> baseline_disk_;     // per node, at construction
  std::map<size_t, std::vector<Path>> partitions_; // active partition -> the paths it blocks
  std::map<Path, uint32_t> blocked_by_;            // path -> active partitions blocking it
  std::map<uint32_t, size_t> paused_by_;           // node -> the pause fault holding it
  std::set<uint32_t> crashed_;                     // nodes this injector took down
  std::map<std::pair<uint32_t, FaultKind>, size_t> disk_owner_;  // the fault in force
  std::map<uint32_t, Duration> skew_;              // what we set, per node
  std::optional<InjectorBudget> budget_;
  std::vector<uint32_t> budget_ids_;                 // budget_->servers resolved at arm()
  std::map<size_t, uint32_t> watching_;            // active trigger -> matching events so far
  std::map<size_t, Instant> applied_at_;           // triggered faults -> when applied
  uint64_t heal_epoch_ = 0;                        // heal_all drops pending triggered faults
  std::map<uint32_t, uint64_t> crash_epoch_;       // node -> crashes applied (restart_after)
};

}  // namespace tern::faults
