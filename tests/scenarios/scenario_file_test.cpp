// Goal: scenario files are a user's interface, so every built-in one parses and round-trips,
// and every kind of bad input is a one-line error naming the file and line (never a crash, a
// silent default or an error without a place). Method: parse texts, compare errors verbatim.
#include <gtest/gtest.h>

#include "scenarios/runner.h"
#include "scenarios/scenario_file.h"

namespace tern::scenarios {
namespace {

constexpr const char* kGood = R"(# a comment line
scenario my-test
summary a user's scenario   # trailing comment
brokers 1
duration 12s
liveness 5000ms
faults swarm
force crash every=2s
budget max_down=1 max_downtime=3s
power_loss off
knobs off
scheduler shuffle
broker log.segment.bytes=16384 log.index.interval.bytes=1
workload keyed producers=2 consumers=1 acks=mix
workload admin-churn topics=2
require acks=10 polls=5 faults=1
invariants lost_writes liveness
)";

std::string error_of(std::string_view text) {
  auto s = parse_scenario(text, "t.scenario");
  return s.ok() ? std::string("(parsed)") : s.error().context();
}

TEST(ScenarioFile, ParsesEverySetting) {
  auto r = parse_scenario(kGood, "t.scenario");
  ASSERT_TRUE(r.ok()) << r.error().message();
  const Scenario& s = r.value();
  EXPECT_EQ(s.name, "my-test");
  EXPECT_EQ(s.summary, "a user's scenario");
  EXPECT_EQ(s.duration, Duration::seconds(12));
  EXPECT_EQ(s.liveness_bound, Duration::seconds(5));
  EXPECT_TRUE(s.faults);
  ASSERT_EQ(s.forced_kinds.size(), 1u);
  EXPECT_EQ(s.forced_kinds.begin()->second, Duration::seconds(2));
  EXPECT_EQ(s.budget.max_down, 1u);
  EXPECT_EQ(s.budget.max_downtime, Duration::seconds(3));
  EXPECT_FALSE(s.power_loss);
  EXPECT_FALSE(s.knobs);
  EXPECT_EQ(s.scheduler, SchedulerMode::shuffle);
  EXPECT_EQ(s.broker_config.at("log.segment.bytes"), "16384");
  ASSERT_EQ(s.workloads.size(), 2u);
  EXPECT_EQ(s.workloads[0].type, "keyed");
  EXPECT_EQ(s.workloads[0].options.at("acks"), "mix");
  EXPECT_EQ(s.workloads[1].line, 15);
  EXPECT_EQ(s.require.acks, 10u);
  EXPECT_EQ(s.require.polls, 5u);
  EXPECT_EQ(s.invariants, (std::vector<std::string>{"lost_writes", "liveness"}));
  // The text form parses back to the same scenario.
  auto again = parse_scenario(scenario_to_text(s), "t2.scenario");
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(scenario_to_text(again.value()), scenario_to_text(s));
}

TEST(ScenarioFile, EveryBuiltInScenarioParsesAndRoundTrips) {
  ASSERT_GE(all_scenarios().size(), 8u);
  for (const auto& s : all_scenarios()) {
    auto again = parse_scenario(scenario_to_text(s), s.source);
    ASSERT_TRUE(again.ok()) << s.name << ": " << again.error().message();
    EXPECT_EQ(scenario_to_text(again.value()), scenario_to_text(s)) << s.name;
  }
  for (const auto& suite : all_suites())
    for (const auto& name : suite.scenarios)
      EXPECT_NE(find_scenario(name), nullptr) << suite.name << " names " << name;
}

TEST(ScenarioFile, BadInputIsOneLineNamingTheLine) {
  const std::string head = "scenario x\n";
  const std::string wl = "workload keyed\n";
  EXPECT_EQ(error_of(head + "workload keyd\n"),
            "t.scenario:2: unknown workload 'keyd' (workloads: keyed admin-churn "
            "restarting-client)");
  EXPECT_EQ(error_of(head + "workload keyed producer=2\n"),
            "t.scenario:2: workload keyed: unknown option 'producer' (options: acks consumers "
            "keys partitions planted_skip_every producers send_gap topic)");
  EXPECT_EQ(error_of(head + "workload keyed acks=2\n"),
            "t.scenario:2: workload keyed: acks=2: want one of all, 1, 0, mix");
  EXPECT_EQ(error_of(head + "workload keyed producers=x\n"),
            "t.scenario:2: workload keyed: producers=x: want an integer");
  EXPECT_EQ(error_of(head + "workload keyed producers\n"),
            "t.scenario:2: 'producers': want key=value");
  EXPECT_EQ(error_of(head + wl + "duration 3 s\n"), "t.scenario:3: 'duration' takes 1 value");
  EXPECT_EQ(error_of(head + wl + "duration 3x\n"),
            "t.scenario:3: '3x': want a duration like 250ms, 3s or 0.5");
  EXPECT_EQ(error_of(head + wl + "faults some\n"), "t.scenario:3: faults 'some': want swarm or none");
  EXPECT_EQ(error_of(head + wl + "force crsh\n"),
            "t.scenario:3: force: 'crsh' is not a fault kind the swarm draws");
  EXPECT_EQ(error_of(head + wl + "power_loss maybe\n"), "t.scenario:3: 'maybe': want on or off");
  EXPECT_EQ(error_of(head + wl + "require acks=many\n"),
            "t.scenario:3: acks: 'many': want a non-negative integer");
  EXPECT_EQ(error_of(head + wl + "require ackz=1\n"),
            "t.scenario:3: require: unknown key 'ackz' (keys: acks polls faults "
            "crashes_after_ack)");
  EXPECT_EQ(error_of(head + wl + "invariants lost_write\n").substr(0, 45),
            "t.scenario:3: unknown invariant 'lost_write' ");
  EXPECT_EQ(error_of(head + wl + "brokers 0\n"), "t.scenario:3: brokers '0': want 1..9");
  EXPECT_EQ(error_of(head + wl + "frobnicate 1\n").substr(0, 42),
            "t.scenario:3: unknown setting 'frobnicate'");
  EXPECT_EQ(error_of(wl), "t.scenario: no 'scenario NAME' line");
  EXPECT_EQ(error_of(head), "t.scenario: no 'workload' line");
}

TEST(ScenarioFile, PlanSettingsReshapeTheRunAndBadOnesAreErrors) {
  auto sc = parse_scenario(kGood, "t.scenario");
  ASSERT_TRUE(sc.ok());
  auto plan = faults::FaultPlan::parse(
      "set duration 4.000000000\nset drop-workloads 1\nset w0.producers 1\n");
  ASSERT_TRUE(plan.ok()) << plan.error().message();
  auto r = apply_plan_settings(sc.value(), plan.value());
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value().duration, Duration::seconds(4));
  ASSERT_EQ(r.value().workloads.size(), 1u);
  EXPECT_EQ(r.value().workloads[0].options.at("producers"), "1");
  for (const char* bad : {"set drop-workloads 7\n", "set w3.producers 1\n",
                          "set w0.producerz 1\n", "set colour blue\n"}) {
    auto p = faults::FaultPlan::parse(bad);
    ASSERT_TRUE(p.ok()) << bad;
    EXPECT_FALSE(apply_plan_settings(sc.value(), p.value()).ok()) << bad;
  }
}

}  // namespace
}  // namespace tern::scenarios
