#pragma once
// The deterministic simulated world: one thread, virtual time, many nodes. A seed decides
// everything: latencies, chunking, which unsynced writes survive a crash, buggify sites.
//
// The world drives a fiber::Scheduler: it runs runnable fibers in FIFO order and, when none
// is runnable, jumps virtual time to the next timer. Idle simulated seconds cost nothing.
// A node is a process: its fibers (one scheduler group), its connections, its memory (objects
// on its fibers' stacks). crash_node() unwinds all of it; restart_node() starts the same main
// function again on the same durable disk.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/fiber/scheduler.h"
#include "sim/runtime/runtime.h"
#include "sim/simulated/sim_disk.h"
#include "sim/simulated/sim_network.h"
#include "sim/trace/trace_log.h"

namespace tern::sim {

class SimRuntime;
class World;

using NodeMain = std::function<void(Runtime&)>;

class World : private Tasks {
 public:
  struct Options {
    uint64_t seed = 1;
    TraceLog::Options trace;
    bool buggify = false;  // let broker code take rare-but-legal paths
    WallTime wall_start{1'767'225'600'000};  // 2026-01-01T00:00:00Z: fixed, not the host's clock
    size_t stack_bytes = 256 * 1024;
    // Run the runnable tasks of an instant, and timers due at the same instant, in a seeded
    // order instead of FIFO (fiber::Scheduler::shuffle_ties): finds code that relies on one
    // interleaving. Off by default; on or off, the same seed gives the same run.
    bool shuffle_ties = false;
    // When not empty (and buggify is on): exactly these buggify sites are enabled, whatever
    // their seeded activation draw says; every other site is off. To aim a run at one site.
    std::vector<std::string> buggify_sites = {};
  };
  explicit World(Options options);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Nodes. `host` is the node's network name (what Address::host says to reach it).
  uint32_t add_node(const std::string& name, NodeMain main);
  void start_node(uint32_t node);
  void crash_node(uint32_t node, CrashOptions options = {});
  void restart_node(uint32_t node) { start_node(node); }
  bool node_up(uint32_t node) const;
  // Stalls every fiber of the node until resume_node (its timers and inbound bytes queue up).
  void pause_node(uint32_t node);
  void resume_node(uint32_t node);
  bool node_paused(uint32_t node) const;
  uint32_t node_count() const { return static_cast<uint32_t>(nodes_.size()); }
  uint32_t node_id(const std::string& name) const;  // asserts that it exists
  std::optional<uint32_t> find_node(std::string_view name) const;
  const std::string& node_name(uint32_t node) const;
  size_t node_tasks(uint32_t node) const;
  // The node's runtime while it is up (for tests and the fault injector), else nullptr.
  Runtime* runtime(uint32_t node);
  // The node's wall-clock skew (a clock fault), added to wall_now().
  void set_clock_skew(uint32_t node, Duration skew);
  Duration clock_skew(uint32_t node) const;

  // Running. Each returns when its condition holds, nothing is left to do, or time runs out.
  void run_until(Instant limit);
  void run_for(Duration d) { run_until(now() + d); }
  // Runs until pred() holds (checked after every step) or the limit passes; returns pred().
  bool run_until(const std::function<bool()>& pred, Instant limit);
  void run_until_idle(Instant limit = Instant::never());

  // Schedules a world-level action (not a fiber) at a time: how faults are applied.
  void at(Instant when, std::function<void()> fn);

  Instant now() const override { return now_; }
  uint64_t seed() const { return options_.seed; }
  Rng& rng() { return rng_; }
  TraceLog& trace() { return trace_; }
  SimNetwork& network() { return *network_; }
  SimDisk& disk(uint32_t node);
  fiber::Scheduler& scheduler() { return scheduler_; }
  // A world-level trace event (node "world"), e.g. a fault being applied.
  void trace_event(Severity severity, std::string_view node, std::string_view kind,
                   std::initializer_list<TraceField> fields);
  // FoundationDB's BUGGIFY: a site is enabled for the run with P=1/4 and, when enabled,
  // fires with P=1/4 per evaluation. Both are drawn per site from a stream seeded by
  // (seed, site) alone, so a site's decisions do not depend on which other sites ran, or
  // how often: adding or removing a call at one site shifts no other site. The first
  // evaluation of a site records a `buggify.site` trace event (site, enabled).
  bool buggify(std::string_view site);
  // Ends BUGGIFY for the rest of the run: every site answers false from now on. The liveness
  // phase runs without rare paths that slow a cluster down on purpose (FoundationDB likewise
  // turns connection failures off before its end-of-test checks).
  void stop_buggify();
  bool buggify_stopped() const { return buggify_stopped_; }
  // A site's activation for `seed` (what buggify() will decide at the site's first call,
  // before any buggify_sites override): a pure function, for tests and tools.
  static bool buggify_site_enabled(uint64_t seed, std::string_view site);
  // Observers of every trace event of the run (nodes' and the world's), called right after
  // the event is recorded: how event-triggered faults and the runner's counters see the run
  // without the broker holding test code. An observer runs inside whatever emitted the event
  // (often a node's fiber): it must not crash, pause or start nodes itself; it schedules that
  // with at(). Observers are called in the order they were added.
  using TraceObserver = std::function<void(std::string_view node, std::string_view kind,
                                           std::initializer_list<TraceField> fields)>;
  void observe_trace(TraceObserver observer);
  // The run's fingerprint: the trace hash with the final PRNG draw and clock folded in.
  uint64_t fingerprint();
  uint64_t steps() const { return steps_; }

 private:
  friend class SimRuntime;
  friend class SimNetwork;
  struct Node {
    std::string name;
    NodeMain main;
    bool up = false;
    uint32_t incarnation = 0;
    Duration skew;
    std::unique_ptr<SimDisk> disk;
    std::unique_ptr<SimRuntime> runtime;
  };
  // Tasks facade used by the scheduler for joins: the same for every node.
  TaskHandle spawn(std::string, UniqueFunction) override;
  void yield() override { scheduler_.yield(); }
  TaskRef current() override { return scheduler_.current(); }
  Wake park(Deadline d) override { return scheduler_.park(d); }
  void unpark(TaskRef t, Wake r) override { scheduler_.unpark(t, r); }
  bool step(Instant limit);
  void record_event(Severity severity, std::string_view node, std::string_view kind,
                    std::initializer_list<TraceField> fields);

  Options options_;
  struct BuggifySite {
    bool enabled;
    Rng rng;  // the site's own firing stream
  };
  Rng rng_;
  Instant now_{0};
  uint64_t steps_ = 0;
  TraceLog trace_;
  fiber::Scheduler scheduler_;
  std::unique_ptr<SimNetwork> network_;
  std::vector<Node> nodes_;
  std::map<std::string, BuggifySite, std::less<>> buggify_sites_;
  std::vector<TraceObserver> observers_;
  bool buggify_stopped_ = false;
};

}  // namespace tern::sim
