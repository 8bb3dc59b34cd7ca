// The compiled-in scenarios (scenarios/specs/*.scenario, embedded at build time) and the
// suites. A scenario is data; the runner gives it life.
#include <fmt/format.h>

#include "scenarios/scenario.h"
#include "scenarios/scenario_file.h"

namespace tern::scenarios {

// Generated from scenarios/specs/ by scenarios/specs/embed.py.
const std::vector<std::pair<std::string_view, std::string_view>>& builtin_scenario_texts();

namespace {

std::vector<Scenario> load_builtin() {
  std::vector<Scenario> v;
  for (const auto& [file, text] : builtin_scenario_texts()) {
    auto s = parse_scenario(text, fmt::format("scenarios/specs/{}", file));
    // A built-in file that does not parse is a bug of this build: the tests read them all.
    TERN_ASSERT(s.ok(), "{}", s.ok() ? "" : s.error().message());
    TERN_ASSERT(file == s.value().name + ".scenario", "{} names scenario {}", file,
                s.value().name);
    v.push_back(std::move(s.value()));
  }
  return v;
}

}  // namespace

const std::vector<Scenario>& all_scenarios() {
  static const std::vector<Scenario> scenarios = load_builtin();
  return scenarios;
}

const std::vector<Suite>& all_suites() {
  static const std::vector<Suite> suites = {
      {"smoke", "a few seconds: the baseline scenarios, a few seeds",
       {"produce-consume", "produce-consume-nofault"}, 3},
      {"ci", "what CI runs: every healthy scenario over many seeds (under 5 minutes on 2 cores)",
       {"produce-consume", "produce-consume-2p", "small-segments", "crash-heavy",
        "admin-churn", "restarting-clients", "produce-consume-nofault", "quorum-3-combined",
        "quorum-5-separate"},
       100},
      {"nightly", "long: more seeds, longer runs",
       {"produce-consume", "produce-consume-2p", "small-segments", "crash-heavy", "admin-churn",
        "restarting-clients", "long-run"},
       1000},
      {"quorum", "the KRaft metadata quorum: 3 combined and 5 separate voters under faults",
       {"quorum-3-combined", "quorum-5-separate"}, 50},
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
