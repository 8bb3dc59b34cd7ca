// Goal: the fiber-aware primitives in sim/runtime/sync behave as documented — FIFO hand-off,
// deadlines, cancellation, broken promises — checked in the simulated world, where time is
// virtual and every interleaving is reproducible.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "sim/runtime/sync/channel.h"
#include "sim/runtime/sync/event.h"
#include "sim/runtime/sync/future.h"
#include "sim/runtime/sync/mutex.h"
#include "sim/runtime/sync/semaphore.h"
#include "tests/support/sim_harness.h"

namespace tern {
namespace {

TEST(Sync, EventWakesAllWaitersAndTimesOut) {
  std::vector<std::string> log;
  test::run_in_world([&](Runtime& rt) {
    Event ev(rt);
    auto a = rt.spawn("a", [&] { EXPECT_TRUE(ev.wait().ok()); log.push_back("a"); });
    auto b = rt.spawn("b", [&] { EXPECT_TRUE(ev.wait().ok()); log.push_back("b"); });
    auto c = rt.spawn("c", [&] {
      Status s = ev.wait(rt.now() + Duration::millis(5));
      EXPECT_EQ(s.code(), Errc::timed_out);
      log.push_back("c-timeout");
    });
    EXPECT_TRUE(rt.sleep_for(Duration::millis(10)).ok());
    ev.set();
    EXPECT_TRUE(a.join().ok());
    EXPECT_TRUE(b.join().ok());
    EXPECT_TRUE(c.join().ok());
  });
  EXPECT_EQ(log, (std::vector<std::string>{"c-timeout", "a", "b"}));
}

TEST(Sync, MutexHandsOffInArrivalOrder) {
  std::vector<int> order;
  test::run_in_world([&](Runtime& rt) {
    Mutex m(rt);
    std::vector<TaskHandle> ts;
    for (int i = 0; i < 5; ++i)
      ts.push_back(rt.spawn("t", [&, i] {
        MutexLock lock(m);
        ASSERT_TRUE(lock.owns());
        order.push_back(i);
        EXPECT_TRUE(rt.sleep_for(Duration::millis(1)).ok());  // suspend while holding it
      }));
    for (auto& t : ts) EXPECT_TRUE(t.join().ok());
    EXPECT_FALSE(m.locked());
  });
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Sync, SemaphoreBoundsConcurrency) {
  int inside = 0, peak = 0;
  test::run_in_world([&](Runtime& rt) {
    Semaphore sem(rt, 2);
    std::vector<TaskHandle> ts;
    for (int i = 0; i < 6; ++i)
      ts.push_back(rt.spawn("w", [&] {
        ASSERT_TRUE(sem.acquire().ok());
        peak = std::max(peak, ++inside);
        EXPECT_TRUE(rt.sleep_for(Duration::millis(3)).ok());
        --inside;
        sem.release();
      }));
    for (auto& t : ts) EXPECT_TRUE(t.join().ok());
    EXPECT_EQ(sem.available(), 2);
  });
  EXPECT_EQ(peak, 2);
}

TEST(Sync, ChannelIsBoundedAndDrainsAfterClose) {
  std::vector<int> got;
  test::run_in_world([&](Runtime& rt) {
    Channel<int> ch(rt, 2);
    auto producer = rt.spawn("producer", [&] {
      for (int i = 0; i < 5; ++i) EXPECT_TRUE(ch.send(i).ok());
      ch.close();
      EXPECT_EQ(ch.send(99).code(), Errc::closed);
    });
    // The producer can run ahead by at most the capacity.
    EXPECT_TRUE(rt.sleep_for(Duration::millis(1)).ok());
    EXPECT_EQ(ch.size(), 2u);
    while (true) {
      Result<int> v = ch.recv();
      if (!v.ok()) {
        EXPECT_EQ(v.code(), Errc::closed);
        break;
      }
      got.push_back(v.value());
    }
    EXPECT_TRUE(producer.join().ok());
    Channel<int> empty(rt, 1);
    EXPECT_EQ(empty.recv(rt.now() + Duration::millis(2)).code(), Errc::timed_out);
  });
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Sync, FutureDeliversValueAndBreaksWithItsPromise) {
  test::run_in_world([&](Runtime& rt) {
    Promise<std::string> p(rt);
    Future<std::string> f = p.future();
    auto waiter = rt.spawn("waiter", [&] {
      Result<std::string> v = f.get();
      ASSERT_TRUE(v.ok());
      EXPECT_EQ(v.value(), "hello");
    });
    EXPECT_TRUE(rt.sleep_for(Duration::millis(1)).ok());
    p.set("hello");
    EXPECT_TRUE(waiter.join().ok());

    Future<int> orphan;
    {
      Promise<int> dies(rt);
      orphan = dies.future();
    }
    EXPECT_EQ(orphan.get().code(), Errc::cancelled);
  });
}

TEST(Sync, CancelWakesAParkedTaskAndStaysCancelled) {
  test::run_in_world([&](Runtime& rt) {
    Event never(rt);
    int stage = 0;
    auto t = rt.spawn("sleeper", [&] {
      EXPECT_EQ(never.wait().code(), Errc::cancelled);
      stage = 1;
      EXPECT_EQ(rt.sleep_for(Duration::seconds(1)).code(), Errc::cancelled);
      stage = 2;
    });
    EXPECT_TRUE(rt.sleep_for(Duration::millis(1)).ok());
    t.cancel();
    EXPECT_TRUE(t.join(rt.now() + Duration::millis(1)).ok());
    EXPECT_EQ(stage, 2);
  });
}

TEST(Sync, JoinTimesOutOnARunningTask) {
  test::run_in_world([&](Runtime& rt) {
    auto slow = rt.spawn("slow", [&] { (void)rt.sleep_for(Duration::seconds(10)); });
    EXPECT_EQ(slow.join(rt.now() + Duration::seconds(1)).code(), Errc::timed_out);
    EXPECT_FALSE(slow.done());
    EXPECT_TRUE(slow.join().ok());
    EXPECT_EQ(rt.now(), Instant{0} + Duration::seconds(10));
  });
}


// ---- under shuffled ties ------------------------------------------------------------------
// The primitives promise FIFO among waiters, not among runnable tasks: with the scheduler
// picking runnable tasks in a seeded order they must still hand off in arrival order, bound
// concurrency and lose nothing.

void run_shuffled(uint64_t seed, std::function<void(Runtime&)> body) {
  sim::World world({.seed = seed, .trace = {}, .shuffle_ties = true});
  const uint32_t n = world.add_node("n1", std::move(body));
  world.start_node(n);
  world.run_until_idle(Instant{0} + Duration::seconds(3600));
}

TEST(SyncShuffled, MutexExcludesAndHandsOffInArrivalOrder) {
  std::set<std::vector<int>> arrival_orders;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    std::vector<int> arrived, order;
    int inside = 0;
    run_shuffled(seed, [&](Runtime& rt) {
      Mutex m(rt);
      std::vector<TaskHandle> ts;
      for (int i = 0; i < 6; ++i)
        ts.push_back(rt.spawn("t", [&, i] {
          arrived.push_back(i);
          MutexLock lock(m);
          ASSERT_TRUE(lock.owns());
          EXPECT_EQ(++inside, 1);
          order.push_back(i);
          EXPECT_TRUE(rt.sleep_for(Duration::millis(1)).ok());
          --inside;
        }));
      for (auto& t : ts) EXPECT_TRUE(t.join().ok());
      EXPECT_FALSE(m.locked());
    });
    EXPECT_EQ(order, arrived) << "seed " << seed;
    EXPECT_EQ(order.size(), 6u);
    arrival_orders.insert(arrived);
  }
  EXPECT_GT(arrival_orders.size(), 1u);  // the mode did shuffle them
}

TEST(SyncShuffled, SemaphoreEventChannelAndFutureStillWork) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    int inside = 0, peak = 0, woken = 0;
    std::vector<int> got;
    run_shuffled(seed, [&](Runtime& rt) {
      Semaphore sem(rt, 2);
      Event ev(rt);
      Channel<int> ch(rt, 2);
      Promise<int> p(rt);
      Future<int> f = p.future();
      std::vector<TaskHandle> ts;
      for (int i = 0; i < 6; ++i)
        ts.push_back(rt.spawn("w", [&] {
          ASSERT_TRUE(sem.acquire().ok());
          peak = std::max(peak, ++inside);
          rt.yield();
          --inside;
          sem.release();
          EXPECT_TRUE(ev.wait().ok());
          ++woken;
        }));
      ts.push_back(rt.spawn("producer", [&] {
        for (int i = 0; i < 20; ++i) EXPECT_TRUE(ch.send(i).ok());
        ch.close();
      }));
      ts.push_back(rt.spawn("promise", [&] { p.set(42); }));
      while (true) {
        Result<int> v = ch.recv();
        if (!v.ok()) break;
        got.push_back(v.value());
      }
      auto v = f.get();
      ASSERT_TRUE(v.ok());
      EXPECT_EQ(v.value(), 42);
      EXPECT_TRUE(rt.sleep_for(Duration::millis(1)).ok());
      ev.set();
      for (auto& t : ts) EXPECT_TRUE(t.join().ok());
    });
    EXPECT_EQ(peak, 2) << "seed " << seed;
    EXPECT_EQ(woken, 6) << "seed " << seed;
    std::vector<int> want(20);
    for (int i = 0; i < 20; ++i) want[static_cast<size_t>(i)] = i;
    EXPECT_EQ(got, want) << "seed " << seed;
  }
}

}  // namespace
}  // namespace tern
