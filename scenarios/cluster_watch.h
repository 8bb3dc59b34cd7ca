#pragma once
// ClusterWatch: the metadata quorum's invariants, checked after every simulation step of a
// scenario (not only at the end): Raft's safety (checkers/raft_invariants.h: at most one
// leader per epoch, epochs never go backwards on any node, a committed entry is never lost
// or changed, leader completeness, high watermarks monotonic) and the applied metadata (two
// nodes whose images stand at the same offset hold identical images). Liveness after the
// heal: a leader is elected and metadata commits within the scenario's bound.
//
// Node mains register their live Broker (and clear it when the node goes down), so the
// watch reads only through broker/inspect.h.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/server/broker.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/checkers/raft_invariants.h"

namespace tern::scenarios {

class ClusterWatch {
 public:
  // A node's broker came up (b) or went away (nullptr).
  void set_broker(int32_t node_id, server::Broker* b);
  // The cheap checks (every step) and, when `full`, the whole-log comparison.
  void check(int64_t now_ns, bool full);
  // After the liveness phase: a leader and commits since the heal.
  void check_liveness(int64_t heal_ns, int64_t now_ns);

  const std::vector<Violation>& violations() const { return violations_; }
  size_t leaders_elected() const { return raft_.leaders_elected(); }
  // Commits observed: (time, committed end offset) each time the committed end moved.
  int64_t last_commit_ns() const { return last_commit_ns_; }
  // When a leader was last known (any node sees itself as leader): for failover times.
  const std::vector<std::pair<int64_t, int32_t>>& elections() const { return elections_; }
  // Controller failovers: from the step the active controller's node went down (crash or
  // fatal stop) to the step the committed end next moved (the new leader's first commit).
  const std::vector<int64_t>& failovers_ns() const { return failovers_ns_; }
  // Metadata propagation: from the step a metadata offset committed to the step every live
  // node's applied image reached it (what their Metadata answers show). Only commits made
  // while every node was up count (a down node would measure its restart, not propagation).
  const std::vector<int64_t>& propagation_ns() const { return propagation_ns_; }

 private:
  void violate(std::string invariant, std::string message, int64_t now_ns);
  void measure_propagation(int64_t now_ns);

  struct Node {
    server::Broker* broker = nullptr;
    uint64_t incarnation = 0;
    int64_t image_offset_checked = -2;
  };
  std::map<int32_t, Node> nodes_;
  raft::test::RaftInvariants raft_;
  std::map<int64_t, uint32_t> image_hash_at_;  // applied offset -> image hash
  std::vector<Violation> violations_;
  int64_t committed_end_ = 0;
  int64_t last_commit_ns_ = 0;
  int64_t leader_epoch_seen_ = -1;
  std::vector<std::pair<int64_t, int32_t>> elections_;  // (time, epoch) of each new leader
  std::optional<int32_t> leader_;            // the node leading at leader_epoch_seen_
  std::optional<int64_t> leader_lost_ns_;    // it went down then; no commit since
  std::vector<int64_t> failovers_ns_;
  std::vector<std::pair<int64_t, int64_t>> unpropagated_;  // (committed end, when) pending
  std::vector<int64_t> propagation_ns_;
};

}  // namespace tern::scenarios
