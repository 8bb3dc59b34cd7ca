#pragma once
// A simulated Raft quorum for tests (like Kafka's RaftEventSimulationTest, on tern's sim::World):
// voters and observers on simulated nodes, each running a RaftNode behind a RaftTestServer on
// its own address, a leader appending a counter record every few milliseconds, snapshots
// taken at random committed points, and the invariants of raft_invariants.h checked after
// every simulation step. Faults come from the world: crashes that drop unsynced writes
// (torn or not), graceful restarts (EndQuorumEpoch), partitions (symmetric, one-way, the
// leader isolated), pauses and clock skew; then everything heals and the quorum must elect a
// leader and commit a new append within a bound (liveness).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/simulated/world.h"
#include "scenarios/checkers/raft_invariants.h"

namespace tern::raft::test {

struct ClusterOptions {
  uint64_t seed = 1;
  int voters = 3;
  int observers = 0;
  Duration fault_phase = Duration::seconds(15);
  Duration liveness_bound = Duration::seconds(40);
  bool faults = true;
  bool buggify = true;
  std::FILE* trace = nullptr;  // echo the trace here (a replay)
};

struct ClusterResult {
  std::vector<std::string> failures;  // invariant violations, liveness failure
  int64_t committed = 0;              // committed offsets at the end
  size_t leaders = 0;                 // epochs with a leader
  uint64_t steps = 0;
  std::string faults;                 // the faults applied, one per line
};

class RaftCluster {
 public:
  explicit RaftCluster(ClusterOptions options);
  ~RaftCluster();
  ClusterResult run();

 private:
  struct Slot;
  void node_main(size_t i, Runtime& rt);
  std::vector<RaftInvariants::NodeView> views() const;
  bool step_check();
  void schedule_faults();
  // Faults triggered by what the nodes do (a vote granted, the HW advancing, a new leader):
  // the rare windows where a crash breaks a Raft that forgot a rule.
  void schedule_triggered_faults(Instant until);
  // Power loss of slot i (unsynced writes lost) and a restart after `hold`, within the
  // budget of a minority of voters down; false when the budget forbids it.
  bool crash_for(size_t i, Duration hold, bool torn, bool keep_prefix, const char* why);
  size_t down_voters() const;
  void heal_all();
  bool liveness();
  std::optional<size_t> current_leader() const;
  void note(std::string what);

  ClusterOptions options_;
  sim::World world_;
  std::vector<std::unique_ptr<Slot>> slots_;
  RaftInvariants invariants_;
  std::vector<std::string> failures_;
  std::string faults_log_;
  uint64_t checks_ = 0;
};

}  // namespace tern::raft::test
