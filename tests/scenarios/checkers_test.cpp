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
