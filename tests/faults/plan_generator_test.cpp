// Goal: seeded plans stay inside the budget (never more than max_down servers down or paused
// at once, every crash restarted in time, everything healed at heal_at and nothing new after
// it, only network faults on clients), seeds really vary the swarm, and the same seed gives
// the same plan. Method: sweep many seeds over a few cluster shapes and check each plan with
// the independent profile()/check_budget() replay.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "faults/plan_generator.h"

namespace tern::faults {
namespace {

const ClusterShape kShapes[] = {
    {{"b1", "b2", "b3"}, {"c1", "c2"}, {}},
    {{"b1"}, {"c1"}, {"c1"}},
    {{"b1", "b2", "b3", "b4", "b5"}, {}, {}},
    {{"b1", "b2"}, {"c1", "c2", "c3"}, {"c2", "c3"}},
    {{"b1", "b2", "b3"}, {"p1", "k1"}, {"p1", "k1"}},
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

TEST(PlanGenerator, RespectsTheBudgetOverManySeeds) {
  const Duration run = Duration::seconds(30);
  uint64_t faults = 0;
  uint32_t most_down = 0;
  for (const auto& shape : kShapes) {
    const FaultBudget budget;
    const uint32_t max_down = budget.max_down_for(shape.servers.size());
    std::set<std::string> servers(shape.servers.begin(), shape.servers.end());
    std::set<std::string> restartable(shape.restartable_clients.begin(),
                                      shape.restartable_clients.end());
    for (uint64_t seed = 1; seed <= 300; ++seed) {
      const GeneratedPlan g = generate_plan(Rng(seed), shape, run, budget);
      const auto violations = check_budget(g.plan, shape, run, budget);
      ASSERT_TRUE(violations.empty()) << "seed " << seed << ":\n" << join(violations) << "\n"
                                      << g.to_text();
      const PlanProfile p = profile(g.plan, shape.servers);
      ASSERT_LE(p.max_nodes_down, max_down) << "seed " << seed;
      ASSERT_TRUE(p.all_recovered) << "seed " << seed;
      ASSERT_LE(p.longest_downtime, budget.max_downtime);
      most_down = std::max(most_down, p.max_nodes_down);
      ASSERT_FALSE(g.plan.empty());
      const Fault& last = g.plan.faults().back();
      ASSERT_EQ(last.kind, FaultKind::heal_all);
      ASSERT_EQ(last.at, budget.heal_at(run));
      for (size_t i = 0; i + 1 < g.plan.size(); ++i) {
        const Fault& f = g.plan[i];
        ASSERT_LT(f.at, g.heal_at) << format_fault(f);
        if (auto e = f.ends_at()) {
          ASSERT_LE(*e, g.heal_at) << format_fault(f);
        }
        if (!f.is_network()) {
          for (const auto& n : f.nodes())
            ASSERT_TRUE(servers.count(n) || (f.is_process() && restartable.count(n)))
                << format_fault(f);
        }
        // Only kinds the swarm turned on (restart rides along with crash; triggered faults
        // and client crashes come from the extras).
        const bool client = !servers.count(f.nodes().empty() ? "" : f.nodes()[0]) &&
                            f.is_process();
        if (f.trigger) {
          ASSERT_TRUE(g.swarm.enabled(SwarmExtra::fsync_crash) ||
                      g.swarm.enabled(SwarmExtra::ack_crash) ||
                      g.swarm.enabled(SwarmExtra::fetch_break))
              << format_fault(f);
        } else if (client) {
          ASSERT_TRUE(g.swarm.enabled(SwarmExtra::client_crash)) << format_fault(f);
        } else {
          const FaultKind k = f.kind == FaultKind::restart ? FaultKind::crash : f.kind;
          ASSERT_TRUE(g.swarm.enabled(k)) << format_fault(f);
        }
      }
      faults += g.plan.size();
    }
  }
  // Non-trivial: plans have faults, and the 5-server shape does take 2 servers down at once.
  EXPECT_GT(faults, 10'000u);
  EXPECT_EQ(most_down, 2u);
}

TEST(PlanGenerator, EveryCrashIsFollowedByARestartOrTheFinalHeal) {
  const ClusterShape shape = kShapes[0];
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const GeneratedPlan g = generate_plan(Rng(seed), shape, Duration::seconds(20));
    const auto& fs = g.plan.faults();
    for (size_t i = 0; i < fs.size(); ++i) {
      if (fs[i].kind != FaultKind::crash) continue;
      bool restarted = false;
      for (size_t j = i + 1; j < fs.size() && !restarted; ++j)
        restarted = (fs[j].kind == FaultKind::restart && fs[j].node == fs[i].node) ||
                    fs[j].kind == FaultKind::heal_all;
      ASSERT_TRUE(restarted) << "seed " << seed << ": " << format_fault(fs[i]);
    }
  }
}

TEST(PlanGenerator, ZeroMaxDownMeansNoCrashOrPause) {
  FaultBudget budget;
  budget.max_down = 0;
  for (uint64_t seed = 1; seed <= 100; ++seed) {
    const GeneratedPlan g = generate_plan(Rng(seed), kShapes[0], Duration::seconds(20), budget);
    for (const auto& f : g.plan.faults())
      ASSERT_TRUE(f.kind != FaultKind::crash && f.kind != FaultKind::pause) << format_fault(f);
  }
}

TEST(PlanGenerator, DefaultMaxDownIsAMinorityButAtLeastOne) {
  const FaultBudget b;
  EXPECT_EQ(b.max_down_for(1), 1u);
  EXPECT_EQ(b.max_down_for(2), 1u);
  EXPECT_EQ(b.max_down_for(3), 1u);
  EXPECT_EQ(b.max_down_for(5), 2u);
  EXPECT_EQ(b.max_down_for(7), 3u);
  EXPECT_EQ(b.heal_at(Duration::seconds(10)), Instant{8'000'000'000});
}

TEST(PlanGenerator, SameSeedSamePlanAndPlansRoundTrip) {
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const auto a = generate_plan(Rng(seed), kShapes[0], Duration::seconds(10));
    const auto b = generate_plan(Rng(seed), kShapes[0], Duration::seconds(10));
    ASSERT_EQ(a.to_text(), b.to_text());
    auto parsed = FaultPlan::parse(a.to_text());  // the swarm header is comments
    ASSERT_TRUE(parsed.ok()) << parsed.error().message();
    ASSERT_EQ(parsed.value(), a.plan);
  }
  EXPECT_NE(generate_plan(Rng(1), kShapes[0], Duration::seconds(10)).to_text(),
            generate_plan(Rng(2), kShapes[0], Duration::seconds(10)).to_text());
}

TEST(PlanGenerator, SwarmVariesTheEnabledKindsAcrossSeeds) {
  std::set<std::vector<FaultKind>> subsets;
  std::map<FaultKind, int> on_count;
  std::set<uint32_t> tear_rates;
  const int kSeeds = 200;
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    const SwarmConfig s = draw_swarm(Rng(seed), Duration::seconds(30));
    ASSERT_FALSE(s.enabled_kinds().empty());
    subsets.insert(s.enabled_kinds());
    for (FaultKind k : s.enabled_kinds()) ++on_count[k];
    tear_rates.insert(s.tear_ppm);
    ASSERT_FALSE(s.enabled(FaultKind::restart));
    ASSERT_FALSE(s.enabled(FaultKind::heal_all));
  }
  // 14 swarm kinds, each on with p=1/2: 200 seeds give (almost surely) 200 distinct subsets.
  EXPECT_GT(subsets.size(), 190u);
  for (FaultKind k : swarm_kinds()) {
    EXPECT_GT(on_count[k], kSeeds / 4) << kind_name(k);
    EXPECT_LT(on_count[k], kSeeds * 3 / 4) << kind_name(k);
  }
  EXPECT_GT(tear_rates.size(), 150u);
}

TEST(PlanGenerator, SwarmIsPrintable) {
  const SwarmConfig s = draw_swarm(Rng(7), Duration::seconds(30));
  const std::string text = s.to_text();
  EXPECT_NE(text.find("# swarm on:"), std::string::npos) << text;
  EXPECT_NE(text.find("# swarm off:"), std::string::npos) << text;
  EXPECT_NE(text.find("keep_unsynced_ppm="), std::string::npos) << text;
  for (FaultKind k : s.enabled_kinds())
    EXPECT_NE(text.find(std::string(kind_name(k)) + "(every "), std::string::npos) << text;
}

TEST(PlanGenerator, CheckBudgetCatchesHandWrittenViolations) {
  const ClusterShape shape = kShapes[0];
  const Duration run = Duration::seconds(10);
  auto plan = FaultPlan::parse(
      "1 crash node=b1 keep_unsynced=0 tear=0 half_open=0\n"
      "1.5 crash node=b2 keep_unsynced=0 tear=0 half_open=0\n"  // two of three down
      "2 pause node=c1 duration=1\n"                // a process fault on a client
      "3 restart node=b1\n"
      "9 partition a=b1 b=b2 one_way=0 duration=1\n");  // after heal_at; no heal_all
  ASSERT_TRUE(plan.ok());
  const auto v = check_budget(plan.value(), shape, run, FaultBudget{});
  const std::string all = join(v);
  // The paused client does not count: only servers are in max_down.
  EXPECT_NE(all.find("2 nodes down or paused at once (budget 1)"), std::string::npos) << all;
  EXPECT_NE(all.find("non-network fault on client 'c1'"), std::string::npos) << all;
  EXPECT_NE(all.find("fault at or after heal_at"), std::string::npos) << all;
  EXPECT_NE(all.find("ends after heal_at"), std::string::npos) << all;
  EXPECT_NE(all.find("does not end healed"), std::string::npos) << all;
  EXPECT_NE(all.find("does not end with heal_all"), std::string::npos) << all;
}

TEST(PlanGenerator, SeedsDrawTriggersHalfOpenBlockBridgeAndClientCrashes) {
  // Over a sweep, every new fault shape shows up, with the parameters the swarm promises.
  const ClusterShape shape{{"b1", "b2", "b3"}, {"p1", "k1"}, {"k1"}};
  const Duration run = Duration::seconds(30);
  std::map<std::string, int> seen;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    const GeneratedPlan g = generate_plan(Rng(seed), shape, run);
    const std::string text = g.to_text();
    ASSERT_NE(text.find("# swarm extras on:"), std::string::npos);
    ASSERT_NE(text.find("half_open_ppm="), std::string::npos);
    auto again = FaultPlan::parse(g.plan.to_text());
    ASSERT_TRUE(again.ok()) << again.error().message();
    ASSERT_EQ(again.value(), g.plan);
    for (const auto& f : g.plan.faults()) {
      if (f.half_open) ++seen["half_open"];
      if (f.kind == FaultKind::block && f.links.size() > 1) ++seen["block many"];
      if (f.kind == FaultKind::bridge) {
        ++seen["bridge"];
        ASSERT_EQ(f.a.size() + f.b.size() + 1, 5u) << format_fault(f);
      }
      if (f.kind == FaultKind::crash && f.node == "k1") ++seen["client crash"];
      if (!f.trigger) continue;
      const Trigger& t = *f.trigger;
      ASSERT_EQ(t.on, f.kind == FaultKind::crash ? f.node : f.a[0]) << format_fault(f);
      ASSERT_GT(t.within, Duration{0});
      ASSERT_LT(f.latest_start(), g.heal_at);
      if (f.kind == FaultKind::crash) ASSERT_GT(f.restart_after, Duration{0});
      if (t.event == "log.fsync.start") {
        ++seen["fsync crash"];
        ASSERT_EQ(t.nth, 1u);
        ASSERT_LE(t.delay, Duration::micros(300));
      } else if (t.event == "produce.ack") {
        ++seen[t.match_field.empty() ? "ack crash" : "ack crash of a client"];
        ASSERT_GE(t.nth, 1u);
        ASSERT_LE(t.nth, 20u);
        ASSERT_LE(t.delay, Duration::micros(300));
      } else {
        ASSERT_EQ(t.event, "fetch.respond");
        ASSERT_EQ(t.match_field, "client");
        ASSERT_LE(t.delay, Duration::micros(200));
        ++seen[f.kind == FaultKind::crash ? "fetch crash" : "fetch break"];
        if (f.kind == FaultKind::break_connection) ASSERT_EQ(f.b[0], t.match_value);
      }
    }
  }
  for (const char* k : {"half_open", "block many", "bridge", "client crash", "fsync crash",
                        "ack crash", "ack crash of a client", "fetch crash", "fetch break"})
    EXPECT_GT(seen[k], 0) << k;
}

}  // namespace
}  // namespace tern::faults
