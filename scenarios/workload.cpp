#include "scenarios/workload.h"

#include <fmt/format.h>

#include <charconv>

#include "faults/fault_plan.h"

namespace tern::scenarios {

void WorkloadOptions::fail(std::string message) const {
  if (error_.empty()) error_ = std::move(message);
}

int64_t WorkloadOptions::get_int(const std::string& key, int64_t fallback, int64_t min,
                                 int64_t max) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) {
    fail(fmt::format("{}={}: want an integer", key, s));
    return fallback;
  }
  if (v < min || v > max) {
    fail(fmt::format("{}={}: out of range {}..{}", key, s, min, max));
    return fallback;
  }
  return v;
}

bool WorkloadOptions::get_bool(const std::string& key, bool fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  const std::string& s = it->second;
  if (s == "1" || s == "on" || s == "true") return true;
  if (s == "0" || s == "off" || s == "false") return false;
  fail(fmt::format("{}={}: want on or off", key, s));
  return fallback;
}

Result<Duration> parse_duration(std::string_view s) {
  // "250ms", "3s", "2us", or plain seconds "0.5".
  int64_t unit = 1'000'000'000;
  std::string_view num = s;
  auto ends_with = [&](std::string_view suffix) {
    return num.size() > suffix.size() && num.substr(num.size() - suffix.size()) == suffix;
  };
  if (ends_with("ms")) {
    unit = 1'000'000;
    num.remove_suffix(2);
  } else if (ends_with("us")) {
    unit = 1'000;
    num.remove_suffix(2);
  } else if (ends_with("s")) {
    num.remove_suffix(1);
  }
  auto secs = faults::parse_seconds(num);
  if (!secs.ok() || secs.value() < 0)
    return Error(Errc::invalid_argument,
                 fmt::format("'{}': want a duration like 250ms, 3s or 0.5", s));
  // parse_seconds gives nanoseconds for "seconds"; rescale for ms/us.
  return Duration{secs.value() / (1'000'000'000 / unit)};
}

Duration WorkloadOptions::get_duration(const std::string& key, Duration fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  auto d = parse_duration(it->second);
  if (!d.ok()) {
    fail(fmt::format("{}={}", key, d.error().context()));
    return fallback;
  }
  return d.value();
}

std::string WorkloadOptions::get_string(const std::string& key, const std::string& fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

std::string WorkloadOptions::get_choice(const std::string& key, const std::string& fallback,
                                        const std::vector<std::string>& choices) {
  std::string v = get_string(key, fallback);
  for (const auto& c : choices)
    if (c == v) return v;
  fail(fmt::format("{}={}: want one of {}", key, v, fmt::join(choices, ", ")));
  return fallback;
}

Status WorkloadOptions::finish(std::string_view workload) const {
  if (!error_.empty())
    return Error(Errc::invalid_argument, fmt::format("workload {}: {}", workload, error_));
  for (const auto& [k, v] : values_)
    if (!used_.count(k))
      return Error(Errc::invalid_argument,
                   fmt::format("workload {}: unknown option '{}' (options: {})", workload, k,
                               fmt::join(used_, " ")));
  return {};
}

uint32_t WorkloadContext::add_client(const std::string& name, sim::NodeMain main,
                                     ClientKind kind) {
  const uint32_t node = world.add_node(name, std::move(main));
  clients.push_back({name, node, kind});
  return node;
}

void WorkloadContext::expect_topic(const std::string& topic, int32_t partitions) {
  TERN_ASSERT(partitions > 0, "topic {} with {} partitions", topic, partitions);
  for (auto& t : expected_topics)
    if (t.topic == topic) {
      t.partitions = std::max(t.partitions, partitions);
      return;
    }
  expected_topics.push_back({topic, partitions});
}

void WorkloadContext::declare_consumer(const std::string& process, const std::string& topic) {
  consumers.emplace_back(process, topic);
}

void WorkloadContext::knob(const std::string& who, const std::string& setting,
                           const std::string& value) {
  knobs.push_back(fmt::format("{} {}={}", who, setting, value));
  world.trace_event(Severity::info, "world", "knob",
                    {{"who", who}, {"setting", setting}, {"value", value}});
}

}  // namespace tern::scenarios
