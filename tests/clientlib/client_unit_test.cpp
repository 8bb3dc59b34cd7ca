// Goal: the client's pure logic without a broker — Kafka-compatible key hashing, batching and
// linger rules of the accumulator, error messages, version picking, and the CLI flag parser.
#include <gtest/gtest.h>

#include "broker/client/client_error.h"
#include "broker/client/cluster.h"
#include "broker/client/connection.h"
#include "broker/client/partitioner.h"
#include "broker/client/record_accumulator.h"
#include "tests/support/sim_harness.h"
#include "tools/client_cli.h"

namespace tern::client {
namespace {

// Values of Java's Utils.murmur2, checked against an independent Python port of the Java
// code (and matching Kafka's own UtilsTest cases).
TEST(Partitioner, Murmur2MatchesJava) {
  EXPECT_EQ(murmur2(as_bytes("21")), -973932308);
  EXPECT_EQ(murmur2(as_bytes("foobar")), -790332482);
  EXPECT_EQ(murmur2(as_bytes("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(murmur2(as_bytes("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(murmur2(as_bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  EXPECT_EQ(murmur2(as_bytes("abc")), 479470107);
  EXPECT_EQ(murmur2(as_bytes("")), 275646681);
}

TEST(Partitioner, PositiveModulo) {
  // toPositive (sign bit cleared), not abs(): (h & 0x7fffffff) % n.
  EXPECT_EQ(partition_for_key(as_bytes("foobar"), 10), 6);
  EXPECT_EQ(partition_for_key(as_bytes("a-little-bit-longer-string"), 10), 9);
  EXPECT_EQ(partition_for_key(as_bytes("abc"), 10), 7);
  EXPECT_EQ(partition_for_key(as_bytes("key-1"), 3), 0);
  EXPECT_EQ(partition_for_key(as_bytes(""), 10), 1);
  for (int n = 1; n < 50; ++n) {
    const int32_t p = partition_for_key(as_bytes("some key"), n);
    EXPECT_GE(p, 0);
    EXPECT_LT(p, n);
  }
}

TEST(Partitioner, StickyRotates) {
  StickyPartitions s;
  EXPECT_EQ(s.current("t", 3), 0);
  s.next("t", 3);
  EXPECT_EQ(s.current("t", 3), 1);
  s.next("t", 3);
  s.next("t", 3);
  EXPECT_EQ(s.current("t", 3), 0);
  EXPECT_EQ(s.current("other", 3), 0);
}

TEST(Accumulator, BatchesBySizeAndLinger) {
  test::run_in_world([](Runtime& rt) {
    PartitionQueue q;
    BatchOptions bo;
    const Bytes value(100, 'x');
    PartitionQueue::Append a;
    a.value = ByteView(value);
    const Instant t0 = rt.now();
    const size_t batch_bytes = 1000;
    int new_batches = 0;
    for (int i = 0; i < 20; ++i) {
      Promise<Delivery> p(rt);
      new_batches += q.append(a, std::move(p), t0, bo, batch_bytes) ? 1 : 0;
    }
    EXPECT_GT(q.batch_count(), 1u);
    EXPECT_EQ(static_cast<size_t>(new_batches), q.batch_count() - 1);
    EXPECT_EQ(q.record_count(), 20u);
    // A full batch is queued behind: ready at once.
    EXPECT_TRUE(q.ready(t0, Duration::millis(5), batch_bytes, false));
    size_t taken = 0;
    while (q.batch_count() > 1) {
      auto b = q.take();
      EXPECT_LE(b->builder.uncompressed_bytes(), batch_bytes);
      taken += b->builder.record_count();
    }
    // The last, partly filled batch waits for linger, unless flushing.
    EXPECT_FALSE(q.ready(t0, Duration::millis(5), batch_bytes, false));
    EXPECT_TRUE(q.ready(t0, Duration::millis(5), batch_bytes, true));
    EXPECT_EQ(q.ready_at(Duration::millis(5)), t0 + Duration::millis(5));
    EXPECT_TRUE(q.ready(t0 + Duration::millis(5), Duration::millis(5), batch_bytes, false));
    taken += q.take()->builder.record_count();
    EXPECT_EQ(taken, 20u);
    EXPECT_TRUE(q.empty());
  });
}

TEST(Accumulator, OversizedRecordGetsOwnBatch) {
  test::run_in_world([](Runtime& rt) {
    PartitionQueue q;
    const Bytes small(10, 's'), big(5000, 'b');
    PartitionQueue::Append a;
    a.value = ByteView(small);
    q.append(a, Promise<Delivery>(rt), rt.now(), {}, 1000);
    a.value = ByteView(big);
    EXPECT_TRUE(q.append(a, Promise<Delivery>(rt), rt.now(), {}, 1000));
    a.value = ByteView(small);
    EXPECT_TRUE(q.append(a, Promise<Delivery>(rt), rt.now(), {}, 1000));
    EXPECT_EQ(q.batch_count(), 3u);
  });
}

TEST(ClientError, Messages) {
  auto e = ClientError::kafka(36, "topic t");
  EXPECT_EQ(e.message(), "TOPIC_ALREADY_EXISTS: a topic with this name already exists (topic t)");
  EXPECT_FALSE(e.retriable());
  EXPECT_TRUE(ClientError::kafka(6).retriable());
  EXPECT_TRUE(ClientError::runtime(Errc::refused, "connect x").retriable());
  EXPECT_EQ(ClientError::runtime(Errc::refused, "connect x").message(), "connection refused (connect x)");
}

TEST(Connection, PickVersion) {
  std::map<int16_t, VersionRange> broker{{0, {3, 7}}, {1, {0, 13}}};
  EXPECT_EQ(pick_version(0, 3, 8, broker).value(), 7);
  EXPECT_EQ(pick_version(1, 4, 11, broker).value(), 11);
  EXPECT_FALSE(pick_version(2, 1, 5, broker).ok());
  EXPECT_FALSE(pick_version(0, 8, 9, broker).ok());
}

TEST(Cluster, ParseBootstrap) {
  auto a = parse_bootstrap("127.0.0.1:9092, broker:19092");
  ASSERT_TRUE(a.ok());
  ASSERT_EQ(a->size(), 2u);
  EXPECT_EQ((*a)[1].host, "broker");
  EXPECT_EQ((*a)[1].port, 19092);
  EXPECT_FALSE(parse_bootstrap("").ok());
  EXPECT_FALSE(parse_bootstrap("nohostport").ok());
}

}  // namespace
}  // namespace tern::client

namespace tern::tools {
namespace {

std::vector<char*> argv_of(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(a.data());
  return out;
}

const std::vector<FlagSpec> kSpecs = {
    {"--topic", true, ""}, {"--list", false, ""}, {"--config", true, ""}};

TEST(Flags, ParsesValuesBothForms) {
  std::vector<std::string> args{"topics", "--topic", "t1", "--list", "--config=a=b",
                                "--config", "c=d"};
  auto argv = argv_of(args);
  auto f = parse_flags(static_cast<int>(argv.size()), argv.data(), kSpecs);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->get("--topic"), "t1");
  EXPECT_TRUE(f->has("--list"));
  EXPECT_EQ(f->all("--config"), (std::vector<std::string>{"a=b", "c=d"}));
}

TEST(Flags, ManyValuedFlagTakesEveryValueUpToTheNextFlag) {
  // kafka-producer-perf-test's "--producer-props k=v k=v".
  const std::vector<FlagSpec> specs = {
      {"--props", true, "", true}, {"--topic", true, ""}, {"--list", false, ""}};
  std::vector<std::string> args{"perf", "produce", "--props", "a=1", "b=2", "--topic", "t",
                                "--props=c=3", "d=4", "--list"};
  auto argv = argv_of(args);
  auto f = parse_flags(static_cast<int>(argv.size()), argv.data(), specs);
  ASSERT_TRUE(f.ok()) << f.error().context();
  EXPECT_EQ(f->all("--props"), (std::vector<std::string>{"a=1", "b=2", "c=3", "d=4"}));
  EXPECT_EQ(f->get("--topic"), "t");
  EXPECT_TRUE(f->has("--list"));
  EXPECT_EQ(f->positional(), (std::vector<std::string>{"produce"}));  // argv[0] skipped
  // A one-valued flag still takes exactly one.
  std::vector<std::string> a2{"x", "--topic", "t", "extra"};
  auto v2 = argv_of(a2);
  auto g = parse_flags(static_cast<int>(v2.size()), v2.data(), specs);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->positional(), (std::vector<std::string>{"extra"}));
}

TEST(Flags, ClearErrors) {
  std::vector<std::string> a1{"x", "--bogus"};
  auto v1 = argv_of(a1);
  auto r1 = parse_flags(2, v1.data(), kSpecs);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().context(), "unknown option '--bogus'");
  std::vector<std::string> a2{"x", "--topic"};
  auto v2 = argv_of(a2);
  auto r2 = parse_flags(2, v2.data(), kSpecs);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().context(), "option '--topic' needs a value");
  std::vector<std::string> a3{"x", "--list=yes"};
  auto v3 = argv_of(a3);
  EXPECT_FALSE(parse_flags(2, v3.data(), kSpecs).ok());
  std::vector<std::string> a4{"x", "-t"};
  auto v4 = argv_of(a4);
  EXPECT_FALSE(parse_flags(2, v4.data(), kSpecs).ok());
}

TEST(Flags, NumbersPropertiesEscapes) {
  EXPECT_EQ(parse_int("--n", "42", 0, 100).value(), 42);
  EXPECT_EQ(parse_int("--n", "-1", -1, 100).value(), -1);
  EXPECT_FALSE(parse_int("--n", "4x", 0, 100).ok());
  EXPECT_FALSE(parse_int("--n", "101", 0, 100).ok());
  EXPECT_FALSE(parse_int("--n", "", 0, 100).ok());
  EXPECT_FALSE(parse_int("--n", "99999999999999999999999", 0, INT64_MAX).ok());
  auto kv = parse_property("--property", "key.separator==");
  ASSERT_TRUE(kv.ok());
  EXPECT_EQ(kv->first, "key.separator");
  EXPECT_EQ(kv->second, "=");
  EXPECT_FALSE(parse_property("--property", "novalue").ok());
  EXPECT_EQ(unescape("a\\tb\\n"), "a\tb\n");
  EXPECT_TRUE(parse_bool("x", "true").value());
  EXPECT_FALSE(parse_bool("x", "yes").ok());
}

}  // namespace
}  // namespace tern::tools
