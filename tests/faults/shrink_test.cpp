// Goal: ddmin finds the minimal failing subset (fails iff the plan holds faults X and Y ->
// exactly {X, Y}), simplifies parameters that do not matter, keeps heal_all, and stays
// within its attempt budget. Method: synthetic predicates over random plans.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>

#include "faults/shrink.h"
#include "tests/faults/fault_gen.h"

namespace tern::faults {
namespace {

bool contains(const FaultPlan& p, const Fault& f) {
  return std::find(p.faults().begin(), p.faults().end(), f) != p.faults().end();
}

RC_GTEST_PROP(Shrink, FindsExactlyTheTwoFaultsThatMatter, ()) {
  auto faults = *rc::gen::suchThat(rc::gen::container<std::vector<Fault>>(test::gen_fault()),
                                   [](const std::vector<Fault>& v) { return v.size() >= 2; });
  // Distinct faults, so "X and Y" names two specific entries.
  std::vector<Fault> unique;
  for (auto& f : faults)
    if (std::find(unique.begin(), unique.end(), f) == unique.end()) unique.push_back(f);
  RC_PRE(unique.size() >= 2);
  const FaultPlan plan(unique);
  const size_t i = *rc::gen::inRange<size_t>(0, plan.size());
  const size_t j = *rc::gen::suchThat(rc::gen::inRange<size_t>(0, plan.size()),
                                      [&](size_t x) { return x != i; });
  const Fault x = plan[i], y = plan[j];
  auto fails = [&](const FaultPlan& p) { return contains(p, x) && contains(p, y); };
  ShrinkOptions o;
  o.keep_heal_all = false;
  o.simplify_parameters = false;
  o.max_attempts = 10'000;
  const ShrinkResult r = shrink(plan, fails, o);
  RC_ASSERT(r.reproduced);
  RC_ASSERT(!r.exhausted);
  RC_ASSERT(r.plan.size() == 2u);
  RC_ASSERT(contains(r.plan, x));
  RC_ASSERT(contains(r.plan, y));
  // ddmin's bound for two relevant items: O(log n) rounds, far below 2^n.
  RC_ASSERT(r.attempts <= 4 * plan.size() * 2 + 10);
}

FaultPlan example_plan() {
  std::vector<Fault> v;
  for (int i = 0; i < 30; ++i) {
    const Instant at{int64_t{i} * 100'000'000};
    v.push_back(i % 3 == 0   ? make_pause(at, "b2", Duration::millis(300))
                : i % 3 == 1 ? make_clog(at, "b1", "c1", Duration::millis(200))
                             : make_jump(at, "b3", Duration::millis(i)));
  }
  v.push_back(make_crash(Instant{1'550'000'000}, "b1", true, true));
  v.push_back(make_partition(Instant{1'650'000'000}, {"b1", "b2"}, {"b3", "c1"}, false,
                             Duration::seconds(2)));
  v.push_back(make_heal_all(Instant{8'000'000'000}));
  return FaultPlan(v);
}

TEST(Shrink, SimplifiesParametersThatDoNotMatter) {
  // Fails iff b1 crashes (any way) and a partition separating b1 from b3 lasts >= 0.1 s.
  auto fails = [](const FaultPlan& p) {
    bool crash = false, part = false;
    for (const auto& f : p.faults()) {
      crash |= f.kind == FaultKind::crash && f.node == "b1";
      if (f.kind == FaultKind::partition && f.duration >= Duration::millis(100)) {
        const bool b1 = std::count(f.a.begin(), f.a.end(), "b1") > 0;
        const bool b3 = std::count(f.b.begin(), f.b.end(), "b3") > 0;
        part |= b1 && b3;
      }
    }
    return crash && part;
  };
  const ShrinkResult r = shrink(example_plan(), fails);
  ASSERT_TRUE(r.reproduced);
  EXPECT_FALSE(r.exhausted);
  EXPECT_EQ(r.plan.to_text(),
            "1.550000000 crash node=b1 keep_unsynced=0 tear=0 half_open=0\n"
            "1.650000000 partition a=b1 b=b3 one_way=0 duration=0.125000000\n"
            "8.000000000 heal_all\n");
  EXPECT_TRUE(fails(r.plan));
}

TEST(Shrink, ANonFailingPlanIsReturnedUnchanged) {
  const FaultPlan plan = example_plan();
  const ShrinkResult r = shrink(plan, [](const FaultPlan&) { return false; });
  EXPECT_FALSE(r.reproduced);
  EXPECT_EQ(r.attempts, 1u);
  EXPECT_EQ(r.plan, plan);
}

TEST(Shrink, AFailureThatNeedsNoFaultShrinksToHealAllOnly) {
  const ShrinkResult r = shrink(example_plan(), [](const FaultPlan&) { return true; });
  EXPECT_EQ(r.plan.to_text(), "8.000000000 heal_all\n");
  EXPECT_EQ(r.attempts, 2u);
}

TEST(Shrink, StopsAtMaxAttempts) {
  int calls = 0;
  ShrinkOptions o;
  o.max_attempts = 7;
  const Fault x = example_plan()[4], y = example_plan()[20];
  const ShrinkResult r = shrink(example_plan(), [&](const FaultPlan& p) {
    ++calls;
    return contains(p, x) && contains(p, y);
  }, o);
  EXPECT_EQ(calls, 7);
  EXPECT_EQ(r.attempts, 7u);
  EXPECT_TRUE(r.exhausted);
  EXPECT_TRUE(contains(r.plan, x) && contains(r.plan, y));  // whatever it returns still fails
}

}  // namespace
}  // namespace tern::faults
