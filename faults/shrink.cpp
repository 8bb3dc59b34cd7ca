#include "faults/shrink.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace tern::faults {

namespace {

// Drops restarts whose node no crash (still in the plan) took down: once ddmin removes a
// crash, its restart only restarts an up node (skipped) and clutters the report.
std::vector<Fault> drop_orphan_restarts(std::vector<Fault> faults) {
  std::set<std::string> down;
  std::vector<Fault> out;
  for (auto& f : faults) {
    if (f.kind == FaultKind::crash) down.insert(f.node);
    if (f.kind == FaultKind::restart && !down.erase(f.node)) continue;
    out.push_back(std::move(f));
  }
  return out;
}

class Shrinker {
 public:
  Shrinker(const std::function<bool(const FaultPlan&)>& still_fails, const ShrinkOptions& o)
      : still_fails_(still_fails), options_(o) {}

  ShrinkResult run(const FaultPlan& input) {
    ShrinkResult r;
    r.plan = input;
    r.reproduced = test(input);
    if (!r.reproduced) {
      r.attempts = attempts_;
      r.exhausted = exhausted_;
      return r;
    }
    current_ = input.faults();
    settings_ = input.settings();
    bool changed = true;
    while (changed && !exhausted_) {
      changed = reduce();
      if (!exhausted_) changed = ddmin() || changed;
      if (options_.simplify_parameters && !exhausted_) changed = simplify() || changed;
      if (options_.move_earlier && !exhausted_) changed = move_earlier() || changed;
    }
    r.plan = make(current_);
    r.attempts = attempts_;
    r.exhausted = exhausted_;
    return r;
  }

 private:
  bool test(const FaultPlan& p) {
    if (attempts_ >= options_.max_attempts) {
      exhausted_ = true;
      return false;
    }
    ++attempts_;
    return still_fails_(p);
  }

  FaultPlan make(std::vector<Fault> faults) const {
    FaultPlan p(std::move(faults));
    for (const auto& [k, v] : settings_) p.set(k, v);
    return p;
  }

  bool pinned(const Fault& f) const {
    return options_.keep_heal_all && f.kind == FaultKind::heal_all;
  }

  // The caller's whole-plan reductions, each kept while it still fails.
  bool reduce() {
    if (!options_.reductions) return false;
    bool changed = false;
    bool progress = true;
    while (progress && !exhausted_) {
      progress = false;
      const FaultPlan now = make(current_);
      for (const FaultPlan& c : options_.reductions(now)) {
        if (c == now || c.size() > now.size()) continue;
        if (test(c)) {
          current_ = c.faults();
          settings_ = c.settings();
          progress = changed = true;
          break;
        }
        if (exhausted_) break;
      }
    }
    return changed;
  }

  // The pinned faults plus the chosen removable ones, in the current plan's order, without
  // restarts that lost their crash.
  FaultPlan with(const std::vector<size_t>& keep) const {
    std::vector<bool> in(current_.size(), false);
    for (size_t i : keep) in[i] = true;
    std::vector<Fault> out;
    for (size_t i = 0; i < current_.size(); ++i)
      if (in[i] || pinned(current_[i])) out.push_back(current_[i]);
    return make(drop_orphan_restarts(std::move(out)));
  }

  void commit(const std::vector<size_t>& keep) { current_ = with(keep).faults(); }

  // Zeller's ddmin over the removable faults. True if it removed any.
  bool ddmin() {
    std::vector<size_t> items;
    for (size_t i = 0; i < current_.size(); ++i)
      if (!pinned(current_[i])) items.push_back(i);
    if (items.empty()) return false;
    const size_t before = current_.size();
    // Often the failure needs no fault at all (a plain bug): one attempt finds out.
    if (test(with({}))) {
      commit({});
      return true;
    }
    // Commit only a configuration that was tested: with(items) may drop orphan restarts.
    bool reduced_any = false;
    size_t n = 2;
    while (items.size() >= 2 && !exhausted_) {
      n = std::min(n, items.size());
      std::vector<std::vector<size_t>> chunks(n);
      for (size_t i = 0; i < items.size(); ++i) chunks[i * n / items.size()].push_back(items[i]);
      bool reduced = false;
      for (const auto& c : chunks) {
        if (test(with(c))) {
          items = c;
          n = 2;
          reduced = reduced_any = true;
          break;
        }
      }
      if (!reduced && n > 2) {
        for (size_t k = 0; k < n && !reduced; ++k) {
          std::vector<size_t> complement;
          for (size_t j = 0; j < n; ++j)
            if (j != k) complement.insert(complement.end(), chunks[j].begin(), chunks[j].end());
          std::sort(complement.begin(), complement.end());
          if (test(with(complement))) {
            items = std::move(complement);
            n = std::max<size_t>(n - 1, 2);
            reduced = reduced_any = true;
          }
        }
      }
      if (!reduced) {
        if (n >= items.size()) break;
        n = std::min(n * 2, items.size());
      }
    }
    if (!reduced_any) return false;
    commit(items);
    TERN_ASSERT(current_.size() <= before);
    return current_.size() < before;
  }

  // Candidate simplifications of one fault, boldest first. Each is strictly "less fault".
  static std::vector<Fault> variants(const Fault& f) {
    std::vector<Fault> out;
    auto push = [&](Fault g) {
      if (g == f || !validate(g).ok()) return;
      if (std::find(out.begin(), out.end(), g) != out.end()) return;
      out.push_back(std::move(g));
    };
    const Duration floor = Duration::millis(1);
    auto halve = [&](Duration d) { return Duration{std::max(floor.ns, d.ns / 2)}; };
    if (f.trigger) {
      // A timed fault at `at` is the simplest report, if the moment does not matter.
      Fault g = f;
      g.trigger.reset();
      push(g);
      const uint32_t nth = f.trigger->nth;
      for (uint32_t n : {1u, nth / 2, nth - 1}) {
        if (n < 1 || n >= nth) continue;
        g = f;
        g.trigger->nth = n;
        push(g);
      }
      if (f.trigger->delay.ns > 0) {
        g = f;
        g.trigger->delay = Duration{0};
        push(g);
        g = f;
        g.trigger->delay = Duration{f.trigger->delay.ns / 2};
        push(g);
      }
    }
    switch (f.kind) {
      case FaultKind::crash: {
        Fault g = f;
        g.keep_unsynced = g.tear = g.half_open = false;
        push(g);
        g = f;
        g.tear = false;
        push(g);
        g = f;
        g.half_open = false;
        push(g);
        if (f.restart_after.ns > floor.ns) {
          g = f;
          g.restart_after = halve(f.restart_after);
          push(g);
        }
        break;
      }
      case FaultKind::partition:
      case FaultKind::bridge:
        for (int side = 0; side < 2; ++side) {
          const auto& v = side == 0 ? f.a : f.b;
          if (v.size() < 2) continue;
          for (size_t i = 0; i < v.size(); ++i) {
            Fault g = f;
            auto& w = side == 0 ? g.a : g.b;
            w.erase(w.begin() + static_cast<long>(i));
            push(std::move(g));
          }
        }
        break;
      case FaultKind::block:
        if (f.links.size() >= 2)
          for (size_t i = 0; i < f.links.size(); ++i) {
            Fault g = f;
            g.links.erase(g.links.begin() + static_cast<long>(i));
            push(std::move(g));
          }
        break;
      case FaultKind::fsync_error:
      case FaultKind::bitflip: {
        Fault g = f;
        g.ppm = std::max<uint32_t>(1, f.ppm / 2);
        push(g);
        break;
      }
      case FaultKind::latency_spike: {
        Fault g = f;
        g.extra = halve(f.extra);
        push(g);
        break;
      }
      case FaultKind::slow_io: {
        Fault g = f;
        g.latency = halve(f.latency);
        push(g);
        break;
      }
      case FaultKind::skew:
      case FaultKind::jump:
        if (f.amount.ns > floor.ns || f.amount.ns < -floor.ns) {
          Fault g = f;
          g.amount = Duration{f.amount.ns / 2};
          push(g);
        }
        break;
      default:
        break;
    }
    if (f.duration.ns > floor.ns) {
      Fault g = f;
      g.duration = halve(f.duration);
      push(g);
    }
    return out;
  }

  // Tries each fault's replacements, keeping what still fails. True if anything changed.
  template <class Candidates>
  bool per_fault(Candidates candidates) {
    bool changed = false;
    for (size_t i = 0; i < current_.size() && !exhausted_; ++i) {
      if (pinned(current_[i])) continue;
      bool progress = true;
      while (progress && !exhausted_) {
        progress = false;
        for (Fault& v : candidates(i)) {
          std::vector<Fault> candidate = current_;
          candidate[i] = std::move(v);
          if (test(make(candidate))) {
            current_ = std::move(candidate);
            progress = changed = true;
            break;
          }
          if (exhausted_) break;
        }
      }
    }
    return changed;
  }

  bool simplify() {
    return per_fault([this](size_t i) { return variants(current_[i]); });
  }

  // Earlier times for fault i that keep the plan's order: at/2 and half way to the previous
  // fault, each at least 1 ms earlier (so this converges).
  bool move_earlier() {
    return per_fault([this](size_t i) {
      const Fault& f = current_[i];
      const Instant prev = i == 0 ? Instant{0} : current_[i - 1].at;
      std::vector<Fault> out;
      for (Instant t : {std::max(prev, Instant{f.at.ns / 2}),
                        Instant{f.at.ns - (f.at.ns - prev.ns) / 2}}) {
        if (f.at - t < Duration::millis(1)) continue;
        Fault g = f;
        g.at = t;
        if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(std::move(g));
      }
      return out;
    });
  }

  const std::function<bool(const FaultPlan&)>& still_fails_;
  const ShrinkOptions& options_;
  std::vector<Fault> current_;
  std::map<std::string, std::string> settings_;
  uint64_t attempts_ = 0;
  bool exhausted_ = false;
};

}  // namespace

ShrinkResult shrink(const FaultPlan& plan,
                    const std::function<bool(const FaultPlan&)>& still_fails,
                    const ShrinkOptions& options) {
  TERN_ASSERT(options.max_attempts > 0);
  ShrinkResult r = Shrinker(still_fails, options).run(plan);
  TERN_ASSERT(r.plan.size() <= plan.size());
  return r;
}

}  // namespace tern::faults
