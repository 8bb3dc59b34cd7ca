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
// The injector must outlive the world's run (its timers call into it).
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "faults/fault_plan.h"
#include "sim/simulated/world.h"

namespace tern::faults {

class Injector {
 public:
  Injector(sim::World& world, FaultPlan plan);
  Injector(const Injector&) = delete;
  Injector& operator=(const Injector&) = delete;

  // Checks node names and parameters, then schedules the plan. Call once, before running.
  Status arm();
  // Undoes every fault now: heals the network (partitions, clogs, spikes, latency back to
  // what it was at construction), clears disk faults and clock skew, resumes the nodes it
  // paused and restarts the nodes it crashed. What a plan's heal_all does.
  void heal_all();

  const FaultPlan& plan() const { return plan_; }
  struct Stats {
    uint64_t applied = 0;  // faults that took effect
    uint64_t skipped = 0;  // faults that did not apply when they fired
    uint64_t ended = 0;    // durations that ran out
  };
  const Stats& stats() const { return stats_; }

 private:
  using Path = std::pair<uint32_t, uint32_t>;
  void apply(size_t index);
  void end(size_t index);
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
};

}  // namespace tern::faults
