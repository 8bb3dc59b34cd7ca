// Goal: the simulated world keeps its promises — timers in deadline order, streams in order
// and intact, crashes that unwind every fiber and lose exactly the unsynced data, connects
// to dead nodes that time out, partitions that stall and heal, and the same seed giving the
// same run. Method: small scripted runs plus RapidCheck properties over random workloads.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
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

WorkloadStats random_workload(uint64_t seed) {
  World world({.seed = seed, .trace = {.keep_events = true}});
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
                                    .tear_last_write = faults.one_in(2)});
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

uint64_t random_workload_fingerprint(uint64_t seed) { return random_workload(seed).fingerprint; }

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
    EXPECT_EQ(f.value()->append(bytes_of("defg")).code(), Errc::no_space);
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

}  // namespace
}  // namespace tern
