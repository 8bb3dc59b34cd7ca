// Goal: the simulated world keeps its promises — timers in deadline order, streams in order
// and intact, crashes that unwind every fiber and lose exactly the unsynced data, connects
// to dead nodes that time out, partitions that stall and heal, and the same seed giving the
// same run. Method: small scripted runs plus RapidCheck properties over random workloads.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/runtime/sync/event.h"
#include "sim/simulated/world.h"
#include "tests/support/sim_harness.h"

namespace tern {
namespace {

using sim::World;

std::vector<uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

RC_GTEST_PROP(World, TimersFireInDeadlineOrder, ()) {
  const auto delays = *rc::gen::container<std::vector<int>>(rc::gen::inRange(0, 50));
  std::vector<std::pair<int, size_t>> fired;  // (deadline, spawn index)
  test::run_in_world([&](Runtime& rt) {
    std::vector<TaskHandle> ts;
    for (size_t i = 0; i < delays.size(); ++i)
      ts.push_back(rt.spawn("sleeper", [&, i] {
        RC_ASSERT(rt.sleep_until(Instant{0} + Duration::millis(delays[i])).ok());
        RC_ASSERT(rt.now() == Instant{0} + Duration::millis(delays[i]));
        fired.push_back({delays[i], i});
      }));
    for (auto& t : ts) RC_ASSERT(t.join().ok());
  });
  // Equal deadlines fire in the order they were armed (spawn order here): ties are explicit.
  RC_ASSERT(std::is_sorted(fired.begin(), fired.end()));
  RC_ASSERT(fired.size() == delays.size());
}

RC_GTEST_PROP(World, StreamDeliversBytesInOrderAndIntact, (uint64_t seed)) {
  const auto writes = *rc::gen::container<std::vector<std::string>>(
      rc::gen::resize(3000, rc::gen::nonEmpty(rc::gen::string<std::string>())));
  std::string sent, received;
  for (auto& w : writes) sent += w;
  World world({.seed = seed, .trace = {}});
  const uint32_t server = world.add_node("server", [&](Runtime& rt) {
    auto listener = rt.net().listen({"server", 9000});
    RC_ASSERT(listener.ok());
    auto conn = listener.value()->accept(Instant::never());
    RC_ASSERT(conn.ok());
    std::vector<uint8_t> buf(1 + rt.rng().below(4096));
    while (true) {
      auto n = conn.value()->read_some(buf, Instant::never());
      if (!n.ok()) {
        RC_ASSERT(n.code() == Errc::closed);
        break;
      }
      received.append(buf.begin(), buf.begin() + static_cast<long>(n.value()));
    }
  });
  const uint32_t client = world.add_node("client", [&](Runtime& rt) {
    auto conn = rt.net().connect({"server", 9000}, rt.now() + Duration::seconds(5));
    RC_ASSERT(conn.ok());
    for (auto& w : writes) {
      auto b = bytes_of(w);
      RC_ASSERT(conn.value()->write_all(b, Instant::never()).ok());
    }
    conn.value()->close();
  });
  world.start_node(server);
  world.start_node(client);
  world.run_until_idle();
  RC_ASSERT(received == sent);
}

// A multi-node workload touching every part of the world: echo traffic between random
// peers, disk writes and fsyncs, random sleeps, crashes and restarts, latency and partitions.
struct WorkloadStats {
  uint64_t fingerprint = 0;
  uint64_t echoes_ok = 0;
  uint64_t crashes = 0;
};

struct WorkloadModes {
  bool shuffle_ties = false;
  bool half_open = false;  // every crash is a power loss
};

WorkloadStats random_workload(uint64_t seed, WorkloadModes modes = {}) {
  World world({.seed = seed,
               .trace = {.keep_events = true},
               .shuffle_ties = modes.shuffle_ties});
  constexpr int kNodes = 4;
  for (int i = 0; i < kNodes; ++i) {
    world.add_node(fmt::format("n{}", i), [i](Runtime& rt) {
      auto listener = rt.net().listen({rt.node_name(), 7000});
      TERN_ASSERT(listener.ok());
      rt.spawn("acceptor", [&rt, l = std::move(listener.value())]() mutable {
        while (true) {
          auto c = l->accept(Instant::never());
          if (!c.ok()) return;
          rt.spawn("echo", [&rt, s = std::move(c.value())]() mutable {
            std::vector<uint8_t> buf(512);
            while (true) {
              auto n = s->read_some(buf, rt.now() + Duration::seconds(2));
              if (!n.ok()) return;
              if (!s->write_all({buf.data(), n.value()}, rt.now() + Duration::seconds(2)).ok())
                return;
            }
          });
        }
      });
      auto file = rt.disk().open("log", OpenMode::create);
      TERN_ASSERT(file.ok());
      for (int round = 0; round < 20; ++round) {
        const int peer = static_cast<int>(rt.rng().below(kNodes));
        auto conn = rt.net().connect({fmt::format("n{}", peer), 7000},
                                     rt.now() + Duration::millis(1500));
        rt.trace("workload.connect", {{"peer", peer}, {"ok", conn.ok() ? 1 : 0}});
        if (conn.ok()) {
          std::vector<uint8_t> msg(1 + rt.rng().below(2000), static_cast<uint8_t>(i));
          if (conn.value()->write_all(msg, rt.now() + Duration::seconds(1)).ok()) {
            std::vector<uint8_t> back(msg.size());
            Status s = conn.value()->read_exact(back, rt.now() + Duration::seconds(1));
            rt.trace("workload.echo", {{"bytes", msg.size()}, {"ok", s.ok() ? 1 : 0}});
          }
        }
        std::vector<uint8_t> rec(1 + rt.rng().below(100), static_cast<uint8_t>(round));
        (void)file.value()->append(rec);
        if (rt.rng().one_in(2)) (void)file.value()->fsync();
        (void)rt.sleep_for(Duration::micros(static_cast<int64_t>(rt.rng().below(50'000))));
      }
    });
  }
  for (uint32_t i = 0; i < kNodes; ++i) world.start_node(i);
  Rng faults = Rng(seed).fork("test-faults");
  for (int f = 0; f < 6; ++f) {
    world.run_for(Duration::micros(static_cast<int64_t>(faults.below(200'000))));
    const uint32_t victim = static_cast<uint32_t>(faults.below(kNodes));
    switch (faults.below(3)) {
      case 0:
        if (world.node_up(victim)) {
          world.crash_node(victim, {.keep_unsynced_prefix = faults.one_in(2),
                                    .tear_last_write = faults.one_in(2),
                                    .half_open = modes.half_open});
          world.at(world.now() + Duration::millis(100), [&world, victim] {
            if (!world.node_up(victim)) world.start_node(victim);
          });
        }
        break;
      case 1:
        world.network().partition({victim}, {(victim + 1) % kNodes}, faults.one_in(2));
        world.at(world.now() + Duration::millis(300), [&world] { world.network().heal(); });
        break;
      case 2:
        world.network().set_latency({Duration::micros(10), Duration::millis(5)});
        break;
    }
  }
  world.run_until(Instant{0} + Duration::seconds(60));
  WorkloadStats stats;
  for (const auto& e : world.trace().events()) {
    if (e.kind == "workload.echo" && std::get<int64_t>(e.field("ok")->v) == 1) ++stats.echoes_ok;
    if (e.kind == "node.crash") ++stats.crashes;
  }
  stats.fingerprint = world.fingerprint();
  return stats;
}

uint64_t random_workload_fingerprint(uint64_t seed, WorkloadModes modes = {}) {
  return random_workload(seed, modes).fingerprint;
}

TEST(World, RandomWorkloadDoesRealWork) {
  // Guards the determinism properties against a workload that silently does nothing.
  uint64_t echoes = 0, crashes = 0;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    auto s = random_workload(seed);
    echoes += s.echoes_ok;
    crashes += s.crashes;
  }
  EXPECT_GT(echoes, 300u);
  EXPECT_GT(crashes, 5u);
}

RC_GTEST_PROP(World, SameSeedSameRun, (uint64_t seed)) {
  RC_ASSERT(random_workload_fingerprint(seed) == random_workload_fingerprint(seed));
}

// The new modes keep the promise too, and do change the run.
TEST(World, SameSeedSameRunWithShuffledTiesAndHalfOpenCrashes) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    for (WorkloadModes m : {WorkloadModes{true, false}, WorkloadModes{false, true},
                            WorkloadModes{true, true}}) {
      const auto a = random_workload(seed, m);
      EXPECT_EQ(a.fingerprint, random_workload_fingerprint(seed, m)) << "seed " << seed;
      EXPECT_NE(a.fingerprint, random_workload_fingerprint(seed)) << "seed " << seed;
      EXPECT_GT(a.echoes_ok, 10u) << "seed " << seed;
    }
  }
}

TEST(World, DifferentSeedsDiverge) {
  std::set<uint64_t> prints;
  for (uint64_t seed = 1; seed <= 20; ++seed) prints.insert(random_workload_fingerprint(seed));
  EXPECT_EQ(prints.size(), 20u);
}

// Counts live instances, to see that a crash ran every destructor.
struct Tracked {
  static inline int live = 0;
  Tracked() { ++live; }
  ~Tracked() { --live; }
};

TEST(World, CrashUnwindsEveryFiberOfTheNodeOnly) {
  World world({.seed = 7, .trace = {}});
  int bystander_done = 0;
  const uint32_t victim = world.add_node("victim", [](Runtime& rt) {
    Tracked main_object;
    auto owned = std::make_unique<Tracked>();  // heap memory owned by a fiber stack
    Event never(rt);
    for (int i = 0; i < 10; ++i)
      rt.spawn("worker", [&rt, &never] {
        Tracked t;
        auto buf = std::make_unique<std::vector<uint8_t>>(1 << 16);
        if (rt.rng().one_in(2)) (void)rt.sleep_for(Duration::seconds(1000));
        else (void)never.wait();
      });
    (void)never.wait();
  });
  const uint32_t bystander = world.add_node("bystander", [&](Runtime& rt) {
    (void)rt.sleep_for(Duration::seconds(5));
    ++bystander_done;
  });
  world.start_node(victim);
  world.start_node(bystander);
  world.run_for(Duration::seconds(1));
  EXPECT_EQ(Tracked::live, 12);
  EXPECT_EQ(world.node_tasks(victim), 11u);
  world.crash_node(victim);
  EXPECT_EQ(Tracked::live, 0);
  EXPECT_EQ(world.node_tasks(victim), 0u);
  EXPECT_EQ(world.node_tasks(bystander), 1u);
  world.restart_node(victim);
  world.run_for(Duration::seconds(10));
  EXPECT_EQ(bystander_done, 1);
  EXPECT_EQ(Tracked::live, 12);  // the restarted node built its state again
}

TEST(World, SyncedDataSurvivesACrashAndUnsyncedDataDoesNot) {
  World world({.seed = 3, .trace = {}});
  int phase = 0;
  std::string seen;
  const uint32_t n = world.add_node("n", [&](Runtime& rt) {
    if (phase == 0) {
      ASSERT_TRUE(rt.disk().make_dirs("data").ok());
      ASSERT_TRUE(rt.disk().fsync_dir("").ok());
      auto f = rt.disk().open("data/a", OpenMode::create_exclusive);
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE(f.value()->append(bytes_of("durable|")).ok());
      ASSERT_TRUE(f.value()->fsync().ok());
      ASSERT_TRUE(rt.disk().fsync_dir("data").ok());
      ASSERT_TRUE(f.value()->append(bytes_of("volatile")).ok());
      // A file whose name was never made durable disappears, fsynced data or not.
      auto g = rt.disk().open("data/b", OpenMode::create);
      ASSERT_TRUE(g.ok());
      ASSERT_TRUE(g.value()->append(bytes_of("x")).ok());
      ASSERT_TRUE(g.value()->fsync().ok());
      phase = 1;
      Event never(rt);
      (void)never.wait();
    } else {
      auto names = rt.disk().list("data");
      ASSERT_TRUE(names.ok());
      EXPECT_EQ(names.value(), std::vector<std::string>{"a"});
      auto f = rt.disk().open("data/a", OpenMode::read_write);
      ASSERT_TRUE(f.ok());
      std::vector<uint8_t> buf(100);
      auto got = f.value()->pread(0, buf);
      ASSERT_TRUE(got.ok());
      seen.assign(buf.begin(), buf.begin() + static_cast<long>(got.value()));
      EXPECT_EQ(rt.disk().open("data/b", OpenMode::read_write).code(), Errc::not_found);
      phase = 2;
    }
  });
  world.start_node(n);
  world.run_for(Duration::seconds(1));
  ASSERT_EQ(phase, 1);
  world.crash_node(n);
  world.restart_node(n);
  world.run_for(Duration::seconds(1));
  EXPECT_EQ(phase, 2);
  EXPECT_EQ(seen, "durable|");
}

TEST(World, TornWriteKeepsAPrefixOfTheUnsyncedWrite) {
  // Over many seeds a torn crash keeps some strict prefix of the unsynced append.
  std::set<size_t> lengths;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    World world({.seed = seed, .trace = {}});
    const uint32_t n = world.add_node("n", [](Runtime& rt) {
      auto f = rt.disk().open("f", OpenMode::create);
      ASSERT_TRUE(f.ok());
      ASSERT_TRUE(rt.disk().fsync_dir("").ok());
      ASSERT_TRUE(f.value()->append(bytes_of("base")).ok());
      ASSERT_TRUE(f.value()->fsync().ok());
      ASSERT_TRUE(f.value()->append(bytes_of("0123456789")).ok());
      Event never(rt);
      (void)never.wait();
    });
    world.start_node(n);
    world.run_for(Duration::seconds(1));
    world.crash_node(n, {.keep_unsynced_prefix = false, .tear_last_write = true});
    auto data = world.disk(n).read_all("f");
    std::string s(data.begin(), data.end());
    ASSERT_EQ(s.substr(0, 4), "base");
    ASSERT_LT(s.size(), 14u);
    EXPECT_EQ(s.substr(4), std::string("0123456789").substr(0, s.size() - 4));
    lengths.insert(s.size());
  }
  EXPECT_GT(lengths.size(), 3u);
}

TEST(World, ConnectToADeadNodeTimesOutAndToAClosedPortIsRefused) {
  World world({.seed = 5, .trace = {}});
  Errc dead = Errc::ok, closed_port = Errc::ok, unknown = Errc::ok;
  Instant dead_at{0};
  world.add_node("dead", [](Runtime&) {});
  const uint32_t up = world.add_node("up", [](Runtime& rt) {
    Event never(rt);
    (void)never.wait();
  });
  const uint32_t client = world.add_node("client", [&](Runtime& rt) {
    dead = rt.net().connect({"dead", 1}, rt.now() + Duration::seconds(3)).code();
    dead_at = rt.now();
    closed_port = rt.net().connect({"up", 1}, rt.now() + Duration::seconds(3)).code();
    unknown = rt.net().connect({"nowhere", 1}, rt.now() + Duration::seconds(3)).code();
  });
  world.start_node(up);
  world.start_node(client);
  world.run_until_idle(Instant{0} + Duration::seconds(60));
  EXPECT_EQ(dead, Errc::timed_out);
  EXPECT_EQ(dead_at, Instant{0} + Duration::seconds(3));
  EXPECT_EQ(closed_port, Errc::refused);
  EXPECT_EQ(unknown, Errc::unreachable);
}

TEST(World, PartitionStallsAStreamAndHealResumesIt) {
  World world({.seed = 9, .trace = {}});
  std::vector<std::string> events;
  const uint32_t a = world.add_node("a", [&](Runtime& rt) {
    auto l = rt.net().listen({"a", 1});
    ASSERT_TRUE(l.ok());
    auto s = l.value()->accept(Instant::never());
    ASSERT_TRUE(s.ok());
    std::vector<uint8_t> buf(10);
    auto r1 = s.value()->read_some(buf, rt.now() + Duration::seconds(1));
    events.push_back(r1.ok() ? "read" : std::string(errc_name(r1.code())));
    auto r2 = s.value()->read_some(buf, Instant::never());
    events.push_back(r2.ok() ? "read" : std::string(errc_name(r2.code())));
  });
  const uint32_t b = world.add_node("b", [&](Runtime& rt) {
    auto s = rt.net().connect({"a", 1}, rt.now() + Duration::seconds(1));
    ASSERT_TRUE(s.ok());
    (void)rt.sleep_for(Duration::seconds(1));  // the partition is in place by now
    ASSERT_TRUE(s.value()->write_all(bytes_of("hi"), Instant::never()).ok());
    Event never(rt);
    (void)never.wait();
  });
  world.start_node(a);
  world.start_node(b);
  world.run_for(Duration::millis(500));
  world.network().partition({a}, {b}, false);
  world.run_for(Duration::seconds(3));
  world.network().heal();
  world.run_for(Duration::seconds(3));
  EXPECT_EQ(events, (std::vector<std::string>{"timed out", "read"}));
}

TEST(World, PeerCrashResetsTheConnection) {
  World world({.seed = 11, .trace = {}});
  Errc seen = Errc::ok;
  const uint32_t server = world.add_node("server", [&](Runtime& rt) {
    auto l = rt.net().listen({"server", 1});
    ASSERT_TRUE(l.ok());
    auto s = l.value()->accept(Instant::never());
    Event never(rt);
    (void)never.wait();
  });
  const uint32_t client = world.add_node("client", [&](Runtime& rt) {
    auto s = rt.net().connect({"server", 1}, rt.now() + Duration::seconds(1));
    ASSERT_TRUE(s.ok());
    std::vector<uint8_t> buf(10);
    seen = s.value()->read_some(buf, rt.now() + Duration::seconds(30)).code();
  });
  world.start_node(server);
  world.start_node(client);
  world.run_for(Duration::seconds(1));
  world.crash_node(server);
  world.run_for(Duration::seconds(1));
  EXPECT_EQ(seen, Errc::reset);
}

// Goal: a world torn down while nodes still hold connections calls no trace observer: the
// observers' owners (run counters, the injector) may be gone already. Found by
// MALLOC_PERTURB_ in the scenario runner, whose counters die before the world; under ASan a
// call here is a heap-use-after-free.
TEST(World, TeardownCallsNoObserver) {
  struct Counter {
    int events = 0;
  };
  auto counter = std::make_unique<Counter>();
  {
    World world({.seed = 3, .trace = {}});
    world.observe_trace([c = counter.get()](std::string_view, std::string_view,
                                            std::initializer_list<TraceField>) { ++c->events; });
    const uint32_t server = world.add_node("server", [](Runtime& rt) {
      auto listener = rt.net().listen({"server", 9000});
      ASSERT_TRUE(listener.ok());
      auto conn = listener.value()->accept(Instant::never());
      Event never(rt);
      (void)never.wait();
    });
    const uint32_t client = world.add_node("client", [](Runtime& rt) {
      auto conn = rt.net().connect({"server", 9000}, rt.now() + Duration::seconds(5));
      Event never(rt);
      (void)never.wait();
    });
    world.start_node(server);
    world.start_node(client);
    world.run_for(Duration::seconds(1));
    EXPECT_GT(counter->events, 0);
    counter.reset();  // the owner goes first, as in the runner
  }  // the world unwinds both nodes and resets their connection here: no observer call
}

TEST(World, FsyncErrorIsAValueAndItsDataIsLostOnCrash) {
  World world({.seed = 13, .trace = {}});
  const uint32_t n = world.add_node("n", [&](Runtime& rt) {
    auto f = rt.disk().open("f", OpenMode::create);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE(rt.disk().fsync_dir("").ok());
    ASSERT_TRUE(f.value()->append(bytes_of("abc")).ok());
    world.disk(0).faults().fsync_error_ppm = 1'000'000;
    EXPECT_EQ(f.value()->fsync().code(), Errc::io_error);
    world.disk(0).faults().fsync_error_ppm = 0;
    EXPECT_TRUE(f.value()->fsync().ok());  // Linux reports the error once, then "succeeds"
    world.disk(0).faults().capacity_bytes = 5;
    // A full disk takes what fits, then fails (write(2): a short write, then ENOSPC).
    EXPECT_EQ(f.value()->append(bytes_of("defg")).code(), Errc::no_space);
    auto size = f.value()->size();
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(size.value(), 5u);
    EXPECT_EQ(f.value()->append(bytes_of("h")).code(), Errc::no_space);
    EXPECT_EQ(f.value()->size().value(), 5u);
    Event never(rt);
    (void)never.wait();
  });
  world.start_node(n);
  world.run_for(Duration::seconds(1));
  world.crash_node(n);
  EXPECT_TRUE(world.disk(n).read_all("f").empty());
}

}  // namespace
}  // namespace tern

namespace tern {
namespace {

TEST(World, PausedNodeStallsAndResumesInOrder) {
  sim::World world({.seed = 21, .trace = {}});
  std::vector<int64_t> ticks;
  const uint32_t n = world.add_node("n", [&](Runtime& rt) {
    for (int i = 0; i < 5; ++i) {
      (void)rt.sleep_for(Duration::seconds(1));
      ticks.push_back(rt.now().ns / 1000'000'000);
    }
  });
  world.start_node(n);
  world.run_for(Duration::millis(2500));
  world.pause_node(n);
  world.run_for(Duration::seconds(10));  // timers fire, but nothing runs
  EXPECT_EQ(ticks, (std::vector<int64_t>{1, 2}));
  world.resume_node(n);
  world.run_for(Duration::seconds(10));
  EXPECT_EQ(ticks, (std::vector<int64_t>{1, 2, 12, 13, 14}));
}


// ---- tie shuffling ------------------------------------------------------------------------

// Spawns `n` tasks at once (all runnable at the same instant) and returns the order they ran.
std::vector<int> spawn_order(uint64_t seed, bool shuffle, int n) {
  std::vector<int> order;
  World world({.seed = seed, .trace = {}, .shuffle_ties = shuffle});
  const uint32_t node = world.add_node("n", [&](Runtime& rt) {
    std::vector<TaskHandle> ts;
    for (int i = 0; i < n; ++i) ts.push_back(rt.spawn("t", [&order, i] { order.push_back(i); }));
    for (auto& t : ts) EXPECT_TRUE(t.join().ok());
  });
  world.start_node(node);
  world.run_until_idle();
  return order;
}

TEST(World, ShuffledTiesRunEveryTaskInASeededNonFifoOrder) {
  std::vector<int> fifo(8);
  for (int i = 0; i < 8; ++i) fifo[static_cast<size_t>(i)] = i;
  EXPECT_EQ(spawn_order(1, false, 8), fifo);
  std::set<std::vector<int>> orders;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    auto order = spawn_order(seed, true, 8);
    EXPECT_EQ(order, spawn_order(seed, true, 8)) << "seed " << seed;
    auto sorted = order;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, fifo) << "every task runs exactly once";
    orders.insert(order);
  }
  EXPECT_GT(orders.size(), 15u);  // 8! orders: 20 seeds rarely repeat one, or hit FIFO
}

// Timers due at the same instant: arming order without the mode, a seeded order with it.
std::vector<int> timer_tie_order(uint64_t seed, bool shuffle) {
  std::vector<int> order;
  World world({.seed = seed, .trace = {}, .shuffle_ties = shuffle});
  for (int i = 0; i < 8; ++i)
    world.at(Instant{0} + Duration::millis(5), [&order, i] { order.push_back(i); });
  world.run_until_idle();
  return order;
}

TEST(World, ShuffledTiesFireEqualDeadlineTimersInASeededOrder) {
  const std::vector<int> armed = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(timer_tie_order(3, false), armed);
  std::set<std::vector<int>> orders;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    auto o = timer_tie_order(seed, true);
    EXPECT_EQ(o, timer_tie_order(seed, true));
    EXPECT_EQ(o.size(), 8u);
    orders.insert(o);
  }
  EXPECT_GT(orders.size(), 5u);
}

TEST(World, ShuffledTiesKeepDeadlineOrderAndPauseAndKill) {
  World world({.seed = 4, .trace = {}, .shuffle_ties = true});
  std::vector<int64_t> ticks;
  int spinners_done = 0;
  const uint32_t n = world.add_node("n", [&](Runtime& rt) {
    // Tasks that yield to each other still all finish.
    for (int i = 0; i < 4; ++i)
      rt.spawn("spin", [&rt, &spinners_done] {
        for (int k = 0; k < 50; ++k) rt.yield();
        ++spinners_done;
      });
    for (int i = 0; i < 5; ++i) {
      (void)rt.sleep_for(Duration::seconds(1));
      ticks.push_back(rt.now().ns / 1000'000'000);
    }
    Event never(rt);
    (void)never.wait();
  });
  const uint32_t victim = world.add_node("victim", [](Runtime& rt) {
    for (int i = 0; i < 5; ++i) rt.spawn("w", [&rt] { (void)rt.sleep_for(Duration::seconds(3600)); });
    Event never(rt);
    (void)never.wait();
  });
  world.start_node(n);
  world.start_node(victim);
  world.run_for(Duration::millis(2500));
  EXPECT_EQ(spinners_done, 4);
  world.pause_node(n);
  world.run_for(Duration::seconds(10));
  EXPECT_EQ(ticks, (std::vector<int64_t>{1, 2}));
  world.resume_node(n);
  world.run_for(Duration::seconds(10));
  EXPECT_EQ(ticks, (std::vector<int64_t>{1, 2, 12, 13, 14}));
  EXPECT_EQ(world.node_tasks(victim), 6u);
  world.crash_node(victim);
  EXPECT_EQ(world.node_tasks(victim), 0u);
  world.restart_node(victim);
  world.run_for(Duration::seconds(1));
  EXPECT_EQ(world.node_tasks(victim), 6u);
}

// ---- buggify per site ---------------------------------------------------------------------

// The first `calls` decisions of each site, evaluating the sites round-robin in `order`.
std::map<std::string, std::vector<bool>> buggify_decisions(
    uint64_t seed, const std::vector<std::string>& order, int calls,
    std::vector<std::string> force = {}) {
  World world({.seed = seed, .trace = {}, .buggify = true, .buggify_sites = std::move(force)});
  std::map<std::string, std::vector<bool>> out;
  for (int k = 0; k < calls; ++k)
    for (const auto& site : order) out[site].push_back(world.buggify(site));
  return out;
}

TEST(World, BuggifySiteDecisionsDependOnSeedAndSiteOnly) {
  const std::vector<std::string> sites = {"a.one", "b.two", "c.three", "d.four", "e.five"};
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const auto all = buggify_decisions(seed, sites, 40);
    // Another order, and each site alone: the same activation and firing sequence.
    const std::vector<std::string> reversed(sites.rbegin(), sites.rend());
    EXPECT_EQ(buggify_decisions(seed, reversed, 40), all) << "seed " << seed;
    for (const auto& site : sites) {
      const auto alone = buggify_decisions(seed, {site}, 40);
      EXPECT_EQ(alone.at(site), all.at(site)) << "seed " << seed << " site " << site;
      const bool any = std::find(all.at(site).begin(), all.at(site).end(), true) !=
                       all.at(site).end();
      // A disabled site never fires; an enabled one fired in 40 tries (odds of not: 1e-5).
      EXPECT_EQ(any, World::buggify_site_enabled(seed, site)) << seed << " " << site;
    }
  }
}

TEST(World, BuggifyEnablesAboutAQuarterOfSitesAndFiresAQuarterOfTheTime) {
  int enabled = 0, fired = 0, evaluated = 0;
  for (int i = 0; i < 2000; ++i)
    enabled += World::buggify_site_enabled(7, fmt::format("site.{}", i)) ? 1 : 0;
  EXPECT_GT(enabled, 420);  // 500 expected; sd ~19
  EXPECT_LT(enabled, 580);
  World world({.seed = 7, .trace = {}, .buggify = true});
  for (int i = 0; i < 2000; ++i) {
    const std::string site = fmt::format("site.{}", i);
    if (!World::buggify_site_enabled(7, site)) continue;
    for (int k = 0; k < 20; ++k) {
      fired += world.buggify(site) ? 1 : 0;
      ++evaluated;
    }
  }
  EXPECT_GT(fired * 100, evaluated * 22);
  EXPECT_LT(fired * 100, evaluated * 28);
}

TEST(World, BuggifySitesListForcesExactlyThoseSites) {
  const std::vector<std::string> sites = {"a", "b", "c", "d", "e", "f", "g", "h"};
  const auto d = buggify_decisions(5, sites, 40, {"c", "g"});
  for (const auto& site : sites) {
    const bool any = std::find(d.at(site).begin(), d.at(site).end(), true) != d.at(site).end();
    EXPECT_EQ(any, site == "c" || site == "g") << site;
  }
  // The list does not turn buggify on by itself.
  World off({.seed = 5, .trace = {}, .buggify = false, .buggify_sites = {"c"}});
  EXPECT_FALSE(off.buggify("c"));
}

TEST(World, BuggifySiteTraceEventAtFirstEvaluation) {
  World world({.seed = 2, .trace = {.keep_events = true}, .buggify = true});
  for (int k = 0; k < 5; ++k) (void)world.buggify("x");
  int n = 0;
  for (const auto& e : world.trace().events())
    if (e.kind == "buggify.site") ++n;
  EXPECT_EQ(n, 1);
}

// ---- half-open connections ----------------------------------------------------------------

struct HalfOpenRun {
  Errc read = Errc::ok;          // the client's read from the crashed server
  Instant read_at{0};
  Errc write = Errc::ok;         // the client's big write toward it
  Instant write_at{0};
  Errc after_restart = Errc::ok; // a read on the old connection once the server restarted
  Instant after_restart_at{0};
  Errc reconnect = Errc::ok;     // a new connect while the server is down
};

HalfOpenRun half_open_run(bool half_open) {
  World world({.seed = 17, .trace = {}});
  HalfOpenRun r;
  const uint32_t server = world.add_node("server", [&](Runtime& rt) {
    auto l = rt.net().listen({"server", 1});
    ASSERT_TRUE(l.ok());
    std::vector<std::unique_ptr<Stream>> keep;
    while (true) {
      auto s = l.value()->accept(Instant::never());
      if (!s.ok()) return;
      keep.push_back(std::move(s.value()));
    }
  });
  const uint32_t client = world.add_node("client", [&](Runtime& rt) {
    auto a = rt.net().connect({"server", 1}, rt.now() + Duration::seconds(1));
    auto b = rt.net().connect({"server", 1}, rt.now() + Duration::seconds(1));
    auto c = rt.net().connect({"server", 1}, rt.now() + Duration::seconds(1));
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    (void)rt.sleep_for(Duration::seconds(1));  // the server crashes at 1 s
    auto writer = rt.spawn("writer", [&] {
      std::vector<uint8_t> big(4 << 20, 7);  // more than the window: must stall
      r.write = b.value()->write_all(big, rt.now() + Duration::seconds(5)).code();
      r.write_at = rt.now();
    });
    std::vector<uint8_t> buf(10);
    r.read = a.value()->read_some(buf, rt.now() + Duration::seconds(3)).code();
    r.read_at = rt.now();
    r.reconnect = rt.net().connect({"server", 1}, rt.now() + Duration::seconds(2)).code();
    EXPECT_TRUE(writer.join().ok());
    // The server restarts at 20 s; this read waits for whatever comes first.
    r.after_restart = c.value()->read_some(buf, rt.now() + Duration::seconds(60)).code();
    r.after_restart_at = rt.now();
  });
  world.start_node(server);
  world.start_node(client);
  world.run_for(Duration::millis(1500));
  EXPECT_EQ(world.network().open_connections(), 3u);
  world.crash_node(server, {.half_open = half_open});
  world.run_until(Instant{0} + Duration::seconds(20));
  world.restart_node(server);
  world.run_until(Instant{0} + Duration::seconds(100));
  return r;
}

TEST(World, HalfOpenCrashLeavesPeersSilentUntilRestart) {
  const auto r = half_open_run(true);
  // Reads wait for their deadline, writes stall once the window is full.
  EXPECT_EQ(r.read, Errc::timed_out);
  EXPECT_GT(r.read_at, Instant{0} + Duration::seconds(3));
  EXPECT_EQ(r.write, Errc::timed_out);
  EXPECT_GT(r.write_at, Instant{0} + Duration::seconds(6));
  // Connecting to the machine that is down still times out.
  EXPECT_EQ(r.reconnect, Errc::timed_out);
  // The restart resets the old connection.
  EXPECT_EQ(r.after_restart, Errc::reset);
  EXPECT_EQ(r.after_restart_at, Instant{0} + Duration::seconds(20));
}

TEST(World, ProcessCrashResetsPeersAtOnce) {
  const auto r = half_open_run(false);
  EXPECT_EQ(r.read, Errc::reset);
  EXPECT_LT(r.read_at, Instant{0} + Duration::millis(1600));
  EXPECT_EQ(r.write, Errc::reset);
  EXPECT_EQ(r.reconnect, Errc::timed_out);
  EXPECT_EQ(r.after_restart, Errc::reset);
  EXPECT_LT(r.after_restart_at, Instant{0} + Duration::seconds(8));
}

TEST(World, ClosingAHalfOpenConnectionEndsItBeforeTheRestart) {
  World world({.seed = 19, .trace = {.keep_events = true}});
  const uint32_t server = world.add_node("server", [&](Runtime& rt) {
    auto l = rt.net().listen({"server", 1});
    ASSERT_TRUE(l.ok());
    auto s = l.value()->accept(Instant::never());
    Event never(rt);
    (void)never.wait();
  });
  const uint32_t client = world.add_node("client", [&](Runtime& rt) {
    auto s = rt.net().connect({"server", 1}, rt.now() + Duration::seconds(1));
    ASSERT_TRUE(s.ok());
    (void)rt.sleep_for(Duration::seconds(2));
    ASSERT_TRUE(s.value()->write_all(bytes_of("hello"), rt.now() + Duration::seconds(1)).ok());
    s.value()->close();
    Event never(rt);
    (void)never.wait();
  });
  world.start_node(server);
  world.start_node(client);
  world.run_for(Duration::seconds(1));
  world.crash_node(server, {.half_open = true});
  world.run_for(Duration::seconds(5));
  world.restart_node(server);
  world.run_for(Duration::seconds(1));
  int resets = 0, half_opens = 0;
  for (const auto& e : world.trace().events()) {
    resets += e.kind == "net.reset";
    half_opens += e.kind == "net.half_open";
  }
  EXPECT_EQ(half_opens, 1);
  EXPECT_EQ(resets, 1);  // at the close, not again at the restart
}

}  // namespace
}  // namespace tern
