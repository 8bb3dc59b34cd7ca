// Goal: the suites catch real bugs. Two bugs are planted on purpose — a broker that answers
// acks=all before the data is durable, and a consumer that drops records — and the test
// shows that their scenarios fail within a handful of seeds, with the right invariant, and
// that shrinking a failing seed's fault plan yields a small plan that still fails.
#include <gtest/gtest.h>

#include "scenarios/runner.h"
#include "scenarios/shrink_run.h"

namespace tern::scenarios {
namespace {

TEST(PlantedBugs, AckBeforeDurableLosesAcknowledgedWritesAndShrinks) {
  const Scenario* sc = find_scenario("planted-ack-before-durable");
  ASSERT_NE(sc, nullptr);
  std::optional<Outcome> failing;
  int failures = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    Outcome o = run_scenario(*sc, seed);
    if (!o.passed) {
      ++failures;
      bool lost = false;
      for (const auto& v : o.violations) lost |= v.invariant == "lost_writes";
      EXPECT_TRUE(lost) << "seed " << seed << " failed, but not with lost_writes";
      if (!failing) failing = o;
    }
  }
  ASSERT_TRUE(failing.has_value()) << "the planted bug went unnoticed in 10 seeds";
  EXPECT_GE(failures, 5);
  // Shrink the first failing seed: the small plan must fail the SAME way (lost_writes), be
  // small (a crash and little else), and may have shortened the run.
  const ShrinkReport r = shrink_failure(*sc, failing->seed, *failing, {}, 200);
  EXPECT_TRUE(r.reproduced);
  EXPECT_EQ(r.invariant, "lost_writes");
  EXPECT_LE(r.plan.size(), 4u) << r.plan.to_text();
  auto before = faults::FaultPlan::parse(failing->plan_text);
  ASSERT_TRUE(before.ok());
  EXPECT_LT(r.plan.size(), before.value().size());
  RunOptions replay;
  replay.plan = r.plan;
  const Outcome o = run_scenario(*sc, failing->seed, replay);
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.failure_kind(), "lost_writes") << r.plan.to_text();
}

TEST(PlantedBugs, SkippingConsumerIsCaught) {
  const Scenario* sc = find_scenario("planted-consumer-skip");
  ASSERT_NE(sc, nullptr);
  Outcome o = run_scenario(*sc, 1);
  EXPECT_FALSE(o.passed);
  bool skip = false;
  for (const auto& v : o.violations) skip |= v.invariant == "consumer_monotonic";
  EXPECT_TRUE(skip);
}

TEST(PlantedBugs, HealthyScenarioPasses) {
  // The control: the same workload without the planted bugs passes.
  const Scenario* sc = find_scenario("produce-consume-nofault");
  ASSERT_NE(sc, nullptr);
  Outcome o = run_scenario(*sc, 1);
  EXPECT_TRUE(o.passed) << (o.violations.empty() ? o.first_error : o.violations[0].message);
  EXPECT_GT(o.acks, 100u);
  EXPECT_GT(o.polls, 100u);
}

}  // namespace
}  // namespace tern::scenarios
