// `tern topics`: kafka-topics.sh's flags and output shapes, over tern's Admin client.
#include <cstdio>
#include <string>

#include "broker/client/admin.h"
#include "tools/client_cli.h"
#include "tools/commands.h"

namespace tern::tools {

namespace {

const std::vector<FlagSpec> kTopicsFlags = {
    {"--bootstrap-server", true, "host:port[,host:port] of the broker(s) (required)"},
    {"--create", false, "create a topic"},
    {"--delete", false, "delete a topic"},
    {"--describe", false, "describe a topic (all topics without --topic)"},
    {"--list", false, "list topic names"},
    {"--alter", false, "add partitions (--partitions) or set configs (--config)"},
    {"--topic", true, "the topic"},
    {"--partitions", true, "partition count (create: default num.partitions)"},
    {"--replication-factor", true, "replicas per partition (create)"},
    {"--config", true, "a topic config name=value (repeatable)"},
    {"--if-not-exists", false, "create: no error if the topic exists"},
    {"--if-exists", false, "delete/alter/describe: no error if the topic is missing"},
    {"--exclude-internal", false, "list/describe: leave out internal topics"},
    {"--command-config", true, "accepted for compatibility; ignored"},
    {"--help", false, "this help"},
};

constexpr std::string_view kUsage =
    "tern topics --bootstrap-server H:P (--create|--delete|--describe|--list|--alter) "
    "[--topic T] [--partitions N] [--replication-factor N] [--config k=v]...";

std::string join_ids(const std::vector<int32_t>& ids) {
  std::string out;
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out;
}

int describe_one(client::Admin& admin, const std::string& name) {
  auto d = admin.describe_topic(name);
  if (!d.ok()) return fail(1, "topics", "{}", d.error().message());
  std::string configs;
  auto cfg = admin.describe_configs(client::kResourceTopic, name);
  if (cfg.ok()) {
    for (const auto& e : cfg.value()) {
      if (e.source != 1 || !e.value) continue;  // kafka-topics.sh shows topic overrides only
      configs += (configs.empty() ? "" : ",") + e.name + "=" + (e.sensitive ? "" : *e.value);
    }
  }
  // Metadata v8 carries no topic id; print Kafka's zero id (Uuid.ZERO_UUID).
  std::printf("Topic: %s\tTopicId: AAAAAAAAAAAAAAAAAAAAAA\tPartitionCount: %zu\t"
              "ReplicationFactor: %d\tConfigs: %s\n",
              name.c_str(), d->partitions.size(), d->replication_factor(), configs.c_str());
  for (const auto& p : d->partitions) {
    std::printf("\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\n",
                name.c_str(), p.partition,
                p.leader >= 0 ? std::to_string(p.leader).c_str() : "none",
                join_ids(p.replicas).c_str(), join_ids(p.isr).c_str());
  }
  return 0;
}

int run_topics(Runtime& rt, const Flags& flags, std::vector<Address> bootstrap) {
  client::Admin admin(rt, cli_client_options(std::move(bootstrap), "tern-topics"));
  auto reach = admin.cluster().any_connection(rt.now() + kCliReachTimeout);
  if (!reach.ok()) {
    return fail(1, "topics", "cannot reach broker {}: {}", *flags.get("--bootstrap-server"),
                reach.error().message());
  }
  const std::optional<std::string> topic = flags.get("--topic");
  const bool if_exists = flags.has("--if-exists");
  auto missing = [](const client::ClientError& e) {
    return e == protocol::ErrorCode::unknown_topic_or_partition;
  };

  if (flags.has("--list")) {
    auto names = admin.list_topics(!flags.has("--exclude-internal"));
    if (!names.ok()) return fail(1, "topics", "{}", names.error().message());
    for (const auto& n : names.value()) {
      if (!topic || n == *topic) std::printf("%s\n", n.c_str());
    }
    return 0;
  }
  if (flags.has("--describe")) {
    std::vector<std::string> names;
    if (topic) {
      names.push_back(*topic);
    } else {
      auto all = admin.list_topics(!flags.has("--exclude-internal"));
      if (!all.ok()) return fail(1, "topics", "{}", all.error().message());
      names = all.value();
    }
    for (const auto& n : names) {
      auto d = admin.describe_topic(n);
      if (!d.ok() && missing(d.error()) && if_exists) continue;
      if (!d.ok()) return fail(1, "topics", "{}", d.error().message());
      if (int rc = describe_one(admin, n); rc != 0) return rc;
    }
    return 0;
  }

  std::map<std::string, std::string> configs;
  for (const auto& c : flags.all("--config")) {
    auto kv = parse_property("--config", c);
    if (!kv.ok()) return fail(2, "topics", "{}", kv.error().context());
    configs[kv->first] = kv->second;
  }
  std::optional<int64_t> partitions, replication;
  if (auto v = flags.get("--partitions")) {
    auto n = parse_int("--partitions", *v, 1, INT32_MAX);
    if (!n.ok()) return fail(2, "topics", "{}", n.error().context());
    partitions = n.value();
  }
  if (auto v = flags.get("--replication-factor")) {
    auto n = parse_int("--replication-factor", *v, 1, INT16_MAX);
    if (!n.ok()) return fail(2, "topics", "{}", n.error().context());
    replication = n.value();
  }

  if (flags.has("--create")) {
    client::NewTopic t;
    t.name = *topic;
    t.partitions = partitions ? static_cast<int32_t>(*partitions) : -1;
    t.replication_factor = replication ? static_cast<int16_t>(*replication) : -1;
    t.configs = configs;
    auto st = admin.create_topic(t);
    if (!st.ok()) {
      if (flags.has("--if-not-exists") &&
          st.error() == protocol::ErrorCode::topic_already_exists) {
        return 0;
      }
      return fail(1, "topics", "{}", st.error().message());
    }
    std::printf("Created topic %s.\n", topic->c_str());
    return 0;
  }
  if (flags.has("--delete")) {
    auto st = admin.delete_topic(*topic);
    if (!st.ok() && !(if_exists && missing(st.error()))) {
      return fail(1, "topics", "{}", st.error().message());
    }
    return 0;
  }
  // --alter
  if (!partitions && configs.empty()) {
    return fail(2, "topics", "--alter needs --partitions or --config");
  }
  if (partitions) {
    auto st = admin.create_partitions(*topic, static_cast<int32_t>(*partitions));
    if (!st.ok() && !(if_exists && missing(st.error()))) {
      return fail(1, "topics", "{}", st.error().message());
    }
  }
  if (!configs.empty()) {
    std::map<std::string, std::optional<std::string>> set(configs.begin(), configs.end());
    auto st = admin.alter_topic_configs(*topic, set);
    if (!st.ok() && !(if_exists && missing(st.error()))) {
      return fail(1, "topics", "{}", st.error().message());
    }
  }
  return 0;
}

}  // namespace

int cmd_topics(int argc, char** argv) {
  auto flags = parse_flags(argc, argv, kTopicsFlags);
  if (!flags.ok()) return fail(2, "topics", "{} (see --help)", flags.error().context());
  if (flags->has("--help")) {
    std::fputs(flags_help(kUsage, kTopicsFlags).c_str(), stdout);
    return 0;
  }
  if (!flags->positional().empty()) {
    return fail(2, "topics", "unexpected argument '{}'", flags->positional()[0]);
  }
  int actions = 0;
  for (auto a : {"--create", "--delete", "--describe", "--list", "--alter"}) {
    actions += flags->has(a) ? 1 : 0;
  }
  if (actions != 1) {
    return fail(2, "topics", "give exactly one of --create, --delete, --describe, --list, "
                             "--alter");
  }
  auto server = flags->get("--bootstrap-server");
  if (!server) return fail(2, "topics", "--bootstrap-server is required");
  auto bootstrap = client::parse_bootstrap(*server);
  if (!bootstrap.ok()) return fail(2, "topics", "{}", bootstrap.error().context());
  const bool needs_topic = flags->has("--create") || flags->has("--delete") ||
                           flags->has("--alter");
  if (needs_topic && !flags->get("--topic")) return fail(2, "topics", "--topic is required");
  if (flags->has("--create") && flags->get("--topic")->empty()) {
    return fail(2, "topics", "--topic must not be empty");
  }
  return run_real("tern-topics", [&](Runtime& rt) {
    return run_topics(rt, flags.value(), bootstrap.value());
  });
}

}  // namespace tern::tools
