#pragma once
// A simulated world with one broker node ("broker", port 9092) and client nodes that run test
// bodies with a RawClient. The broker node can be crashed and restarted on its disk.
#include <gtest/gtest.h>

#include <functional>

#include "broker/server/broker.h"
#include "sim/simulated/world.h"
#include "tests/broker/raw_client.h"

namespace tern::test {

class SimBroker {
 public:
  explicit SimBroker(uint64_t seed = 1,
                     const std::function<void(server::BrokerConfig&)>& tweak = {},
                     bool buggify = false)
      : world_(sim::World::Options{.seed = seed, .trace = {}, .buggify = buggify}) {
    config_.listeners = {{"PLAINTEXT", "broker", 9092}};
    config_.log_dirs = {"data"};
    if (tweak) tweak(config_);
    node_ = world_.add_node("broker", [this](Runtime& rt) {
      server::Broker b(rt, config_);
      struct Guard {
        SimBroker* self;
        ~Guard() { self->broker_ = nullptr; }
      } guard{this};
      broker_ = &b;
      run_status_ = b.run();
    });
    world_.start_node(node_);
  }

  sim::World& world() { return world_; }
  uint32_t node() const { return node_; }
  // The live broker object (nullptr while the node is down).
  server::Broker* broker() { return broker_; }
  const server::BrokerConfig& config() const { return config_; }

  // Runs body on a fresh client node until it returns (fails the test on the time limit).
  void client(const std::function<void(Runtime&, RawClient&)>& body,
              Duration limit = Duration::seconds(600)) {
    bool done = false;
    const uint32_t n = world_.add_node(fmt::format("client{}", ++clients_), [&](Runtime& rt) {
      RawClient c(rt, Address{"broker", 9092});
      Status s = c.connect_retry();
      ASSERT_TRUE(s.ok()) << s.error().message();
      body(rt, c);
      c.close();
      done = true;
    });
    world_.start_node(n);
    ASSERT_TRUE(world_.run_until([&] { return done; }, world_.now() + limit))
        << "client body did not finish";
    world_.crash_node(n);  // ends its leftover tasks, if any
  }

  // Power loss of the broker node (unsynced writes lost), then a restart on the same disk.
  void crash_and_restart() {
    world_.crash_node(node_);
    EXPECT_EQ(broker_, nullptr);
    world_.restart_node(node_);
  }

 private:
  sim::World world_;
  server::BrokerConfig config_;
  uint32_t node_ = 0;
  server::Broker* broker_ = nullptr;
  Status run_status_;
  int clients_ = 0;
};

}  // namespace tern::test
