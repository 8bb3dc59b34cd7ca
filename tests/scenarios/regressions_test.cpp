// Every seed that ever found a bug, replayed. Each entry names the bug it found; the fix must
// keep the seed passing. (Seeds are tied to the code: when a change reshapes what a seed
// does, the entry still guards the scenario, and the unit test named beside it guards the
// mechanism itself.)
#include <gtest/gtest.h>

#include "scenarios/runner.h"

namespace tern::scenarios {
namespace {

struct Regression {
  const char* scenario;
  uint64_t seed;
  const char* bug;
};

constexpr Regression kRegressions[] = {
    {"produce-consume-2p", 15,
     "a bit flipped on a segment read (in a batch header's base offset) was served to a "
     "consumer, which skipped an offset; PartitionLog::read now verifies CRCs and offsets "
     "(unit: PartitionLogTest.ReadDetectsBitFlips)"},
};

TEST(Regressions, EverySeedThatFoundABugPasses) {
  for (const auto& r : kRegressions) {
    const Scenario* sc = find_scenario(r.scenario);
    ASSERT_NE(sc, nullptr) << r.scenario;
    Outcome o = run_scenario(*sc, r.seed);
    EXPECT_TRUE(o.passed) << r.scenario << " seed " << r.seed << " (" << r.bug << "): "
                          << (o.violations.empty() ? o.first_error : o.violations[0].message);
  }
}

}  // namespace
}  // namespace tern::scenarios
