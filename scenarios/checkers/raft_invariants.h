#pragma once
// Safety invariants of a Raft quorum, checked on live RaftNodes after every simulation step
// (Kafka's RaftEventSimulationTest invariants, plus leader completeness and the listener's
// applied sequence). Reusable: a full-broker scenario hands it its nodes' RaftNode pointers.
//
//   one leader per epoch        over the whole run
//   epochs never go backwards   per node, across restarts (the epoch is persisted)
//   high watermark monotonic    per running incarnation
//   log holds its HW            a node's log (or snapshot) reaches its high watermark
//   committed never changes     a batch below any node's HW, once seen, is the same batch
//                               (offsets, epoch, bytes hash) on every node that holds it
//   leader completeness         a new leader's log holds every committed batch
//   leaders step down         a leader not fetched from by a majority of voters for twice
//                             fetch_timeout has resigned (check quorum; needs `now`)
//   applied is a prefix         the listener's applied state at offset X is the same on
//                               every node (rolling hash), and batches arrive in order
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/inspect.h"  // broker/raft/raft_node.h, through the inspection hooks

namespace tern::raft::test {

class RaftInvariants {
 public:
  struct NodeView {
    int32_t id = -1;
    const RaftNode* node = nullptr;  // nullptr while the node is down
    uint64_t incarnation = 0;        // bumped by each (re)start
    bool paused = false;             // its tasks are stalled (a pause fault)
    Instant active_since{0};         // last start or resume: its timers could run since
  };

  // Cheap checks on every call; `full` also compares every node's whole log below its HW
  // with the committed history. Returns the first violation found (also kept in failures()).
  std::optional<std::string> check(const std::vector<NodeView>& nodes, bool full,
                                   Instant now = Instant::never());

  // The listener side: a node applied a batch / loaded a snapshot; `state_hash` is its state
  // after that (a rolling hash over every applied record value), `applied` the next offset.
  void on_applied(int32_t node, uint64_t incarnation, Offset applied, uint64_t state_hash);

  const std::vector<std::string>& failures() const { return failures_; }
  // Largest committed offset seen (exclusive) and how many leaders were elected.
  Offset committed_end() const;
  size_t leaders_elected() const { return leader_of_epoch_.size(); }

 private:
  void fail(std::string what);
  void check_committed(const NodeView& v, Offset from);
  void check_leader_completeness(const NodeView& v);

  struct PerNode {
    int32_t max_epoch = 0;
    uint64_t incarnation = 0;
    Offset hw{0};
    Offset checked_upto{0};  // incremental committed-entry check
  };
  std::map<int32_t, PerNode> nodes_;
  std::map<int32_t, int32_t> leader_of_epoch_;
  std::map<Offset, EntryInfo> committed_;  // by base offset
  // By base offset: the lowest epoch a node was in when it saw the batch committed, which is
  // at or above the epoch whose leader committed it (Raft's leader completeness covers only
  // leaders of later epochs).
  std::map<Offset, int32_t> commit_epoch_;
  std::map<Offset, uint64_t> applied_hash_;  // applied offset -> state hash
  std::vector<std::string> failures_;
};

}  // namespace tern::raft::test
