// Goal: the injector really applies a plan to a sim::World at the planned times — a crash
// takes the node down and a restart brings it back, a partition stops delivery and its end
// (or a heal) restores it, pauses/disk/clock faults take effect and end, faults that no
// longer apply are skipped with a trace event, unknown nodes are refused at arm(), heal_all
// undoes everything, and generated plans run on a real world inside their budget.
// Method: a small cluster (servers that count the bytes a client streams to them).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <optional>
#include <set>
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

// Idle nodes plus a test node "t" that traces x.y every 10 ms: event i (from 0) at
// (i + 1) * 10 ms with fields i=<i> parity=even|odd. The broker's events (log.fsync.start,
// produce.ack, fetch.respond) work the same way; these tests do not need a broker.
struct EventWorld {
  explicit EventWorld(std::vector<std::string> idle = {"s1", "s2"})
      : world({.seed = 1, .trace = {.keep_events = true}}) {
    for (const auto& n : idle)
      world.add_node(n, [](Runtime& rt) {
        while (rt.sleep_until(Instant::never()).ok()) {
        }
      });
    world.add_node("t", [](Runtime& rt) {
      for (int64_t i = 0;; ++i) {
        if (!rt.sleep_until(rt.now() + Duration::millis(10)).ok()) return;
        rt.trace("x.y", {{"i", i}, {"parity", i % 2 == 0 ? "even" : "odd"}});
      }
    });
    for (uint32_t n = 0; n < world.node_count(); ++n) world.start_node(n);
  }

  Status arm(std::string_view text, std::optional<InjectorBudget> budget = std::nullopt) {
    auto plan = FaultPlan::parse(text);
    TERN_ASSERT(plan.ok(), "{}", plan.error().message());
    injector = std::make_unique<Injector>(world, std::move(plan.value()));
    if (budget) injector->set_budget(*budget);
    return injector->arm();
  }
  // Times of the trace events of a kind (and node).
  std::vector<Instant> times(std::string_view kind, std::string_view node = {}) {
    std::vector<Instant> out;
    for (const auto& e : world.trace().events())
      if (e.kind == kind && (node.empty() || e.node == node)) out.push_back(e.time);
    return out;
  }
  std::string reason_of_skip() {
    for (const auto& e : world.trace().events())
      if (e.kind == "fault.skip") return std::get<std::string>(e.field("reason")->v);
    return "";
  }
  uint32_t id(const char* name) const { return world.node_id(name); }

  World world;
  std::unique_ptr<Injector> injector;
};

TEST(InjectorTrigger, FiresAtTheNthMatchingEventPlusDelayAndRestartsAfter) {
  EventWorld w;
  // From 0.105: even events at 0.11, 0.13, 0.15 -> the third at 0.15, crash 150 us later.
  // The pause matches an integer field by its decimal text (i=14 is the event at 0.15).
  ASSERT_TRUE(w.arm("0.105 crash node=s1 keep_unsynced=0 tear=0 half_open=1 "
                    "restart_after=0.5 on=t event=x.y nth=3 delay=0.000150000 within=1 "
                    "match=parity:even\n"
                    "0.105 pause node=s2 duration=0.1 on=t event=x.y match=i:14 within=1\n")
                  .ok());
  w.world.run_until(secs(0.2));
  EXPECT_FALSE(w.world.node_up(w.id("s1")));
  ASSERT_EQ(w.times("fault.crash", "s1").size(), 1u);
  EXPECT_EQ(w.times("fault.crash", "s1")[0], Instant{150'150'000});
  EXPECT_EQ(w.times("fault.trigger").size(), 2u);
  EXPECT_EQ(w.times("fault.trigger")[0], secs(0.15));
  ASSERT_EQ(w.times("fault.pause", "s2").size(), 1u);
  EXPECT_EQ(w.times("fault.pause", "s2")[0], secs(0.15));
  w.world.run_until(secs(0.7));
  // The pause's duration counts from when it was applied.
  EXPECT_EQ(w.times("fault.pause.end", "s2"), std::vector<Instant>{secs(0.25)});
  EXPECT_TRUE(w.world.node_up(w.id("s1")));
  EXPECT_EQ(w.times("fault.restart", "s1"), std::vector<Instant>{Instant{650'150'000}});
  const auto& st = w.injector->stats();
  EXPECT_EQ(st.triggers_fired, 2u);
  EXPECT_EQ(st.triggers_expired, 0u);
  EXPECT_EQ(st.applied_of(FaultKind::crash), 1u);
  EXPECT_EQ(st.applied_of(FaultKind::restart), 1u);
  EXPECT_EQ(st.applied_of(FaultKind::pause), 1u);
  EXPECT_EQ(st.applied, 3u);
}

// Property: for any start, nth, delay and filter, the fault happens exactly delay after the
// nth matching event after `at`.
RC_GTEST_PROP(InjectorTrigger, FiresExactlyAtTheNthMatchingEvent, ()) {
  const int64_t at_ms = *rc::gen::inRange<int64_t>(0, 200) * 10 + 5;
  const auto nth = *rc::gen::inRange<uint32_t>(1, 12);
  const int64_t delay_ns = *rc::gen::inRange<int64_t>(0, 2'000'000);
  const int filter = *rc::gen::inRange(0, 3);  // none, even, odd
  EventWorld w;
  std::string line = fmt::format("{} pause node=s1 duration=0.001 on=t event=x.y nth={} "
                                 "delay={} within=10",
                                 format_seconds(at_ms * 1'000'000), nth,
                                 format_seconds(delay_ns));
  if (filter == 1) line += " match=parity:even";
  if (filter == 2) line += " match=parity:odd";
  RC_ASSERT(w.arm(line + "\n").ok());
  // Event i is at (i + 1) * 10 ms; count the matching ones after at.
  int64_t expected_ms = 0;
  uint32_t seen = 0;
  for (int64_t i = 0; seen < nth; ++i) {
    const int64_t t = (i + 1) * 10;
    if (t <= at_ms) continue;
    if (filter == 1 && i % 2 != 0) continue;
    if (filter == 2 && i % 2 == 0) continue;
    if (++seen == nth) expected_ms = t;
  }
  w.world.run_until(Instant{(expected_ms + 10) * 1'000'000});
  const auto applied = w.times("fault.pause", "s1");
  RC_ASSERT(applied.size() == 1u);
  RC_ASSERT(applied[0] == Instant{expected_ms * 1'000'000 + delay_ns});
}

TEST(InjectorTrigger, ATriggerThatNeverFiresIsSkipped) {
  EventWorld w;
  ASSERT_TRUE(w.arm("0.1 crash node=s1 keep_unsynced=0 tear=0 half_open=0 restart_after=0.1 "
                    "on=t event=no.such within=0.5\n"
                    "0.1 partition a=s1 b=s2 one_way=0 duration=1 on=t event=x.y "
                    "match=parity:never within=0.2\n")
                  .ok());
  w.world.run_until(secs(2));
  EXPECT_TRUE(w.world.node_up(w.id("s1")));
  EXPECT_FALSE(w.world.network().blocked(w.id("s1"), w.id("s2")));
  EXPECT_EQ(w.times("fault.skip").size(), 2u);
  EXPECT_EQ(w.times("fault.skip")[0], secs(0.3));
  EXPECT_EQ(w.times("fault.skip")[1], secs(0.6));
  EXPECT_EQ(w.reason_of_skip(), "trigger never fired");
  EXPECT_EQ(w.injector->stats().triggers_expired, 2u);
  EXPECT_EQ(w.injector->stats().skipped, 2u);
  EXPECT_EQ(w.injector->stats().applied, 0u);
}

TEST(InjectorTrigger, HealAllDropsWaitingTriggers) {
  EventWorld w;
  ASSERT_TRUE(w.arm("0.1 crash node=s1 keep_unsynced=0 tear=0 half_open=0 restart_after=0.1 "
                    "on=t event=x.y nth=1000 within=50\n"
                    "0.5 heal_all\n")
                  .ok());
  w.world.run_until(secs(12));
  EXPECT_TRUE(w.world.node_up(w.id("s1")));
  EXPECT_EQ(w.reason_of_skip(), "healed before its trigger fired");
  EXPECT_EQ(w.injector->stats().triggers_expired, 1u);
  EXPECT_EQ(w.injector->stats().triggers_fired, 0u);
}

TEST(InjectorTrigger, TheBudgetSkipsATriggeredCrashThatWouldExceedIt) {
  EventWorld w;
  ASSERT_TRUE(w.arm("0.05 pause node=s2 duration=1\n"
                    "0.1 crash node=s1 keep_unsynced=0 tear=0 half_open=0 restart_after=0.1 "
                    "on=t event=x.y within=1\n"
                    "0.2 pause node=s1 duration=0.1 on=t event=x.y within=1\n",
                    InjectorBudget{{"s1", "s2"}, 1})
                  .ok());
  w.world.run_until(secs(0.5));
  EXPECT_TRUE(w.world.node_up(w.id("s1")));
  EXPECT_FALSE(w.world.node_paused(w.id("s1")));
  EXPECT_EQ(w.injector->stats().skipped_budget, 2u);
  EXPECT_EQ(w.reason_of_skip(), "budget: 1 servers down or paused (max_down 1)");
  // Once s2 is back, a triggered crash fits.
  EventWorld v;
  ASSERT_TRUE(v.arm("0.1 crash node=s1 keep_unsynced=0 tear=0 half_open=0 restart_after=0.1 "
                    "on=t event=x.y within=1\n",
                    InjectorBudget{{"s1", "s2"}, 1})
                  .ok());
  v.world.run_until(secs(0.15));
  EXPECT_FALSE(v.world.node_up(v.id("s1")));
}

TEST(InjectorTrigger, ARestartCanTriggerOnTheInjectorsOwnCrash) {
  // The injector's fault.* events go through the observers: a restart relative to a crash.
  EventWorld w;
  ASSERT_TRUE(w.arm("0.05 restart node=s1 on=s1 event=fault.crash delay=0.2 within=1\n"
                    "0.1 crash node=s1 keep_unsynced=0 tear=0 half_open=0\n")
                  .ok());
  w.world.run_until(secs(0.2));
  EXPECT_FALSE(w.world.node_up(w.id("s1")));
  w.world.run_until(secs(0.35));
  EXPECT_TRUE(w.world.node_up(w.id("s1")));
  EXPECT_EQ(w.times("fault.restart", "s1"), std::vector<Instant>{secs(0.3)});
}

TEST(Injector, BridgeBlocksExactlyThePathsBetweenTheHalves) {
  EventWorld w({"b1", "b2", "b3", "c1", "c2"});
  ASSERT_TRUE(w.arm("0.1 bridge a=b1,c1 b=b3,c2 via=b2 duration=1\n").ok());
  w.world.run_until(secs(0.5));
  const std::set<std::string> a = {"b1", "c1"}, b = {"b3", "c2"};
  const std::vector<std::string> all = {"b1", "b2", "b3", "c1", "c2", "t"};
  for (const auto& x : all)
    for (const auto& y : all) {
      if (x == y) continue;
      const bool cut = (a.count(x) && b.count(y)) || (b.count(x) && a.count(y));
      EXPECT_EQ(w.world.network().blocked(w.world.node_id(x), w.world.node_id(y)), cut)
          << x << " -> " << y;
    }
  w.world.run_until(secs(1.2));
  for (const auto& x : all)
    for (const auto& y : all)
      if (x != y) EXPECT_FALSE(w.world.network().blocked(w.world.node_id(x), w.world.node_id(y)));
  EXPECT_EQ(w.times("fault.bridge.end").size(), 1u);
}

TEST(Injector, BlockCutsSingleLinksOneWayAndOverlapsCount) {
  EventWorld w({"b1", "b2", "b3"});
  ASSERT_TRUE(w.arm("0.1 block links=b1>b2,b3>b1 duration=1\n"
                    "0.2 partition a=b1 b=b2 one_way=1 duration=2\n")
                  .ok());
  const uint32_t b1 = w.id("b1"), b2 = w.id("b2"), b3 = w.id("b3");
  w.world.run_until(secs(0.5));
  auto& net = w.world.network();
  EXPECT_TRUE(net.blocked(b1, b2));
  EXPECT_FALSE(net.blocked(b2, b1));
  EXPECT_TRUE(net.blocked(b3, b1));
  EXPECT_FALSE(net.blocked(b1, b3));
  EXPECT_FALSE(net.blocked(b2, b3));
  w.world.run_until(secs(1.5));
  EXPECT_TRUE(net.blocked(b1, b2)) << "the partition still blocks b1 -> b2";
  EXPECT_FALSE(net.blocked(b3, b1));
  w.world.run_until(secs(2.5));
  EXPECT_FALSE(net.blocked(b1, b2));
}

TEST(Injector, ClientCrashWithRestartAfterComesBack) {
  Cluster c;
  ASSERT_TRUE(c.arm("0.5 crash node=c1 keep_unsynced=0 tear=0 half_open=1 restart_after=0.5\n")
                  .ok());
  c.world.run_until(secs(0.75));
  EXPECT_FALSE(c.world.node_up(c.id("c1")));
  const uint64_t during = c.received["s1"];
  c.world.run_until(secs(2.0));
  EXPECT_TRUE(c.world.node_up(c.id("c1")));
  EXPECT_GT(c.received["s1"], during);
  EXPECT_EQ(c.injector->stats().applied_of(FaultKind::restart), 1u);
}

}  // namespace
}  // namespace tern::faults
