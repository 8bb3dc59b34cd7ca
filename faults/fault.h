#pragma once
// A fault is data: when, what, and the kind's parameters. A plan of them can be printed,
// parsed back, generated from a seed, shrunk and applied to a sim::World by the Injector.
//
// Fault is a tagged struct rather than a std::variant: every kind uses a few of the same
// fields (node, duration, ppm, ...), and kind_keys() says which. One table then drives the
// text format, validation, shrinking and the trace, instead of one visitor per concern.
// Fields a kind does not use stay at their defaults, so == compares only what matters.
// Nodes are named (not numbered) so a plan file reads like the cluster it was written for;
// names are resolved against the world when the plan is armed.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/runtime/result.h"
#include "sim/runtime/time.h"

namespace tern::faults {

enum class FaultKind : uint8_t {
  // network
  latency,           // set the latency range of every new chunk (until heal_all)
  latency_spike,     // add `extra` to every chunk sent during `duration`
  clog,              // hold every chunk from -> to for `duration`
  break_connection,  // reset every connection between a and b (one node each)
  partition,         // block a <-> b (or a -> b when one_way) for `duration` (0: until heal)
  block,             // block single directed links (x>y: x cannot send to y) for `duration`
  bridge,            // a and b cannot reach each other, `via` reaches both, for `duration`
  heal,              // unblock everything, unclog everything
  // process
  crash,             // power loss of `node`; its disk keeps/tears unsynced writes as asked,
                     // half_open: no reset to peers until it restarts; optional
                     // restart_after: the injector restarts it that long after applying it
  restart,           // start `node` again on its durable disk
  pause,             // stall every fiber of `node` for `duration` (0: until heal_all)
  // disk (each lasts `duration`, 0: until heal_all)
  fsync_error,       // fsync fails with io_error with probability ppm
  slow_io,           // `latency` added to every disk operation
  bitflip,           // a read returns one flipped bit with probability ppm
  disk_full,         // only `capacity` more bytes fit on the disk (from when it is applied)
  // clock
  skew,              // the node's wall clock is `amount` off (replaces the previous skew)
  jump,              // the node's wall clock jumps by `amount` (adds to the current skew)
  // everything
  heal_all,          // heal network, clear disk faults, restart down nodes, resume paused ones
};
inline constexpr int kFaultKindCount = static_cast<int>(FaultKind::heal_all) + 1;

std::string_view kind_name(FaultKind kind);
std::optional<FaultKind> kind_from_name(std::string_view name);
std::span<const FaultKind> all_kinds();

// The parameters a kind may carry. The text format writes them in this order. The trigger
// keys (on .. match) and restart_after are optional (see kind_optional_keys), the rest of a
// kind's keys are required.
enum class Key : uint8_t {
  node, from, to, a, b, via, links, min, max, extra, latency, duration, one_way, keep_unsynced,
  tear, half_open, ppm, capacity, amount, restart_after,
  on, event, nth, delay, within, match,
};
inline constexpr int kKeyCount = static_cast<int>(Key::match) + 1;
std::string_view key_name(Key key);
std::optional<Key> key_from_name(std::string_view name);
// The keys of a kind, all required, in text order.
std::span<const Key> kind_keys(FaultKind kind);
// Keys a kind may carry after its required ones, in text order: restart_after (crash), then
// the trigger keys (every kind but heal_all). Printed only when set.
std::span<const Key> kind_optional_keys(FaultKind kind);
bool is_trigger_key(Key key);

// An event trigger: from the fault's `at`, count trace events of node `on` whose kind is
// `event` (and whose field `match_field` has the text `match_value`, when given); at the nth,
// apply the fault `delay` later. If the nth has not come by at + within (within 0: no limit),
// the fault is skipped. Durations of a triggered fault count from when it is applied.
struct Trigger {
  std::string on;
  std::string event;
  uint32_t nth = 1;
  Duration delay;
  Duration within;
  std::string match_field;  // empty: every event of the kind counts
  std::string match_value;

  bool operator==(const Trigger&) const = default;
};

struct Fault {
  Instant at;
  FaultKind kind = FaultKind::heal;
  std::string node;              // crash, restart, pause, disk faults, skew, jump
  std::string from, to;          // clog
  std::vector<std::string> a, b; // partition, bridge (sets), break_connection (one name each)
  std::string via;               // bridge: the node that reaches both sides
  std::vector<std::pair<std::string, std::string>> links;  // block: directed (from, to)
  Duration min, max;             // latency
  Duration extra;                // latency_spike
  Duration latency;              // slow_io
  Duration duration;             // latency_spike, clog, partition, pause, disk faults
  bool one_way = false;          // partition
  bool keep_unsynced = false;    // crash
  bool tear = false;             // crash
  bool half_open = false;        // crash
  Duration restart_after;        // crash: 0 = no automatic restart
  uint32_t ppm = 0;              // fsync_error, bitflip
  uint64_t capacity = 0;         // disk_full (bytes of room left)
  Duration amount;               // skew, jump (may be negative)
  std::optional<Trigger> trigger;

  bool operator==(const Fault&) const = default;

  // Every node the fault acts on, in field order (duplicates possible); not the trigger's
  // `on` node, which it only watches.
  std::vector<std::string> nodes() const;
  // The latest time the fault may take effect: `at`, or for a triggered fault
  // at + within + delay (the trigger's window; unbounded when within is 0 -> Instant::never()).
  Instant latest_start() const;
  // When the fault's effect ends on its own, if it has a duration > 0: at + duration, or for
  // a triggered fault the latest possible end, latest_start() + duration (conservative: the
  // budget checks use it; the injector ends a triggered fault `duration` after applying it).
  std::optional<Instant> ends_at() const;
  bool triggered() const { return trigger.has_value(); }
  bool is_network() const;
  bool is_process() const;
  bool is_disk() const;
  bool is_clock() const;
};

// Checks the parameters (not node existence): non-negative durations, ppm <= 1e6,
// min <= max, non-empty disjoint partition sides, one node per side for break_connection,
// valid node names, bridge's via on neither side, block links between distinct nodes, a trigger
// with an event name and nth >= 1 (never on heal_all). One line, e.g. "clog: duration must be > 0".
Status validate(const Fault& fault);
bool valid_node_name(std::string_view name);
// Event kinds and match fields/values: one word of [A-Za-z0-9_.:-] (no spaces, '=', ',').
bool valid_word(std::string_view word);

// Factories: the fields each kind needs, nothing else (so the other fields stay default).
Fault make_latency(Instant at, Duration min, Duration max);
Fault make_latency_spike(Instant at, Duration extra, Duration duration);
Fault make_clog(Instant at, std::string from, std::string to, Duration duration);
Fault make_break_connection(Instant at, std::string a, std::string b);
Fault make_partition(Instant at, std::vector<std::string> a, std::vector<std::string> b,
                     bool one_way, Duration duration);
Fault make_block(Instant at, std::vector<std::pair<std::string, std::string>> links,
                 Duration duration);
Fault make_bridge(Instant at, std::vector<std::string> a, std::vector<std::string> b,
                  std::string via, Duration duration);
Fault make_heal(Instant at);
Fault make_crash(Instant at, std::string node, bool keep_unsynced, bool tear,
                 bool half_open = false, Duration restart_after = {});
Fault make_restart(Instant at, std::string node);
Fault make_pause(Instant at, std::string node, Duration duration);
Fault make_fsync_error(Instant at, std::string node, uint32_t ppm, Duration duration);
Fault make_slow_io(Instant at, std::string node, Duration latency, Duration duration);
Fault make_bitflip(Instant at, std::string node, uint32_t ppm, Duration duration);
Fault make_disk_full(Instant at, std::string node, uint64_t capacity, Duration duration);
Fault make_skew(Instant at, std::string node, Duration amount);
Fault make_jump(Instant at, std::string node, Duration amount);
Fault make_heal_all(Instant at);
// The fault, fired by a trigger instead of at a fixed time.
Fault with_trigger(Fault fault, Trigger trigger);

}  // namespace tern::faults
