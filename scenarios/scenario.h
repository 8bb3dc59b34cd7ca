#pragma once
// A scenario = a cluster shape + a workload + a fault policy + the invariants to check
// (FoundationDB's test spec, TigerBeetle's VOPR options). The seed decides everything else.
// A suite is a named list of scenarios run over a range of seeds.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faults/plan_generator.h"
#include "sim/runtime/time.h"

namespace tern::scenarios {

// Bugs planted on purpose, to prove the suites catch them (issue: "proof it finds bugs").
enum class PlantedBug : uint8_t {
  none,
  ack_before_durable,  // the broker answers acks=all before the fsync (tern.debug.* switch)
  consumer_skips,      // the workload's consumer silently skips one record now and then
};

struct Scenario {
  std::string name;
  std::string summary;
  // Cluster shape.
  int brokers = 1;
  int producers = 1;
  int consumers = 1;
  // Workload.
  std::string topic = "events";
  int partitions = 3;
  int keys = 16;
  Duration send_gap_max = Duration::millis(20);  // a producer waits up to this between sends
  int16_t acks = -1;
  bool idempotent = false;
  // Broker settings (Kafka names) on top of the defaults; buggify may shrink some further.
  std::map<std::string, std::string> broker_config;
  // Time: faults run for `duration`, heal at the budget's heal_at, then the run continues
  // for `liveness_bound` so consumers can catch up.
  Duration duration = Duration::seconds(30);
  Duration liveness_bound = Duration::seconds(20);
  bool faults = true;
  faults::FaultBudget budget;
  PlantedBug bug = PlantedBug::none;
};

struct Suite {
  std::string name;
  std::string summary;
  std::vector<std::string> scenarios;
  uint64_t default_seeds = 10;  // how many seeds `tern sim run --suite X` runs by default
};

const std::vector<Scenario>& all_scenarios();
const std::vector<Suite>& all_suites();
const Scenario* find_scenario(std::string_view name);
const Suite* find_suite(std::string_view name);

}  // namespace tern::scenarios
