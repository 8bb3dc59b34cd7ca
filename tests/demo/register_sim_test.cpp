// Goal: the register service (written only against sim/runtime) keeps every acknowledged
// write visible to later reads while servers crash (losing unsynced data, tearing writes) and
// restart. Method: 3 servers and 2 clients in the simulated world; a seeded fault driver
// crashes one server at a time; clients check each read against the writes acknowledged
// before it began. A RapidCheck property runs this over random seeds.
#include <gtest/gtest.h>

#include "sim/simulated/world.h"
#include "tests/demo/register_service.h"

namespace tern::demo {
namespace {

struct Outcome {
  uint64_t acked_puts = 0;
  uint64_t checked_reads = 0;
  uint64_t crashes = 0;
  std::vector<std::string> violations;
  uint64_t fingerprint = 0;
};

Outcome run_register_scenario(uint64_t seed) {
  sim::World world({.seed = seed, .trace = {}});
  Outcome out;
  std::vector<Address> replicas;
  std::vector<uint32_t> servers;
  for (int i = 0; i < 3; ++i) {
    const std::string name = fmt::format("s{}", i);
    replicas.push_back({name, 5000});
    servers.push_back(world.add_node(name, [name](Runtime& rt) {
      run_register_server(rt, {name, 5000}, "register.log");
    }));
  }
  std::map<uint64_t, uint64_t> acked;  // key -> highest acknowledged version
  const Instant end = Instant{0} + Duration::seconds(60);
  for (uint64_t c = 1; c <= 2; ++c) {
    world.add_node(fmt::format("c{}", c), [&, c](Runtime& rt) {
      RegisterClient client(rt, replicas, Duration::millis(300));
      uint64_t counter = 0;
      while (rt.now() < end) {
        const uint64_t key = rt.rng().below(5);
        if (rt.rng().one_in(2)) {
          const uint64_t version = (++counter << 8) | c;
          if (client.put(key, {version, version * 7 + key}, rt.now() + Duration::seconds(1))) {
            acked[key] = std::max(acked[key], version);
            ++out.acked_puts;
          }
        } else {
          const uint64_t must_see = acked[key];
          auto got = client.get(key, rt.now() + Duration::seconds(1));
          if (got) {
            ++out.checked_reads;
            if (got->version < must_see)
              out.violations.push_back(fmt::format("key {} read version {} < acked {}", key,
                                                   got->version, must_see));
            if (got->version != 0 && got->value != got->version * 7 + key)
              out.violations.push_back(fmt::format("key {} version {} has a foreign value", key,
                                                   got->version));
          }
        }
        (void)rt.sleep_for(Duration::micros(static_cast<int64_t>(rt.rng().below(20'000))));
      }
    });
  }
  for (uint32_t i = 0; i < world.node_count(); ++i) world.start_node(i);
  Rng faults = Rng(seed).fork("faults");
  while (world.now() < end) {
    world.run_for(Duration::millis(static_cast<int64_t>(faults.between(200, 3000))));
    bool all_up = true;
    for (uint32_t s : servers) all_up &= world.node_up(s);
    if (!all_up) continue;
    const uint32_t victim = servers[faults.below(servers.size())];
    world.crash_node(victim, {.keep_unsynced_prefix = faults.one_in(2),
                              .tear_last_write = faults.one_in(2)});
    ++out.crashes;
    world.at(world.now() + Duration::millis(faults.between(100, 2000)),
             [&world, victim] { world.start_node(victim); });
  }
  world.run_until(end + Duration::seconds(10));
  out.fingerprint = world.fingerprint();
  return out;
}

TEST(RegisterSim, AcknowledgedWritesSurviveCrashes) {
  // A fixed seed range: a failure names its seed, and the same seed replays it exactly.
  for (uint64_t seed = 1; seed <= 25; ++seed) {
    Outcome o = run_register_scenario(seed);
    EXPECT_TRUE(o.violations.empty()) << "seed " << seed << ": " << o.violations.front();
    EXPECT_GT(o.acked_puts, 50u) << "seed " << seed;
    EXPECT_GT(o.checked_reads, 50u) << "seed " << seed;
    EXPECT_GT(o.crashes, 5u) << "seed " << seed;
  }
}

TEST(RegisterSim, ReplaysIdentically) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    EXPECT_EQ(run_register_scenario(seed).fingerprint, run_register_scenario(seed).fingerprint);
  }
}

}  // namespace
}  // namespace tern::demo
