// `tern metadata-quorum`: kafka-metadata-quorum.sh's `describe --status` and
// `describe --replication`, over DescribeQuorum (any broker forwards it to the quorum leader).
#include <algorithm>
#include <cstdio>
#include <string>

#include "broker/client/admin.h"
#include "tools/client_cli.h"
#include "tools/commands.h"

namespace tern::tools {

namespace {

const std::vector<FlagSpec> kQuorumFlags = {
    {"--bootstrap-server", true, "host:port[,host:port] of the broker(s) (required)"},
    {"--status", false, "describe: the quorum's leader, epoch, high watermark, voters, observers"},
    {"--replication", false, "describe: each voter's and observer's log end offset and lag"},
    {"--human-readable", false, "describe --replication: times as 'N ms ago'"},
    {"--command-config", true, "accepted for compatibility; ignored"},
    {"--help", false, "this help"},
};

constexpr std::string_view kUsage =
    "tern metadata-quorum --bootstrap-server H:P describe (--status|--replication)";

std::string id_list(const std::vector<protocol::DescribeQuorumResponse::ReplicaState>& rs) {
  std::string out = "[";
  for (size_t i = 0; i < rs.size(); ++i) out += (i ? "," : "") + std::to_string(rs[i].replica_id);
  return out + "]";
}

int describe(Runtime& rt, const Flags& flags, const std::vector<Address>& bootstrap) {
  client::Admin admin(rt, cli_client_options(bootstrap, "tern-metadata-quorum"));
  auto q = admin.describe_quorum();
  if (!q.ok()) return fail(1, "metadata-quorum", "{}", q.error().message());
  if (q->topics.empty() || q->topics[0].partitions.empty()) {
    return fail(1, "metadata-quorum", "the answer holds no __cluster_metadata partition");
  }
  const auto& p = q->topics[0].partitions[0];
  if (p.error_code != 0) {
    return fail(1, "metadata-quorum", "{}", protocol::error_code_name(p.error_code));
  }
  const int64_t now_ms = rt.wall_now().unix_ms;
  if (flags.has("--status")) {
    auto md = admin.cluster_metadata();
    const std::string cluster = md.ok() && md->cluster_id ? *md->cluster_id : "";
    int64_t max_lag = 0, max_lag_ms = -1;
    for (const auto& v : p.current_voters) {
      max_lag = std::max(max_lag, p.high_watermark - v.log_end_offset);
      if (v.replica_id != p.leader_id && v.last_caught_up_timestamp >= 0) {
        max_lag_ms = std::max(max_lag_ms, now_ms - v.last_caught_up_timestamp);
      }
    }
    std::printf("ClusterId:              %s\n", cluster.c_str());
    std::printf("LeaderId:               %d\n", p.leader_id);
    std::printf("LeaderEpoch:            %d\n", p.leader_epoch);
    std::printf("HighWatermark:          %lld\n", static_cast<long long>(p.high_watermark));
    std::printf("MaxFollowerLag:         %lld\n", static_cast<long long>(max_lag));
    std::printf("MaxFollowerLagTimeMs:   %lld\n", static_cast<long long>(max_lag_ms));
    std::printf("CurrentVoters:          %s\n", id_list(p.current_voters).c_str());
    std::printf("CurrentObservers:       %s\n", id_list(p.observers).c_str());
    return 0;
  }
  const bool human = flags.has("--human-readable");
  auto when = [&](int64_t ts) {
    if (ts < 0) return std::string("-1");
    return human ? std::to_string(std::max<int64_t>(0, now_ms - ts)) + " ms ago"
                 : std::to_string(ts);
  };
  std::printf("NodeId\tLogEndOffset\tLag\tLastFetchTimestamp\tLastCaughtUpTimestamp\tStatus\n");
  auto row = [&](const auto& r, const char* status) {
    std::printf("%d\t%lld\t%lld\t%s\t%s\t%s\n", r.replica_id,
                static_cast<long long>(r.log_end_offset),
                static_cast<long long>(std::max<int64_t>(0, p.high_watermark - r.log_end_offset)),
                when(r.last_fetch_timestamp).c_str(), when(r.last_caught_up_timestamp).c_str(),
                status);
  };
  for (const auto& v : p.current_voters) {
    if (v.replica_id == p.leader_id) row(v, "Leader");
  }
  for (const auto& v : p.current_voters) {
    if (v.replica_id != p.leader_id) row(v, "Follower");
  }
  for (const auto& o : p.observers) row(o, "Observer");
  return 0;
}

}  // namespace

int cmd_metadata_quorum(int argc, char** argv) {
  auto flags = parse_flags(argc, argv, kQuorumFlags);
  if (!flags.ok()) return fail(2, "metadata-quorum", "{} (see --help)", flags.error().context());
  if (flags->has("--help")) {
    std::fputs(flags_help(kUsage, kQuorumFlags).c_str(), stdout);
    return 0;
  }
  const auto& pos = flags->positional();
  if (pos.size() != 1 || pos[0] != "describe") {
    return fail(2, "metadata-quorum", "usage: {}", kUsage);
  }
  if (flags->has("--status") == flags->has("--replication")) {
    return fail(2, "metadata-quorum", "describe needs exactly one of --status, --replication");
  }
  auto server = flags->get("--bootstrap-server");
  if (!server) return fail(2, "metadata-quorum", "--bootstrap-server is required");
  auto bootstrap = client::parse_bootstrap(*server);
  if (!bootstrap.ok()) return fail(2, "metadata-quorum", "{}", bootstrap.error().context());
  return run_real("tern-metadata-quorum",
                  [&](Runtime& rt) { return describe(rt, flags.value(), bootstrap.value()); });
}

}  // namespace tern::tools
