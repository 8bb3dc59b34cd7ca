#pragma once
// Runs a test body as the main task of one simulated node (disk, tasks, virtual time).
#include <gtest/gtest.h>

#include <functional>

#include "sim/simulated/world.h"

namespace tern::raft::test {

inline void run_on_node(const std::function<void(Runtime&)>& body, uint64_t seed = 1) {
  sim::World world(sim::World::Options{.seed = seed});
  bool done = false;
  const uint32_t n = world.add_node("n1", [&](Runtime& rt) {
    body(rt);
    done = true;
  });
  world.start_node(n);
  ASSERT_TRUE(world.run_until([&] { return done; }, world.now() + Duration::seconds(3600)))
      << "test body did not finish";
  world.crash_node(n);
}

}  // namespace tern::raft::test
