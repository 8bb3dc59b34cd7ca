// quorum_state: the persisted election state survives restarts, is replaced atomically and
// refuses a corrupt file instead of starting from epoch 0.
#include <gtest/gtest.h>

#include "broker/raft/quorum_state.h"
#include "tests/raft/sim_body.h"

namespace tern::raft::test {
namespace {

TEST(QuorumState, MissingFileIsEpochZero) {
  run_on_node([](Runtime& rt) {
    ASSERT_TRUE(rt.disk().make_dirs("q").ok());
    QuorumStateStore store(rt.disk(), "q");
    auto st = store.read();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st.value(), ElectionState{});
  });
}

TEST(QuorumState, WriteThenReadRoundTrips) {
  run_on_node([](Runtime& rt) {
    ASSERT_TRUE(rt.disk().make_dirs("q").ok());
    QuorumStateStore store(rt.disk(), "q");
    ElectionState s{7, 3, std::nullopt};
    ASSERT_TRUE(store.write(s).ok());
    EXPECT_EQ(store.read().value(), s);
    ElectionState t{8, 2, 2};
    ASSERT_TRUE(store.write(t).ok());
    EXPECT_EQ(store.read().value(), t);
  });
}

TEST(QuorumState, SurvivesPowerLossOnceWritten) {
  sim::World world(sim::World::Options{.seed = 3});
  int phase = 0;
  std::optional<ElectionState> seen;
  const uint32_t n = world.add_node("n1", [&](Runtime& rt) {
    (void)rt.disk().make_dirs("q");
    (void)rt.disk().fsync_dir(".");
    QuorumStateStore store(rt.disk(), "q");
    if (phase == 0) {
      ASSERT_TRUE(store.write({5, 1, std::nullopt}).ok());
      phase = 1;
      return;
    }
    auto st = store.read();
    ASSERT_TRUE(st.ok()) << st.error().message();
    seen = st.value();
    phase = 2;
  });
  world.start_node(n);
  world.run_until([&] { return phase == 1; }, world.now() + Duration::seconds(10));
  world.crash_node(n, sim::CrashOptions{.keep_unsynced_prefix = false, .tear_last_write = false,
                                   .half_open = false});
  world.restart_node(n);
  world.run_until([&] { return phase == 2; }, world.now() + Duration::seconds(10));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->epoch, 5);
  EXPECT_EQ(seen->voted_id, 1);
  world.crash_node(n);
}

TEST(QuorumState, CorruptFileIsAnError) {
  std::string text = QuorumStateStore::encode({4, 2, 2});
  ASSERT_TRUE(QuorumStateStore::decode(text).ok());
  std::string flipped = text;
  flipped[text.find("epoch ") + 6] = '9';  // epoch 4 -> 9, CRC unchanged
  auto r = QuorumStateStore::decode(flipped);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), Errc::corrupt);
  EXPECT_EQ(QuorumStateStore::decode("").code(), Errc::corrupt);
  EXPECT_EQ(QuorumStateStore::decode(text.substr(0, text.size() / 2)).code(), Errc::corrupt);
}

}  // namespace
}  // namespace tern::raft::test
