// Goal: the durability counters count what they say, from the trace events alone. Method: a
// node named like a broker emits produce.ack and log.fsync.done events by hand, the world
// crashes it; the counters must see exactly the acks whose log was not fsynced again.
#include <gtest/gtest.h>

#include "scenarios/run_counters.h"
#include "sim/runtime/sync/event.h"

namespace tern::scenarios {
namespace {

TEST(RunCounters, AcksBeforeTheNextFsyncOfTheirLogAreCountedAtACrash) {
  sim::World world({.seed = 1, .trace = {}});
  RunCounters counters(world, {"b1"});
  const uint32_t b1 = world.add_node("b1", [](Runtime& rt) {
    auto ack = [&](int partition) {
      rt.trace("produce.ack", {{"topic", "t"}, {"partition", partition}, {"offset", 0},
                               {"acks", -1}, {"client", "p1"}});
    };
    ack(0);
    ack(1);
    rt.trace("log.fsync.done", {{"topic", "t"}, {"partition", 0}, {"end", 1}, {"ok", 1}});
    ack(1);  // partition 1: two acks since its last fsync; partition 0: none
    rt.trace("log.fsync.done", {{"topic", "t"}, {"partition", 1}, {"end", 2}, {"ok", 0}});
    Event never(rt);
    (void)never.wait();
  });
  const uint32_t other = world.add_node("c1", [](Runtime& rt) {
    rt.trace("produce.ack", {{"topic", "t"}, {"partition", 0}, {"offset", 0}});  // not a broker
  });
  world.start_node(b1);
  world.start_node(other);
  world.run_for(Duration::seconds(1));
  world.crash_node(b1);
  EXPECT_EQ(counters.broker_acks(), 3u);
  EXPECT_EQ(counters.acks_crashed_before_fsync(), 2u);  // a failed fsync does not count
  EXPECT_EQ(counters.crashes_after_ack(), 1u);
  // A restarted broker that acknowledges nothing and crashes again adds nothing.
  world.start_node(b1);
  world.run_for(Duration::seconds(1));
  world.crash_node(b1);
  EXPECT_EQ(counters.crashes_after_ack(), 2u);  // it acked again after its restart
  EXPECT_EQ(counters.acks_crashed_before_fsync(), 4u);
}

}  // namespace
}  // namespace tern::scenarios
