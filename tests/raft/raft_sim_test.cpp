// The simulated multi-node Raft harness: many seeds per cluster shape, invariants after every
// step, liveness after the heal. A failing seed prints itself and the line that replays it:
//
//   RAFT_SEED=<seed> RAFT_TRACE=1 build/tests/raft/raft_sim_test --gtest_filter='RaftSim.*'
//
// RAFT_SEEDS=<n> changes how many seeds each shape runs (default in kDefaultSeeds);
// RAFT_SEED_BASE=<b> starts the sweep elsewhere.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/raft/raft_cluster.h"

namespace tern::raft::test {
namespace {

constexpr uint64_t kDefaultSeeds = 100;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

void sweep(const char* test, int voters, int observers) {
  const char* one = std::getenv("RAFT_SEED");
  const bool trace = std::getenv("RAFT_TRACE") != nullptr;
  uint64_t first = env_u64("RAFT_SEED_BASE", 1), count = env_u64("RAFT_SEEDS", kDefaultSeeds);
  if (one && *one) {
    first = std::strtoull(one, nullptr, 10);
    count = 1;
  }
  int64_t committed = 0;
  size_t leaders = 0;
  for (uint64_t seed = first; seed < first + count; ++seed) {
    ClusterOptions o;
    o.seed = seed;
    o.voters = voters;
    o.observers = observers;
    o.trace = trace ? stdout : nullptr;
    RaftCluster cluster(o);
    ClusterResult r = cluster.run();
    committed += r.committed;
    leaders += r.leaders;
    if (!r.failures.empty()) {
      std::string all;
      for (const auto& f : r.failures) all += "  " + f + "\n";
      ADD_FAILURE() << "seed " << seed << " (" << voters << " voters, " << observers
                    << " observers) failed:\n"
                    << all << "faults:\n"
                    << r.faults << "replay: RAFT_SEED=" << seed
                    << " RAFT_TRACE=1 build/tests/raft/raft_sim_test --gtest_filter='RaftSim."
                    << test << "'";
      return;  // one failing seed is enough to read
    }
  }
  // The runs did something: entries committed, leaders elected.
  EXPECT_GT(committed, static_cast<int64_t>(count) * 10);
  EXPECT_GE(leaders, count);
  std::printf("%s: %llu seeds, %lld offsets committed, %zu leaders\n", test,
              static_cast<unsigned long long>(count), static_cast<long long>(committed),
              leaders);
}

TEST(RaftSim, ThreeVoters) { sweep("ThreeVoters", 3, 0); }
TEST(RaftSim, ThreeVotersOneObserver) { sweep("ThreeVotersOneObserver", 3, 1); }
TEST(RaftSim, FiveVotersOneObserver) { sweep("FiveVotersOneObserver", 5, 1); }

// No faults: one election, steady commits, every node applies the same history.
TEST(RaftSim, QuietClusterElectsOnceAndCommits) {
  ClusterOptions o;
  o.seed = 7;
  o.voters = 3;
  o.observers = 1;
  o.faults = false;
  o.buggify = false;
  RaftCluster cluster(o);
  ClusterResult r = cluster.run();
  ASSERT_TRUE(r.failures.empty()) << r.failures[0];
  EXPECT_EQ(r.leaders, 1u);
  EXPECT_GT(r.committed, 200);
}

}  // namespace
}  // namespace tern::raft::test
