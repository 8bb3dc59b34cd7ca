#pragma once
// A fault plan: faults in time order, printable as text and parseable back.
//
// Text format, one fault a line, '#' starts a comment, blank lines are ignored:
//   <time> <kind> key=value ...
//   1.250000000 crash node=b1 keep_unsynced=1 tear=0
//   2.000000000 partition a=b1,c1 b=b2,b3 one_way=0 duration=0.500000000
//   3.000000000 crash node=b1 keep_unsynced=0 tear=0 half_open=0 restart_after=0.500000000
//     on=b1 event=log.fsync.start nth=1 delay=0.000150000 within=2.000000000 match=topic:a
// (the last is one line). Optional keys follow the kind's keys: restart_after (crash), the
// trigger (on event nth delay within, optional match; nth defaults to 1, delay and within to
// 0 = no limit). A plan may start with `set <key> <value>` lines (settings for the runner).
// Times and durations are seconds with up to nine decimals (exact: parsed as integers, no
// floating point); booleans are 0/1; node sets are comma-separated names. Every key of the
// kind is required, in any order. to_text() writes keys in kind_keys() order with nine
// decimals, so parse(to_text(p)) == p and to_text(parse(t)) is the canonical form of t.
// Node names are checked against a world only when the plan is armed (Injector::arm).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "faults/fault.h"
#include "sim/runtime/result.h"

namespace tern::faults {

class FaultPlan {
 public:
  FaultPlan() = default;
  // Stable-sorts by time: faults at the same instant keep their given order.
  explicit FaultPlan(std::vector<Fault> faults);

  // Inserts after every fault at the same or an earlier time.
  void add(Fault fault);
  const std::vector<Fault>& faults() const { return faults_; }
  size_t size() const { return faults_.size(); }
  bool empty() const { return faults_.empty(); }
  const Fault& operator[](size_t i) const { return faults_[i]; }

  // Plan settings (`set <key> <value>` lines before the faults): opaque words for the runner
  // (e.g. `set duration 12.000000000`). Keys are [a-z0-9_.-], values one printable word.
  const std::map<std::string, std::string>& settings() const { return settings_; }
  void set(std::string key, std::string value);
  void unset(const std::string& key);

  // The settings, then the faults.
  std::string to_text() const;
  // A clear one-line error naming the line for malformed input: "line 3: unknown fault kind
  // 'crsh'". Faults must be in time order; settings come before the first fault.
  static Result<FaultPlan> parse(std::string_view text);

  bool operator==(const FaultPlan&) const = default;

 private:
  std::map<std::string, std::string> settings_;
  std::vector<Fault> faults_;
};

// One fault as a line (no newline), and back (the error has no line number).
std::string format_fault(const Fault& fault);
Result<Fault> parse_fault(std::string_view line);
// The text of one parameter, as the plan writes it ("0.500000000", "b1,b2", "1").
std::string format_value(const Fault& fault, Key key);
// Whether an optional key (restart_after, trigger keys) is set, i.e. printed.
bool optional_key_set(const Fault& fault, Key key);
bool valid_setting_key(std::string_view key);
bool valid_setting_value(std::string_view value);
// Seconds with nine decimals: 1'250'000'000 ns -> "1.250000000".
std::string format_seconds(int64_t ns);
// "1.25" -> 1'250'000'000; accepts an optional '-', up to nine decimals.
Result<int64_t> parse_seconds(std::string_view text);

}  // namespace tern::faults
