#include "faults/fault_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace tern::faults {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

Error bad(std::string what) { return Error(Errc::invalid_argument, std::move(what)); }

Result<uint64_t> parse_uint(std::string_view s, uint64_t max) {
  if (s.empty() || s.size() > 20) return Errc::invalid_argument;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return Errc::invalid_argument;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (max - d) / 10) return Errc::invalid_argument;
    v = v * 10 + d;
  }
  return v;
}

std::string keys_of(FaultKind kind) {
  std::string out;
  for (Key k : kind_keys(kind)) {
    if (!out.empty()) out += ' ';
    out += key_name(k);
  }
  if (out.empty()) out = "none";
  const auto optional = kind_optional_keys(kind);
  if (!optional.empty()) {
    out += "; optional:";
    for (Key k : optional) {
      out += ' ';
      out += key_name(k);
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ',';
    out += n;
  }
  return out;
}

Result<std::string> parse_name(std::string_view v) {
  if (!valid_node_name(v)) return Errc::invalid_argument;
  return std::string(v);
}

Result<std::vector<std::string>> parse_names(std::string_view v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = v.find(',', start);
    const auto part = v.substr(start, comma == std::string_view::npos ? v.npos : comma - start);
    if (!valid_node_name(part)) return Errc::invalid_argument;
    out.emplace_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

// Sets one parameter from its text. The error names the key and what was expected.
Status set_value(Fault& f, Key key, std::string_view v) {
  auto expect = [&](std::string_view what) {
    return bad(fmt::format("bad value '{}' for {} (want {})", v, key_name(key), what));
  };
  switch (key) {
    case Key::node:
    case Key::from:
    case Key::to: {
      auto n = parse_name(v);
      if (!n.ok()) return expect("a node name");
      (key == Key::node ? f.node : key == Key::from ? f.from : f.to) = std::move(n.value());
      return {};
    }
    case Key::via: {
      auto n = parse_name(v);
      if (!n.ok()) return expect("a node name");
      f.via = std::move(n.value());
      return {};
    }
    case Key::links: {
      // x>y,z>w: directed links.
      f.links.clear();
      size_t start = 0;
      while (true) {
        const size_t comma = v.find(',', start);
        const auto part = v.substr(start, comma == v.npos ? v.npos : comma - start);
        const size_t gt = part.find('>');
        if (gt == part.npos || !valid_node_name(part.substr(0, gt)) ||
            !valid_node_name(part.substr(gt + 1)))
          return expect("links like b1>b2,c1>b3");
        f.links.emplace_back(std::string(part.substr(0, gt)), std::string(part.substr(gt + 1)));
        if (comma == v.npos) break;
        start = comma + 1;
      }
      return {};
    }
    case Key::on: {
      auto n = parse_name(v);
      if (!n.ok()) return expect("a node name");
      f.trigger->on = std::move(n.value());
      return {};
    }
    case Key::event: {
      if (!valid_word(v)) return expect("an event kind like log.fsync.start");
      f.trigger->event = std::string(v);
      return {};
    }
    case Key::nth: {
      auto n = parse_uint(v, 1'000'000'000);
      if (!n.ok() || n.value() == 0) return expect("an integer >= 1");
      f.trigger->nth = static_cast<uint32_t>(n.value());
      return {};
    }
    case Key::match: {
      const size_t colon = v.find(':');
      if (colon == v.npos || colon == 0 || colon + 1 == v.size() ||
          !valid_word(v.substr(0, colon)) || !valid_word(v.substr(colon + 1)))
        return expect("field:value like topic:events");
      f.trigger->match_field = std::string(v.substr(0, colon));
      f.trigger->match_value = std::string(v.substr(colon + 1));
      return {};
    }
    case Key::a:
    case Key::b: {
      auto ns = parse_names(v);
      if (!ns.ok()) return expect("comma-separated node names");
      (key == Key::a ? f.a : f.b) = std::move(ns.value());
      return {};
    }
    case Key::min:
    case Key::max:
    case Key::extra:
    case Key::latency:
    case Key::duration:
    case Key::restart_after:
    case Key::delay:
    case Key::within:
    case Key::amount: {
      auto ns = parse_seconds(v);
      if (!ns.ok()) return expect("seconds like 0.500000000");
      const Duration d{ns.value()};
      if (key != Key::amount && d.ns < 0) return expect("seconds >= 0");
      switch (key) {
        case Key::min: f.min = d; break;
        case Key::max: f.max = d; break;
        case Key::extra: f.extra = d; break;
        case Key::latency: f.latency = d; break;
        case Key::duration: f.duration = d; break;
        case Key::restart_after: f.restart_after = d; break;
        case Key::delay: f.trigger->delay = d; break;
        case Key::within: f.trigger->within = d; break;
        default: f.amount = d; break;
      }
      return {};
    }
    case Key::one_way:
    case Key::keep_unsynced:
    case Key::tear:
    case Key::half_open: {
      if (v != "0" && v != "1") return expect("0 or 1");
      bool& b = key == Key::one_way         ? f.one_way
                : key == Key::keep_unsynced ? f.keep_unsynced
                : key == Key::tear          ? f.tear
                                            : f.half_open;
      b = v == "1";
      return {};
    }
    case Key::ppm: {
      auto n = parse_uint(v, 1'000'000);
      if (!n.ok()) return expect("an integer 0..1000000");
      f.ppm = static_cast<uint32_t>(n.value());
      return {};
    }
    case Key::capacity: {
      auto n = parse_uint(v, std::numeric_limits<uint64_t>::max());
      if (!n.ok()) return expect("a byte count");
      f.capacity = n.value();
      return {};
    }
  }
  TERN_UNREACHABLE("key {}", static_cast<int>(key));
}

}  // namespace

FaultPlan::FaultPlan(std::vector<Fault> faults) : faults_(std::move(faults)) {
  std::stable_sort(faults_.begin(), faults_.end(),
                   [](const Fault& x, const Fault& y) { return x.at < y.at; });
}

void FaultPlan::add(Fault fault) {
  auto it = std::upper_bound(faults_.begin(), faults_.end(), fault.at,
                             [](Instant t, const Fault& f) { return t < f.at; });
  faults_.insert(it, std::move(fault));
}

std::string format_seconds(int64_t ns) {
  // Magnitude as unsigned so INT64_MIN does not overflow on negation.
  const bool neg = ns < 0;
  const uint64_t mag = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  return fmt::format("{}{}.{:09}", neg ? "-" : "", mag / 1'000'000'000, mag % 1'000'000'000);
}

Result<int64_t> parse_seconds(std::string_view s) {
  bool neg = false;
  if (!s.empty() && s.front() == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  const size_t dot = s.find('.');
  const auto whole = s.substr(0, dot);
  // 9'000'000'000 s (~285 years) keeps every value inside int64 nanoseconds.
  auto w = parse_uint(whole, 9'000'000'000);
  if (!w.ok()) return Errc::invalid_argument;
  uint64_t frac = 0;
  if (dot != std::string_view::npos) {
    const auto f = s.substr(dot + 1);
    if (f.empty() || f.size() > 9) return Errc::invalid_argument;
    auto fv = parse_uint(f, 999'999'999);
    if (!fv.ok()) return Errc::invalid_argument;
    frac = fv.value();
    for (size_t i = f.size(); i < 9; ++i) frac *= 10;
  }
  const auto mag = static_cast<int64_t>(w.value() * 1'000'000'000 + frac);
  return neg ? -mag : mag;
}

std::string format_value(const Fault& f, Key key) {
  switch (key) {
    case Key::node: return f.node;
    case Key::from: return f.from;
    case Key::to: return f.to;
    case Key::a: return join(f.a);
    case Key::b: return join(f.b);
    case Key::via: return f.via;
    case Key::links: {
      std::string out;
      for (const auto& [x, y] : f.links) {
        if (!out.empty()) out += ',';
        out += x + ">" + y;
      }
      return out;
    }
    case Key::half_open: return f.half_open ? "1" : "0";
    case Key::restart_after: return format_seconds(f.restart_after.ns);
    case Key::on: return f.trigger ? f.trigger->on : "";
    case Key::event: return f.trigger ? f.trigger->event : "";
    case Key::nth: return f.trigger ? std::to_string(f.trigger->nth) : "";
    case Key::delay: return f.trigger ? format_seconds(f.trigger->delay.ns) : "";
    case Key::within: return f.trigger ? format_seconds(f.trigger->within.ns) : "";
    case Key::match:
      return f.trigger && !f.trigger->match_field.empty()
                 ? f.trigger->match_field + ":" + f.trigger->match_value
                 : "";
    case Key::min: return format_seconds(f.min.ns);
    case Key::max: return format_seconds(f.max.ns);
    case Key::extra: return format_seconds(f.extra.ns);
    case Key::latency: return format_seconds(f.latency.ns);
    case Key::duration: return format_seconds(f.duration.ns);
    case Key::one_way: return f.one_way ? "1" : "0";
    case Key::keep_unsynced: return f.keep_unsynced ? "1" : "0";
    case Key::tear: return f.tear ? "1" : "0";
    case Key::ppm: return std::to_string(f.ppm);
    case Key::capacity: return std::to_string(f.capacity);
    case Key::amount: return format_seconds(f.amount.ns);
  }
  TERN_UNREACHABLE("key {}", static_cast<int>(key));
}

std::string format_fault(const Fault& f) {
  std::string out = format_seconds(f.at.ns);
  out += ' ';
  out += kind_name(f.kind);
  for (Key k : kind_keys(f.kind)) fmt::format_to(std::back_inserter(out), " {}={}",
                                                  key_name(k), format_value(f, k));
  for (Key k : kind_optional_keys(f.kind))
    if (optional_key_set(f, k))
      fmt::format_to(std::back_inserter(out), " {}={}", key_name(k), format_value(f, k));
  return out;
}

bool optional_key_set(const Fault& f, Key key) {
  if (key == Key::restart_after) return f.restart_after.ns != 0;
  if (key == Key::match) return f.trigger && !f.trigger->match_field.empty();
  return is_trigger_key(key) && f.trigger.has_value();
}

Result<Fault> parse_fault(std::string_view line) {
  const auto words = split_words(line);
  if (words.size() < 2) return bad("expected '<seconds> <kind> key=value ...'");
  auto at = parse_seconds(words[0]);
  if (!at.ok() || at.value() < 0)
    return bad(fmt::format("bad time '{}' (want seconds like 1.250000000)", words[0]));
  const auto kind = kind_from_name(words[1]);
  if (!kind) return bad(fmt::format("unknown fault kind '{}'", words[1]));
  Fault f;
  f.at = Instant{at.value()};
  f.kind = *kind;
  const auto keys = kind_keys(*kind);
  const auto optional = kind_optional_keys(*kind);
  std::vector<bool> seen(keys.size(), false);
  std::vector<bool> seen_optional(optional.size(), false);
  for (size_t i = 2; i < words.size(); ++i) {
    const auto w = words[i];
    const size_t eq = w.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return bad(fmt::format("expected key=value, got '{}'", w));
    const auto name = w.substr(0, eq);
    const auto key = key_from_name(name);
    const auto pos = key ? std::find(keys.begin(), keys.end(), *key) : keys.end();
    const auto opt = key ? std::find(optional.begin(), optional.end(), *key) : optional.end();
    if (pos == keys.end() && opt == optional.end())
      return bad(fmt::format("unknown key '{}' for {} (keys: {})", name, words[1],
                             keys_of(*kind)));
    auto seen_it = pos != keys.end() ? seen.begin() + (pos - keys.begin())
                                     : seen_optional.begin() + (opt - optional.begin());
    if (*seen_it) return bad(fmt::format("duplicate key '{}'", name));
    *seen_it = true;
    if (is_trigger_key(*key) && !f.trigger) f.trigger.emplace();
    TERN_TRY(set_value(f, *key, w.substr(eq + 1)));
  }
  if (f.trigger && (f.trigger->on.empty() || f.trigger->event.empty()))
    return bad(fmt::format("{}: a trigger needs on= and event= (trigger keys: on event nth "
                           "delay within match)",
                           words[1]));
  for (size_t i = 0; i < keys.size(); ++i)
    if (!seen[i])
      return bad(fmt::format("{}: missing key '{}' (keys: {})", words[1], key_name(keys[i]),
                             keys_of(*kind)));
  TERN_TRY(validate(f));
  return f;
}

bool valid_setting_key(std::string_view key) {
  if (key.empty() || key.size() > 64) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

bool valid_setting_value(std::string_view value) {
  if (value.empty() || value.size() > 256) return false;
  for (char c : value)
    if (is_space(c) || c == '#' || c == '\n' || static_cast<unsigned char>(c) < 0x21 ||
        static_cast<unsigned char>(c) > 0x7e)
      return false;
  return true;
}

void FaultPlan::set(std::string key, std::string value) {
  TERN_ASSERT(valid_setting_key(key), "bad setting key '{}'", key);
  TERN_ASSERT(valid_setting_value(value), "bad setting value '{}'", value);
  settings_[std::move(key)] = std::move(value);
}

void FaultPlan::unset(const std::string& key) { settings_.erase(key); }

std::string FaultPlan::to_text() const {
  std::string out;
  for (const auto& [k, v] : settings_) out += fmt::format("set {} {}\n", k, v);
  for (const auto& f : faults_) {
    out += format_fault(f);
    out += '\n';
  }
  return out;
}

Result<FaultPlan> FaultPlan::parse(std::string_view text) {
  FaultPlan plan;
  size_t line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t nl = text.find('\n', start);
    auto line = text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
    start = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    if (const size_t hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    if (line.starts_with("set ") || line.starts_with("set\t") || line == "set") {
      const auto words = split_words(line);
      if (!plan.faults_.empty())
        return bad(fmt::format("line {}: settings must come before the first fault", line_no));
      if (words.size() != 3)
        return bad(fmt::format("line {}: expected 'set <key> <value>' (one word each)",
                               line_no));
      if (!valid_setting_key(words[1]))
        return bad(fmt::format("line {}: bad setting key '{}' (want [a-z0-9_.-])", line_no,
                               words[1]));
      if (!valid_setting_value(words[2]))
        return bad(fmt::format("line {}: bad setting value '{}'", line_no, words[2]));
      const std::string key(words[1]);
      if (plan.settings_.count(key))
        return bad(fmt::format("line {}: setting '{}' given twice", line_no, key));
      plan.settings_[key] = std::string(words[2]);
      continue;
    }
    auto f = parse_fault(line);
    if (!f.ok()) return bad(fmt::format("line {}: {}", line_no, f.error().context()));
    if (!plan.faults_.empty() && f.value().at < plan.faults_.back().at)
      return bad(fmt::format("line {}: time {} is before the previous fault's {} "
                             "(faults must be in time order)",
                             line_no, format_seconds(f.value().at.ns),
                             format_seconds(plan.faults_.back().at.ns)));
    plan.faults_.push_back(std::move(f.value()));
  }
  return plan;
}

}  // namespace tern::faults
