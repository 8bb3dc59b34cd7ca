// RaftNode's vote rules, driven through handle_vote on a lone node (its peers unreachable):
// one vote per epoch, persisted before the answer; only for an up-to-date candidate; pre-votes
// change nothing; requests from outside the voter set or another cluster are refused.
#include <gtest/gtest.h>

#include "broker/protocol/error_code.h"
#include "broker/raft/raft_node.h"
#include "tests/raft/sim_body.h"

namespace tern::raft::test {
namespace {

using protocol::ErrorCode;

class DeadTransport final : public RaftTransport {
 public:
  template <class R>
  static client::ClientResult<R> down() {
    return client::ClientError::runtime(Errc::refused, "test");
  }
  client::ClientResult<protocol::VoteResponse> vote(int32_t, const protocol::VoteRequest&,
                                                    Deadline) override {
    return down<protocol::VoteResponse>();
  }
  client::ClientResult<protocol::BeginQuorumEpochResponse> begin_quorum_epoch(
      int32_t, const protocol::BeginQuorumEpochRequest&, Deadline) override {
    return down<protocol::BeginQuorumEpochResponse>();
  }
  client::ClientResult<protocol::EndQuorumEpochResponse> end_quorum_epoch(
      int32_t, const protocol::EndQuorumEpochRequest&, Deadline) override {
    return down<protocol::EndQuorumEpochResponse>();
  }
  client::ClientResult<protocol::FetchResponse> fetch(int32_t, const protocol::FetchRequest&,
                                                      Deadline) override {
    return down<protocol::FetchResponse>();
  }
  client::ClientResult<protocol::FetchSnapshotResponse> fetch_snapshot(
      int32_t, const protocol::FetchSnapshotRequest&, Deadline) override {
    return down<protocol::FetchSnapshotResponse>();
  }
};

class NullListener final : public RaftListener {
 public:
  void handle_commit(const CommittedBatch&) override {}
  void handle_load_snapshot(Offset, int32_t, const Bytes&) override {}
  void handle_leader_change(const LeaderAndEpoch&) override {}
};

RaftConfig config() {
  RaftConfig c;
  c.node_id = 1;
  c.cluster_id = "c1";
  c.data_dir = "meta";
  for (int i = 1; i <= 3; ++i) c.voters.push_back(Voter{i, Address{fmt::format("n{}", i), 1}});
  c.election_timeout = Duration::seconds(600);  // no elections of its own during the test
  c.fetch_timeout = Duration::seconds(600);
  return c;
}

protocol::VoteRequest vote(int32_t cand, int32_t epoch, int32_t last_epoch, int64_t last_offset,
                           bool pre = false) {
  protocol::VoteRequest r;
  r.cluster_id = "c1";
  auto& t = r.topics.emplace_back();
  t.topic_name = kMetadataTopic;
  auto& p = t.partitions.emplace_back();
  p.partition_index = 0;
  p.replica_id = cand;
  p.replica_epoch = epoch;
  p.last_log_epoch = last_epoch;
  p.last_log_offset = last_offset;
  p.pre_vote = pre;
  return r;
}

bool granted(const protocol::VoteResponse& r) {
  return r.error_code == 0 && r.topics.size() == 1 && r.topics[0].partitions[0].vote_granted;
}

void with_node(const std::function<void(Runtime&, RaftNode&)>& body) {
  run_on_node([&](Runtime& rt) {
    DeadTransport t;
    NullListener l;
    RaftNode node(rt, config(), t, l);
    ASSERT_TRUE(node.start().ok());
    body(rt, node);
    node.stop();
  });
}

TEST(RaftVote, OneVotePerEpochAndPersistedFirst) {
  with_node([](Runtime& rt, RaftNode& n) {
    EXPECT_TRUE(granted(n.handle_vote(vote(2, 1, 0, 0))));
    EXPECT_EQ(n.epoch(), 1);
    EXPECT_EQ(n.voted_id(), 2);
    // On disk already, before anything else happens.
    QuorumStateStore store(rt.disk(), "meta/__cluster_metadata-0");
    EXPECT_EQ(store.read().value().voted_id, 2);
    EXPECT_FALSE(granted(n.handle_vote(vote(3, 1, 0, 0))));  // second candidate, same epoch
    EXPECT_TRUE(granted(n.handle_vote(vote(2, 1, 0, 0))));   // the same one again: idempotent
    EXPECT_TRUE(granted(n.handle_vote(vote(3, 2, 0, 0))));   // a new epoch, a new vote
    EXPECT_FALSE(granted(n.handle_vote(vote(2, 1, 0, 0))));  // stale epoch
  });
}

TEST(RaftVote, OnlyForAnUpToDateCandidate) {
  with_node([](Runtime&, RaftNode& n) {
    // Give the node a log: become leader-less follower data by voting... simplest: the node's
    // own log is empty, so compare against a candidate claiming less than nothing.
    EXPECT_TRUE(granted(n.handle_vote(vote(2, 1, 0, 0))));
    EXPECT_EQ(n.log_end_offset(), Offset(0));
  });
  run_on_node([](Runtime& rt) {
    // A node whose log holds epoch-2 entries refuses a candidate whose last epoch is 1.
    {
      auto log = RaftLog::open(rt, config());
      ASSERT_TRUE(log.ok());
      ASSERT_TRUE(log.value()->append_as_leader({to_bytes("x")}, 2, false).ok());
      ASSERT_TRUE(log.value()->append_as_leader({to_bytes("y")}, 2, false).ok());
      ASSERT_TRUE(log.value()->close().ok());
    }
    DeadTransport t;
    NullListener l;
    RaftNode n(rt, config(), t, l);
    ASSERT_TRUE(n.start().ok());
    EXPECT_FALSE(granted(n.handle_vote(vote(2, 3, 1, 50))));  // older last epoch
    EXPECT_FALSE(granted(n.handle_vote(vote(3, 4, 2, 1))));   // same epoch, shorter
    EXPECT_TRUE(granted(n.handle_vote(vote(3, 5, 2, 2))));    // same epoch, as long
    n.stop();
  });
}

TEST(RaftVote, PreVoteChangesNothing) {
  with_node([](Runtime&, RaftNode& n) {
    EXPECT_TRUE(granted(n.handle_vote(vote(2, 5, 0, 0, true))));
    EXPECT_EQ(n.epoch(), 0);
    EXPECT_FALSE(n.voted_id().has_value());
    EXPECT_FALSE(granted(n.handle_vote(vote(2, 0, 0, 0, true))));  // not above our epoch
  });
}

TEST(RaftVote, RefusesOutsidersAndOtherClusters) {
  with_node([](Runtime&, RaftNode& n) {
    auto r = n.handle_vote(vote(9, 1, 0, 0));
    EXPECT_EQ(r.topics[0].partitions[0].error_code,
              protocol::to_wire(ErrorCode::inconsistent_voter_set));
    auto other = vote(2, 1, 0, 0);
    other.cluster_id = "c2";
    EXPECT_EQ(n.handle_vote(other).error_code,
              protocol::to_wire(ErrorCode::inconsistent_cluster_id));
    auto wrong = vote(2, 1, 0, 0);
    wrong.topics[0].topic_name = "other";
    EXPECT_EQ(n.handle_vote(wrong).topics[0].partitions[0].error_code,
              protocol::to_wire(ErrorCode::unknown_topic_or_partition));
    EXPECT_EQ(n.epoch(), 0);
  });
}

}  // namespace
}  // namespace tern::raft::test
