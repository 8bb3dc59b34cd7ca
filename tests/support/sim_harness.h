#pragma once
// Helpers for tests that run code inside the simulated world.
#include <functional>

#include "sim/simulated/world.h"

namespace tern::test {

// Runs `body` as the main task of one node in a fresh world and runs the world until idle
// (or the limit). Returns the world for inspection.
inline std::unique_ptr<sim::World> run_in_world(std::function<void(Runtime&)> body,
                                                uint64_t seed = 1,
                                                Duration limit = Duration::seconds(3600)) {
  auto world = std::make_unique<sim::World>(sim::World::Options{.seed = seed, .trace = {}});
  const uint32_t n = world->add_node("n1", std::move(body));
  world->start_node(n);
  world->run_until_idle(Instant{0} + limit);
  return world;
}

}  // namespace tern::test
