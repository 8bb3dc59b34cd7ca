// raft_log: the epoch cache (rebuilt on open), end_offset_for_epoch, truncation, snapshots
// (write, read back, corruption, log restart after an install).
#include <gtest/gtest.h>

#include "broker/raft/raft_log.h"
#include "tests/raft/sim_body.h"

namespace tern::raft::test {
namespace {

RaftConfig config() {
  RaftConfig c;
  c.node_id = 1;
  c.voters = {Voter{1, Address{"n1", 9093}}};
  c.data_dir = "meta";
  c.segment_bytes = 1024;
  return c;
}

Bytes val(int i) { return to_bytes(fmt::format("value-{}", i)); }

// Epochs 1 (offsets 0-2), 3 (3-5), 4 (6-7): one record per batch.
void fill(RaftLog& log) {
  int i = 0;
  for (int e : {1, 1, 1, 3, 3, 3, 4, 4})
    ASSERT_TRUE(log.append_as_leader({val(i++)}, e, false).ok());
}

TEST(RaftLog, EpochCacheAndEndOffsetForEpoch) {
  run_on_node([](Runtime& rt) {
    auto log = RaftLog::open(rt, config());
    ASSERT_TRUE(log.ok());
    fill(*log.value());
    RaftLog& l = *log.value();
    EXPECT_EQ(l.end_offset(), Offset(8));
    EXPECT_EQ(l.last_epoch(), 4);
    auto check = [&](int32_t asked, int32_t epoch, int64_t end) {
      EpochEnd e = l.end_offset_for_epoch(asked);
      EXPECT_EQ(e.epoch, epoch) << "asked " << asked;
      EXPECT_EQ(e.end_offset, Offset(end)) << "asked " << asked;
    };
    check(1, 1, 3);
    check(2, 1, 3);  // unknown epoch: the largest below it, ending where epoch 3 starts
    check(3, 3, 6);
    check(4, 4, 8);
    check(9, 4, 8);
    check(0, -1, -1);
    EXPECT_EQ(l.epoch_of(Offset(4)), 3);
    ASSERT_TRUE(l.close().ok());
    // Reopen: the cache comes back from the log.
    auto again = RaftLog::open(rt, config());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value()->end_offset_for_epoch(2).end_offset, Offset(3));
    EXPECT_EQ(again.value()->entries().size(), 8u);
    ASSERT_TRUE(again.value()->close().ok());
  });
}

TEST(RaftLog, TruncationDropsEpochs) {
  run_on_node([](Runtime& rt) {
    auto log = RaftLog::open(rt, config());
    ASSERT_TRUE(log.ok());
    RaftLog& l = *log.value();
    fill(l);
    ASSERT_TRUE(l.truncate_to(Offset(5)).ok());
    EXPECT_EQ(l.end_offset(), Offset(5));
    EXPECT_EQ(l.last_epoch(), 3);
    EXPECT_EQ(l.end_offset_for_epoch(4).epoch, 3);
    EXPECT_EQ(l.end_offset_for_epoch(4).end_offset, Offset(5));
    ASSERT_TRUE(l.truncate_to(Offset(3)).ok());
    EXPECT_EQ(l.last_epoch(), 1);
    // A follower append continues the log.
    ASSERT_TRUE(l.append_as_leader({val(9)}, 5, false).ok());
    EXPECT_EQ(l.end_offset_for_epoch(3).epoch, 1);
    EXPECT_EQ(l.end_offset_for_epoch(3).end_offset, Offset(3));
    ASSERT_TRUE(l.close().ok());
  });
}

TEST(RaftLog, SnapshotWriteReopenAndPrefixDelete) {
  run_on_node([](Runtime& rt) {
    auto log = RaftLog::open(rt, config());
    ASSERT_TRUE(log.ok());
    RaftLog& l = *log.value();
    for (int i = 0; i < 200; ++i) ASSERT_TRUE(l.append_as_leader({val(i)}, 1 + i / 50, false).ok());
    ASSERT_TRUE(l.write_snapshot(SnapshotId{Offset(120), 3}, to_bytes("image")).ok());
    EXPECT_EQ(l.log_start(), Offset(120));
    EXPECT_EQ(l.entries().front().base, Offset(120));
    EXPECT_EQ(l.snapshot_data().value(), to_bytes("image"));
    // Below the log start the snapshot id answers for its epoch.
    EXPECT_EQ(l.epoch_of(Offset(119)), 3);
    EXPECT_EQ(l.end_offset_for_epoch(3).end_offset, Offset(150));
    ASSERT_TRUE(l.close().ok());
    auto again = RaftLog::open(rt, config());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value()->log_start(), Offset(120));
    EXPECT_EQ(again.value()->end_offset(), Offset(200));
    EXPECT_EQ(again.value()->latest_snapshot(), (SnapshotId{Offset(120), 3}));
    ASSERT_TRUE(again.value()->close().ok());
  });
}

TEST(RaftLog, SnapshotFileCorruptionIsDetected) {
  Bytes f = encode_snapshot_file(SnapshotId{Offset(10), 2}, to_bytes("abc"));
  ASSERT_TRUE(decode_snapshot_file(f).ok());
  for (size_t i = 0; i < f.size(); ++i) {
    Bytes g = f;
    g[i] ^= 0x10;
    EXPECT_FALSE(decode_snapshot_file(g).ok()) << "flip at " << i;
  }
  EXPECT_FALSE(decode_snapshot_file(ByteView(f).first(f.size() - 1)).ok());
  EXPECT_EQ(snapshot_file_name(SnapshotId{Offset(10), 2}),
            "00000000000000000010-0000000002.checkpoint");
  EXPECT_EQ(parse_snapshot_file_name("00000000000000000010-0000000002.checkpoint"),
            (SnapshotId{Offset(10), 2}));
  EXPECT_FALSE(parse_snapshot_file_name("00000000000000000010.log").has_value());
}

TEST(RaftLog, InstallSnapshotRestartsADisagreeingLog) {
  run_on_node([](Runtime& rt) {
    auto log = RaftLog::open(rt, config());
    ASSERT_TRUE(log.ok());
    RaftLog& l = *log.value();
    fill(l);  // ends at 8, epoch 4
    ASSERT_TRUE(
        l.install_snapshot(encode_snapshot_file(SnapshotId{Offset(30), 6}, to_bytes("s"))).ok());
    EXPECT_EQ(l.log_start(), Offset(30));
    EXPECT_EQ(l.end_offset(), Offset(30));
    EXPECT_TRUE(l.entries().empty());
    EXPECT_EQ(l.last_epoch(), 6);
    ASSERT_TRUE(l.append_as_leader({val(1)}, 7, false).ok());
    ASSERT_TRUE(l.close().ok());
    auto again = RaftLog::open(rt, config());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again.value()->log_start(), Offset(30));
    EXPECT_EQ(again.value()->end_offset(), Offset(31));
    ASSERT_TRUE(again.value()->close().ok());
  });
}

}  // namespace
}  // namespace tern::raft::test
