#include "faults/injector.h"

#include <fmt/format.h>

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

Status Injector::arm() {
  TERN_ASSERT(!armed_, "Injector::arm() called twice");
  // Everything is checked before anything is scheduled: a bad plan changes nothing.
  for (size_t i = 0; i < plan_.size(); ++i) {
    const Fault& f = plan_[i];
    if (auto s = validate(f); !s.ok())
      return Error(Errc::invalid_argument,
                   fmt::format("fault {} ({}): {}", i + 1, format_fault(f), s.error().context()));
    for (const auto& n : f.nodes()) {
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
  for (size_t i = 0; i < plan_.size(); ++i) {
    const Fault& f = plan_[i];
    world_.at(f.at, [this, i] { apply(i); });
    if (auto e = f.ends_at()) world_.at(*e, [this, i] { end(i); });
  }
  return {};
}

void Injector::trace_fault(const Fault& f, std::string_view suffix) {
  TraceEvent e;
  e.time = world_.now();
  const auto keys = kind_keys(f.kind);
  const bool on_node = !keys.empty() && keys.front() == Key::node;
  e.node = on_node ? f.node : "world";
  e.severity = Severity::info;
  e.kind = fmt::format("fault.{}{}", kind_name(f.kind), suffix);
  for (Key k : keys) {
    if (k == Key::node) continue;
    e.fields.emplace_back(std::string(key_name(k)), TraceValue(format_value(f, k)));
  }
  world_.trace().add(std::move(e));
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
  for (const auto& x : f.a)
    for (const auto& y : f.b) {
      const uint32_t a = id(x), b = id(y);
      paths.push_back({a, b});
      if (!f.one_way) paths.push_back({b, a});
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
    case FaultKind::disk_full: d.capacity_bytes = f.capacity; break;
    default: TERN_UNREACHABLE("not a disk fault: {}", kind_name(f.kind));
  }
  disk_owner_[{n, f.kind}] = index;
}

void Injector::apply(size_t index) {
  const Fault& f = plan_[index];
  TERN_ASSERT(world_.now() >= f.at, "fault {} fired early", index);
  sim::SimNetwork& net = world_.network();
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
      ++stats_.applied;
      return;
    }
    case FaultKind::partition:
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
                            .tear_last_write = f.tear});
      paused_by_.erase(n);
      crashed_.insert(n);
      ++stats_.applied;
      return;
    }
    case FaultKind::restart: {
      const uint32_t n = id(f.node);
      if (world_.node_up(n)) return skip(f, "node is up");
      trace_fault(f, "");
      crashed_.erase(n);
      world_.restart_node(n);
      ++stats_.applied;
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
      ++stats_.applied;
      heal_all();
      return;
  }
  trace_fault(f, "");
  ++stats_.applied;
}

void Injector::end(size_t index) {
  const Fault& f = plan_[index];
  TERN_ASSERT(f.ends_at().has_value() && world_.now() >= *f.ends_at());
  switch (f.kind) {
    case FaultKind::partition:
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
