// Goal: ddmin finds the minimal failing subset (fails iff the plan holds faults X and Y ->
// exactly {X, Y}), simplifies parameters that do not matter, keeps heal_all, and stays
// within its attempt budget. Method: synthetic predicates over random plans.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <optional>
#include <set>
#include <string>

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
  // Restarts left out: one without its crash is dropped as noise (tested below).
  std::vector<Fault> unique;
  for (auto& f : faults)
    if (f.kind != FaultKind::restart &&
        std::find(unique.begin(), unique.end(), f) == unique.end())
      unique.push_back(f);
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
  o.move_earlier = false;
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
  ShrinkOptions o;
  o.move_earlier = false;
  const ShrinkResult r = shrink(example_plan(), fails, o);
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

TEST(Shrink, MovesFaultsEarlierKeepingTheirOrder) {
  // Fails iff b1 crashes before a partition that starts at 0.5 s or later.
  auto fails = [](const FaultPlan& p) {
    std::optional<Instant> crash;
    for (const auto& f : p.faults()) {
      if (f.kind == FaultKind::crash && f.node == "b1" && !crash) crash = f.at;
      if (f.kind == FaultKind::partition && crash && f.at >= Instant{500'000'000}) return true;
    }
    return false;
  };
  const ShrinkResult r = shrink(example_plan(), fails);
  ASSERT_TRUE(r.reproduced);
  ASSERT_TRUE(fails(r.plan));
  ASSERT_EQ(r.plan.size(), 3u) << r.plan.to_text();
  EXPECT_EQ(r.plan[0].kind, FaultKind::crash);
  EXPECT_LT(r.plan[0].at, Instant{2'000'000}) << r.plan.to_text();  // from 1.55 s to ~0
  EXPECT_EQ(r.plan[1].kind, FaultKind::partition);
  EXPECT_LT(r.plan[1].at, Instant{1'000'000'000}) << r.plan.to_text();  // from 1.65 s
  EXPECT_GE(r.plan[1].at, Instant{500'000'000});
  EXPECT_EQ(r.plan[2], make_heal_all(Instant{8'000'000'000}));  // pinned: never moved
}

// Property: whatever the plan and whichever fault matters (as long as it starts late enough),
// the shrunk plan still fails, is in time order, and no fault is later than in the input.
RC_GTEST_PROP(Shrink, KeepsAFailingPlanFailingAndOnlyMovesTimesEarlier, ()) {
  auto faults = *rc::gen::suchThat(rc::gen::container<std::vector<Fault>>(test::gen_fault()),
                                   [](const std::vector<Fault>& v) { return !v.empty(); });
  const FaultPlan plan(faults);
  const size_t i = *rc::gen::inRange<size_t>(0, plan.size());
  const FaultKind kind = plan[i].kind;
  const Instant threshold{plan[i].at.ns / 3};
  auto fails = [&](const FaultPlan& p) {
    for (const auto& f : p.faults())
      if (f.kind == kind && f.at >= threshold) return true;
    return false;
  };
  const ShrinkResult r = shrink(plan, fails);
  RC_ASSERT(r.reproduced);
  RC_ASSERT(fails(r.plan));
  for (size_t k = 1; k < r.plan.size(); ++k) RC_ASSERT(r.plan[k - 1].at <= r.plan[k].at);
  const Instant latest_in = plan.faults().back().at;
  for (const auto& f : r.plan.faults()) RC_ASSERT(f.at <= latest_in);
  RC_ASSERT(r.plan.size() <= plan.size());
}

TEST(Shrink, TriggersSimplifyToTimedOrToTheirSmallestMoment) {
  Trigger t;
  t.on = "b1";
  t.event = "log.fsync.start";
  t.nth = 7;
  t.delay = Duration::micros(200);
  t.within = Duration::seconds(2);
  const FaultPlan plan({with_trigger(make_crash(Instant{1'000'000'000}, "b1", true, true, true,
                                                Duration::seconds(2)),
                                     t),
                        make_heal_all(Instant{8'000'000'000})});
  // Any crash of b1 fails: the trigger goes, the crash becomes plain and early.
  auto any_crash = [](const FaultPlan& p) {
    for (const auto& f : p.faults())
      if (f.kind == FaultKind::crash) return true;
    return false;
  };
  ShrinkResult r = shrink(plan, any_crash);
  ASSERT_EQ(r.plan.size(), 2u);
  EXPECT_FALSE(r.plan[0].trigger.has_value()) << r.plan.to_text();
  EXPECT_FALSE(r.plan[0].keep_unsynced || r.plan[0].tear || r.plan[0].half_open);
  EXPECT_LT(r.plan[0].at, Instant{2'000'000});
  // Only a crash at an fsync fails: the trigger stays, at its first event, with no delay.
  auto fsync_crash = [](const FaultPlan& p) {
    for (const auto& f : p.faults())
      if (f.kind == FaultKind::crash && f.trigger && f.trigger->event == "log.fsync.start")
        return true;
    return false;
  };
  r = shrink(plan, fsync_crash);
  ASSERT_EQ(r.plan.size(), 2u);
  ASSERT_TRUE(r.plan[0].trigger.has_value());
  EXPECT_EQ(r.plan[0].trigger->nth, 1u);
  EXPECT_EQ(r.plan[0].trigger->delay, Duration{0});
  EXPECT_EQ(r.plan[0].restart_after, Duration::millis(1));
}

TEST(Shrink, CallerReductionsAreTriedFirstAndKeptWhileTheyFail) {
  FaultPlan plan = example_plan();
  plan.set("duration", "20");
  std::vector<FaultPlan> seen;
  // Fails while the run is at least 3 s long and b1 crashes.
  auto fails = [&](const FaultPlan& p) {
    seen.push_back(p);
    bool crash = false;
    for (const auto& f : p.faults()) crash |= f.kind == FaultKind::crash && f.node == "b1";
    return crash && std::stoi(p.settings().at("duration")) >= 3;
  };
  ShrinkOptions o;
  o.reductions = [](const FaultPlan& p) {
    std::vector<FaultPlan> out;
    FaultPlan shorter = p;
    shorter.set("duration", std::to_string(std::stoi(p.settings().at("duration")) / 2));
    out.push_back(shorter);
    if (!p.settings().count("drop-workload")) {
      FaultPlan dropped = p;
      dropped.set("drop-workload", "1");
      out.push_back(dropped);
    }
    return out;
  };
  const ShrinkResult r = shrink(plan, fails, o);
  ASSERT_TRUE(r.reproduced);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[1].settings().at("duration"), "10");  // the first try after the input
  EXPECT_EQ(r.plan.settings().at("duration"), "5");
  EXPECT_EQ(r.plan.settings().at("drop-workload"), "1");
  EXPECT_EQ(r.plan.size(), 2u) << r.plan.to_text();  // the crash and heal_all
}

TEST(Shrink, ARestartNeverOutlivesItsCrash) {
  const FaultPlan plan({make_crash(Instant{1'000'000'000}, "b1", false, false),
                        make_restart(Instant{2'000'000'000}, "b1"),
                        make_pause(Instant{3'000'000'000}, "b2", Duration::millis(100)),
                        make_heal_all(Instant{8'000'000'000})});
  bool orphan = false;
  auto fails = [&](const FaultPlan& p) {
    std::set<std::string> down;
    for (const auto& f : p.faults()) {
      if (f.kind == FaultKind::crash) down.insert(f.node);
      if (f.kind == FaultKind::restart) orphan |= !down.erase(f.node);
    }
    for (const auto& f : p.faults())
      if (f.kind == FaultKind::pause) return true;
    return false;
  };
  const ShrinkResult r = shrink(plan, fails);
  EXPECT_FALSE(orphan) << "a candidate held a restart without its crash";
  ASSERT_EQ(r.plan.size(), 2u) << r.plan.to_text();
  EXPECT_EQ(r.plan[0].kind, FaultKind::pause);
}

}  // namespace
}  // namespace tern::faults
