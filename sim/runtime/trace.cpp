#include "sim/runtime/trace.h"

#include <fmt/format.h>

namespace tern {

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::debug: return "debug";
    case Severity::info: return "info";
    case Severity::warn: return "warn";
    case Severity::error: return "error";
  }
  return "?";
}

void append_trace_value(std::string& out, const TraceValue& v) {
  if (const int64_t* i = std::get_if<int64_t>(&v.v)) {
    fmt::format_to(std::back_inserter(out), "{}", *i);
    return;
  }
  const std::string& s = std::get<std::string>(v.v);
  // Quote values with spaces so a line splits back into fields unambiguously.
  if (s.find_first_of(" \"=\n") == std::string::npos && !s.empty()) {
    out += s;
  } else {
    out += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += '"';
  }
}

std::string TraceEvent::to_line() const {
  std::string out = fmt::format("{:6}.{:09} {} {} {}", time.ns / 1000'000'000,
                                time.ns % 1000'000'000, node, severity_name(severity), kind);
  for (const auto& [k, v] : fields) {
    out += ' ';
    out += k;
    out += '=';
    append_trace_value(out, v);
  }
  return out;
}

const TraceValue* TraceEvent::field(std::string_view key) const {
  for (const auto& [k, v] : fields)
    if (k == key) return &v;
  return nullptr;
}

}  // namespace tern
