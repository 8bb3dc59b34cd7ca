// Goal: the same register service code runs for real — three servers, each a RealRuntime on
// its own event-loop thread with its own data directory and a 127.0.0.1 port, and a client
// runtime. Writes are acknowledged by a majority and survive stopping one server and starting
// it again from its log (recovery on real files).
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "sim/real/real_runtime.h"
#include "tests/demo/register_service.h"

namespace tern::demo {
namespace {

struct ServerThread {
  std::unique_ptr<real::RealRuntime> rt;
  std::thread thread;
  std::atomic<uint16_t> port{0};

  void start(const std::string& dir, uint16_t fixed_port) {
    rt = std::make_unique<real::RealRuntime>(real::RealRuntime::Options{
        .node_name = "server", .data_root = dir, .seed = 1, .log_level = Severity::warn,
        .log_sink = {}, .stack_bytes = 256 * 1024});
    thread = std::thread([this, fixed_port] {
      rt->run([this, fixed_port] {
        run_register_server(*rt, {"127.0.0.1", fixed_port}, "register.log", [this](uint16_t p) { port = p; });
      });
    });
  }
  void stop() {
    rt->stop();
    thread.join();
    rt.reset();
  }
};

TEST(RegisterReal, QuorumWritesSurviveAServerRestart) {
  const std::string root = std::filesystem::temp_directory_path() /
                           ("tern-register-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  ServerThread servers[3];
  for (int i = 0; i < 3; ++i) servers[i].start(root + "/s" + std::to_string(i), 0);
  for (auto& s : servers)
    while (s.port == 0) std::this_thread::yield();
  std::vector<Address> replicas;
  for (auto& s : servers) replicas.push_back({"127.0.0.1", s.port.load()});

  auto client_session = [&](auto body) {
    real::RealRuntime rt({.node_name = "client", .data_root = root + "/client", .seed = 2,
                          .log_level = Severity::warn, .log_sink = {}, .stack_bytes = 256 * 1024});
    rt.run([&] {
      RegisterClient client(rt, replicas, Duration::seconds(2));
      body(rt, client);
    });
  };

  client_session([&](Runtime& rt, RegisterClient& c) {
    for (uint64_t k = 0; k < 20; ++k)
      EXPECT_TRUE(c.put(k, {k + 1, (k + 1) * 7 + k}, rt.now() + Duration::seconds(5)));
  });
  // One replica down: a majority still acknowledges and reads.
  const uint16_t port0 = servers[0].port;
  servers[0].stop();
  client_session([&](Runtime& rt, RegisterClient& c) {
    for (uint64_t k = 0; k < 20; ++k) {
      auto got = c.get(k, rt.now() + Duration::seconds(5));
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->version, k + 1);
      EXPECT_TRUE(c.put(k, {k + 100, (k + 100) * 7 + k}, rt.now() + Duration::seconds(5)));
    }
  });
  // Restart it from its log; stop another: reads still see every acknowledged write.
  servers[0].port = 0;
  servers[0].start(root + "/s0", port0);
  while (servers[0].port == 0) std::this_thread::yield();
  servers[1].stop();
  client_session([&](Runtime& rt, RegisterClient& c) {
    for (uint64_t k = 0; k < 20; ++k) {
      auto got = c.get(k, rt.now() + Duration::seconds(5));
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->version, k + 100);
      EXPECT_EQ(got->value, (k + 100) * 7 + k);
    }
  });
  servers[0].stop();
  servers[2].stop();
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace tern::demo
