// Goal: a Partition keeps its high-watermark policy and wakes exactly the fetches waiting on
// it; a Watch never outlives its registration (crash or cancel included); the ReplicaManager
// creates, leads and removes partitions as the MetadataImage says. Method: one simulated
// node per test, partitions driven directly.
#include <gtest/gtest.h>

#include "broker/partition/replica_manager.h"
#include "sim/simulated/world.h"
#include "tests/log/log_test_util.h"
#include "tests/support/sim_harness.h"

namespace tern::partition {
namespace {

std::shared_ptr<Partition> open_partition(Runtime& rt, const std::string& topic,
                                          Durability d) {
  auto p = std::make_shared<Partition>(rt, topic, protocol::Uuid{}, 0, d);
  Status s = p->open("data", LogConfig{}, nullptr);
  TERN_ASSERT(s.ok(), "open: {}", s.error().message());
  p->set_role(Role::leader, LeaderEpoch(0));
  return p;
}

std::vector<Bytes> one_batch() {
  std::vector<Bytes> v;
  v.push_back(test::make_batch(2, 10, 1000));
  return v;
}

TEST(Partition, HighWatermarkIsFsyncedOffsetOrLogEnd) {
  test::run_in_world([](Runtime& rt) {
    auto durable = open_partition(rt, "d", Durability::fsync);
    auto os = open_partition(rt, "o", Durability::os);
    BatchesAppended a = durable->append(one_batch());
    BatchesAppended b = os->append(one_batch());
    ASSERT_TRUE(a.last.has_value());
    ASSERT_TRUE(b.last.has_value());
    EXPECT_EQ(os->high_watermark(), Offset(2));
    EXPECT_LE(durable->high_watermark(), durable->durable_offset());
    ASSERT_TRUE(durable->wait_durable(*a.last, Instant::never()).ok());
    EXPECT_EQ(durable->high_watermark(), Offset(2));
    (void)durable->close();
    (void)os->close();
  });
}

TEST(Partition, AppendWakesOnlyItsOwnWaiters) {
  test::run_in_world([](Runtime& rt) {
    auto a = open_partition(rt, "a", Durability::os);
    auto b = open_partition(rt, "b", Durability::os);
    DataWaiter waiter(rt);
    {
      auto watch = a->watch(waiter);
      EXPECT_EQ(a->waiter_count(), 1u);
      EXPECT_EQ(b->waiter_count(), 0u);
      const uint64_t seen = waiter.version();
      (void)b->append(one_batch());
      EXPECT_EQ(waiter.version(), seen);  // b moved: not our partition
      (void)a->append(one_batch());
      EXPECT_NE(waiter.version(), seen);
      EXPECT_TRUE(waiter.wait_changed(seen, rt.now()).ok());
    }
    EXPECT_EQ(a->waiter_count(), 0u);  // the Watch unregistered
    (void)a->close();
    (void)b->close();
  });
}

TEST(Partition, OneWaiterOverManyPartitionsWakesOnAny) {
  test::run_in_world([](Runtime& rt) {
    auto a = open_partition(rt, "a", Durability::os);
    auto b = open_partition(rt, "b", Durability::os);
    bool woke = false;
    auto fetch = rt.spawn("fetch", [&] {
      DataWaiter waiter(rt);
      std::vector<Partition::Watch> watches;
      watches.push_back(a->watch(waiter));
      watches.push_back(b->watch(waiter));
      const uint64_t seen = waiter.version();
      woke = waiter.wait_changed(seen, rt.now() + Duration::seconds(10)).ok();
    });
    (void)rt.sleep_for(Duration::millis(5));
    EXPECT_EQ(b->waiter_count(), 1u);
    (void)b->append(one_batch());
    (void)fetch.join();
    EXPECT_TRUE(woke);
    EXPECT_EQ(a->waiter_count(), 0u);
    EXPECT_EQ(b->waiter_count(), 0u);
    (void)a->close();
    (void)b->close();
  });
}

TEST(Partition, CancelledFetchLeavesNoWaiterBehind) {
  test::run_in_world([](Runtime& rt) {
    auto a = open_partition(rt, "a", Durability::os);
    auto fetch = rt.spawn("fetch", [&] {
      DataWaiter waiter(rt);
      auto watch = a->watch(waiter);
      (void)waiter.wait_changed(waiter.version(), Instant::never());
    });
    (void)rt.sleep_for(Duration::millis(5));
    EXPECT_EQ(a->waiter_count(), 1u);
    fetch.cancel();
    (void)fetch.join();
    EXPECT_EQ(a->waiter_count(), 0u);
    (void)a->append(one_batch());  // notifies nobody, touches no freed waiter
    (void)a->close();
  });
}

TEST(Partition, RemovalWakesWaitersAndRefusesAppends) {
  test::run_in_world([](Runtime& rt) {
    auto a = open_partition(rt, "a", Durability::os);
    DataWaiter waiter(rt);
    auto watch = a->watch(waiter);
    const uint64_t seen = waiter.version();
    ASSERT_TRUE(a->remove().ok());
    EXPECT_NE(waiter.version(), seen);
    EXPECT_FALSE(a->usable());
    EXPECT_EQ(a->append(one_batch()).refused, BatchesAppended::Refused::unavailable);
  });
}

TEST(Partition, FollowerRefusesAppends) {
  test::run_in_world([](Runtime& rt) {
    auto a = open_partition(rt, "a", Durability::os);
    a->set_role(Role::follower, LeaderEpoch(1));
    EXPECT_EQ(a->append(one_batch()).refused, BatchesAppended::Refused::not_leader);
    EXPECT_EQ(a->leader_epoch(), LeaderEpoch(1));
    (void)a->close();
  });
}

controller::MetadataImage image_with(const std::string& topic, uint8_t id, int32_t partitions,
                                     int32_t leader, std::vector<int32_t> replicas) {
  controller::MetadataImage img;
  controller::TopicImage& t = img.topics[topic];
  t.name = topic;
  t.id.bytes[0] = id;
  controller::PartitionInfo p;
  p.replicas = std::move(replicas);
  p.isr = p.replicas;
  p.leader = leader;
  t.partitions.assign(static_cast<size_t>(partitions), p);
  return img;
}

std::shared_ptr<ReplicaManager> make_manager(Runtime& rt) {
  ReplicaManagerOptions o;
  o.data_dir = "data";
  o.durability = Durability::os;
  o.log_config = [](const std::map<std::string, std::string>&) { return LogConfig{}; };
  return std::make_shared<ReplicaManager>(rt, o);
}

TEST(ReplicaManager, ApplyCreatesLeadsAndRemoves) {
  test::run_in_world([](Runtime& rt) {
    ASSERT_TRUE(rt.disk().make_dirs("data").ok());
    auto rm = make_manager(rt);
    const controller::MetadataImage empty;
    const auto one = image_with("t", 1, 2, 1, {1});
    rm->apply(empty, one, 1);
    ASSERT_NE(rm->get("t", 1), nullptr);
    EXPECT_EQ(rm->get("t", 1)->role(), Role::leader);
    EXPECT_TRUE(rm->get("t", 1)->usable());
    EXPECT_TRUE(rt.disk().exists("data/t-1"));
    // Another node leads: this one follows.
    const auto led_elsewhere = image_with("t", 1, 2, 2, {1, 2});
    rm->apply(one, led_elsewhere, 1);
    EXPECT_EQ(rm->get("t", 0)->role(), Role::follower);
    // Not a replica here any more: removed with its directory.
    const auto moved = image_with("t", 1, 2, 2, {2});
    auto held = rm->get("t", 0);
    rm->apply(led_elsewhere, moved, 1);
    EXPECT_EQ(rm->get("t", 0), nullptr);
    EXPECT_TRUE(held->deleted());
    EXPECT_FALSE(rt.disk().exists("data/t-0"));
    // Re-created under the same name (new id): a fresh partition.
    rm->apply(moved, one, 1);
    const auto recreated = image_with("t", 2, 1, 1, {1});
    auto old = rm->get("t", 0);
    rm->apply(one, recreated, 1);
    ASSERT_NE(rm->get("t", 0), nullptr);
    EXPECT_NE(rm->get("t", 0), old);
    EXPECT_EQ(rm->get("t", 1), nullptr);
    rm->stop();
    rm->close_all();
  });
}

TEST(ReplicaManager, RemoveStraysKeepsOnlyAssignedDirectories) {
  test::run_in_world([](Runtime& rt) {
    ASSERT_TRUE(rt.disk().make_dirs("data/gone-0").ok());
    ASSERT_TRUE(rt.disk().make_dirs("data/__cluster_metadata-0").ok());
    auto rm = make_manager(rt);
    const auto img = image_with("t", 1, 1, 1, {1});
    rm->apply(controller::MetadataImage{}, img, 1);
    ASSERT_TRUE(rm->remove_strays(img, 1).ok());
    EXPECT_FALSE(rt.disk().exists("data/gone-0"));
    EXPECT_TRUE(rt.disk().exists("data/t-0"));
    EXPECT_TRUE(rt.disk().exists("data/__cluster_metadata-0"));
    rm->stop();
    rm->close_all();
  });
}

}  // namespace
}  // namespace tern::partition
