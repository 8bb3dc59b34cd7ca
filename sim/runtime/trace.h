#pragma once
// Structured trace events. Every interesting thing a node does is one event: a kind, a
// severity and a few fields. The runtime stamps it with the node and the time. In the
// simulated world the events feed the text trace, the Graphviz picture and the running hash
// that proves two runs were the same; an error-severity event fails the scenario.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "sim/runtime/time.h"

namespace tern {

enum class Severity : uint8_t { debug, info, warn, error };
std::string_view severity_name(Severity s);

struct TraceValue {
  std::variant<int64_t, std::string> v;
  template <class I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
  TraceValue(I i) : v(static_cast<int64_t>(i)) {}
  TraceValue(std::string_view s) : v(std::string(s)) {}
  TraceValue(const std::string& s) : v(s) {}
  TraceValue(const char* s) : v(std::string(s)) {}
};

// Appends a value as trace lines write it: integers plain, strings quoted and escaped when
// they hold spaces, quotes, '=' or newlines (so a line splits back into fields). Both worlds'
// log lines use it.
void append_trace_value(std::string& out, const TraceValue& v);

struct TraceField {
  std::string_view key;
  TraceValue value;
};

struct TraceEvent {
  Instant time;
  std::string node;
  Severity severity = Severity::info;
  std::string kind;
  std::vector<std::pair<std::string, TraceValue>> fields;

  // One line: "   12.000345000 n1 info net.connect to=n2:9092 id=7".
  std::string to_line() const;
  // The value of a field, or nullptr.
  const TraceValue* field(std::string_view key) const;
};

}  // namespace tern
