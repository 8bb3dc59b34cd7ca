// `tern sim failover`: the controller failover benchmark in simulation. Each seed runs the
// built-in scenario quorum-failover (3 combined KRaft nodes, workloads writing data and
// metadata) with a fault plan that crashes whichever node becomes the active controller, 2 s
// after it does, and restarts it 2 s later, over and over. The plan is event-triggered
// (crash node X on its nth `raft.role role=leader` trace event), so it is an ordinary
// replayable plan. ClusterWatch (scenarios/cluster_watch.h) times each failover: from the
// step the active controller went down to the step the committed end next moved (the new
// leader's first commit, Kafka's "next committed metadata record"); and metadata
// propagation: from a commit to the step every node's applied image holds it (what its
// Metadata answers show). Times are simulated, so they measure the protocol (timeouts,
// backoffs, round trips), not this machine. The quorum's invariants are checked throughout;
// a violated one fails the command.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "broker/server/config.h"
#include "faults/fault.h"
#include "faults/fault_plan.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"
#include "tools/sim_args.h"

namespace tern::tools {

namespace {

constexpr const char* kUsage =
    "usage: tern sim failover [--seeds A..B | --seeds N] [--kills-per-node K]\n"
    "\n"
    "Runs scenario quorum-failover once per seed (default seeds 1..20) with a plan that\n"
    "crashes the active controller 2 s after each election (K times per node, default 6) and\n"
    "restarts it 2 s later; prints p50/p90/p99/max of the failover time (active controller\n"
    "down -> next committed metadata record) and of metadata propagation (committed ->\n"
    "applied on every node), in simulated milliseconds, with the configured timeouts.\n"
    "Exit status: 0 all runs passed their invariants, 1 a run failed, 2 usage error.\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "tern sim failover: %s (see tern sim failover --help)\n", msg.c_str());
  return 2;
}

// The plan: for each node, its 1st..Kth leadership ends in a crash 2 s in, restart 2 s later.
faults::FaultPlan leader_kill_plan(const std::vector<std::string>& nodes, uint32_t per_node,
                                   Instant heal_at) {
  faults::FaultPlan plan;
  for (const std::string& n : nodes) {
    for (uint32_t k = 1; k <= per_node; ++k) {
      faults::Trigger t;
      t.on = n;
      t.event = "raft.role";
      t.nth = k;
      t.delay = Duration::seconds(2);
      t.match_field = "role";
      t.match_value = "leader";
      plan.add(faults::with_trigger(
          faults::make_crash(Instant{0}, n, /*keep_unsynced=*/false, /*tear=*/false,
                             /*half_open=*/false, Duration::seconds(2)),
          std::move(t)));
    }
  }
  plan.add(faults::make_heal_all(heal_at));
  return plan;
}

double percentile_ms(std::vector<int64_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size()) + 0.999999);
  i = std::clamp<size_t>(i, 1, v.size()) - 1;
  return static_cast<double>(v[i]) / 1e6;
}

void print_stats(const char* what, const std::vector<int64_t>& v) {
  std::printf("%s: n=%zu p50=%.1f p90=%.1f p99=%.1f max=%.1f ms\n", what, v.size(),
              percentile_ms(v, 0.50), percentile_ms(v, 0.90), percentile_ms(v, 0.99),
              percentile_ms(v, 1.0));
}

}  // namespace

int cmd_sim_failover(int argc, char** argv) {
  SeedRange seeds{1, 20};
  uint32_t per_node = 6;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= argc) return usage_error(fmt::format("{} needs a value", a));
    const std::string_view v = argv[++i];
    if (a == "--seeds") {
      auto r = parse_seeds(v);
      if (!r) return usage_error(fmt::format("--seeds '{}': want N or A..B", v));
      seeds = *r;
    } else if (a == "--kills-per-node") {
      auto k = parse_u64(v);
      if (!k || *k == 0 || *k > 100) return usage_error("--kills-per-node: want 1..100");
      per_node = static_cast<uint32_t>(*k);
    } else {
      return usage_error(fmt::format("unknown flag '{}'", a));
    }
  }
  const scenarios::Scenario* sc = scenarios::find_scenario("quorum-failover");
  if (sc == nullptr) return usage_error("built-in scenario quorum-failover is missing");
  std::vector<std::string> nodes;
  for (int b = 1; b <= sc->brokers; ++b) nodes.push_back(fmt::format("b{}", b));
  // The kills stop where the runner's liveness phase begins (the same heal time).
  const faults::FaultPlan plan =
      leader_kill_plan(nodes, per_node, sc->budget.heal_at(sc->duration));

  server::BrokerConfig defaults;
  auto timeout = [&](const char* key, int32_t fallback) {
    auto it = sc->broker_config.find(key);
    return it == sc->broker_config.end() ? std::to_string(fallback) : it->second;
  };
  std::printf("scenario %s, seeds %llu..%llu: 3 combined voters, the active controller "
              "crashed 2 s after each election, restarted 2 s later\n",
              sc->name.c_str(), static_cast<unsigned long long>(seeds.first),
              static_cast<unsigned long long>(seeds.last));
  std::printf("controller.quorum.election.timeout.ms=%s controller.quorum.fetch.timeout.ms=%s\n",
              timeout("controller.quorum.election.timeout.ms",
                      defaults.controller_quorum_election_timeout_ms)
                  .c_str(),
              timeout("controller.quorum.fetch.timeout.ms",
                      defaults.controller_quorum_fetch_timeout_ms)
                  .c_str());
  std::fflush(stdout);

  std::vector<int64_t> failovers, propagation;
  uint64_t failed = 0, runs = 0;
  for (uint64_t seed = seeds.first; seed <= seeds.last; ++seed) {
    scenarios::RunOptions opts;
    opts.plan = plan;
    const scenarios::Outcome o = scenarios::run_scenario(*sc, seed, opts);
    ++runs;
    failovers.insert(failovers.end(), o.failovers_ns.begin(), o.failovers_ns.end());
    propagation.insert(propagation.end(), o.propagation_ns.begin(), o.propagation_ns.end());
    if (!o.passed) {
      ++failed;
      std::printf("FAIL seed %llu: %s (rerun: tern sim failover --seeds %llu..%llu)\n",
                  static_cast<unsigned long long>(seed),
                  o.violations.empty() ? o.first_error.c_str()
                                       : o.violations.front().message.c_str(),
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    }
  }
  print_stats("controller failover (active controller down -> next committed record)",
              failovers);
  print_stats("metadata propagation (committed -> applied on every node)", propagation);
  std::printf("%llu runs, %llu failed\n", static_cast<unsigned long long>(runs),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}

}  // namespace tern::tools
