// Goal: each invariant checker fails on a hand-made history that breaks its invariant and
// passes on a good one. A checker that cannot fail would let every bug through.
#include <gtest/gtest.h>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {
namespace {

constexpr int64_t kSec = 1000'000'000;

// A good run: p1 writes v1..v3 to t-0 at offsets 0..2, c1 reads them all.
struct Fixture {
  History h;
  FinalState final_state;
  Fixture() {
    for (int i = 0; i < 3; ++i) {
      const std::string v = "v" + std::to_string(i + 1);
      uint64_t id = h.send(i * kSec, "p1", "t", "k", v, -1);
      h.ack(i * kSec + 1, "p1", id, 0, i);
      final_state[{"t", 0}].push_back({i, "k", v});
    }
    for (int i = 0; i < 3; ++i) h.poll(5 * kSec + i, "c1", "t", 0, i, "k", "v" + std::to_string(i + 1));
  }
  CheckContext ctx(bool idempotent = false) {
    return {h, final_state, 4 * kSec, 20 * kSec, 10 * kSec, idempotent};
  }
};

TEST(Checkers, AGoodHistoryPassesEveryChecker) {
  Fixture f;
  for (const auto& c : all_checkers()) EXPECT_TRUE(c.check(f.ctx(true)).empty()) << c.name;
}

TEST(Checkers, LostWriteIsCaught) {
  Fixture f;
  f.final_state[{"t", 0}].pop_back();  // the broker lost offset 2
  auto v = check_lost_writes(f.ctx());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("v3"), std::string::npos);
  Fixture g;
  g.final_state[{"t", 0}][1].value = "other";  // offset 1 was overwritten
  EXPECT_EQ(check_lost_writes(g.ctx()).size(), 1u);
}

TEST(Checkers, InconsistentOffsetIsCaught) {
  Fixture f;
  f.h.poll(6 * kSec, "c2", "t", 0, 1, "k", "not-v2");
  EXPECT_EQ(check_offset_consistency(f.ctx()).size(), 1u);
  Fixture g;
  g.final_state[{"t", 0}][2].offset = 5;  // a hole in the final log
  EXPECT_EQ(check_offset_consistency(g.ctx()).size(), 1u);
}

TEST(Checkers, ReorderedProducerIsCaught) {
  History h;
  FinalState fs;
  uint64_t a = h.send(0, "p1", "t", "k", "a", -1);
  uint64_t b = h.send(1, "p1", "t", "k", "b", -1);
  h.ack(2, "p1", b, 0, 0);
  h.ack(3, "p1", a, 0, 1);
  CheckContext ctx{h, fs, 0, 10, 1, false};
  EXPECT_EQ(check_partition_order(ctx).size(), 1u);
}

TEST(Checkers, DuplicateIsCaughtOnlyForIdempotentProducers) {
  Fixture f;
  f.final_state[{"t", 0}].push_back({3, "k", "v1"});
  EXPECT_TRUE(check_no_duplicates(f.ctx(false)).empty());
  EXPECT_EQ(check_no_duplicates(f.ctx(true)).size(), 1u);
}

TEST(Checkers, PollSkipAndBackwardsAreCaughtButSeeksAreLegal) {
  Fixture skip;
  skip.h.poll(6 * kSec, "c2", "t", 0, 0, "k", "v1");
  skip.h.poll(6 * kSec + 1, "c2", "t", 0, 2, "k", "v3");  // skipped offset 1
  EXPECT_EQ(check_consumer_monotonic(skip.ctx()).size(), 1u);

  Fixture back;
  back.h.poll(6 * kSec, "c1", "t", 0, 1, "k", "v2");  // c1 already read 0..2
  EXPECT_EQ(check_consumer_monotonic(back.ctx()).size(), 1u);

  Fixture seek;
  seek.h.seek(6 * kSec, "c1", "t", 0, 1);
  seek.h.poll(6 * kSec + 1, "c1", "t", 0, 1, "k", "v2");
  EXPECT_TRUE(check_consumer_monotonic(seek.ctx()).empty());
}

TEST(Checkers, LivenessNeedsProgressAfterTheHeal) {
  Fixture stuck;
  stuck.h.send(6 * kSec, "p1", "t", "k", "late", -1);  // sent after the heal, never acked
  EXPECT_EQ(check_liveness(stuck.ctx()).size(), 1u);

  Fixture lagging;
  uint64_t id = lagging.h.send(6 * kSec, "p1", "t", "k", "v4", -1);
  lagging.h.ack(6 * kSec + 1, "p1", id, 0, 3);
  lagging.final_state[{"t", 0}].push_back({3, "k", "v4"});
  // c1 never read offset 3, acknowledged long before the end.
  auto v = check_liveness(lagging.ctx());
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("c1"), std::string::npos);
}

}  // namespace
}  // namespace tern::scenarios

namespace tern::scenarios {
namespace {

constexpr int64_t kS = 1000'000'000;

// Goal: the allowances are exactly Kafka's, no wider. An acks=1 write lost to a crash and its
// offset reused is legal; the same with acks=all is a lost write and an inconsistent offset.
TEST(CheckerAllowances, AcksOneMayBeLostAcksAllMayNot) {
  for (int8_t acks : {int8_t{1}, int8_t{-1}}) {
    History h;
    FinalState fs;
    const uint64_t a = h.send(0, "p1", "t", "k", "lost", acks);
    h.ack(1, "p1", a, 0, 0);
    const uint64_t b = h.send(2 * kS, "p1", "t", "k", "kept", acks);
    h.ack(3 * kS, "p1", b, 0, 0);  // the crash took offset 0; the next write got it again
    fs[{"t", 0}].push_back({0, "k", "kept"});
    CheckContext ctx{h, fs, 0, 10 * kS, kS, false};
    const bool legal = acks == 1;
    EXPECT_EQ(check_lost_writes(ctx).empty(), legal) << int(acks);
    EXPECT_EQ(check_offset_consistency(ctx).empty(), legal) << int(acks);
    // Order: the second send landed at the same offset as the first; only a lost acks=1
    // write excuses it.
    EXPECT_EQ(check_partition_order(ctx).empty(), legal) << int(acks);
  }
}

// A producer that did not promise order (max.in.flight > 1, no idempotence) may reorder.
TEST(CheckerAllowances, UnorderedProducerMayReorder) {
  History h;
  FinalState fs;
  const uint64_t a = h.send(0, "p1", "t", "k", "a", -1, /*ordered=*/false);
  const uint64_t b = h.send(1, "p1", "t", "k", "b", -1, /*ordered=*/false);
  h.ack(2, "p1", b, 0, 0);
  h.ack(3, "p1", a, 0, 1);
  fs[{"t", 0}] = {{0, "k", "b"}, {1, "k", "a"}};
  CheckContext ctx{h, fs, 0, 10, 1, false};
  EXPECT_TRUE(check_partition_order(ctx).empty());
}

// Records below the final log start may be gone only where retention may delete them; a
// consumer may skip them; a gap in the final read is legal only below the log start.
TEST(CheckerAllowances, RetentionExcusesOnlyRecordsBelowTheLogStart) {
  History h;
  FinalState fs;
  for (int i = 0; i < 4; ++i) {
    const uint64_t id = h.send(i, "p1", "t", "k", "v" + std::to_string(i), -1);
    h.ack(i + 1, "p1", id, 0, i);
  }
  fs[{"t", 0}] = {{2, "k", "v2"}, {3, "k", "v3"}};  // 0 and 1 deleted by retention
  h.poll(5, "c1", "t", 0, 0, "k", "v0");
  h.poll(6, "c1", "t", 0, 2, "k", "v2");  // offset 1 was deleted before c1 got to it
  std::map<TopicPartition, int64_t> start{{{"t", 0}, 2}};
  CheckContext ctx{h, fs, 0, 10 * kS, kS, false};
  ctx.log_start = &start;
  // Without retention on the topic, a log start of 2 is two lost writes plus a moved start.
  EXPECT_EQ(check_lost_writes(ctx).size(), 3u);
  EXPECT_EQ(check_consumer_monotonic(ctx).size(), 1u);
  ctx.retention_topics = {"t"};
  EXPECT_TRUE(check_lost_writes(ctx).empty());
  EXPECT_TRUE(check_consumer_monotonic(ctx).empty());
  EXPECT_TRUE(check_offset_consistency(ctx).empty());
  // Above the log start nothing is excused: losing offset 3 is a lost write.
  fs[{"t", 0}].pop_back();
  EXPECT_EQ(check_lost_writes(ctx).size(), 1u);
}

// Liveness: every declared consumer on every partition of its topic, and a send that fails
// after the heal (plus grace) is a violation; one that fails during the faults is not.
TEST(CheckerAllowances, LivenessCountsDeclaredConsumersAndLateFailures) {
  History h;
  FinalState fs;
  const uint64_t a = h.send(1 * kS, "p1", "t", "k", "a", -1);
  h.ack(1 * kS + 1, "p1", a, 1, 0);
  fs[{"t", 1}] = {{0, "k", "a"}};
  const uint64_t early = h.send(2 * kS, "p1", "t", "k", "early", -1);
  h.fail(3 * kS, "p1", early, "timed out");
  CheckContext ctx{h, fs, 4 * kS, 30 * kS, 20 * kS, false};
  ctx.liveness_grace_ns = 5 * kS;
  ctx.consumers = {{"c1", "t"}};  // declared, never polled: it did not catch up
  auto v = check_liveness(ctx);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("c1 read t-1 only up to offset -1"), std::string::npos);
  h.poll(20 * kS, "c1", "t", 1, 0, "k", "a");
  const uint64_t late = h.send(12 * kS, "p1", "t", "k", "late", -1);
  h.fail(13 * kS, "p1", late, "connection reset");
  v = check_liveness(ctx);
  // The late failure, and (since nothing was acknowledged after the heal) the stall.
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NE(v[0].message.find("after the heal, failed"), std::string::npos);
  EXPECT_NE(v[1].message.find("no write was acknowledged after"), std::string::npos);
}

}  // namespace
}  // namespace tern::scenarios
