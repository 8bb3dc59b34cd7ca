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
      "controller.quorum.voters=3@localhost:9093\n"
      "controller.listener.names=CONTROLLER\n"
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
  EXPECT_EQ(c.warnings.size(), 1u);  // num.network.threads
  Status v = validate(c);
  EXPECT_TRUE(v.ok()) << v.error().message();
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

// ---- KRaft settings (process.roles, voters, listeners) ----------------------------------

// Parses `text`, failing the test on a parse error.
BrokerConfig parsed(std::string_view text) {
  BrokerConfig c;
  Status s = parse_properties(c, text);
  EXPECT_TRUE(s.ok()) << s.error().message();
  return c;
}

// The one-line problem parse + validate report, "" when the config is fine.
std::string problem(std::string_view text) {
  BrokerConfig c;
  Status s = parse_properties(c, text);
  if (!s.ok()) return s.error().context();
  s = validate(c);
  return s.ok() ? "" : s.error().context();
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// Kafka 3.x config/kraft/server.properties, as shipped (comments shortened).
constexpr std::string_view kKafkaCombined =
    "############################# Server Basics #############################\n"
    "# The role of this server. Setting this puts us in KRaft mode\n"
    "process.roles=broker,controller\n"
    "# The node id associated with this instance's roles\n"
    "node.id=1\n"
    "# The connect string for the controller quorum\n"
    "controller.quorum.voters=1@localhost:9093\n"
    "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"
    "# Name of listener used for communication between brokers.\n"
    "inter.broker.listener.name=PLAINTEXT\n"
    "advertised.listeners=PLAINTEXT://localhost:9092\n"
    "controller.listener.names=CONTROLLER\n"
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,"
    "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL\n"
    "num.network.threads=3\n"
    "num.io.threads=8\n"
    "socket.send.buffer.bytes=102400\n"
    "socket.receive.buffer.bytes=102400\n"
    "socket.request.max.bytes=104857600\n"
    "log.dirs=/tmp/kraft-combined-logs\n"
    "num.partitions=1\n"
    "num.recovery.threads.per.data.dir=1\n"
    "offsets.topic.replication.factor=1\n"
    "transaction.state.log.replication.factor=1\n"
    "transaction.state.log.min.isr=1\n"
    "#log.flush.interval.messages=10000\n"
    "#log.flush.interval.ms=1000\n"
    "log.retention.hours=168\n"
    "#log.retention.bytes=1073741824\n"
    "log.segment.bytes=1073741824\n"
    "log.retention.check.interval.ms=300000\n";

// Kafka 3.x config/kraft/broker.properties.
constexpr std::string_view kKafkaBroker =
    "process.roles=broker\n"
    "node.id=2\n"
    "controller.quorum.voters=1@localhost:9093\n"
    "listeners=PLAINTEXT://localhost:9092\n"
    "inter.broker.listener.name=PLAINTEXT\n"
    "advertised.listeners=PLAINTEXT://localhost:9092\n"
    "controller.listener.names=CONTROLLER\n"
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,"
    "SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL\n"
    "num.network.threads=3\n"
    "log.dirs=/tmp/kraft-broker-logs\n"
    "num.partitions=1\n";

// Kafka 3.x config/kraft/controller.properties.
constexpr std::string_view kKafkaController =
    "process.roles=controller\n"
    "node.id=1\n"
    "controller.quorum.voters=1@localhost:9093\n"
    "listeners=CONTROLLER://:9093\n"
    "controller.listener.names=CONTROLLER\n"
    "num.network.threads=3\n"
    "log.dirs=/tmp/kraft-controller-logs\n"
    "num.partitions=1\n";

TEST(KraftConfig, KafkaCombinedSample) {
  BrokerConfig c = parsed(kKafkaCombined);
  ASSERT_TRUE(validate(c).ok()) << validate(c).error().message();
  EXPECT_TRUE(c.process_roles_configured());
  EXPECT_TRUE(c.has_broker_role());
  EXPECT_TRUE(c.has_controller_role());
  EXPECT_EQ(c.node_id, 1);
  ASSERT_EQ(c.quorum_voters.size(), 1u);
  EXPECT_EQ(c.quorum_voters[0], (QuorumVoter{1, "localhost", 9093}));
  EXPECT_EQ(c.controller_listener_names, std::vector<std::string>{"CONTROLLER"});
  ASSERT_TRUE(c.controller_listener().has_value());
  EXPECT_EQ(c.controller_listener()->to_string(), "CONTROLLER://:9093");
  ASSERT_TRUE(c.broker_listener().has_value());
  EXPECT_EQ(c.broker_listener()->name, "PLAINTEXT");
  EXPECT_EQ(c.advertised().to_string(), "PLAINTEXT://localhost:9092");
  EXPECT_EQ(c.inter_broker_listener_name, "PLAINTEXT");
  EXPECT_EQ(c.listener_security_protocol_map.at("SSL"), "SSL");  // mapped, unused: fine
  EXPECT_EQ(c.listener_security_protocol_map.at("CONTROLLER"), "PLAINTEXT");
  EXPECT_EQ(c.metadata_dir(), "/tmp/kraft-combined-logs");
  EXPECT_EQ(c.storage_dirs(), std::vector<std::string>{"/tmp/kraft-combined-logs"});
}

TEST(KraftConfig, KafkaBrokerOnlySample) {
  BrokerConfig c = parsed(kKafkaBroker);
  ASSERT_TRUE(validate(c).ok()) << validate(c).error().message();
  EXPECT_TRUE(c.has_broker_role());
  EXPECT_FALSE(c.has_controller_role());
  EXPECT_FALSE(c.controller_listener().has_value());  // it dials the voters, serves none
  EXPECT_TRUE(c.is_controller_listener("CONTROLLER"));
  EXPECT_EQ(c.quorum_voters, (std::vector<QuorumVoter>{{1, "localhost", 9093}}));
  EXPECT_EQ(c.advertised().to_string(), "PLAINTEXT://localhost:9092");
}

TEST(KraftConfig, KafkaControllerOnlySample) {
  BrokerConfig c = parsed(kKafkaController);
  ASSERT_TRUE(validate(c).ok()) << validate(c).error().message();
  EXPECT_FALSE(c.has_broker_role());
  EXPECT_TRUE(c.has_controller_role());
  EXPECT_FALSE(c.broker_listener().has_value());  // no client listener needed
  ASSERT_TRUE(c.controller_listener().has_value());
  EXPECT_EQ(c.controller_listener()->port, 9093);
}

TEST(KraftConfig, ThreeNodeQuorumAndIpv6) {
  BrokerConfig c = parsed(
      "process.roles=broker,controller\nnode.id=2\n"
      "controller.quorum.voters=1@h1:9093, 2@h2:9093 ,3@[::1]:9094\n"
      "controller.listener.names=CONTROLLER\n"
      "listeners=PLAINTEXT://h2:9092,CONTROLLER://h2:9093\n");
  ASSERT_TRUE(validate(c).ok()) << validate(c).error().message();
  ASSERT_EQ(c.quorum_voters.size(), 3u);
  EXPECT_EQ(c.quorum_voters[2], (QuorumVoter{3, "::1", 9094}));
  EXPECT_EQ(c.quorum_voters[2].to_string(), "3@[::1]:9094");
  EXPECT_EQ(c.quorum_voters[1].to_string(), "2@h2:9093");
}

TEST(KraftConfig, QuorumTimeoutsAndMetadataSettings) {
  BrokerConfig d;
  EXPECT_EQ(d.controller_quorum_election_timeout_ms, 1000);
  EXPECT_EQ(d.controller_quorum_election_backoff_max_ms, 1000);
  EXPECT_EQ(d.controller_quorum_fetch_timeout_ms, 2000);
  EXPECT_EQ(d.controller_quorum_request_timeout_ms, 2000);
  EXPECT_EQ(d.broker_session_timeout_ms, 9000);
  EXPECT_EQ(d.broker_heartbeat_interval_ms, 2000);
  EXPECT_EQ(d.metadata_log_max_record_bytes_between_snapshots, 20971520);
  EXPECT_EQ(d.metadata_max_idle_interval_ms, 500);
  EXPECT_EQ(d.inter_broker_listener_name, "PLAINTEXT");
  EXPECT_TRUE(d.controller_listener_names.empty());
  EXPECT_EQ(d.metadata_dir(), "tern-data");
  BrokerConfig c = parsed(
      "controller.quorum.election.timeout.ms=1500\n"
      "controller.quorum.election.backoff.max.ms=700\n"
      "controller.quorum.fetch.timeout.ms=3000\n"
      "controller.quorum.request.timeout.ms=4000\n"
      "broker.session.timeout.ms=18000\n"
      "broker.heartbeat.interval.ms=3000\n"
      "log.dirs=./a,b/,c\n"
      "metadata.log.dir=./meta/\n"
      "metadata.log.max.record.bytes.between.snapshots=1024\n"
      "metadata.max.idle.interval.ms=0\n");
  EXPECT_EQ(c.controller_quorum_election_timeout_ms, 1500);
  EXPECT_EQ(c.controller_quorum_election_backoff_max_ms, 700);
  EXPECT_EQ(c.controller_quorum_fetch_timeout_ms, 3000);
  EXPECT_EQ(c.controller_quorum_request_timeout_ms, 4000);
  EXPECT_EQ(c.broker_session_timeout_ms, 18000);
  EXPECT_EQ(c.broker_heartbeat_interval_ms, 3000);
  EXPECT_EQ(c.metadata_log_max_record_bytes_between_snapshots, 1024);
  EXPECT_EQ(c.metadata_max_idle_interval_ms, 0);
  EXPECT_EQ(c.metadata_dir(), "meta");
  EXPECT_EQ(c.storage_dirs(), (std::vector<std::string>{"a", "b", "c", "meta"}));
  ASSERT_TRUE(apply_override(c, "metadata.log.dir=b").ok());
  EXPECT_EQ(c.storage_dirs(), (std::vector<std::string>{"a", "b", "c"}));
  for (const char* bad :
       {"controller.quorum.election.timeout.ms=0", "controller.quorum.fetch.timeout.ms=-1",
        "controller.quorum.request.timeout.ms=abc", "broker.session.timeout.ms=99999999999",
        "broker.heartbeat.interval.ms=", "controller.quorum.election.backoff.max.ms=0",
        "metadata.max.idle.interval.ms=-1",
        "metadata.log.max.record.bytes.between.snapshots=0", "metadata.log.dir=",
        "metadata.log.dir=a,b"}) {
    Status s = apply_override(c, bad);
    ASSERT_FALSE(s.ok()) << bad;
    const std::string key(std::string_view(bad).substr(0, std::string_view(bad).find('=')));
    EXPECT_TRUE(contains(s.error().context(), key)) << s.error().context();
  }
}

TEST(KraftConfig, ParseErrorsNameTheKey) {
  struct Case {
    const char* setting;
    const char* key;
    const char* detail;
  };
  const Case cases[] = {
      {"process.roles=worker", "process.roles", "broker, controller"},
      {"process.roles=broker,broker", "process.roles", "duplicate role broker"},
      {"process.roles=", "process.roles", "broker, controller"},
      {"controller.quorum.voters=1localhost:9093", "controller.quorum.voters", "lacks id@"},
      {"controller.quorum.voters=x@h:9093", "controller.quorum.voters", "bad id"},
      {"controller.quorum.voters=1@h", "controller.quorum.voters", "lacks host:port"},
      {"controller.quorum.voters=1@h:0", "controller.quorum.voters", "bad host or port"},
      {"controller.quorum.voters=1@:9093", "controller.quorum.voters", "lacks host:port"},
      {"controller.quorum.voters=1@a:9093,1@b:9093", "controller.quorum.voters",
       "voter id 1 appears twice"},
      {"controller.quorum.voters=1@a:9093,2@a:9093", "controller.quorum.voters",
       "share the address a:9093"},
      {"controller.listener.names=CONTROLLER,CONTROLLER", "controller.listener.names",
       "each name once"},
      {"controller.listener.names=CON TROLLER", "controller.listener.names", "listener names"},
      {"listener.security.protocol.map=CONTROLLER", "listener.security.protocol.map",
       "NAME:PROTOCOL"},
      {"listener.security.protocol.map=CONTROLLER:TLS", "listener.security.protocol.map",
       "not 'TLS'"},
      {"listener.security.protocol.map=A:PLAINTEXT,A:SSL", "listener.security.protocol.map",
       "listener A once"},
      {"inter.broker.listener.name=", "inter.broker.listener.name", "a listener name"},
  };
  for (const Case& k : cases) {
    BrokerConfig c;
    Status s = apply_override(c, k.setting);
    ASSERT_FALSE(s.ok()) << k.setting;
    EXPECT_TRUE(contains(s.error().context(), k.key)) << s.error().context();
    EXPECT_TRUE(contains(s.error().context(), k.detail)) << s.error().context();
  }
}

// A KRaft node's base: three voters, both listeners; each case adds one setting that breaks
// one rule (later settings win).
constexpr std::string_view kKraftBase =
    "process.roles=broker,controller\n"
    "node.id=1\n"
    "controller.quorum.voters=1@h1:9093,2@h2:9093,3@h3:9093\n"
    "controller.listener.names=CONTROLLER\n"
    "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n";

std::string kraft_problem(std::string_view extra) {
  return problem(std::string(kKraftBase) + std::string(extra));
}

TEST(KraftConfig, ValidationErrors) {
  EXPECT_EQ(kraft_problem(""), "");
  EXPECT_EQ(kraft_problem("node.id=4\n"),
            "node.id 4 is not in controller.quorum.voters (1,2,3) but process.roles has "
            "controller");
  EXPECT_EQ(kraft_problem("process.roles=controller\nnode.id=4\nlisteners=CONTROLLER://:9093\n"),
            "node.id 4 is not in controller.quorum.voters (1,2,3) but process.roles has "
            "controller");
  EXPECT_EQ(kraft_problem("process.roles=broker\nlisteners=PLAINTEXT://:9092\n"),
            "node.id 1 is in controller.quorum.voters (1,2,3) but process.roles is broker (a "
            "voter needs the controller role)");
  EXPECT_EQ(problem("process.roles=broker,controller\nnode.id=1\n"
                    "controller.listener.names=CONTROLLER\n"
                    "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"),
            "controller.quorum.voters must list the controllers (1@host:9093,...) when "
            "process.roles is set (controller.quorum.bootstrap.servers is not supported)");
  EXPECT_EQ(problem("process.roles=broker,controller\n"
                    "controller.quorum.voters=1@h1:9093\n"
                    "controller.listener.names=CONTROLLER\n"
                    "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"),
            "node.id must be set when process.roles is set");
  EXPECT_EQ(problem("process.roles=broker,controller\nbroker.id=1\n"  // the alias counts
                    "controller.quorum.voters=1@h1:9093\n"
                    "controller.listener.names=CONTROLLER\n"
                    "listeners=PLAINTEXT://:9092,CONTROLLER://:9093\n"),
            "");
  EXPECT_EQ(kraft_problem("controller.listener.names=\n"),
            "controller.listener.names must name the controller listener (e.g. CONTROLLER) "
            "when process.roles or controller.quorum.voters is set");
  // Voters without process.roles: the implicit combined node must be one of them, and the
  // controller listener must be named.
  EXPECT_TRUE(contains(problem("node.id=7\ncontroller.quorum.voters=1@h1:9093\n"),
                       "node.id 7 is not in controller.quorum.voters (1)"));
  EXPECT_TRUE(contains(problem("node.id=1\ncontroller.quorum.voters=1@h1:9093\n"),
                       "controller.listener.names must name the controller listener"));
  EXPECT_EQ(kraft_problem("listeners=PLAINTEXT://:9092\n"),
            "process.roles has controller but listeners has no listener named in "
            "controller.listener.names (CONTROLLER)");
  EXPECT_EQ(kraft_problem("listeners=CONTROLLER://:9093\n"),
            "process.roles has broker but every listener is a controller listener (add e.g. "
            "PLAINTEXT://:9092)");
  EXPECT_EQ(kraft_problem("process.roles=controller\n"),
            "listeners has PLAINTEXT, which is not in controller.listener.names, but "
            "process.roles is controller (a controller-only node serves only controller "
            "listeners)");
  EXPECT_EQ(kraft_problem("process.roles=broker\nnode.id=5\n"),
            "listeners has the controller listener CONTROLLER but process.roles is broker (a "
            "broker-only node does not serve the quorum)");
  EXPECT_EQ(kraft_problem("advertised.listeners=PLAINTEXT://h1:9092,CONTROLLER://h1:9093\n"),
            "advertised.listeners must not contain the controller listener CONTROLLER: "
            "clients talk to brokers only");
  EXPECT_EQ(kraft_problem("inter.broker.listener.name=INTERNAL\n"),
            "inter.broker.listener.name INTERNAL is not a listener in listeners");
  EXPECT_EQ(kraft_problem("inter.broker.listener.name=CONTROLLER\n"),
            "inter.broker.listener.name CONTROLLER is a controller listener "
            "(controller.listener.names)");
  EXPECT_EQ(kraft_problem("listeners=CONTROLLER://:9093,PLAINTEXT://:9092\n"),
            "listeners: put the broker listener PLAINTEXT first (tern serves clients on the "
            "first listener)");
}

TEST(KraftConfig, SecurityProtocolsOnlyPlaintext) {
  // Kafka's default map sends SSL to SSL: a clear error, not a silent plaintext port.
  EXPECT_EQ(problem("listeners=SSL://:9093\n"),
            "listener SSL uses security protocol SSL: tern supports PLAINTEXT only");
  EXPECT_EQ(kraft_problem("listener.security.protocol.map=PLAINTEXT:PLAINTEXT,"
                          "CONTROLLER:SASL_SSL\n"),
            "listener CONTROLLER uses security protocol SASL_SSL: tern supports PLAINTEXT "
            "only");
  // An explicit map must cover every listener (the controller one included).
  EXPECT_EQ(kraft_problem("listener.security.protocol.map=PLAINTEXT:PLAINTEXT\n"),
            "listener CONTROLLER has no security protocol: add CONTROLLER:PLAINTEXT to "
            "listener.security.protocol.map");
  EXPECT_EQ(problem("listeners=INTERNAL://:9092\n"),
            "listener INTERNAL has no security protocol: add INTERNAL:PLAINTEXT to "
            "listener.security.protocol.map");
  // A custom name mapped to PLAINTEXT serves clients (inter.broker.listener.name defaults
  // to PLAINTEXT; without such a listener the first client listener is the broker's).
  BrokerConfig c = parsed("listeners=INTERNAL://:9092\n"
                          "listener.security.protocol.map=INTERNAL:PLAINTEXT\n");
  EXPECT_TRUE(validate(c).ok()) << validate(c).error().message();
  EXPECT_EQ(c.broker_listener()->name, "INTERNAL");
  // A broker-only node dials the controller listener: its protocol counts too.
  EXPECT_EQ(problem("process.roles=broker\nnode.id=4\ncontroller.quorum.voters=1@h1:9093\n"
                    "controller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://:9092\n"
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:SSL\n"),
            "listener CONTROLLER uses security protocol SSL: tern supports PLAINTEXT only");
}

TEST(KraftConfig, WithoutProcessRolesIsAnImplicitOneNodeCluster) {
  // Today's defaults and tern's older config files: combined roles, the quorum this node at
  // its client listener (nothing dials it: a one-voter quorum elects itself).
  BrokerConfig d;
  EXPECT_FALSE(d.process_roles_configured());
  EXPECT_TRUE(d.has_broker_role());
  EXPECT_TRUE(d.has_controller_role());
  EXPECT_EQ(d.quorum_voters, (std::vector<QuorumVoter>{{1, "127.0.0.1", 9092}}));
  EXPECT_FALSE(d.controller_listener().has_value());
  EXPECT_TRUE(validate(d).ok());
  BrokerConfig c = parsed("node.id=5\nlisteners=PLAINTEXT://10.0.0.5:19092\n");
  EXPECT_EQ(c.quorum_voters, (std::vector<QuorumVoter>{{5, "10.0.0.5", 19092}}));
  EXPECT_TRUE(validate(c).ok());
  // The voter follows settings in any order.
  BrokerConfig r = parsed("listeners=PLAINTEXT://h:1\nnode.id=6\n");
  EXPECT_EQ(r.quorum_voters, (std::vector<QuorumVoter>{{6, "h", 1}}));
  // With a listener named CONTROLLER, the voter is there.
  BrokerConfig k = parsed("node.id=2\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\n");
  EXPECT_TRUE(validate(k).ok()) << validate(k).error().message();
  EXPECT_EQ(k.quorum_voters, (std::vector<QuorumVoter>{{2, "127.0.0.1", 9093}}));
  ASSERT_TRUE(k.controller_listener().has_value());
  EXPECT_EQ(k.broker_listener()->name, "PLAINTEXT");
  // Setting process.roles later drops the derived voter: a KRaft node names its quorum.
  ASSERT_TRUE(apply_override(k, "process.roles=broker,controller").ok());
  EXPECT_TRUE(k.quorum_voters.empty());
}

TEST(KraftConfig, KafkaZooKeeperEraSampleStillStarts) {
  // Kafka 3.x config/server.properties (ZooKeeper mode): no process.roles, no listeners.
  BrokerConfig c = parsed(
      "broker.id=0\n"
      "#listeners=PLAINTEXT://:9092\n"
      "num.network.threads=3\n"
      "num.io.threads=8\n"
      "socket.send.buffer.bytes=102400\n"
      "socket.receive.buffer.bytes=102400\n"
      "socket.request.max.bytes=104857600\n"
      "log.dirs=/tmp/kafka-logs\n"
      "num.partitions=1\n"
      "num.recovery.threads.per.data.dir=1\n"
      "offsets.topic.replication.factor=1\n"
      "transaction.state.log.replication.factor=1\n"
      "transaction.state.log.min.isr=1\n"
      "log.retention.hours=168\n"
      "log.retention.check.interval.ms=300000\n"
      "zookeeper.connect=localhost:2181\n"
      "zookeeper.connection.timeout.ms=18000\n"
      "group.initial.rebalance.delay.ms=0\n");
  EXPECT_TRUE(validate(c).ok()) << validate(c).error().message();
  EXPECT_EQ(c.node_id, 0);
  EXPECT_EQ(c.quorum_voters, (std::vector<QuorumVoter>{{0, "127.0.0.1", 9092}}));
  // controller.quorum.bootstrap.servers (Kafka 3.9+, dynamic quorums) is ignored, loudly.
  BrokerConfig b;
  ASSERT_TRUE(apply_override(b, "controller.quorum.bootstrap.servers=localhost:9093").ok());
  ASSERT_EQ(b.warnings.size(), 1u);
  EXPECT_TRUE(contains(b.warnings[0], "controller.quorum.voters"));
}

TEST(KraftConfig, DescribeConfigsListsTheNewKeys) {
  BrokerConfig c = parsed(kKafkaCombined);
  std::map<std::string, ConfigEntry> by_name;
  for (const ConfigEntry& e : describe_broker_config(c)) by_name[e.name] = e;
  for (const char* key :
       {"process.roles", "controller.quorum.voters", "controller.listener.names",
        "listener.security.protocol.map", "inter.broker.listener.name",
        "controller.quorum.election.timeout.ms", "controller.quorum.election.backoff.max.ms",
        "controller.quorum.fetch.timeout.ms", "controller.quorum.request.timeout.ms",
        "broker.session.timeout.ms", "broker.heartbeat.interval.ms", "metadata.log.dir",
        "metadata.log.max.record.bytes.between.snapshots", "metadata.max.idle.interval.ms"}) {
    EXPECT_TRUE(by_name.count(key)) << key;
  }
  EXPECT_EQ(by_name["process.roles"].value, "broker,controller");
  EXPECT_FALSE(by_name["process.roles"].is_default);
  EXPECT_EQ(by_name["controller.quorum.voters"].value, "1@localhost:9093");
  EXPECT_EQ(by_name["controller.quorum.fetch.timeout.ms"].value, "2000");
  EXPECT_TRUE(by_name["controller.quorum.fetch.timeout.ms"].is_default);
  EXPECT_EQ(by_name["metadata.log.dir"].value, "/tmp/kraft-combined-logs");
  EXPECT_TRUE(by_name["metadata.log.dir"].is_default);
  BrokerConfig d;
  for (const ConfigEntry& e : describe_broker_config(d)) {
    if (e.name == "controller.quorum.voters") EXPECT_EQ(e.value, "1@127.0.0.1:9092");
    if (e.name == "listener.security.protocol.map") {
      EXPECT_EQ(e.value, "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL,"
                         "SSL:SSL");
    }
  }
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
