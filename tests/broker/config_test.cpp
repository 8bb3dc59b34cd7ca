// Goal: server.properties parsing behaves like Kafka's (names, defaults, comments, overrides)
// and every bad setting is a clear error naming the key. Method: parse small texts.
#include <gtest/gtest.h>

#include "broker/server/config.h"
#include "broker/server/metadata_store.h"

namespace tern::server {
namespace {

TEST(BrokerConfig, DefaultsAreKafkas) {
  BrokerConfig c;
  EXPECT_EQ(c.node_id, 1);
  EXPECT_EQ(c.listeners.front().to_string(), "PLAINTEXT://127.0.0.1:9092");
  EXPECT_EQ(c.data_dir(), "tern-data");
  EXPECT_EQ(c.num_partitions, 1);
  EXPECT_EQ(c.message_max_bytes, 1048588);
  EXPECT_EQ(c.socket_request_max_bytes, 104857600);
  EXPECT_TRUE(c.auto_create_topics_enable);
  EXPECT_TRUE(c.tern_flush_durable);
  EXPECT_TRUE(validate(c).ok());
}

TEST(BrokerConfig, ParsesKafkaSampleProperties) {
  BrokerConfig c;
  const char* text =
      "# Kafka's KRaft sample\n"
      "process.roles=broker,controller\n"
      "node.id=3\n"
      "controller.quorum.voters=1@localhost:9093\n"
      "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
      "advertised.listeners = PLAINTEXT://localhost:9092\n"
      "! another comment style\n"
      "\n"
      "num.network.threads=3\n"
      "log.dirs=/tmp/kraft-combined-logs\n"
      "num.partitions=4\n"
      "log.retention.hours=168\n"
      "log.segment.bytes: 1073741824\n"
      "tern.flush.durable=FALSE\n";
  Status s = parse_properties(c, text);
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(c.node_id, 3);
  EXPECT_EQ(c.listeners.size(), 2u);
  EXPECT_EQ(c.listeners[0].host, "");
  EXPECT_EQ(c.advertised().host, "localhost");
  EXPECT_EQ(c.advertised().port, 9092);
  EXPECT_EQ(c.log_dirs, std::vector<std::string>{"/tmp/kraft-combined-logs"});
  EXPECT_EQ(c.num_partitions, 4);
  EXPECT_EQ(c.log_retention_ms, 168LL * 3600 * 1000);
  EXPECT_FALSE(c.tern_flush_durable);
  EXPECT_EQ(c.warnings.size(), 3u);  // process.roles, controller.quorum.voters, threads
  EXPECT_TRUE(validate(c).ok());
}

TEST(BrokerConfig, ErrorsNameTheKey) {
  BrokerConfig c;
  Status s = apply_override(c, "num.partitons=3");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().context().find("num.partitons"), std::string::npos);
  s = apply_override(c, "num.partitions=zero");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().context().find("num.partitions"), std::string::npos);
  EXPECT_FALSE(apply_override(c, "num.partitions=0").ok());
  EXPECT_FALSE(apply_override(c, "auto.create.topics.enable=yes").ok());
  EXPECT_FALSE(apply_override(c, "listeners=127.0.0.1:9092").ok());
  EXPECT_FALSE(apply_override(c, "listeners=PLAINTEXT://h:99999").ok());
  EXPECT_FALSE(apply_override(c, "novalue").ok());
  s = parse_properties(c, "node.id=1\nbogus line\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().context().find("line 2"), std::string::npos);
  BrokerConfig ssl;
  ASSERT_TRUE(apply_override(ssl, "listeners=SSL://:9093").ok());
  EXPECT_FALSE(validate(ssl).ok());
}

TEST(BrokerConfig, OverridesWinAndTopicConfigsValidate) {
  BrokerConfig c;
  ASSERT_TRUE(parse_properties(c, "log.retention.ms=1000\n").ok());
  ASSERT_TRUE(apply_override(c, "log.retention.ms=2000").ok());
  EXPECT_EQ(c.log_retention_ms, 2000);
  EXPECT_TRUE(validate_topic_config("retention.ms", "-1").ok());
  EXPECT_TRUE(validate_topic_config("cleanup.policy", "compact").ok());
  EXPECT_FALSE(validate_topic_config("cleanup.policy", "shred").ok());
  EXPECT_FALSE(validate_topic_config("segment.bytes", "1").ok());
  EXPECT_FALSE(validate_topic_config("nope", "1").ok());
  auto entries = describe_topic_config(c, {{"retention.ms", "5"}});
  bool found = false;
  for (auto& e : entries) {
    if (e.name == "retention.ms") {
      found = true;
      EXPECT_EQ(e.value, "5");
      EXPECT_FALSE(e.is_default);
    }
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(topic_log_config(c, {{"segment.bytes", "4096"}}).segment_bytes, 4096);
}

TEST(MetadataStore, RoundTripsAndDetectsDamage) {
  ClusterMetadata m;
  m.cluster_id = "abcDEF0123456789-_xyzQ";
  m.next_producer_id = 2000;
  TopicMetadata t;
  t.name = "orders.v1";
  t.id.bytes[3] = 7;
  t.partitions = 3;
  t.configs["retention.ms"] = "60000";
  t.configs["weird"] = "a b\nc=d";
  m.topics[t.name] = t;
  const std::string text = encode_metadata(m);
  auto back = decode_metadata(text);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back.value(), m);
  std::string damaged = text;
  damaged[20] ^= 1;
  EXPECT_FALSE(decode_metadata(damaged).ok());
  EXPECT_FALSE(decode_metadata(text.substr(0, text.size() / 2)).ok());
  protocol::Uuid id;
  EXPECT_EQ(uuid_to_base64(id), "AAAAAAAAAAAAAAAAAAAAAA");
}

}  // namespace
}  // namespace tern::server
