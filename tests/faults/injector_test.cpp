// Goal: the injector really applies a plan to a sim::World at the planned times — a crash
// takes the node down and a restart brings it back, a partition stops delivery and its end
// (or a heal) restores it, pauses/disk/clock faults take effect and end, faults that no
// longer apply are skipped with a trace event, unknown nodes are refused at arm(), heal_all
// undoes everything, and generated plans run on a real world inside their budget.
// Method: a small cluster (servers that count the bytes a client streams to them).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "faults/injector.h"
#include "faults/plan_generator.h"
#include "sim/simulated/world.h"

namespace tern::faults {
namespace {

using sim::World;

Instant secs(double s) { return Instant{static_cast<int64_t>(s * 1e9)}; }

// A cluster: servers s1, s2 listen on 7000 and count received bytes; client c1 connects to
// each server and writes 16 bytes every 10 ms, reconnecting when a connection breaks.
struct Cluster {
  explicit Cluster(uint64_t seed = 1)
      : world({.seed = seed, .trace = {.keep_events = true}}) {
    for (const char* name : {"s1", "s2"})
      world.add_node(name, [this](Runtime& rt) { serve(rt); });
    world.add_node("c1", [this](Runtime& rt) { stream(rt); });
    for (uint32_t n = 0; n < world.node_count(); ++n) world.start_node(n);
  }

  void serve(Runtime& rt) {
    auto l = rt.net().listen({rt.node_name(), 7000});
    TERN_ASSERT(l.ok());
    while (true) {
      auto c = l.value()->accept(Instant::never());
      if (!c.ok()) return;
      rt.spawn("conn", [this, &rt, s = std::move(c.value())]() mutable {
        std::vector<uint8_t> buf(256);
        while (true) {
          auto n = s->read_some(buf, Instant::never());
          if (!n.ok()) return;
          received[rt.node_name()] += n.value();
        }
      });
    }
  }

  void stream(Runtime& rt) {
    for (const char* server : {"s1", "s2"}) {
      rt.spawn(std::string("to_") + server, [&rt, server] {
        const std::vector<uint8_t> msg(16, 0x5a);
        while (true) {
          auto c = rt.net().connect({server, 7000}, rt.now() + Duration::seconds(30));
          if (!c.ok()) {
            if (!rt.sleep_until(rt.now() + Duration::millis(50)).ok()) return;
            continue;
          }
          while (c.value()->write_all(msg, rt.now() + Duration::seconds(30)).ok())
            if (!rt.sleep_until(rt.now() + Duration::millis(10)).ok()) return;
        }
      });
    }
    while (rt.sleep_until(Instant::never()).ok()) {
    }
  }

  Status arm(std::string_view text) {
    auto plan = FaultPlan::parse(text);
    TERN_ASSERT(plan.ok(), "{}", plan.error().message());
    injector = std::make_unique<Injector>(world, std::move(plan.value()));
    return injector->arm();
  }

  uint32_t id(const char* name) const { return world.node_id(name); }
  int count(std::string_view kind, std::string_view node = {}) {
    int n = 0;
    for (const auto& e : world.trace().events())
      n += e.kind == kind && (node.empty() || e.node == node);
    return n;
  }

  World world;
  std::map<std::string, uint64_t> received;
  std::unique_ptr<Injector> injector;
};

TEST(Injector, CrashTakesTheNodeDownAndRestartBringsItBack) {
  Cluster c;
  ASSERT_TRUE(c.arm("0.5 crash node=s1 keep_unsynced=1 tear=1 half_open=0\n"
                    "1.0 restart node=s1\n")
                  .ok());
  c.world.run_until(secs(0.4));
  EXPECT_TRUE(c.world.node_up(c.id("s1")));
  c.world.run_until(secs(0.75));
  EXPECT_FALSE(c.world.node_up(c.id("s1")));
  EXPECT_TRUE(c.world.node_up(c.id("s2")));
  c.world.run_until(secs(1.25));
  EXPECT_TRUE(c.world.node_up(c.id("s1")));
  EXPECT_EQ(c.count("fault.crash", "s1"), 1);
  EXPECT_EQ(c.count("fault.restart", "s1"), 1);
  EXPECT_EQ(c.count("node.crash", "s1"), 1);
  EXPECT_EQ(c.injector->stats().applied, 2u);
  // The trace event carries the fault's parameters.
  for (const auto& e : c.world.trace().events())
    if (e.kind == "fault.crash") {
      ASSERT_NE(e.field("tear"), nullptr);
      EXPECT_EQ(std::get<std::string>(e.field("tear")->v), "1");
      EXPECT_EQ(e.time, secs(0.5));
    }
}

TEST(Injector, CrashOfADownNodeAndRestartOfAnUpNodeAreSkipped) {
  Cluster c;
  ASSERT_TRUE(c.arm("0.5 crash node=s1 keep_unsynced=0 tear=0 half_open=0\n"
                    "0.6 crash node=s1 keep_unsynced=0 tear=0 half_open=0\n"
                    "0.7 restart node=s2\n"
                    "0.8 pause node=s1 duration=0.1\n")
                  .ok());
  c.world.run_until(secs(1.0));
  EXPECT_FALSE(c.world.node_up(c.id("s1")));
  EXPECT_EQ(c.injector->stats().applied, 1u);
  EXPECT_EQ(c.injector->stats().skipped, 3u);
  EXPECT_EQ(c.count("fault.skip"), 3);
  EXPECT_EQ(c.count("node.crash"), 1);
}

TEST(Injector, PartitionBlocksDeliveryAndItsEndRestoresIt) {
  Cluster c;
  ASSERT_TRUE(c.arm("1.0 partition a=c1 b=s1 one_way=0 duration=1.0\n").ok());
  c.world.run_until(secs(0.95));
  const uint64_t before = c.received["s1"];
  EXPECT_GT(before, 0u);
  c.world.run_until(secs(1.1));  // what was in flight lands
  const uint64_t during = c.received["s1"];
  const uint64_t s2_during = c.received["s2"];
  c.world.run_until(secs(1.9));
  EXPECT_EQ(c.received["s1"], during) << "bytes crossed the partition";
  EXPECT_GT(c.received["s2"], s2_during) << "the partition only cuts c1-s1";
  EXPECT_TRUE(c.world.network().blocked(c.id("c1"), c.id("s1")));
  EXPECT_TRUE(c.world.network().blocked(c.id("s1"), c.id("c1")));
  c.world.run_until(secs(2.5));
  EXPECT_FALSE(c.world.network().blocked(c.id("c1"), c.id("s1")));
  EXPECT_GT(c.received["s1"], during) << "delivery did not resume after the partition";
  EXPECT_EQ(c.count("fault.partition"), 1);
  EXPECT_EQ(c.count("fault.partition.end"), 1);
}

TEST(Injector, OverlappingPartitionsAndHeal) {
  Cluster c;
  ASSERT_TRUE(c.arm("1.0 partition a=c1 b=s1 one_way=1 duration=1.0\n"
                    "1.5 partition a=c1 b=s1,s2 one_way=1 duration=0\n"
                    "2.5 heal\n")
                  .ok());
  const uint32_t c1 = c.id("c1"), s1 = c.id("s1"), s2 = c.id("s2");
  c.world.run_until(secs(1.2));
  EXPECT_TRUE(c.world.network().blocked(c1, s1));
  EXPECT_FALSE(c.world.network().blocked(s1, c1));  // one way
  c.world.run_until(secs(2.2));
  // The first partition ended, but the second (until heal) still blocks c1 -> s1.
  EXPECT_TRUE(c.world.network().blocked(c1, s1));
  EXPECT_TRUE(c.world.network().blocked(c1, s2));
  const uint64_t s2_blocked = c.received["s2"];
  c.world.run_until(secs(3.0));
  EXPECT_FALSE(c.world.network().blocked(c1, s1));
  EXPECT_FALSE(c.world.network().blocked(c1, s2));
  EXPECT_GT(c.received["s2"], s2_blocked);
}

TEST(Injector, PauseDiskAndClockFaultsTakeEffectAndEnd) {
  Cluster c;
  ASSERT_TRUE(c.arm("1.0 pause node=s2 duration=0.5\n"
                    "1.0 fsync_error node=s1 ppm=250000 duration=1\n"
                    "1.0 slow_io node=s1 latency=0.005 duration=1\n"
                    "1.0 bitflip node=s1 ppm=7 duration=1\n"
                    "1.0 disk_full node=s1 capacity=4096 duration=1\n"
                    "1.0 skew node=s1 amount=-2\n"
                    "1.2 jump node=s1 amount=0.5\n"
                    "1.3 clog from=c1 to=s2 duration=0.1\n"
                    "1.3 latency_spike extra=0.2 duration=0.1\n"
                    "1.3 latency min=0.001 max=0.002\n")
                  .ok());
  const uint32_t s1 = c.id("s1"), s2 = c.id("s2");
  const WallTime wall0 = c.world.runtime(s1)->wall_now();
  c.world.run_until(secs(1.1));
  EXPECT_TRUE(c.world.node_paused(s2));
  const sim::DiskFaults& d = c.world.disk(s1).faults();
  EXPECT_EQ(d.fsync_error_ppm, 250'000u);
  EXPECT_EQ(d.op_latency, Duration::millis(5));
  EXPECT_EQ(d.read_bitflip_ppm, 7u);
  EXPECT_EQ(d.capacity_bytes, 4096u);
  c.world.run_until(secs(1.4));
  // skew -2 s, then a +0.5 s jump: the clock is 1.5 s behind, 1.4 s after wall0.
  EXPECT_EQ(c.world.runtime(s1)->wall_now().unix_ms - wall0.unix_ms, 1400 - 1500);
  EXPECT_EQ(c.world.network().latency().max, Duration::millis(2));
  c.world.run_until(secs(1.6));
  EXPECT_FALSE(c.world.node_paused(s2));
  c.world.run_until(secs(2.1));
  EXPECT_EQ(d.fsync_error_ppm, 0u);
  EXPECT_EQ(d.op_latency, Duration{0});
  EXPECT_EQ(d.read_bitflip_ppm, 0u);
  EXPECT_EQ(d.capacity_bytes, UINT64_MAX);
  EXPECT_EQ(c.count("fault.fsync_error.end", "s1"), 1);
  EXPECT_EQ(c.count("fault.pause.end", "s2"), 1);
  EXPECT_EQ(c.injector->stats().skipped, 0u);
}

TEST(Injector, HealAllUndoesEverything) {
  Cluster c;
  const sim::LatencyRange base = c.world.network().latency();
  ASSERT_TRUE(c.arm("0.5 crash node=s1 keep_unsynced=0 tear=0 half_open=0\n"
                    "0.5 pause node=s2 duration=0\n"
                    "0.5 partition a=c1 b=s2 one_way=0 duration=0\n"
                    "0.5 fsync_error node=s2 ppm=1000000 duration=0\n"
                    "0.5 latency min=0.1 max=0.2\n"
                    "0.5 skew node=s2 amount=30\n"
                    "1.0 heal_all\n")
                  .ok());
  const uint32_t s1 = c.id("s1"), s2 = c.id("s2"), c1 = c.id("c1");
  c.world.run_until(secs(0.9));
  EXPECT_FALSE(c.world.node_up(s1));
  EXPECT_TRUE(c.world.node_paused(s2));
  EXPECT_TRUE(c.world.network().blocked(c1, s2));
  c.world.run_until(secs(1.1));
  EXPECT_TRUE(c.world.node_up(s1));
  EXPECT_FALSE(c.world.node_paused(s2));
  EXPECT_FALSE(c.world.network().blocked(c1, s2));
  EXPECT_FALSE(c.world.network().blocked(s2, c1));
  EXPECT_EQ(c.world.disk(s2).faults().fsync_error_ppm, 0u);
  EXPECT_EQ(c.world.network().latency().max, base.max);
  EXPECT_EQ(c.count("fault.healed"), 1);
  const uint64_t s1_after = c.received["s1"], s2_after = c.received["s2"];
  c.world.run_until(secs(3.0));
  EXPECT_GT(c.received["s1"], s1_after) << "the restarted node gets traffic again";
  EXPECT_GT(c.received["s2"], s2_after);
}

TEST(Injector, ArmRefusesUnknownNodesAndSchedulesNothing) {
  Cluster c;
  const Status s = c.arm("0.5 crash node=s1 keep_unsynced=0 tear=0 half_open=0\n"
                         "0.6 partition a=s1 b=zz one_way=0 duration=1\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().context().find("fault 2"), std::string::npos) << s.error().message();
  EXPECT_NE(s.error().context().find("unknown node 'zz'"), std::string::npos);
  c.world.run_until(secs(1.0));
  EXPECT_TRUE(c.world.node_up(c.id("s1")));  // nothing was scheduled
  EXPECT_EQ(c.count("fault.crash"), 0);
}

TEST(Injector, BreakConnectionResetsAndTheClientReconnects) {
  Cluster c;
  ASSERT_TRUE(c.arm("1.0 break_connection a=c1 b=s1\n").ok());
  c.world.run_until(secs(0.9));
  const uint64_t before = c.received["s1"];
  c.world.run_until(secs(2.0));
  EXPECT_EQ(c.count("fault.break_connection"), 1);
  EXPECT_EQ(c.count("fault.break_connection.count"), 1);
  EXPECT_GT(c.received["s1"], before);
}

TEST(Injector, SameSeedAndPlanGiveTheSameRun) {
  auto run = [](uint64_t seed) {
    Cluster c(seed);
    const ClusterShape shape{{"s1", "s2"}, {"c1"}};
    const auto g = generate_plan(Rng(seed), shape, Duration::seconds(10));
    c.injector = std::make_unique<Injector>(c.world, g.plan);
    TERN_ASSERT(c.injector->arm().ok());
    c.world.run_until(secs(10));
    return c.world.fingerprint();
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

TEST(Injector, GeneratedPlansRunInsideTheBudgetAndEndHealed) {
  const ClusterShape shape{{"s1", "s2"}, {"c1"}};
  const Duration run = Duration::seconds(20);
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Cluster c(seed);
    const auto g = generate_plan(Rng(seed), shape, run);
    c.injector = std::make_unique<Injector>(c.world, g.plan);
    ASSERT_TRUE(c.injector->arm().ok());
    uint32_t most_down = 0;
    // Sample the cluster every 10 ms: never more servers down or paused than the budget.
    for (Instant t{0}; t < g.heal_at; t = t + Duration::millis(10)) {
      c.world.run_until(t);
      uint32_t down = 0;
      for (const char* s : {"s1", "s2"})
        down += !c.world.node_up(c.id(s)) || c.world.node_paused(c.id(s));
      most_down = std::max(most_down, down);
    }
    EXPECT_LE(most_down, FaultBudget{}.max_down_for(2)) << "seed " << seed;
    c.world.run_until(g.heal_at + Duration::millis(1));
    for (uint32_t n = 0; n < c.world.node_count(); ++n) {
      EXPECT_TRUE(c.world.node_up(n)) << "seed " << seed;
      EXPECT_FALSE(c.world.node_paused(n)) << "seed " << seed;
      for (uint32_t m = 0; m < c.world.node_count(); ++m)
        EXPECT_FALSE(c.world.network().blocked(n, m));
    }
    const uint64_t s1 = c.received["s1"], s2 = c.received["s2"];
    c.world.run_until(Instant{0} + run);
    EXPECT_GT(c.received["s1"], s1) << "seed " << seed << " no traffic after heal";
    EXPECT_GT(c.received["s2"], s2) << "seed " << seed << " no traffic after heal";
    EXPECT_GT(c.injector->stats().applied, 0u);
  }
}

}  // namespace
}  // namespace tern::faults
