// Goal: the same Broker serves over real TCP with real files: produce (acks=-1, fsync) and
// fetch back on 127.0.0.1, then a clean stop and a restart that finds the data.
// Method: a RealRuntime with the broker and a raw-protocol client as tasks of one loop,
// listener on port 0, data under a fresh temporary directory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "broker/server/broker.h"
#include "sim/real/real_runtime.h"
#include "tests/broker/raw_client.h"

namespace tern::test {
namespace {

using namespace protocol;

std::string temp_dir() {
  char tmpl[] = "/tmp/tern-broker-real-XXXXXX";
  const char* d = mkdtemp(tmpl);
  EXPECT_NE(d, nullptr);
  return d ? d : "/tmp";
}

// Runs the broker and `body` (given the broker's address) on one real loop.
void with_real_broker(const std::string& root,
                      const std::function<void(Runtime&, Address)>& body) {
  real::RealRuntime::Options o;
  o.node_name = "broker";
  o.data_root = root;
  o.log_level = Severity::warn;
  real::RealRuntime rt(o);
  server::BrokerConfig cfg;
  cfg.listeners = {{"PLAINTEXT", "127.0.0.1", 0}};
  cfg.log_dirs = {"data"};
  server::Broker broker(rt, cfg);
  Status run_status;
  bool body_done = false;
  rt.run([&] {
    rt.spawn("body", [&] {
      while (!broker.bound_address().has_value()) {
        ASSERT_TRUE(rt.sleep_for(Duration::millis(2)).ok());
      }
      body(rt, *broker.bound_address());
      body_done = true;
      broker.stop();
    });
    run_status = broker.run();
  });
  EXPECT_TRUE(body_done);
  EXPECT_TRUE(run_status.ok()) << run_status.error().message();
}

TEST(BrokerReal, ProduceAndFetchOverTcpAndRestart) {
  const std::string root = temp_dir();
  with_real_broker(root, [](Runtime& rt, Address at) {
    RawClient c(rt, at);
    ASSERT_TRUE(c.connect().ok());
    ApiVersionsRequest av;
    auto v = c.call<ApiVersionsResponse>(av, 3);
    ASSERT_TRUE(v.ok()) << v.error().message();
    EXPECT_EQ(v->error_code, 0);
    auto ct = c.call<CreateTopicsResponse>(create_topics_request("real", 1), 4);
    ASSERT_TRUE(ct.ok());
    ASSERT_EQ(ct->topics[0].error_code, 0);
    for (int i = 0; i < 50; ++i) {
      auto r = c.call<ProduceResponse>(
          produce_request("real", 0, make_batch({fmt::format("m{}", i), "x"}, 1000 + i), -1), 7);
      ASSERT_TRUE(r.ok()) << r.error().message();
      ASSERT_EQ(r->responses[0].partition_responses[0].error_code, 0);
      EXPECT_EQ(r->responses[0].partition_responses[0].base_offset, 2 * i);
    }
    auto f = c.call<FetchResponse>(fetch_request("real", 0, 0, 100, 1), 11);
    ASSERT_TRUE(f.ok()) << f.error().message();
    auto recs = record_values(f->responses[0].partitions[0].records.value());
    ASSERT_EQ(recs.size(), 100u);
    EXPECT_EQ(recs[98].second, "m49");
    EXPECT_EQ(f->responses[0].partitions[0].high_watermark, 100);
  });
  // A restart on the same directory serves the same data.
  with_real_broker(root, [](Runtime& rt, Address at) {
    RawClient c(rt, at);
    ASSERT_TRUE(c.connect().ok());
    auto f = c.call<FetchResponse>(fetch_request("real", 0, 98, 0, 1), 11);
    ASSERT_TRUE(f.ok()) << f.error().message();
    auto recs = record_values(f->responses[0].partitions[0].records.value());
    ASSERT_FALSE(recs.empty());
    EXPECT_EQ(recs.back().first, 99);
  });
  std::string cmd = "rm -rf " + root;
  EXPECT_EQ(std::system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace tern::test
