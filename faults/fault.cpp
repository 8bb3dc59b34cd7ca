#include "faults/fault.h"

#include <algorithm>
#include <array>
#include <utility>

namespace tern::faults {

namespace {

struct KindInfo {
  FaultKind kind;
  std::string_view name;
  std::vector<Key> keys;
};

const std::vector<KindInfo>& kind_table() {
  using K = Key;
  static const std::vector<KindInfo> table = {
      {FaultKind::latency, "latency", {K::min, K::max}},
      {FaultKind::latency_spike, "latency_spike", {K::extra, K::duration}},
      {FaultKind::clog, "clog", {K::from, K::to, K::duration}},
      {FaultKind::break_connection, "break_connection", {K::a, K::b}},
      {FaultKind::partition, "partition", {K::a, K::b, K::one_way, K::duration}},
      {FaultKind::block, "block", {K::links, K::duration}},
      {FaultKind::bridge, "bridge", {K::a, K::b, K::via, K::duration}},
      {FaultKind::heal, "heal", {}},
      {FaultKind::crash, "crash", {K::node, K::keep_unsynced, K::tear, K::half_open}},
      {FaultKind::restart, "restart", {K::node}},
      {FaultKind::pause, "pause", {K::node, K::duration}},
      {FaultKind::fsync_error, "fsync_error", {K::node, K::ppm, K::duration}},
      {FaultKind::slow_io, "slow_io", {K::node, K::latency, K::duration}},
      {FaultKind::bitflip, "bitflip", {K::node, K::ppm, K::duration}},
      {FaultKind::disk_full, "disk_full", {K::node, K::capacity, K::duration}},
      {FaultKind::skew, "skew", {K::node, K::amount}},
      {FaultKind::jump, "jump", {K::node, K::amount}},
      {FaultKind::heal_all, "heal_all", {}},
  };
  return table;
}

const KindInfo& info(FaultKind kind) {
  const auto& t = kind_table();
  const auto i = static_cast<size_t>(kind);
  TERN_ASSERT(i < t.size() && t[i].kind == kind, "kind table out of order at {}", i);
  return t[i];
}

constexpr std::array<std::string_view, kKeyCount> kKeyNames = {
    "node", "from", "to", "a", "b", "via", "links", "min", "max", "extra", "latency",
    "duration", "one_way", "keep_unsynced", "tear", "half_open", "ppm", "capacity", "amount",
    "restart_after", "on", "event", "nth", "delay", "within", "match"};

constexpr Key kTriggerKeys[] = {Key::on, Key::event, Key::nth, Key::delay, Key::within,
                                Key::match};

Status fail(const Fault& f, std::string_view what) {
  return Error(Errc::invalid_argument, std::string(kind_name(f.kind)) + ": " + std::string(what));
}

Fault base(Instant at, FaultKind kind) {
  Fault f;
  f.at = at;
  f.kind = kind;
  return f;
}

// A fault aimed at one node (process, disk and clock kinds).
Fault on_node(Instant at, FaultKind kind, std::string node) {
  Fault f = base(at, kind);
  f.node = std::move(node);
  return f;
}

}  // namespace

std::string_view kind_name(FaultKind kind) { return info(kind).name; }

std::optional<FaultKind> kind_from_name(std::string_view name) {
  for (const auto& k : kind_table())
    if (k.name == name) return k.kind;
  return std::nullopt;
}

std::span<const FaultKind> all_kinds() {
  static const std::vector<FaultKind> kinds = [] {
    std::vector<FaultKind> v;
    for (const auto& k : kind_table()) v.push_back(k.kind);
    return v;
  }();
  TERN_ASSERT(kinds.size() == static_cast<size_t>(kFaultKindCount));
  return kinds;
}

std::string_view key_name(Key key) {
  const auto i = static_cast<size_t>(key);
  TERN_ASSERT(i < kKeyNames.size());
  return kKeyNames[i];
}

std::optional<Key> key_from_name(std::string_view name) {
  for (size_t i = 0; i < kKeyNames.size(); ++i)
    if (kKeyNames[i] == name) return static_cast<Key>(i);
  return std::nullopt;
}

std::span<const Key> kind_keys(FaultKind kind) { return info(kind).keys; }

std::span<const Key> kind_optional_keys(FaultKind kind) {
  static const std::vector<Key> crash = [] {
    std::vector<Key> v = {Key::restart_after};
    v.insert(v.end(), std::begin(kTriggerKeys), std::end(kTriggerKeys));
    return v;
  }();
  static const std::vector<Key> trigger(std::begin(kTriggerKeys), std::end(kTriggerKeys));
  static const std::vector<Key> none;
  if (kind == FaultKind::crash) return crash;
  // heal_all ends the plan's safety phase at a fixed time; a triggered one could never fire.
  if (kind == FaultKind::heal_all) return none;
  return trigger;
}

bool is_trigger_key(Key key) { return key >= Key::on; }

std::vector<std::string> Fault::nodes() const {
  std::vector<std::string> out;
  for (Key k : kind_keys(kind)) {
    switch (k) {
      case Key::node: out.push_back(node); break;
      case Key::from: out.push_back(from); break;
      case Key::to: out.push_back(to); break;
      case Key::a: out.insert(out.end(), a.begin(), a.end()); break;
      case Key::b: out.insert(out.end(), b.begin(), b.end()); break;
      case Key::via: out.push_back(via); break;
      case Key::links:
        for (const auto& [x, y] : links) {
          out.push_back(x);
          out.push_back(y);
        }
        break;
      default: break;
    }
  }
  return out;
}

Instant Fault::latest_start() const {
  if (!trigger) return at;
  if (trigger->within.ns <= 0) return Instant::never();
  return at + trigger->within + trigger->delay;
}

std::optional<Instant> Fault::ends_at() const {
  const auto keys = kind_keys(kind);
  if (std::find(keys.begin(), keys.end(), Key::duration) == keys.end()) return std::nullopt;
  if (duration.ns <= 0) return std::nullopt;
  return latest_start() + duration;
}

bool Fault::is_network() const {
  return kind <= FaultKind::heal;
}
bool Fault::is_process() const {
  return kind == FaultKind::crash || kind == FaultKind::restart || kind == FaultKind::pause;
}
bool Fault::is_disk() const {
  return kind >= FaultKind::fsync_error && kind <= FaultKind::disk_full;
}
bool Fault::is_clock() const { return kind == FaultKind::skew || kind == FaultKind::jump; }

bool valid_node_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool valid_word(std::string_view word) {
  if (word.empty() || word.size() > 64) return false;
  for (char c : word) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

Status validate(const Fault& f) {
  if (f.at.ns < 0) return fail(f, "time must be >= 0");
  if (f.trigger) {
    const Trigger& t = *f.trigger;
    if (f.kind == FaultKind::heal_all) return fail(f, "cannot be triggered");
    if (!valid_node_name(t.on)) return fail(f, "bad trigger node '" + t.on + "'");
    if (!valid_word(t.event)) return fail(f, "bad trigger event '" + t.event + "'");
    if (t.nth < 1) return fail(f, "nth must be >= 1");
    if (t.delay.ns < 0) return fail(f, "delay must be >= 0");
    if (t.within.ns < 0) return fail(f, "within must be >= 0");
    if (t.match_field.empty() != t.match_value.empty())
      return fail(f, "match needs a field and a value");
    if (!t.match_field.empty() && (!valid_word(t.match_field) || !valid_word(t.match_value) ||
                                   t.match_field.find(':') != std::string::npos))
      return fail(f, "bad match '" + t.match_field + ":" + t.match_value + "'");
  }
  if (f.restart_after.ns < 0) return fail(f, "restart_after must be >= 0");
  if (f.restart_after.ns > 0 && f.kind != FaultKind::crash)
    return fail(f, "only a crash has restart_after");
  for (const auto& n : f.nodes())
    if (!valid_node_name(n)) return fail(f, "bad node name '" + n + "'");
  const auto keys = kind_keys(f.kind);
  const bool has_duration = std::find(keys.begin(), keys.end(), Key::duration) != keys.end();
  if (has_duration && f.duration.ns < 0) return fail(f, "duration must be >= 0");
  switch (f.kind) {
    case FaultKind::latency:
      if (f.min.ns < 0) return fail(f, "min must be >= 0");
      if (f.max < f.min) return fail(f, "max must be >= min");
      break;
    case FaultKind::latency_spike:
      if (f.extra.ns < 0) return fail(f, "extra must be >= 0");
      [[fallthrough]];
    case FaultKind::clog:
      // Both end on their own in sim/simulated: there is no "until heal" form.
      if (f.duration.ns <= 0) return fail(f, "duration must be > 0");
      break;
    case FaultKind::break_connection:
      if (f.a.size() != 1 || f.b.size() != 1) return fail(f, "a and b name one node each");
      if (f.a[0] == f.b[0]) return fail(f, "a and b must differ");
      break;
    case FaultKind::partition:
      if (f.a.empty() || f.b.empty()) return fail(f, "a and b must be non-empty");
      for (const auto& x : f.a)
        if (std::find(f.b.begin(), f.b.end(), x) != f.b.end())
          return fail(f, "node '" + x + "' is on both sides");
      break;
    case FaultKind::bridge:
      if (f.a.empty() || f.b.empty()) return fail(f, "a and b must be non-empty");
      for (const auto& x : f.a)
        if (std::find(f.b.begin(), f.b.end(), x) != f.b.end())
          return fail(f, "node '" + x + "' is on both sides");
      if (std::find(f.a.begin(), f.a.end(), f.via) != f.a.end() ||
          std::find(f.b.begin(), f.b.end(), f.via) != f.b.end())
        return fail(f, "via '" + f.via + "' must be on neither side");
      break;
    case FaultKind::block:
      if (f.links.empty()) return fail(f, "links must be non-empty");
      for (size_t i = 0; i < f.links.size(); ++i) {
        if (f.links[i].first == f.links[i].second)
          return fail(f, "link " + f.links[i].first + ">" + f.links[i].second + " is a loop");
        for (size_t j = 0; j < i; ++j)
          if (f.links[j] == f.links[i])
            return fail(f, "link " + f.links[i].first + ">" + f.links[i].second + " twice");
      }
      break;
    case FaultKind::fsync_error:
    case FaultKind::bitflip:
      if (f.ppm > 1'000'000) return fail(f, "ppm must be <= 1000000");
      break;
    case FaultKind::slow_io:
      if (f.latency.ns < 0) return fail(f, "latency must be >= 0");
      break;
    default:
      break;
  }
  return {};
}

Fault make_latency(Instant at, Duration min, Duration max) {
  Fault f = base(at, FaultKind::latency);
  f.min = min;
  f.max = max;
  return f;
}
Fault make_latency_spike(Instant at, Duration extra, Duration duration) {
  Fault f = base(at, FaultKind::latency_spike);
  f.extra = extra;
  f.duration = duration;
  return f;
}
Fault make_clog(Instant at, std::string from, std::string to, Duration duration) {
  Fault f = base(at, FaultKind::clog);
  f.from = std::move(from);
  f.to = std::move(to);
  f.duration = duration;
  return f;
}
Fault make_break_connection(Instant at, std::string a, std::string b) {
  Fault f = base(at, FaultKind::break_connection);
  f.a = {std::move(a)};
  f.b = {std::move(b)};
  return f;
}
Fault make_partition(Instant at, std::vector<std::string> a, std::vector<std::string> b,
                     bool one_way, Duration duration) {
  Fault f = base(at, FaultKind::partition);
  f.a = std::move(a);
  f.b = std::move(b);
  f.one_way = one_way;
  f.duration = duration;
  return f;
}
Fault make_block(Instant at, std::vector<std::pair<std::string, std::string>> links,
                 Duration duration) {
  Fault f = base(at, FaultKind::block);
  f.links = std::move(links);
  f.duration = duration;
  return f;
}
Fault make_bridge(Instant at, std::vector<std::string> a, std::vector<std::string> b,
                  std::string via, Duration duration) {
  Fault f = base(at, FaultKind::bridge);
  f.a = std::move(a);
  f.b = std::move(b);
  f.via = std::move(via);
  f.duration = duration;
  return f;
}
Fault make_heal(Instant at) { return base(at, FaultKind::heal); }
Fault make_crash(Instant at, std::string node, bool keep_unsynced, bool tear, bool half_open,
                 Duration restart_after) {
  Fault f = on_node(at, FaultKind::crash, std::move(node));
  f.keep_unsynced = keep_unsynced;
  f.tear = tear;
  f.half_open = half_open;
  f.restart_after = restart_after;
  return f;
}
Fault make_restart(Instant at, std::string node) {
  Fault f = on_node(at, FaultKind::restart, std::move(node));
  return f;
}
Fault make_pause(Instant at, std::string node, Duration duration) {
  Fault f = on_node(at, FaultKind::pause, std::move(node));
  f.duration = duration;
  return f;
}
Fault make_fsync_error(Instant at, std::string node, uint32_t ppm, Duration duration) {
  Fault f = on_node(at, FaultKind::fsync_error, std::move(node));
  f.ppm = ppm;
  f.duration = duration;
  return f;
}
Fault make_slow_io(Instant at, std::string node, Duration latency, Duration duration) {
  Fault f = on_node(at, FaultKind::slow_io, std::move(node));
  f.latency = latency;
  f.duration = duration;
  return f;
}
Fault make_bitflip(Instant at, std::string node, uint32_t ppm, Duration duration) {
  Fault f = on_node(at, FaultKind::bitflip, std::move(node));
  f.ppm = ppm;
  f.duration = duration;
  return f;
}
Fault make_disk_full(Instant at, std::string node, uint64_t capacity, Duration duration) {
  Fault f = on_node(at, FaultKind::disk_full, std::move(node));
  f.capacity = capacity;
  f.duration = duration;
  return f;
}
Fault make_skew(Instant at, std::string node, Duration amount) {
  Fault f = on_node(at, FaultKind::skew, std::move(node));
  f.amount = amount;
  return f;
}
Fault make_jump(Instant at, std::string node, Duration amount) {
  Fault f = on_node(at, FaultKind::jump, std::move(node));
  f.amount = amount;
  return f;
}
Fault make_heal_all(Instant at) { return base(at, FaultKind::heal_all); }
Fault with_trigger(Fault fault, Trigger trigger) {
  fault.trigger = std::move(trigger);
  return fault;
}

}  // namespace tern::faults
