// The scenario registry and the suites. A scenario is data; the runner gives it life.
#include <algorithm>

#include "scenarios/scenario.h"

namespace tern::scenarios {

namespace {

Scenario base(std::string name, std::string summary) {
  Scenario s;
  s.name = std::move(name);
  s.summary = std::move(summary);
  return s;
}

std::vector<Scenario> make_scenarios() {
  std::vector<Scenario> v;
  {
    Scenario s = base("produce-consume", "1 broker, keyed acks=all producer and a consumer, "
                                         "crashes/partitions/disk faults (swarm)");
    v.push_back(s);
  }
  {
    Scenario s = base("produce-consume-2p", "1 broker, 2 producers, 2 consumers, 4 partitions");
    s.producers = 2;
    s.consumers = 2;
    s.partitions = 4;
    v.push_back(s);
  }
  {
    Scenario s = base("produce-consume-nofault", "1 broker, no faults: the baseline must pass");
    s.faults = false;
    s.duration = Duration::seconds(10);
    v.push_back(s);
  }
  {
    Scenario s = base("small-segments", "tiny log.segment.bytes: rolls and recovery across "
                                        "many segments");
    s.broker_config["log.segment.bytes"] = "16384";
    v.push_back(s);
  }
  {
    Scenario s = base("long-run", "1 broker, 120 simulated seconds of faults (nightly)");
    s.duration = Duration::seconds(120);
    s.producers = 2;
    v.push_back(s);
  }
  // Planted bugs: these scenarios MUST fail; tests check the suites catch them.
  {
    Scenario s = base("planted-ack-before-durable",
                      "PLANTED BUG: tern.flush.durable=false on one broker (acks=all answered "
                      "before fsync) with crashes that lose unsynced data");
    s.broker_config["tern.flush.durable"] = "false";
    s.bug = PlantedBug::ack_before_durable;
    v.push_back(s);
  }
  {
    Scenario s = base("planted-consumer-skip",
                      "PLANTED BUG: the workload's consumer skips a record now and then");
    s.bug = PlantedBug::consumer_skips;
    s.faults = false;
    s.duration = Duration::seconds(10);
    v.push_back(s);
  }
  return v;
}

}  // namespace

const std::vector<Scenario>& all_scenarios() {
  static const std::vector<Scenario> scenarios = make_scenarios();
  return scenarios;
}

const std::vector<Suite>& all_suites() {
  static const std::vector<Suite> suites = {
      {"smoke", "a few seconds: every healthy scenario, a few seeds",
       {"produce-consume", "produce-consume-nofault"}, 3},
      {"ci", "what CI runs: healthy scenarios over many seeds (under 5 minutes on 2 cores)",
       {"produce-consume", "produce-consume-2p", "small-segments", "produce-consume-nofault"},
       100},
      {"nightly", "long: more seeds, longer runs, all fault kinds",
       {"produce-consume", "produce-consume-2p", "small-segments", "long-run"}, 1000},
      {"planted", "scenarios with planted bugs: every seed should FAIL (proof the checks bite)",
       {"planted-ack-before-durable", "planted-consumer-skip"}, 20},
  };
  return suites;
}

const Scenario* find_scenario(std::string_view name) {
  for (const auto& s : all_scenarios())
    if (s.name == name) return &s;
  return nullptr;
}

const Suite* find_suite(std::string_view name) {
  for (const auto& s : all_suites())
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace tern::scenarios
