#include "scenarios/shrink_run.h"

#include <fmt/format.h>

#include "faults/shrink.h"

namespace tern::scenarios {

namespace {

// Options that count clients, lowered one at a time toward 1 (a workload's own names; an
// option the workload does not take is simply not tried).
constexpr const char* kCountOptions[] = {"producers", "consumers", "partitions", "topics"};

// Whole-plan reductions of the run itself: a shorter run (faults past the new heal point
// dropped, heal_all moved to it), a workload left out, fewer clients of a workload.
std::vector<faults::FaultPlan> reductions(const Scenario& sc, const faults::FaultPlan& plan) {
  std::vector<faults::FaultPlan> out;
  auto reshaped = apply_plan_settings(sc, plan);
  if (!reshaped.ok()) return out;
  const Scenario& cur = reshaped.value();
  // A shorter run: half, then three quarters of the current duration (at least 2 s).
  for (int num : {1, 3}) {
    const int64_t d = cur.duration.ns * num / (num == 1 ? 2 : 4);
    if (d < Duration::seconds(2).ns || d >= cur.duration.ns) continue;
    const Instant heal = cur.budget.heal_at(Duration{d});
    std::vector<faults::Fault> kept;
    for (const auto& f : plan.faults()) {
      if (f.kind == faults::FaultKind::heal_all) continue;
      if (f.at >= heal) continue;
      kept.push_back(f);
      if (auto e = f.ends_at(); e && *e > heal) kept.back().duration = heal - f.at;
    }
    if (cur.faults) kept.push_back(faults::make_heal_all(heal));
    faults::FaultPlan p(std::move(kept));
    for (const auto& [k, v] : plan.settings()) p.set(k, v);
    p.set("duration", faults::format_seconds(d));
    out.push_back(std::move(p));
  }
  // Drop one workload (indexes are the scenario file's, so they stay stable as others go).
  std::set<size_t> dropped;
  if (auto it = plan.settings().find("drop-workloads"); it != plan.settings().end()) {
    size_t pos = 0;
    const std::string& v = it->second;
    while (pos < v.size()) {
      size_t comma = v.find(',', pos);
      if (comma == std::string::npos) comma = v.size();
      dropped.insert(std::stoul(v.substr(pos, comma - pos)));
      pos = comma + 1;
    }
  }
  for (size_t i = 0; i < sc.workloads.size(); ++i) {
    if (dropped.count(i) || dropped.size() + 1 >= sc.workloads.size()) continue;
    std::set<size_t> more = dropped;
    more.insert(i);
    faults::FaultPlan p = plan;
    p.set("drop-workloads", fmt::format("{}", fmt::join(more, ",")));
    out.push_back(std::move(p));
  }
  // Fewer clients: each count option of each remaining workload, down by one.
  for (size_t i = 0; i < sc.workloads.size(); ++i) {
    if (dropped.count(i)) continue;
    for (const char* opt : kCountOptions) {
      const std::string key = fmt::format("w{}.{}", i, opt);
      std::string value;
      if (auto s = plan.settings().find(key); s != plan.settings().end()) value = s->second;
      else if (auto o = sc.workloads[i].options.find(opt); o != sc.workloads[i].options.end())
        value = o->second;
      else continue;
      const long n = std::strtol(value.c_str(), nullptr, 10);
      if (n <= 1) continue;
      faults::FaultPlan p = plan;
      p.set(key, std::to_string(n - 1));
      if (apply_plan_settings(sc, p).ok()) out.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace

ShrinkReport shrink_failure(const Scenario& sc, uint64_t seed, const Outcome& failing,
                            const RunOptions& options, uint64_t max_attempts) {
  ShrinkReport r;
  r.invariant = failing.failure_kind();
  auto start = faults::FaultPlan::parse(failing.plan_text);
  TERN_ASSERT(start.ok(), "the run's own plan does not parse: {}",
              start.ok() ? "" : start.error().message());
  // "Still fails" means: fails with the same invariant. A candidate whose settings the
  // scenario cannot take does not fail (it is not a run at all).
  auto still_fails = [&](const faults::FaultPlan& candidate) {
    if (!apply_plan_settings(sc, candidate).ok()) return false;
    RunOptions ro = options;
    ro.plan = candidate;
    ro.keep_trace = false;
    const Outcome o = run_scenario(sc, seed, ro);
    if (o.passed) return false;
    for (const auto& v : o.violations)
      if (v.invariant == r.invariant) return true;
    return o.violations.empty() && r.invariant == "error-event";
  };
  faults::ShrinkOptions so;
  so.max_attempts = max_attempts;
  so.reductions = [&](const faults::FaultPlan& p) { return reductions(sc, p); };
  auto result = faults::shrink(start.value(), still_fails, so);
  r.reproduced = result.reproduced;
  r.plan = result.plan;
  r.attempts = result.attempts;
  r.exhausted = result.exhausted;
  return r;
}

}  // namespace tern::scenarios
