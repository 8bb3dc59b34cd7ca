#include "faults/shrink.h"

#include <algorithm>
#include <vector>

namespace tern::faults {

namespace {

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
    bool changed = true;
    while (changed && !exhausted_) {
      changed = ddmin();
      if (options_.simplify_parameters && !exhausted_) changed = simplify() || changed;
    }
    r.plan = FaultPlan(current_);
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

  bool pinned(const Fault& f) const {
    return options_.keep_heal_all && f.kind == FaultKind::heal_all;
  }

  // The pinned faults plus the chosen removable ones, in the current plan's order.
  FaultPlan with(const std::vector<size_t>& keep) const {
    std::vector<bool> in(current_.size(), false);
    for (size_t i : keep) in[i] = true;
    std::vector<Fault> out;
    for (size_t i = 0; i < current_.size(); ++i)
      if (in[i] || pinned(current_[i])) out.push_back(current_[i]);
    return FaultPlan(std::move(out));
  }

  void commit(const std::vector<size_t>& keep) { current_ = with(keep).faults(); }

  // Zeller's ddmin over the removable faults. True if it removed any.
  bool ddmin() {
    std::vector<size_t> items;
    for (size_t i = 0; i < current_.size(); ++i)
      if (!pinned(current_[i])) items.push_back(i);
    if (items.empty()) return false;
    const size_t before = items.size();
    // Often the failure needs no fault at all (a plain bug): one attempt finds out.
    if (test(with({}))) {
      commit({});
      return true;
    }
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
          reduced = true;
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
            reduced = true;
          }
        }
      }
      if (!reduced) {
        if (n >= items.size()) break;
        n = std::min(n * 2, items.size());
      }
    }
    commit(items);
    TERN_ASSERT(items.size() <= before);
    return items.size() < before;
  }

  // Candidate simplifications of one fault, mildest first. Each is strictly "less fault".
  static std::vector<Fault> variants(const Fault& f) {
    std::vector<Fault> out;
    auto push = [&](Fault g) {
      if (!(g == f) && validate(g).ok()) out.push_back(std::move(g));
    };
    const Duration floor = Duration::millis(1);
    auto halve = [&](Duration d) { return Duration{std::max(floor.ns, d.ns / 2)}; };
    switch (f.kind) {
      case FaultKind::crash: {
        Fault g = f;
        g.keep_unsynced = g.tear = false;
        push(g);
        g = f;
        g.tear = false;
        push(g);
        break;
      }
      case FaultKind::partition:
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

  // Tries the variants of each fault, keeping what still fails. True if anything changed.
  bool simplify() {
    bool changed = false;
    for (size_t i = 0; i < current_.size() && !exhausted_; ++i) {
      bool progress = true;
      while (progress && !exhausted_) {
        progress = false;
        for (Fault& v : variants(current_[i])) {
          std::vector<Fault> candidate = current_;
          candidate[i] = std::move(v);
          FaultPlan p(candidate);
          if (test(p)) {
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

  const std::function<bool(const FaultPlan&)>& still_fails_;
  const ShrinkOptions& options_;
  std::vector<Fault> current_;
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
