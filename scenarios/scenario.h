#pragma once
// A scenario = a cluster shape + named workloads with their options + a fault policy + the
// invariants to check + the minimum work a seed must do (FoundationDB's test spec files,
// TigerBeetle's VOPR options). It is written as a small text file (scenario_file.h); the
// built-in ones live in scenarios/specs/ and are compiled in. The seed decides the rest.
// A suite is a named list of scenarios run over a range of seeds.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faults/plan_generator.h"
#include "sim/runtime/time.h"

namespace tern::scenarios {

struct WorkloadSpec {
  std::string type;                            // a registered workload ("keyed")
  std::map<std::string, std::string> options;  // its options, checked when the file is read
  int line = 0;                                // where it was written, for errors
};

// What every seed must at least do, or it fails as vacuous ("passed, but nothing happened").
struct Requirements {
  uint64_t acks = 0;               // acknowledged writes (any acks level)
  uint64_t polls = 0;              // records handed to consumers
  uint64_t faults = 0;             // faults the injector applied (heal_all not counted)
  uint64_t crashes_after_ack = 0;  // broker crashes (power loss included) after it acked
};

enum class SchedulerMode : uint8_t {
  fifo,     // runnable tasks in FIFO order, always
  shuffle,  // ties between tasks runnable at the same instant broken by the seed, always
  seed,     // the seed decides: shuffled for a share of seeds (the default)
};

struct Scenario {
  std::string name;
  std::string summary;
  std::string source;  // the file it came from ("builtin:NAME" for compiled-in ones)
  // Cluster shape.
  int brokers = 1;
  // The KRaft metadata quorum: 0 = tern's implicit one-node mode (no process.roles; each
  // broker is its own cluster). N > 0: a cluster of `brokers` brokers and N voters, either
  // combined (the first N brokers are also controllers) or separate (N controller-only nodes
  // q1..qN beside the brokers).
  int controllers = 0;
  bool separate_controllers = false;
  std::map<std::string, std::string> broker_config;  // Kafka names, after the drawn knobs
  std::vector<WorkloadSpec> workloads;
  // Time: faults run until the budget's heal_at (a share of `duration`); clients run on for
  // `liveness_bound` after `duration` (the liveness phase); then every broker loses power
  // (unless power_loss is off) and restarts, and the final read runs.
  Duration duration = Duration::seconds(30);
  Duration liveness_bound = Duration::seconds(20);
  bool faults = true;
  faults::FaultBudget budget;
  // Kinds forced on in every seed's swarm, with their mean gap (0: the swarm's draw).
  std::map<faults::FaultKind, Duration> forced_kinds;
  bool power_loss = true;  // every acknowledgement is a durability test
  bool knobs = true;       // the seed draws broker, topic and client settings
  SchedulerMode scheduler = SchedulerMode::seed;
  Requirements require;
  std::vector<std::string> invariants;  // checker names; empty = all
};

struct Suite {
  std::string name;
  std::string summary;
  std::vector<std::string> scenarios;
  uint64_t default_seeds = 10;  // how many seeds `tern sim run --suite X` runs by default
};

// The compiled-in scenarios (scenarios/specs/*.scenario) and suites.
const std::vector<Scenario>& all_scenarios();
const std::vector<Suite>& all_suites();
const Scenario* find_scenario(std::string_view name);
const Suite* find_suite(std::string_view name);

}  // namespace tern::scenarios
