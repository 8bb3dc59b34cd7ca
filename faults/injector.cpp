#include "faults/injector.h"

#include <fmt/format.h>

#include <algorithm>

namespace tern::faults {

Injector::Injector(sim::World& world, FaultPlan plan)
    : world_(world), plan_(std::move(plan)), baseline_latency_(world.network().latency()) {
  for (uint32_t n = 0; n < world_.node_count(); ++n)
    baseline_disk_.push_back(world_.disk(n).faults());
}

uint32_t Injector::id(const std::string& name) const {
  const auto n = world_.find_node(name);
  TERN_ASSERT(n.has_value(), "node '{}' vanished after arm()", name);
  return *n;
}

void Injector::set_budget(InjectorBudget budget) {
  TERN_ASSERT(!armed_, "set_budget() after arm()");
  budget_ = std::move(budget);
}

Status Injector::arm() {
  TERN_ASSERT(!armed_, "Injector::arm() called twice");
  if (budget_) {
    for (const auto& n : budget_->servers) {
      const auto node = world_.find_node(n);
      if (!node) return Error(Errc::invalid_argument, fmt::format("budget: unknown node '{}'", n));
      budget_ids_.push_back(*node);
    }
  }
  // Everything is checked before anything is scheduled: a bad plan changes nothing.
  for (size_t i = 0; i < plan_.size(); ++i) {
    const Fault& f = plan_[i];
    if (auto s = validate(f); !s.ok())
      return Error(Errc::invalid_argument,
                   fmt::format("fault {} ({}): {}", i + 1, format_fault(f), s.error().context()));
    auto names = f.nodes();
    if (f.trigger) names.push_back(f.trigger->on);
    for (const auto& n : names) {
      const auto node = world_.find_node(n);
      if (!node)
        return Error(Errc::invalid_argument,
                     fmt::format("fault {} ({}): unknown node '{}'", i + 1, format_fault(f), n));
      if (*node >= baseline_disk_.size())
        return Error(Errc::invalid_argument,
                     fmt::format("fault {}: node '{}' was added after the injector", i + 1, n));
    }
  }
  armed_ = true;
  bool any_trigger = false;
  for (size_t i = 0; i < plan_.size(); ++i) {
    const Fault& f = plan_[i];
    if (f.trigger) {
      any_trigger = true;
      world_.at(f.at, [this, i] { activate(i); });
      if (f.trigger->within.ns > 0)
        world_.at(f.at + f.trigger->within, [this, i] { expire(i); });
      continue;  // applied when the trigger fires; its end is scheduled then
    }
    world_.at(f.at, [this, i] { apply(i); });
    if (auto e = f.ends_at()) world_.at(*e, [this, i] { end(i); });
  }
  if (any_trigger)
    world_.observe_trace([this](std::string_view node, std::string_view kind,
                                std::initializer_list<TraceField> fields) {
      observe(node, kind, fields);
    });
  return {};
}

void Injector::activate(size_t index) {
  TERN_ASSERT(plan_[index].trigger.has_value());
  watching_.emplace(index, 0);
}

void Injector::expire(size_t index) {
  if (watching_.erase(index) == 0) return;  // fired (or healed) already
  ++stats_.triggers_expired;
  skip(plan_[index], "trigger never fired");
}

namespace {

// Integers compare by their decimal text, so `match=partition:3` matches partition=3.
bool field_matches(std::initializer_list<TraceField> fields, const Trigger& t) {
  for (const auto& fld : fields) {
    if (fld.key != t.match_field) continue;
    if (const auto* s = std::get_if<std::string>(&fld.value.v)) return *s == t.match_value;
    return std::to_string(std::get<int64_t>(fld.value.v)) == t.match_value;
  }
  return false;
}

}  // namespace

void Injector::observe(std::string_view node, std::string_view kind,
                       std::initializer_list<TraceField> fields) {
  if (watching_.empty()) return;
  // Count first, act after: the trace event below re-enters this observer.
  std::vector<size_t> fired;
  for (auto& [index, count] : watching_) {
    const Trigger& t = *plan_[index].trigger;
    if (node != t.on || kind != t.event) continue;
    if (!t.match_field.empty() && !field_matches(fields, t)) continue;
    if (++count == t.nth) fired.push_back(index);
  }
  for (size_t index : fired) {
    watching_.erase(index);
    ++stats_.triggers_fired;
    const Fault& f = plan_[index];
    const Trigger& t = *f.trigger;
    // Never apply from here: the observer runs inside the emitting node's fiber, and a crash
    // would unwind the very fiber that is tracing.
    world_.at(world_.now() + t.delay, [this, index, epoch = heal_epoch_] {
      if (epoch != heal_epoch_) return skip(plan_[index], "healed before it applied");
      apply(index);
    });
    world_.trace_event(Severity::info, "world", "fault.trigger",
                       {{"fault", kind_name(f.kind)},
                        {"on", t.on},
                        {"event", t.event},
                        {"nth", t.nth},
                        {"delay", format_seconds(t.delay.ns)}});
  }
}

std::optional<std::string> Injector::over_budget(uint32_t node) const {
  if (!budget_) return std::nullopt;
  if (std::find(budget_ids_.begin(), budget_ids_.end(), node) == budget_ids_.end())
    return std::nullopt;
  uint32_t down = 0;
  for (uint32_t n : budget_ids_)
    if (n != node && (!world_.node_up(n) || world_.node_paused(n))) ++down;
  if (down + 1 <= budget_->max_down) return std::nullopt;
  return fmt::format("budget: {} servers down or paused (max_down {})", down,
                     budget_->max_down);
}

void Injector::applied(FaultKind kind) {
  ++stats_.applied;
  ++stats_.applied_by_kind[kind];
}

void Injector::auto_restart(uint32_t n, uint64_t epoch) {
  // Only the crash that scheduled this restart: a later crash or restart (or heal_all) wins.
  if (crash_epoch_[n] != epoch || world_.node_up(n) || !crashed_.count(n)) return;
  trace_fault(make_restart(world_.now(), world_.node_name(n)), "");
  crashed_.erase(n);
  world_.restart_node(n);
  applied(FaultKind::restart);
}

void Injector::trace_fault(const Fault& f, std::string_view suffix) {
  const auto keys = kind_keys(f.kind);
  const bool on_node = !keys.empty() && keys.front() == Key::node;
  const std::string node = on_node ? f.node : "world";
  const std::string kind = fmt::format("fault.{}{}", kind_name(f.kind), suffix);
  std::vector<std::pair<std::string_view, std::string>> v;
  for (Key k : keys)
    if (k != Key::node) v.emplace_back(key_name(k), format_value(f, k));
  if (f.restart_after.ns > 0) v.emplace_back("restart_after", format_value(f, Key::restart_after));
  if (f.trigger) v.emplace_back("triggered", "1");
  // World::trace_event takes an initializer_list (so observers see the event too): spell out
  // the few field counts a fault has.
  auto F = [&](size_t i) { return TraceField{v[i].first, TraceValue(v[i].second)}; };
  const Severity sev = Severity::info;
  switch (v.size()) {
    case 0: world_.trace_event(sev, node, kind, {}); break;
    case 1: world_.trace_event(sev, node, kind, {F(0)}); break;
    case 2: world_.trace_event(sev, node, kind, {F(0), F(1)}); break;
    case 3: world_.trace_event(sev, node, kind, {F(0), F(1), F(2)}); break;
    case 4: world_.trace_event(sev, node, kind, {F(0), F(1), F(2), F(3)}); break;
    case 5: world_.trace_event(sev, node, kind, {F(0), F(1), F(2), F(3), F(4)}); break;
    case 6: world_.trace_event(sev, node, kind, {F(0), F(1), F(2), F(3), F(4), F(5)}); break;
    default: TERN_UNREACHABLE("fault {} has {} trace fields", kind, v.size());
  }
}

void Injector::skip(const Fault& f, std::string_view reason) {
  ++stats_.skipped;
  const auto keys = kind_keys(f.kind);
  const bool on_node = !keys.empty() && keys.front() == Key::node;
  world_.trace_event(Severity::info, on_node ? std::string_view(f.node) : "world", "fault.skip",
                     {{"fault", kind_name(f.kind)}, {"reason", reason}});
}

void Injector::block(size_t index, const Fault& f) {
  std::vector<Path> paths;
  if (f.kind == FaultKind::block) {
    for (const auto& [x, y] : f.links) paths.push_back({id(x), id(y)});
  } else {
    // partition, bridge: every a-b pair (bridge's via is on neither side, so it reaches both).
    const bool one_way = f.kind == FaultKind::partition && f.one_way;
    for (const auto& x : f.a)
      for (const auto& y : f.b) {
        const uint32_t a = id(x), b = id(y);
        paths.push_back({a, b});
        if (!one_way) paths.push_back({b, a});
      }
  }
  for (const Path& p : paths)
    if (blocked_by_[p]++ == 0) world_.network().set_blocked(p.first, p.second, true);
  partitions_[index] = std::move(paths);
}

void Injector::unblock(size_t index) {
  auto it = partitions_.find(index);
  if (it == partitions_.end()) return;  // healed already
  for (const Path& p : it->second) {
    auto b = blocked_by_.find(p);
    TERN_ASSERT(b != blocked_by_.end() && b->second > 0);
    if (--b->second == 0) {
      blocked_by_.erase(b);
      world_.network().set_blocked(p.first, p.second, false);
    }
  }
  partitions_.erase(it);
}

void Injector::set_disk(size_t index, const Fault& f) {
  const uint32_t n = id(f.node);
  sim::DiskFaults& d = world_.disk(n).faults();
  switch (f.kind) {
    case FaultKind::fsync_error: d.fsync_error_ppm = f.ppm; break;
    case FaultKind::slow_io: d.op_latency = f.latency; break;
    case FaultKind::bitflip: d.read_bitflip_ppm = f.ppm; break;
    // Room left from now on: a few KiB make the next appends land partly (a short write),
    // which an absolute size could only hit by luck.
    case FaultKind::disk_full: d.capacity_bytes = world_.disk(n).used_bytes() + f.capacity; break;
    default: TERN_UNREACHABLE("not a disk fault: {}", kind_name(f.kind));
  }
  disk_owner_[{n, f.kind}] = index;
}

void Injector::apply(size_t index) {
  const Fault& f = plan_[index];
  TERN_ASSERT(world_.now() >= f.at, "fault {} fired early", index);
  sim::SimNetwork& net = world_.network();
  if (f.trigger) {
    if (f.kind == FaultKind::crash || f.kind == FaultKind::pause) {
      if (auto why = over_budget(id(f.node))) {
        ++stats_.skipped_budget;
        return skip(f, *why);
      }
    }
    // The duration runs from now. (Faults skipped below schedule an end that finds nothing.)
    applied_at_[index] = world_.now();
    if (f.duration.ns > 0) {
      const auto keys = kind_keys(f.kind);
      if (std::find(keys.begin(), keys.end(), Key::duration) != keys.end())
        world_.at(world_.now() + f.duration, [this, index] { end(index); });
    }
  }
  switch (f.kind) {
    case FaultKind::latency:
      net.set_latency({f.min, f.max});
      break;
    case FaultKind::latency_spike:
      net.spike(f.extra, world_.now() + f.duration);
      break;
    case FaultKind::clog:
      net.clog(id(f.from), id(f.to), world_.now() + f.duration);
      break;
    case FaultKind::break_connection: {
      trace_fault(f, "");
      const size_t n = net.break_connections(id(f.a[0]), id(f.b[0]));
      world_.trace_event(Severity::info, "world", "fault.break_connection.count",
                         {{"connections", n}});
      applied(f.kind);
      return;
    }
    case FaultKind::partition:
    case FaultKind::block:
    case FaultKind::bridge:
      block(index, f);
      break;
    case FaultKind::heal:
      net.heal();
      partitions_.clear();
      blocked_by_.clear();
      break;
    case FaultKind::crash: {
      const uint32_t n = id(f.node);
      if (!world_.node_up(n)) return skip(f, "node is down");
      trace_fault(f, "");  // before the crash, so the trace shows cause then effect
      world_.crash_node(n, {.keep_unsynced_prefix = f.keep_unsynced,
                            .tear_last_write = f.tear,
                            .half_open = f.half_open});
      paused_by_.erase(n);
      crashed_.insert(n);
      const uint64_t epoch = ++crash_epoch_[n];
      if (f.restart_after.ns > 0)
        world_.at(world_.now() + f.restart_after,
                  [this, n, epoch] { auto_restart(n, epoch); });
      applied(f.kind);
      return;
    }
    case FaultKind::restart: {
      const uint32_t n = id(f.node);
      if (world_.node_up(n)) return skip(f, "node is up");
      trace_fault(f, "");
      crashed_.erase(n);
      world_.restart_node(n);
      applied(f.kind);
      return;
    }
    case FaultKind::pause: {
      const uint32_t n = id(f.node);
      if (!world_.node_up(n)) return skip(f, "node is down");
      if (world_.node_paused(n)) return skip(f, "node is paused");
      world_.pause_node(n);
      paused_by_[n] = index;
      break;
    }
    case FaultKind::fsync_error:
    case FaultKind::slow_io:
    case FaultKind::bitflip:
    case FaultKind::disk_full:
      set_disk(index, f);
      break;
    case FaultKind::skew:
    case FaultKind::jump: {
      const uint32_t n = id(f.node);
      Duration& s = skew_[n];
      s = f.kind == FaultKind::skew ? f.amount : s + f.amount;
      world_.set_clock_skew(n, s);
      break;
    }
    case FaultKind::heal_all:
      trace_fault(f, "");
      applied(f.kind);
      heal_all();
      return;
  }
  trace_fault(f, "");
  applied(f.kind);
}

void Injector::end(size_t index) {
  const Fault& f = plan_[index];
  if (f.trigger) {
    auto it = applied_at_.find(index);
    TERN_ASSERT(it != applied_at_.end() && world_.now() >= it->second + f.duration);
  } else {
    TERN_ASSERT(f.ends_at().has_value() && world_.now() >= *f.ends_at());
  }
  switch (f.kind) {
    case FaultKind::partition:
    case FaultKind::block:
    case FaultKind::bridge:
      if (!partitions_.count(index)) return;  // a heal came first
      unblock(index);
      break;
    case FaultKind::pause: {
      const uint32_t n = id(f.node);
      auto it = paused_by_.find(n);
      if (it == paused_by_.end() || it->second != index) return;  // crashed or healed since
      paused_by_.erase(it);
      if (world_.node_paused(n)) world_.resume_node(n);
      break;
    }
    case FaultKind::fsync_error:
    case FaultKind::slow_io:
    case FaultKind::bitflip:
    case FaultKind::disk_full: {
      const uint32_t n = id(f.node);
      auto it = disk_owner_.find({n, f.kind});
      if (it == disk_owner_.end() || it->second != index) return;  // replaced or healed
      disk_owner_.erase(it);
      sim::DiskFaults& d = world_.disk(n).faults();
      const sim::DiskFaults& base = baseline_disk_[n];
      if (f.kind == FaultKind::fsync_error) d.fsync_error_ppm = base.fsync_error_ppm;
      if (f.kind == FaultKind::slow_io) d.op_latency = base.op_latency;
      if (f.kind == FaultKind::bitflip) d.read_bitflip_ppm = base.read_bitflip_ppm;
      if (f.kind == FaultKind::disk_full) d.capacity_bytes = base.capacity_bytes;
      break;
    }
    default:
      break;  // spikes and clogs end inside SimNetwork on their own
  }
  trace_fault(f, ".end");
  ++stats_.ended;
}

void Injector::heal_all() {
  // Nothing new after the heal: waiting triggers and triggered faults in flight are dropped.
  ++heal_epoch_;
  const auto waiting = std::move(watching_);
  watching_.clear();
  for (const auto& [index, count] : waiting) {
    ++stats_.triggers_expired;
    skip(plan_[index], "healed before its trigger fired");
  }
  sim::SimNetwork& net = world_.network();
  net.heal();
  partitions_.clear();
  blocked_by_.clear();
  net.set_latency(baseline_latency_);
  net.spike(Duration{0}, world_.now());
  for (uint32_t n = 0; n < baseline_disk_.size(); ++n) world_.disk(n).faults() = baseline_disk_[n];
  disk_owner_.clear();
  for (auto& [n, s] : skew_)
    if (s.ns != 0) world_.set_clock_skew(n, Duration{0});
  skew_.clear();
  for (const auto& [n, index] : paused_by_)
    if (world_.node_paused(n)) world_.resume_node(n);
  paused_by_.clear();
  for (uint32_t n : crashed_)
    if (!world_.node_up(n)) world_.restart_node(n);
  crashed_.clear();
  world_.trace_event(Severity::info, "world", "fault.healed", {});
}

}  // namespace tern::faults
