#pragma once
// One node of the KRaft metadata quorum (KIP-595 elections and log replication, KIP-630
// snapshots, KIP-996 pre-vote): Raft with Kafka's pull-based replication. Followers fetch
// from the leader with (fetch offset, last fetched epoch); the leader answers with records,
// a diverging epoch (truncate and refetch) or a snapshot id (copy the snapshot first).
//
// Roles: unattached (no leader known), prospective (asking for pre-votes: no epoch bump),
// candidate (epoch bumped and persisted, asking for votes), leader, follower; a node whose id
// is not a voter is an observer: it only ever follows. A leader that loses its quorum
// (check quorum) or shuts down resigns; on shutdown it sends EndQuorumEpoch so its
// successors need not wait for an election timeout.
//
// Safety rules and where they live (each is a bug Raft implementations shipped):
// - an epoch seen in any request or response above ours is persisted before anything else
//   (step_down); the epoch never decreases (asserted);
// - one vote per epoch, persisted before the answer leaves, and only for a candidate whose
//   log is at least as up to date as ours (handle_vote);
// - pre-votes change nothing on the receiver and are refused by a follower that heard from
//   its leader within fetch_timeout;
// - the high watermark is the largest offset a majority of voters hold durably (the leader
//   counts its fsynced offset), advances only once an entry of the leader's own epoch is
//   covered (Raft's figure 8) and never decreases;
// - a follower never truncates below its high watermark (asserted).
//
// Tasks: start() spawns the node's tasks (election timer, fetcher, leader duties, flusher,
// applier); inbound handle_* run in the caller's task and may suspend.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"
#include "broker/protocol/messages.h"
#include "broker/raft/quorum_state.h"
#include "broker/raft/raft_config.h"
#include "broker/raft/raft_log.h"
#include "broker/raft/raft_transport.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/event.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::raft {

enum class Role : uint8_t { unattached, prospective, candidate, leader, follower, resigned };
std::string_view role_name(Role role);

struct LeaderAndEpoch {
  std::optional<int32_t> leader;
  int32_t epoch = 0;
  bool operator==(const LeaderAndEpoch&) const = default;
};

struct CommittedBatch {
  Offset base;
  Offset last;
  int32_t epoch = 0;
  bool control = false;
  std::vector<Bytes> records;  // record values (control batches: the control values)
};

// The state machine above the log (the controller's metadata image).
class RaftListener {
 public:
  virtual ~RaftListener() = default;
  // In log order, each batch once per process lifetime, only below the high watermark.
  virtual void handle_commit(const CommittedBatch& batch) = 0;
  // Replaces the state with a snapshot of everything below end_offset; comes before any later
  // commit.
  virtual void handle_load_snapshot(Offset end_offset, int32_t epoch, const Bytes& data) = 0;
  virtual void handle_leader_change(const LeaderAndEpoch& leader) = 0;
  // The node cannot go on, and has stopped taking part (no fetches, votes or leading): its
  // log directory failed (an fsync or write error; Kafka shuts down on a metadata log dir
  // failure), or its controller.quorum.voters differs from the quorum's (a LeaderChange
  // record names other voters). The owner must shut the process down. Called once.
  virtual void handle_fatal(const Error& error) = 0;
};

// What the leader knows of one replica (DescribeQuorum's ReplicaState).
struct ReplicaProgress {
  Offset end_offset{-1};  // the replica's fetch offset: it holds everything below, durably
  Instant last_fetch = Instant::never();
  int64_t last_fetch_wall_ms = -1;
  int64_t last_caught_up_wall_ms = -1;
  // The high watermark our last fetch answer to it carried: while it knows less than ours,
  // its fetch is answered at once instead of long-polling (else it applies a commit only when
  // its poll times out: 500 ms late, the delay Kafka's KIP-1166 removes).
  Offset hw_sent{-1};
};

class RaftNode {
 public:
  RaftNode(Runtime& rt, RaftConfig config, RaftTransport& transport, RaftListener& listener);
  ~RaftNode();
  RaftNode(const RaftNode&) = delete;
  RaftNode& operator=(const RaftNode&) = delete;

  // Opens the log and the quorum state and starts the tasks. The listener then hears the
  // snapshot and the commits as the high watermark becomes known.
  Status start();
  // Graceful: a leader sends EndQuorumEpoch to the other voters; then the tasks stop and the
  // log closes.
  void stop();

  // Leader only: appends `records` as one batch in `epoch`, which must be the current epoch
  // (else not_leader: Errc::invalid_argument with context "not leader"). Returns its last
  // offset.
  Result<Offset> append(const std::vector<Bytes>& records, int32_t epoch);
  // Waits until the high watermark passes `offset`. Errors: timed_out; invalid_argument when
  // the entry was truncated (leadership lost before it committed).
  Status wait_committed(Offset offset, int32_t epoch, Deadline deadline);
  // The state machine's image of everything below end_offset (<= high watermark, and the
  // listener has applied it). Lets the log prefix below it go.
  Status snapshot(Offset end_offset, Bytes data);

  // --- inbound RPCs (the CONTROLLER listener's dispatch; handle_fetch may wait max_wait) ---
  protocol::VoteResponse handle_vote(const protocol::VoteRequest& req);
  protocol::BeginQuorumEpochResponse handle_begin_quorum_epoch(
      const protocol::BeginQuorumEpochRequest& req);
  protocol::EndQuorumEpochResponse handle_end_quorum_epoch(
      const protocol::EndQuorumEpochRequest& req);
  protocol::FetchResponse handle_fetch(const protocol::FetchRequest& req);
  protocol::FetchSnapshotResponse handle_fetch_snapshot(const protocol::FetchSnapshotRequest& req);
  protocol::DescribeQuorumResponse handle_describe_quorum(
      const protocol::DescribeQuorumRequest& req);

  // --- inspection (cheap, for checkers and tools) ---
  int32_t node_id() const { return config_.node_id; }
  bool is_voter() const { return voter_; }
  Role role() const { return role_; }
  int32_t epoch() const { return state_.epoch; }
  std::optional<int32_t> leader() const { return leader_; }
  std::optional<int32_t> voted_id() const { return state_.voted_id; }
  LeaderAndEpoch leader_and_epoch() const { return {leader_, state_.epoch}; }
  Offset high_watermark() const { return hw_; }
  Offset log_end_offset() const;
  Offset durable_offset() const;
  Offset log_start_offset() const;
  std::optional<SnapshotId> latest_snapshot() const;
  // The log's batches (offsets, epoch, hash of the bytes); empty before start().
  const std::deque<EntryInfo>& entries() const;
  // The next offset the listener will be given (everything below was applied).
  Offset applied_offset() const { return applied_; }
  const std::map<int32_t, ReplicaProgress>& progress() const { return progress_; }
  bool running() const { return running_; }
  const RaftConfig& config() const { return config_; }
  // Leader: when this node became leader.
  Instant leader_since() const { return leader_since_; }

 private:
  // --- state transitions (each persists before it takes effect) ---
  Status transition(Role role, ElectionState next, std::optional<int32_t> leader);
  // A higher epoch was seen: persist it, become follower (leader known) or unattached.
  void step_down(int32_t epoch, std::optional<int32_t> leader);
  void become_prospective();
  void become_candidate();
  void become_leader();
  // The new epoch's first entry (a LeaderChange control batch), unless the log has it.
  void append_leader_change();
  void resign(const char* why);
  void set_role(Role role, std::optional<int32_t> leader);

  // --- tasks ---
  void election_loop();
  void fetch_loop();
  void leader_loop();
  void flush_loop();
  void apply_loop();
  void run_election(bool pre_vote, int32_t epoch);
  void send_begin_quorum_epoch(int32_t to, int32_t epoch);

  // Follower side of a fetch.
  void fetch_once(int32_t from);
  Status fetch_snapshot_from(int32_t from, SnapshotId id, int32_t epoch);
  void set_follower_hw(Offset leader_hw);
  // After a log operation failed: if the log itself is failed, stop and tell the listener
  // (once). Returns whether it was.
  bool log_failed();
  // Stops the node for good and tells the listener (once).
  void fail(const Error& e);
  // A committed LeaderChange control record: its voters must be ours.
  void check_leader_change(const Bytes& value);
  // Leader side.
  void update_progress(int32_t replica, Offset end_offset);
  void maybe_advance_hw();
  bool check_quorum() const;
  protocol::FetchResponse fetch_answer(const protocol::FetchRequest& req, int32_t replica,
                                       int64_t fetch_offset, int32_t last_fetched_epoch,
                                       uint64_t max_bytes);

  Duration random_election_timeout();
  Duration backoff();
  void reset_election_timer(Duration d);
  bool log_up_to_date(int32_t last_epoch, int64_t end_offset) const;
  bool cluster_ok(const std::optional<std::string>& id) const;
  void trace_role(const char* why);

  Runtime& rt_;
  RaftConfig config_;
  RaftTransport& transport_;
  RaftListener& listener_;
  const bool voter_;
  QuorumStateStore store_;
  std::unique_ptr<RaftLog> log_;

  Role role_ = Role::unattached;
  ElectionState state_;  // what is on disk
  std::optional<int32_t> leader_;
  Offset hw_{0};
  Offset applied_{0};
  // Bumped on every role or epoch change: a task that suspended compares it afterwards.
  uint64_t generation_ = 0;

  Instant election_deadline_ = Instant::never();
  // Follower: the election timer runs from here (set on becoming a follower, so a leader
  // heard of second-hand gets fetch_timeout to show itself).
  Instant last_leader_contact_ = Instant::never();
  // Follower: when the leader itself last answered us (a fetch, BeginQuorumEpoch). Only this
  // refuses pre-votes: hearsay of a leader must not, or two nodes that each heard of a dead
  // leader refuse each other forever.
  Instant leader_heard_ = Instant::never();
  int32_t lost_elections_ = 0;
  // The (epoch, leader) a follower gave up on when it became prospective: answers naming it
  // again are hearsay from nodes that have not noticed it is gone either, and following it
  // again would loop (fetch timeout, pre-vote, "the leader is L", follow L, ...).
  std::optional<std::pair<int32_t, int32_t>> abandoned_leader_;
  // Candidate / prospective tallies.
  std::set<int32_t> granted_;
  std::set<int32_t> rejected_;
  // Leader.
  Offset epoch_start_offset_{0};
  Instant leader_since_;
  std::map<int32_t, ReplicaProgress> progress_;
  std::set<int32_t> begin_acked_;

  Mutex state_mutex_;  // transitions (persist + apply)
  Mutex write_mutex_;  // log appends, truncations, snapshots
  Condition changed_;  // role/epoch, appends, HW, durable offset
  bool running_ = false;
  bool stopping_ = false;
  bool log_failure_reported_ = false;  // the log failed: answer nothing, do nothing
  Duration fetch_jitter_;  // follower: added to fetch_timeout, drawn per leader
  std::vector<TaskHandle> tasks_;
};

}  // namespace tern::raft
