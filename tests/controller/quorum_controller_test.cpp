// QuorumController decisions over a fake metadata log that commits at once: registration,
// fencing by heartbeat and session timeout, placement, topic admin errors, NOT_CONTROLLER.
#include <gtest/gtest.h>

#include <set>

#include "broker/controller/metadata_applier.h"
#include "broker/controller/quorum_controller.h"
#include "broker/protocol/error_code.h"
#include "sim/simulated/world.h"

namespace tern::controller {
namespace {

using namespace protocol;

// Commits every append immediately (a one-voter quorum with an instant disk).
class FakeLog final : public MetadataLog {
 public:
  explicit FakeLog(MetadataApplier& applier) : applier_(applier) {}
  Result<int64_t> append(const std::vector<Bytes>& records, int32_t epoch) override {
    if (epoch != leader_epoch) return Error(Errc::invalid_argument, "not leader");
    const int64_t base = next_;
    next_ += static_cast<int64_t>(records.size());
    EXPECT_TRUE(applier_.apply_batch(base, next_ - 1, epoch, false, records).ok());
    return next_ - 1;
  }
  int32_t leader_epoch = 1;

 private:
  MetadataApplier& applier_;
  int64_t next_ = 0;
};

struct Fixture {
  explicit Fixture(Runtime& rt)
      : cache(rt),
        applier(rt, cache, "cluster-a", 0, nullptr),
        log(applier),
        controller(rt, settings(), log, cache) {}
  static ControllerSettings settings() {
    ControllerSettings s;
    s.node_id = 1;
    s.cluster_id = "cluster-a";
    s.session_timeout = Duration::millis(3000);
    s.heartbeat_interval = Duration::millis(500);
    s.default_partitions = 3;
    return s;
  }
  int64_t register_broker(int32_t id, uint8_t incarnation = 1) {
    BrokerRegistrationRequest req;
    req.broker_id = id;
    req.cluster_id = "cluster-a";
    req.incarnation_id.bytes.fill(incarnation);
    auto& l = req.listeners.emplace_back();
    l.name = "PLAINTEXT";
    l.host = "b" + std::to_string(id);
    l.port = 9092;
    auto r = controller.register_broker(req);
    EXPECT_EQ(r.error_code, 0) << "broker " << id;
    return r.broker_epoch;
  }
  BrokerHeartbeatResponse heartbeat(int32_t id, int64_t epoch, bool shut_down = false) {
    BrokerHeartbeatRequest req;
    req.broker_id = id;
    req.broker_epoch = epoch;
    req.current_metadata_offset = cache.current()->offset;
    req.want_shut_down = shut_down;
    return controller.heartbeat(req);
  }
  CreateTopicsResponse create(const std::string& name, int32_t partitions, int16_t rf = -1) {
    CreateTopicsRequest req;
    auto& t = req.topics.emplace_back();
    t.name = name;
    t.num_partitions = partitions;
    t.replication_factor = rf;
    return controller.create_topics(req, 5);
  }
  MetadataCache cache;
  MetadataApplier applier;
  FakeLog log;
  QuorumController controller;
};

void run(const std::function<void(Runtime&)>& body) {
  sim::World world({.seed = 3, .trace = {}});
  bool done = false;
  const uint32_t n = world.add_node("c1", [&](Runtime& rt) {
    body(rt);
    done = true;
  });
  world.start_node(n);
  world.run_until_idle(Instant{0} + Duration::seconds(600));
  EXPECT_TRUE(done);
}

TEST(QuorumController, InactiveAnswersNotController) {
  run([](Runtime& rt) {
    Fixture f(rt);
    EXPECT_EQ(f.create("t", 1).topics[0].error_code, to_wire(ErrorCode::not_controller));
    BrokerRegistrationRequest req;
    req.cluster_id = "cluster-a";
    EXPECT_EQ(f.controller.register_broker(req).error_code, to_wire(ErrorCode::not_controller));
    f.controller.on_leader_change(2, 1);  // another node leads
    EXPECT_FALSE(f.controller.active());
    f.controller.stop();
  });
}

TEST(QuorumController, RegistersUnfencesAndPlacesAcrossLiveBrokers) {
  run([](Runtime& rt) {
    Fixture f(rt);
    f.controller.on_leader_change(1, 1);
    std::map<int32_t, int64_t> epochs;
    for (int32_t id : {1, 2, 3}) epochs[id] = f.register_broker(id);
    EXPECT_TRUE(f.cache.current()->live_brokers().empty()) << "registered brokers start fenced";
    EXPECT_EQ(f.create("t", 2).topics[0].error_code,
              to_wire(ErrorCode::invalid_replication_factor)) << "no live broker";
    for (int32_t id : {1, 2, 3}) {
      auto hb = f.heartbeat(id, epochs[id]);
      EXPECT_EQ(hb.error_code, 0);
      EXPECT_FALSE(hb.is_fenced);
    }
    EXPECT_EQ(f.cache.current()->live_brokers().size(), 3u);
    auto r = f.create("orders", 6);
    ASSERT_EQ(r.topics[0].error_code, 0) << r.topics[0].error_message.value_or("");
    const TopicImage* t = f.cache.current()->find_topic("orders");
    ASSERT_NE(t, nullptr);
    ASSERT_EQ(t->partitions.size(), 6u);
    std::map<int32_t, int> per_broker;
    for (const auto& p : t->partitions) {
      ASSERT_EQ(p.replicas.size(), 1u);
      EXPECT_EQ(p.leader, p.replicas[0]);
      ++per_broker[p.leader];
    }
    EXPECT_EQ(per_broker, (std::map<int32_t, int>{{1, 2}, {2, 2}, {3, 2}})) << "striped";
    EXPECT_EQ(f.create("orders", 1).topics[0].error_code,
              to_wire(ErrorCode::topic_already_exists));
    EXPECT_EQ(f.create("x", 1, 2).topics[0].error_code,
              to_wire(ErrorCode::invalid_replication_factor)) << "no replication yet";
    EXPECT_EQ(f.create("y", 0).topics[0].error_code, to_wire(ErrorCode::invalid_partitions));
    f.controller.stop();
  });
}

TEST(QuorumController, SessionTimeoutFencesAndHeartbeatRestoresLeadership) {
  run([](Runtime& rt) {
    Fixture f(rt);
    f.controller.on_leader_change(1, 1);
    const int64_t e1 = f.register_broker(1);
    const int64_t e2 = f.register_broker(2);
    f.heartbeat(1, e1);
    f.heartbeat(2, e2);
    ASSERT_EQ(f.create("t", 4).topics[0].error_code, 0);
    // Broker 2 goes silent; broker 1 keeps heartbeating.
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(rt.sleep_for(Duration::millis(500)).ok());
      f.heartbeat(1, e1);
    }
    const MetadataImagePtr im = f.cache.current();
    EXPECT_TRUE(im->brokers.at(2).fenced);
    EXPECT_FALSE(im->brokers.at(1).fenced);
    for (const auto& p : im->find_topic("t")->partitions) {
      if (p.replicas[0] == 2) {
        EXPECT_EQ(p.leader, -1);
        EXPECT_EQ(p.leader_epoch, 1);
      } else {
        EXPECT_EQ(p.leader, 1);
      }
    }
    auto hb = f.heartbeat(2, e2);
    EXPECT_FALSE(hb.is_fenced);
    for (const auto& p : f.cache.current()->find_topic("t")->partitions) {
      EXPECT_EQ(p.leader, p.replicas[0]);
      if (p.replicas[0] == 2) EXPECT_EQ(p.leader_epoch, 2) << "a new epoch per leader change";
    }
    EXPECT_EQ(f.heartbeat(2, e2 + 100).error_code, to_wire(ErrorCode::stale_broker_epoch));
    f.controller.stop();
  });
}

TEST(QuorumController, DuplicateLiveRegistrationIsRefused) {
  run([](Runtime& rt) {
    Fixture f(rt);
    f.controller.on_leader_change(1, 1);
    const int64_t e = f.register_broker(5, 1);
    f.heartbeat(5, e);
    BrokerRegistrationRequest dup;
    dup.broker_id = 5;
    dup.cluster_id = "cluster-a";
    dup.incarnation_id.bytes.fill(2);
    EXPECT_EQ(f.controller.register_broker(dup).error_code,
              to_wire(ErrorCode::duplicate_broker_registration));
    // The same process retrying gets its epoch back.
    EXPECT_EQ(f.register_broker(5, 1), e);
    dup.cluster_id = "other";
    EXPECT_EQ(f.controller.register_broker(dup).error_code,
              to_wire(ErrorCode::inconsistent_cluster_id));
    // After its session expired, a restarted broker (new incarnation) may take the id.
    ASSERT_TRUE(rt.sleep_for(Duration::millis(4000)).ok());
    dup.cluster_id = "cluster-a";
    auto r = f.controller.register_broker(dup);
    EXPECT_EQ(r.error_code, 0);
    EXPECT_GT(r.broker_epoch, e);
    f.controller.stop();
  });
}

TEST(QuorumController, DeleteAlterAndAddPartitions) {
  run([](Runtime& rt) {
    Fixture f(rt);
    f.controller.on_leader_change(1, 1);
    f.heartbeat(1, f.register_broker(1));
    ASSERT_EQ(f.create("t", 1).topics[0].error_code, 0);
    CreatePartitionsRequest cp;
    auto& ct = cp.topics.emplace_back();
    ct.name = "t";
    ct.count = 3;
    EXPECT_EQ(f.controller.create_partitions(cp, 1).results[0].error_code, 0);
    EXPECT_EQ(f.cache.current()->find_topic("t")->partitions.size(), 3u);
    ct.count = 2;
    EXPECT_EQ(f.controller.create_partitions(cp, 1).results[0].error_code,
              to_wire(ErrorCode::invalid_partitions));
    AlterConfigsRequest ac;
    auto& res = ac.resources.emplace_back();
    res.resource_type = 2;
    res.resource_name = "t";
    auto& c = res.configs.emplace_back();
    c.name = "retention.ms";
    c.value = "1000";
    EXPECT_EQ(f.controller.alter_configs(ac, 1).responses[0].error_code, 0);
    EXPECT_EQ(f.cache.current()->find_topic("t")->configs.at("retention.ms"), "1000");
    res.configs.clear();
    EXPECT_EQ(f.controller.alter_configs(ac, 1).responses[0].error_code, 0);
    EXPECT_TRUE(f.cache.current()->find_topic("t")->configs.empty()) << "replace semantics";
    DeleteTopicsRequest dt;
    dt.topic_names = {"t", "nope"};
    auto d = f.controller.delete_topics(dt, 1);
    EXPECT_EQ(d.responses[0].error_code, 0);
    EXPECT_EQ(d.responses[1].error_code, to_wire(ErrorCode::unknown_topic_or_partition));
    EXPECT_EQ(f.cache.current()->find_topic("t"), nullptr);
    f.controller.stop();
  });
}

TEST(QuorumController, LosingLeadershipMidWriteAnswersNotController) {
  run([](Runtime& rt) {
    Fixture f(rt);
    f.controller.on_leader_change(1, 1);
    f.heartbeat(1, f.register_broker(1));
    f.log.leader_epoch = 2;  // the log moved on: appends in epoch 1 fail
    EXPECT_EQ(f.create("t", 1).topics[0].error_code, to_wire(ErrorCode::not_controller));
    f.controller.on_leader_change(3, 2);
    EXPECT_EQ(f.create("t", 1).topics[0].error_code, to_wire(ErrorCode::not_controller));
    f.controller.stop();
  });
}

}  // namespace
}  // namespace tern::controller
