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
  void handle_fatal(const Error&) override {}
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

namespace tern::raft::test {
namespace {

// The leader's answers to Fetch, scripted: a lone voter elects itself in epochs 1, 2, 3
// (one restart each), appends, and is asked from positions that agree, diverge, or lie
// below its snapshot.
protocol::FetchRequest fetch(int64_t offset, int32_t last_epoch, int32_t current_epoch) {
  protocol::FetchRequest r;
  r.cluster_id = "c1";
  r.replica_id = 7;  // an observer
  r.max_wait_ms = 0;
  auto& t = r.topics.emplace_back();
  t.topic = kMetadataTopic;
  auto& p = t.partitions.emplace_back();
  p.partition = 0;
  p.current_leader_epoch = current_epoch;
  p.fetch_offset = offset;
  p.last_fetched_epoch = last_epoch;
  p.partition_max_bytes = 1 << 20;
  r.max_bytes = 1 << 20;
  return r;
}

TEST(RaftFetch, LeaderAnswersDivergenceAndSnapshots) {
  run_on_node([](Runtime& rt) {
    RaftConfig c = config();
    c.voters = {Voter{1, Address{"n1", 1}}};
    c.election_timeout = Duration::millis(100);
    DeadTransport t;
    NullListener l;
    // Epoch e: LeaderChange + 3 records; offsets 4(e-1) .. 4e-1.
    for (int epoch = 1; epoch <= 3; ++epoch) {
      RaftNode n(rt, c, t, l);
      ASSERT_TRUE(n.start().ok());
      while (n.role() != Role::leader || n.log_end_offset() == Offset(4 * (epoch - 1)))
        ASSERT_TRUE(rt.sleep_for(Duration::millis(10)).ok());
      ASSERT_EQ(n.epoch(), epoch);
      for (int i = 0; i < 3; ++i) ASSERT_TRUE(n.append({to_bytes("r")}, epoch).ok());
      while (n.high_watermark() < Offset(4 * epoch))
        ASSERT_TRUE(rt.sleep_for(Duration::millis(10)).ok());
      if (epoch < 3) {
        n.stop();
        continue;
      }
      auto part = [](const protocol::FetchResponse& r) {
        return r.responses.at(0).partitions.at(0);
      };
      // In agreement: records from the offset.
      auto ok = part(n.handle_fetch(fetch(4, 1, 3)));
      EXPECT_EQ(ok.error_code, 0);
      EXPECT_EQ(ok.diverging_epoch.end_offset, -1);
      EXPECT_TRUE(ok.records && !ok.records->empty());
      // The follower has epoch-1 entries up to 6: epoch 1 ends at 4 here.
      auto div = part(n.handle_fetch(fetch(6, 1, 3)));
      EXPECT_EQ(div.diverging_epoch.epoch, 1);
      EXPECT_EQ(div.diverging_epoch.end_offset, 4);
      // An epoch the leader never saw (2 is there; 5 is not, its largest below is 3).
      auto unknown = part(n.handle_fetch(fetch(13, 5, 3)));
      EXPECT_EQ(unknown.diverging_epoch.epoch, 3);
      EXPECT_EQ(unknown.diverging_epoch.end_offset, 12);
      // At the very end of an epoch is not a divergence.
      EXPECT_EQ(part(n.handle_fetch(fetch(8, 2, 3))).diverging_epoch.end_offset, -1);
      // A stale epoch is fenced.
      EXPECT_EQ(part(n.handle_fetch(fetch(8, 2, 2))).error_code,
                protocol::to_wire(ErrorCode::fenced_leader_epoch));
      // Below the log start: the snapshot's id.
      while (n.applied_offset() < Offset(8)) ASSERT_TRUE(rt.sleep_for(Duration::millis(10)).ok());
      ASSERT_TRUE(n.snapshot(Offset(8), to_bytes("img")).ok());
      auto snap = part(n.handle_fetch(fetch(3, 1, 3)));
      EXPECT_EQ(snap.snapshot_id.end_offset, 8);
      EXPECT_EQ(snap.snapshot_id.epoch, 2);
      // And FetchSnapshot serves it whole.
      protocol::FetchSnapshotRequest fs;
      fs.cluster_id = "c1";
      auto& ft = fs.topics.emplace_back();
      ft.name = kMetadataTopic;
      auto& fp = ft.partitions.emplace_back();
      fp.current_leader_epoch = 3;
      fp.snapshot_id.end_offset = 8;
      fp.snapshot_id.epoch = 2;
      auto fr = n.handle_fetch_snapshot(fs);
      const auto& frp = fr.topics.at(0).partitions.at(0);
      EXPECT_EQ(frp.error_code, 0);
      auto decoded = decode_snapshot_file(frp.unaligned_records);
      ASSERT_TRUE(decoded.ok());
      EXPECT_EQ(decoded->second, to_bytes("img"));
      // Wrong cluster, wrong partition.
      auto other = fetch(4, 1, 3);
      other.cluster_id = "c9";
      EXPECT_EQ(n.handle_fetch(other).error_code,
                protocol::to_wire(ErrorCode::inconsistent_cluster_id));
      auto wrong = fetch(4, 1, 3);
      wrong.topics[0].partitions[0].partition = 1;
      EXPECT_EQ(part(n.handle_fetch(wrong)).error_code,
                protocol::to_wire(ErrorCode::unknown_topic_or_partition));
      n.stop();
    }
  });
}

}  // namespace
}  // namespace tern::raft::test
