#include "faults/plan_generator.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

namespace tern::faults {

namespace {

constexpr size_t idx(FaultKind k) { return static_cast<size_t>(k); }

// A half of a closed interval [start, end] during which a server is down or paused.
struct Interval {
  std::string node;
  Instant start;
  Instant end;
};

bool overlaps(const Interval& x, Instant start, Instant end) {
  // Closed intervals: touching counts, so the plan never relies on same-instant ordering.
  return x.start <= end && start <= x.end;
}

Duration draw_duration(Rng& rng, Duration lo, Duration hi) {
  if (hi < lo) hi = lo;
  return Duration{rng.between(lo.ns, hi.ns)};
}

const std::string& pick(Rng& rng, const std::vector<std::string>& v) {
  TERN_ASSERT(!v.empty());
  return v[rng.below(v.size())];
}

// Fisher-Yates with our own Rng (std::shuffle's output differs across standard libraries).
void shuffle(Rng& rng, std::vector<std::string>& v) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

class Generator {
 public:
  Generator(Rng rng, const ClusterShape& shape, Duration run, const FaultBudget& budget,
            const SwarmConfig& swarm)
      : rng_(rng), shape_(shape), budget_(budget), swarm_(swarm) {
    all_ = shape.servers;
    all_.insert(all_.end(), shape.clients.begin(), shape.clients.end());
    heal_at_ = budget.heal_at(run);
    max_down_ = budget.max_down_for(shape.servers.size());
  }

  FaultPlan run() {
    // Arrival times per kind first, then one pass in time order drawing the parameters, so
    // the budget sees faults in the order they will happen.
    struct Candidate {
      Instant at;
      FaultKind kind;
      std::optional<SwarmExtra> extra;
    };
    std::vector<Candidate> candidates;
    auto arrivals = [&](Duration gap, FaultKind k, std::optional<SwarmExtra> e) {
      Instant t{0};
      while (true) {
        t = t + draw_duration(rng_, Duration{gap.ns / 2}, Duration{gap.ns + gap.ns / 2});
        if (t >= heal_at_) break;
        candidates.push_back({t, k, e});
      }
    };
    for (FaultKind k : swarm_kinds()) {
      if (!swarm_.enabled(k)) continue;
      const Duration gap = swarm_.mean_gap[idx(k)];
      TERN_ASSERT(gap.ns > 0, "kind {} on with no gap", kind_name(k));
      arrivals(gap, k, std::nullopt);
    }
    for (SwarmExtra e : swarm_extras()) {
      if (!swarm_.enabled(e)) continue;
      const Duration gap = swarm_.extra_gap[static_cast<size_t>(e)];
      TERN_ASSERT(gap.ns > 0, "extra {} on with no gap", extra_name(e));
      arrivals(gap, FaultKind::crash, e);
    }
    // Forced kinds claim the budget first (a scenario that forces crashes must get them,
    // even when pauses drawn every half second would fill every slot), then the rest, each
    // group in time order.
    std::stable_sort(candidates.begin(), candidates.end(),
                     [this](const Candidate& x, const Candidate& y) {
                       const bool fx = !x.extra && swarm_.forced[idx(x.kind)];
                       const bool fy = !y.extra && swarm_.forced[idx(y.kind)];
                       return fx != fy ? fx : x.at < y.at;
                     });
    for (const auto& c : candidates) {
      if (c.extra) emit_extra(c.at, *c.extra);
      else emit(c.at, c.kind);
    }
    plan_.add(make_heal_all(heal_at_));
    return std::move(plan_);
  }

 private:
  // A fault's duration, cut so that it ends by heal_at.
  Duration bounded(Instant at, Duration lo, Duration hi) {
    const Duration d = draw_duration(rng_, lo, hi);
    return at + d > heal_at_ ? heal_at_ - at : d;
  }

  size_t down_during(Instant start, Instant end) const {
    std::set<std::string> nodes;
    for (const auto& i : down_)
      if (overlaps(i, start, end)) nodes.insert(i.node);
    return nodes.size();
  }

  bool node_busy(const std::string& node, Instant start, Instant end) const {
    for (const auto& i : down_)
      if (i.node == node && overlaps(i, start, end)) return true;
    return false;
  }

  // Takes a server down (crash or pause) for [at, end] if the budget allows.
  bool take_down(const std::string& node, Instant at, Instant end) {
    if (node_busy(node, at, end) || down_during(at, end) + 1 > max_down_) return false;
    down_.push_back({node, at, end});
    return true;
  }

  // A trigger window for a fault drawn at `at`: the nth event must come within `within`, and
  // the fault (applied up to max_delay later) must start before heal_at. Empty if no room.
  std::optional<Trigger> trigger(Instant at, const std::string& on, std::string event,
                                 uint32_t nth, Duration max_delay) {
    Trigger t;
    t.on = on;
    t.event = std::move(event);
    t.nth = nth;
    t.delay = draw_duration(rng_, Duration{0}, max_delay);
    const Duration room = heal_at_ - at - t.delay - Duration::millis(1);
    if (room < Duration::millis(1)) return std::nullopt;
    t.within = std::min(room, draw_duration(rng_, Duration::millis(100), Duration::seconds(2)));
    return t;
  }

  // A broker crash fired by a trigger, restarting itself restart_after later; the budget
  // reserves its whole window [at, at + within + delay + restart_after].
  void triggered_crash(Instant at, const std::string& node, Trigger t) {
    const Duration restart_after = draw_duration(rng_, Duration::millis(1), budget_.max_downtime);
    const Instant up = std::min(at + t.within + t.delay + restart_after, heal_at_);
    const bool keep = rng_.chance_ppm(swarm_.keep_unsynced_ppm);
    const bool tear = keep && rng_.chance_ppm(swarm_.tear_ppm);
    const bool half_open = rng_.chance_ppm(swarm_.half_open_ppm);
    if (!take_down(node, at, up)) return;
    plan_.add(with_trigger(make_crash(at, node, keep, tear, half_open, restart_after),
                           std::move(t)));
  }

  void emit_extra(Instant at, SwarmExtra extra) {
    const Duration us300 = Duration::micros(300), us200 = Duration::micros(200);
    switch (extra) {
      case SwarmExtra::fsync_crash: {
        if (shape_.servers.empty()) break;
        const std::string node = pick(rng_, shape_.servers);
        if (auto t = trigger(at, node, "log.fsync.start", 1, us300))
          triggered_crash(at, node, std::move(*t));
        break;
      }
      case SwarmExtra::ack_crash: {
        if (shape_.servers.empty()) break;
        const std::string node = pick(rng_, shape_.servers);
        const auto k = static_cast<uint32_t>(rng_.between(1, 20));
        auto t = trigger(at, node, "produce.ack", k, us300);
        if (!t) break;
        if (!shape_.clients.empty() && rng_.chance_ppm(swarm_.ack_match_client_ppm)) {
          t->match_field = "client";
          t->match_value = pick(rng_, shape_.clients);
        }
        triggered_crash(at, node, std::move(*t));
        break;
      }
      case SwarmExtra::fetch_break: {
        if (shape_.servers.empty() || shape_.clients.empty()) break;
        const std::string node = pick(rng_, shape_.servers);
        const std::string client = pick(rng_, shape_.clients);
        auto t = trigger(at, node, "fetch.respond", 1, us200);
        if (!t) break;
        t->match_field = "client";
        t->match_value = client;
        if (rng_.chance_ppm(swarm_.fetch_crash_ppm)) {
          triggered_crash(at, node, std::move(*t));
        } else {
          plan_.add(with_trigger(make_break_connection(at, node, client), std::move(*t)));
        }
        break;
      }
      case SwarmExtra::client_crash: {
        if (shape_.restartable_clients.empty()) break;
        const std::string& node = pick(rng_, shape_.restartable_clients);
        const Instant restart = at + draw_duration(rng_, Duration::millis(1), budget_.max_downtime);
        const Instant up = std::min(restart, heal_at_);
        // Clients are outside the servers' max_down; one crash of a client at a time.
        for (const auto& i : clients_down_)
          if (i.node == node && overlaps(i, at, up)) return;
        clients_down_.push_back({node, at, up});
        plan_.add(make_crash(at, node, false, false, rng_.chance_ppm(swarm_.half_open_ppm)));
        if (restart < heal_at_) plan_.add(make_restart(restart, node));
        break;
      }
    }
  }

  void emit(Instant at, FaultKind kind) {
    const Duration one_ms = Duration::millis(1);
    const Duration max_d = budget_.max_fault_duration;
    switch (kind) {
      case FaultKind::latency: {
        const Duration min = draw_duration(rng_, Duration{0}, Duration{swarm_.latency_max.ns / 4});
        plan_.add(make_latency(at, min, draw_duration(rng_, min, swarm_.latency_max)));
        break;
      }
      case FaultKind::latency_spike: {
        const Duration extra = draw_duration(rng_, one_ms, swarm_.spike_max);
        plan_.add(make_latency_spike(at, extra, bounded(at, one_ms, max_d)));
        break;
      }
      case FaultKind::clog: {
        if (all_.size() < 2) break;
        auto [from, to] = two_nodes();
        plan_.add(make_clog(at, from, to, bounded(at, one_ms, max_d)));
        break;
      }
      case FaultKind::break_connection: {
        if (all_.size() < 2) break;
        auto [a, b] = two_nodes();
        plan_.add(make_break_connection(at, a, b));
        break;
      }
      case FaultKind::partition: {
        if (all_.size() < 2) break;
        std::vector<std::string> nodes = all_;
        shuffle(rng_, nodes);
        const size_t k = rng_.chance_ppm(swarm_.isolate_ppm)
                             ? 1
                             : 1 + rng_.below(nodes.size() - 1);
        std::vector<std::string> a(nodes.begin(), nodes.begin() + static_cast<long>(k));
        std::vector<std::string> b(nodes.begin() + static_cast<long>(k), nodes.end());
        const bool one_way = rng_.chance_ppm(swarm_.one_way_ppm);
        plan_.add(make_partition(at, std::move(a), std::move(b), one_way,
                                 bounded(at, one_ms, max_d)));
        break;
      }
      case FaultKind::block: {
        // Single directed links, several at once in different directions (asymmetric).
        if (all_.size() < 2) break;
        const uint64_t n = 1 + rng_.below(std::max<uint32_t>(1, swarm_.block_links_max));
        std::vector<std::pair<std::string, std::string>> links;
        for (uint64_t i = 0; i < n; ++i) {
          auto link = two_nodes();
          if (std::find(links.begin(), links.end(), link) == links.end())
            links.push_back(std::move(link));
        }
        plan_.add(make_block(at, std::move(links), bounded(at, one_ms, max_d)));
        break;
      }
      case FaultKind::bridge: {
        // Jepsen's bridge: two halves of the servers that reach each other only through one
        // server in neither half; each client joins a half.
        if (shape_.servers.size() < 3) break;
        std::vector<std::string> servers = shape_.servers;
        shuffle(rng_, servers);
        const std::string via = servers[0];
        const size_t half = 1 + (servers.size() - 1) / 2;
        std::vector<std::string> a(servers.begin() + 1, servers.begin() + static_cast<long>(half));
        std::vector<std::string> b(servers.begin() + static_cast<long>(half), servers.end());
        for (const auto& c : shape_.clients) (rng_.one_in(2) ? a : b).push_back(c);
        plan_.add(make_bridge(at, std::move(a), std::move(b), via, bounded(at, one_ms, max_d)));
        break;
      }
      case FaultKind::heal:
        plan_.add(make_heal(at));
        break;
      case FaultKind::crash: {
        if (shape_.servers.empty()) break;
        const std::string& node = pick(rng_, shape_.servers);
        const bool keep = rng_.chance_ppm(swarm_.keep_unsynced_ppm);
        const bool tear = keep && rng_.chance_ppm(swarm_.tear_ppm);
        const bool half_open = rng_.chance_ppm(swarm_.half_open_ppm);
        const Instant restart = at + draw_duration(rng_, one_ms, budget_.max_downtime);
        // A restart at or after heal_at is left to the final heal_all, which comes sooner.
        const Instant up = std::min(restart, heal_at_);
        if (!take_down(node, at, up)) break;
        plan_.add(make_crash(at, node, keep, tear, half_open));
        if (restart < heal_at_) plan_.add(make_restart(restart, node));
        break;
      }
      case FaultKind::pause: {
        if (shape_.servers.empty()) break;
        const std::string& node = pick(rng_, shape_.servers);
        const Duration d = bounded(at, one_ms, max_d);
        if (!take_down(node, at, at + d)) break;
        plan_.add(make_pause(at, node, d));
        break;
      }
      case FaultKind::fsync_error:
      case FaultKind::bitflip: {
        if (shape_.servers.empty()) break;
        const std::string& node = pick(rng_, shape_.servers);
        const auto ppm = static_cast<uint32_t>(rng_.between(1, swarm_.disk_ppm_max));
        const Duration d = bounded(at, one_ms, max_d);
        plan_.add(kind == FaultKind::fsync_error ? make_fsync_error(at, node, ppm, d)
                                                 : make_bitflip(at, node, ppm, d));
        break;
      }
      case FaultKind::slow_io: {
        if (shape_.servers.empty()) break;
        const std::string& node = pick(rng_, shape_.servers);
        const Duration lat = draw_duration(rng_, Duration::micros(100), swarm_.slow_io_max);
        plan_.add(make_slow_io(at, node, lat, bounded(at, one_ms, max_d)));
        break;
      }
      case FaultKind::disk_full: {
        if (shape_.servers.empty()) break;
        const std::string& node = pick(rng_, shape_.servers);
        const auto cap = static_cast<uint64_t>(
            rng_.between(0, static_cast<int64_t>(swarm_.disk_capacity_max)));
        plan_.add(make_disk_full(at, node, cap, bounded(at, one_ms, max_d)));
        break;
      }
      case FaultKind::skew:
      case FaultKind::jump: {
        if (shape_.servers.empty()) break;
        const std::string& node = pick(rng_, shape_.servers);
        const Duration amount{rng_.between(-swarm_.skew_max.ns, swarm_.skew_max.ns)};
        plan_.add(kind == FaultKind::skew ? make_skew(at, node, amount)
                                          : make_jump(at, node, amount));
        break;
      }
      case FaultKind::restart:
      case FaultKind::heal_all:
        TERN_UNREACHABLE("{} is not drawn by the swarm", kind_name(kind));
    }
  }

  // Two distinct nodes, at least one a server (client-to-client paths carry nothing).
  std::pair<std::string, std::string> two_nodes() {
    TERN_ASSERT(all_.size() >= 2 && !shape_.servers.empty());
    std::string x = pick(rng_, shape_.servers);
    std::string y;
    do {
      y = pick(rng_, all_);
    } while (y == x);
    if (rng_.one_in(2)) std::swap(x, y);
    return {x, y};
  }

  Rng rng_;
  const ClusterShape& shape_;
  const FaultBudget& budget_;
  const SwarmConfig& swarm_;
  std::vector<std::string> all_;
  Instant heal_at_;
  uint32_t max_down_ = 0;
  std::vector<Interval> down_;
  std::vector<Interval> clients_down_;
  FaultPlan plan_;
};

}  // namespace

uint32_t FaultBudget::max_down_for(size_t servers) const {
  if (max_down) return *max_down;
  return std::max<uint32_t>(1, static_cast<uint32_t>((servers - std::min<size_t>(servers, 1)) / 2));
}

Instant FaultBudget::heal_at(Duration run) const {
  TERN_ASSERT(heal_at_percent <= 100, "heal_at_percent {}", heal_at_percent);
  TERN_ASSERT(run.ns >= 0);
  // Split the multiplication so long runs do not overflow int64.
  const int64_t pct = heal_at_percent;
  return Instant{(run.ns / 100) * pct + (run.ns % 100) * pct / 100};
}

std::span<const FaultKind> swarm_kinds() {
  static const std::vector<FaultKind> kinds = [] {
    std::vector<FaultKind> v;
    for (FaultKind k : all_kinds())
      if (k != FaultKind::restart && k != FaultKind::heal_all) v.push_back(k);
    return v;
  }();
  return kinds;
}

std::string_view extra_name(SwarmExtra extra) {
  switch (extra) {
    case SwarmExtra::fsync_crash: return "fsync_crash";
    case SwarmExtra::ack_crash: return "ack_crash";
    case SwarmExtra::fetch_break: return "fetch_break";
    case SwarmExtra::client_crash: return "client_crash";
  }
  TERN_UNREACHABLE("extra {}", static_cast<int>(extra));
}

std::span<const SwarmExtra> swarm_extras() {
  static constexpr SwarmExtra kExtras[] = {SwarmExtra::fsync_crash, SwarmExtra::ack_crash,
                                           SwarmExtra::fetch_break, SwarmExtra::client_crash};
  static_assert(std::size(kExtras) == kSwarmExtraCount);
  return kExtras;
}

std::vector<FaultKind> SwarmConfig::enabled_kinds() const {
  std::vector<FaultKind> out;
  for (FaultKind k : all_kinds())
    if (enabled(k)) out.push_back(k);
  return out;
}

std::string SwarmConfig::to_text() const {
  std::string on_line = "# swarm on:";
  std::string off_line = "# swarm off:";
  for (FaultKind k : swarm_kinds()) {
    if (enabled(k))
      on_line += fmt::format(" {}(every {}s)", kind_name(k), format_seconds(mean_gap[idx(k)].ns));
    else
      off_line += fmt::format(" {}", kind_name(k));
  }
  std::string extras_on = "# swarm extras on:";
  std::string extras_off = "# swarm extras off:";
  for (SwarmExtra e : swarm_extras()) {
    if (enabled(e))
      extras_on += fmt::format(" {}(every {}s)", extra_name(e),
                               format_seconds(extra_gap[static_cast<size_t>(e)].ns));
    else
      extras_off += fmt::format(" {}", extra_name(e));
  }
  return fmt::format(
      "{}\n{}\n{}\n{}\n# swarm intensity: keep_unsynced_ppm={} tear_ppm={} half_open_ppm={} "
      "one_way_ppm={} isolate_ppm={} block_links_max={} disk_ppm_max={}\n"
      "# swarm intensity: latency_max={} spike_max={} slow_io_max={} skew_max={} "
      "disk_capacity_max={}\n# swarm intensity: ack_match_client_ppm={} fetch_crash_ppm={}\n",
      on_line, off_line, extras_on, extras_off, keep_unsynced_ppm, tear_ppm, half_open_ppm,
      one_way_ppm, isolate_ppm, block_links_max, disk_ppm_max, format_seconds(latency_max.ns),
      format_seconds(spike_max.ns), format_seconds(slow_io_max.ns), format_seconds(skew_max.ns),
      disk_capacity_max, ack_match_client_ppm, fetch_crash_ppm);
}

SwarmConfig draw_swarm(const Rng& base, Duration run) {
  Rng rng = base.fork("faults.swarm");
  SwarmConfig s;
  // Each kind on with probability 1/2 (TigerBeetle draws every rate per seed the same way);
  // its rate from one fault per 50% of the run down to one per 2%.
  for (FaultKind k : swarm_kinds()) {
    s.on[idx(k)] = rng.one_in(2);
    s.mean_gap[idx(k)] = Duration{std::max<int64_t>(1, run.ns / 100 * rng.between(2, 50))};
  }
  if (s.enabled_kinds().empty()) {
    const auto kinds = swarm_kinds();
    s.on[idx(kinds[rng.below(kinds.size())])] = true;
  }
  for (FaultKind k : swarm_kinds())
    if (!s.enabled(k)) s.mean_gap[idx(k)] = Duration{0};
  s.keep_unsynced_ppm = static_cast<uint32_t>(rng.between(0, 1'000'000));
  s.tear_ppm = static_cast<uint32_t>(rng.between(0, 1'000'000));
  s.one_way_ppm = static_cast<uint32_t>(rng.between(0, 500'000));
  s.isolate_ppm = static_cast<uint32_t>(rng.between(0, 1'000'000));
  static constexpr uint32_t kDiskPpm[] = {100, 1'000, 10'000, 100'000};
  s.disk_ppm_max = kDiskPpm[rng.below(4)];
  s.latency_max = Duration{rng.between(Duration::millis(1).ns, Duration::millis(50).ns)};
  s.spike_max = Duration{rng.between(Duration::millis(10).ns, Duration::seconds(2).ns)};
  s.slow_io_max = Duration{rng.between(Duration::millis(1).ns, Duration::millis(200).ns)};
  s.skew_max = Duration{rng.between(Duration::millis(1).ns, Duration::seconds(60).ns)};
  // Room left on a full disk: up to a few batches, so appends fail part-way (short writes).
  s.disk_capacity_max = static_cast<uint64_t>(rng.between(0, 64 << 10));
  // Half-open crashes on in half the seeds, then at a drawn share of crashes.
  s.half_open_ppm = rng.one_in(2) ? static_cast<uint32_t>(rng.between(1, 1'000'000)) : 0;
  s.block_links_max = static_cast<uint32_t>(rng.between(1, 4));
  // The extras: each on with p=1/2, one per 5%..50% of the run (rarer than the timed kinds:
  // each one spends a crash of the budget at a chosen moment).
  for (SwarmExtra e : swarm_extras()) {
    const auto i = static_cast<size_t>(e);
    s.extra_on[i] = rng.one_in(2);
    const Duration gap{std::max<int64_t>(1, run.ns / 100 * rng.between(5, 50))};
    s.extra_gap[i] = s.extra_on[i] ? gap : Duration{0};
  }
  s.ack_match_client_ppm = static_cast<uint32_t>(rng.between(0, 1'000'000));
  s.fetch_crash_ppm = static_cast<uint32_t>(rng.between(0, 500'000));
  return s;
}

FaultPlan generate_plan(const Rng& rng, const ClusterShape& shape, Duration run,
                        const FaultBudget& budget, const SwarmConfig& swarm) {
  TERN_ASSERT(run.ns > 0, "run duration {}", run.ns);
  TERN_ASSERT(budget.max_fault_duration.ns > 0 && budget.max_downtime.ns > 0);
  return Generator(rng.fork("faults.plan"), shape, run, budget, swarm).run();
}

GeneratedPlan generate_plan(const Rng& rng, const ClusterShape& shape, Duration run,
                            const FaultBudget& budget) {
  GeneratedPlan g;
  g.swarm = draw_swarm(rng, run);
  g.plan = generate_plan(rng, shape, run, budget, g.swarm);
  g.heal_at = budget.heal_at(run);
  return g;
}

std::string GeneratedPlan::to_text() const {
  return swarm.to_text() + fmt::format("# heal_at {}\n", format_seconds(heal_at.ns)) +
         plan.to_text();
}

PlanProfile profile(const FaultPlan& plan, std::span<const std::string> servers) {
  // Replays the plan's effect on an abstract cluster, in the Injector's terms. Each event is
  // (time, 0 for a start / 1 for an end, index): starts before ends at the same instant,
  // so a max over touching intervals counts both. A triggered fault starts at `at` and ends
  // at its latest possible end: conservative, as the trigger may fire any time in its window.
  struct Event {
    Instant at;
    int end;
    size_t index;
    auto operator<=>(const Event&) const = default;
  };
  std::vector<Event> events;
  const auto& fs = plan.faults();
  for (size_t i = 0; i < fs.size(); ++i) {
    events.push_back({fs[i].at, 0, i});
    if (auto e = fs[i].ends_at()) events.push_back({*e, 1, i});
    // A crash with restart_after comes back by itself (at the latest after its window).
    if (fs[i].kind == FaultKind::crash && fs[i].restart_after.ns > 0)
      events.push_back({fs[i].latest_start() + fs[i].restart_after, 1, i});
  }
  std::sort(events.begin(), events.end());

  struct Down {
    Instant since;
    size_t index;
  };
  const std::set<std::string> counted(servers.begin(), servers.end());
  PlanProfile p;
  std::map<std::string, Down> down;        // node -> since, the crash
  std::map<std::string, size_t> paused;    // node -> index of the pause fault
  std::set<size_t> active;                 // duration faults not yet ended (or healed)
  bool latency_changed = false, skewed = false;
  // How long a crash kept its node down, ended at `t`: a crash with restart_after is down at
  // most that long once applied.
  auto downtime = [&](const Down& d, Instant t) {
    const Fault& c = fs[d.index];
    Duration dt = t - d.since;
    if (c.restart_after.ns > 0) dt = std::min(dt, c.restart_after);
    return dt;
  };
  for (const auto& ev : events) {
    const Fault& f = fs[ev.index];
    if (ev.end) {
      if (f.kind == FaultKind::pause) {
        auto it = paused.find(f.node);
        if (it != paused.end() && it->second == ev.index) paused.erase(it);
      }
      if (f.kind == FaultKind::crash) {
        auto it = down.find(f.node);
        if (it != down.end() && it->second.index == ev.index) {
          p.longest_downtime = std::max(p.longest_downtime, downtime(it->second, ev.at));
          down.erase(it);
        }
      }
      active.erase(ev.index);
      continue;
    }
    if (f.kind != FaultKind::heal_all)
      p.last_fault_start = std::max(p.last_fault_start.value_or(Instant{0}), f.latest_start());
    switch (f.kind) {
      case FaultKind::crash:
        if (!down.count(f.node)) {
          down[f.node] = {f.at, ev.index};
          paused.erase(f.node);
        }
        break;
      case FaultKind::restart:
        // A restart before a triggered crash's window closed may come before the crash (and
        // be skipped): then it does not bring the node back.
        if (auto it = down.find(f.node);
            it != down.end() && f.at >= fs[it->second.index].latest_start()) {
          p.longest_downtime = std::max(p.longest_downtime, downtime(it->second, f.at));
          down.erase(it);
        }
        break;
      case FaultKind::pause:
        if (!down.count(f.node) && !paused.count(f.node)) paused[f.node] = ev.index;
        break;
      case FaultKind::heal:
        std::erase_if(active, [&](size_t i) {
          const FaultKind k = fs[i].kind;
          return k == FaultKind::partition || k == FaultKind::clog || k == FaultKind::block ||
                 k == FaultKind::bridge;
        });
        break;
      case FaultKind::heal_all:
        for (const auto& [node, d] : down)
          p.longest_downtime = std::max(p.longest_downtime, downtime(d, f.at));
        down.clear();
        paused.clear();
        active.clear();
        latency_changed = skewed = false;
        break;
      case FaultKind::latency: latency_changed = true; break;
      case FaultKind::skew:
      case FaultKind::jump: skewed = true; break;
      default:
        if (kind_keys(f.kind).back() == Key::duration) active.insert(ev.index);
        break;
    }
    std::set<std::string> out;
    for (const auto& [n, d] : down)
      if (counted.empty() || counted.count(n)) out.insert(n);
    for (const auto& [n, i] : paused)
      if (counted.empty() || counted.count(n)) out.insert(n);
    p.max_nodes_down = std::max(p.max_nodes_down, static_cast<uint32_t>(out.size()));
  }
  p.all_recovered = down.empty() && paused.empty() && active.empty() && !latency_changed &&
                    !skewed;
  return p;
}

std::vector<std::string> check_budget(const FaultPlan& plan, const ClusterShape& shape,
                                      Duration run, const FaultBudget& budget) {
  std::vector<std::string> out;
  const std::set<std::string> servers(shape.servers.begin(), shape.servers.end());
  const std::set<std::string> restartable(shape.restartable_clients.begin(),
                                          shape.restartable_clients.end());
  std::set<std::string> all = servers;
  all.insert(shape.clients.begin(), shape.clients.end());
  all.insert(restartable.begin(), restartable.end());
  const Instant heal_at = budget.heal_at(run);
  for (const auto& f : plan.faults()) {
    const std::string line = format_fault(f);
    for (const auto& n : f.nodes()) {
      if (!all.count(n)) out.push_back("unknown node '" + n + "': " + line);
      else if (!f.is_network() && !servers.count(n) &&
               !(f.is_process() && restartable.count(n)))
        out.push_back("non-network fault on client '" + n + "': " + line);
    }
    if (f.trigger) {
      if (!all.count(f.trigger->on))
        out.push_back("unknown trigger node '" + f.trigger->on + "': " + line);
      if (f.trigger->within.ns <= 0)
        out.push_back("trigger without within (may fire any time): " + line);
    }
    if (f.kind != FaultKind::heal_all && f.kind != FaultKind::restart &&
        f.latest_start() >= heal_at)
      out.push_back("fault at or after heal_at: " + line);
    if (f.kind == FaultKind::restart && f.at > heal_at)
      out.push_back("restart after heal_at: " + line);
    if (auto e = f.ends_at(); e && *e > heal_at) out.push_back("ends after heal_at: " + line);
    if (f.ends_at() == std::nullopt &&
        (f.kind == FaultKind::partition || f.kind == FaultKind::block ||
         f.kind == FaultKind::bridge))
      out.push_back(std::string(kind_name(f.kind)) + " without a duration: " + line);
  }
  const PlanProfile p = profile(plan, shape.servers);
  const uint32_t max_down = budget.max_down_for(shape.servers.size());
  if (p.max_nodes_down > max_down)
    out.push_back(fmt::format("{} nodes down or paused at once (budget {})", p.max_nodes_down,
                              max_down));
  if (p.longest_downtime > budget.max_downtime)
    out.push_back(fmt::format("a crash lasts {}s (budget {}s)",
                              format_seconds(p.longest_downtime.ns),
                              format_seconds(budget.max_downtime.ns)));
  if (!p.all_recovered) out.push_back("the plan does not end healed (no final heal_all?)");
  if (plan.empty() || plan.faults().back().kind != FaultKind::heal_all ||
      plan.faults().back().at != heal_at)
    out.push_back("the plan does not end with heal_all at heal_at " +
                  format_seconds(heal_at.ns));
  return out;
}

}  // namespace tern::faults
