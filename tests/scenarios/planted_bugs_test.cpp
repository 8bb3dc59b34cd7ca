// Goal: the suites catch real bugs. Two bugs are planted on purpose — a broker that answers
// acks=all before the data is durable, and a consumer that drops records — and the test
// shows that their scenarios fail within a handful of seeds, with the right invariant, and
// that shrinking a failing seed's fault plan yields a small plan that still fails.
#include <gtest/gtest.h>

#include "faults/shrink.h"
#include "scenarios/runner.h"

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
  // Shrink the first failing seed's plan: the bug needs just a crash (and its restart).
  auto plan = faults::FaultPlan::parse(failing->plan_text);
  ASSERT_TRUE(plan.ok());
  auto result = faults::shrink(plan.value(), [&](const faults::FaultPlan& candidate) {
    RunOptions ro;
    ro.plan = candidate;
    return !run_scenario(*sc, failing->seed, ro).passed;
  }, {.max_attempts = 150});
  EXPECT_TRUE(result.reproduced);
  EXPECT_LE(result.plan.size(), 3u) << result.plan.to_text();
  EXPECT_LT(result.plan.size(), plan.value().size());
  RunOptions replay;
  replay.plan = result.plan;
  EXPECT_FALSE(run_scenario(*sc, failing->seed, replay).passed);
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
