#include "scenarios/scenario_file.h"

#include <fmt/format.h>

#include <charconv>

#include "faults/fault_plan.h"
#include "scenarios/checkers/checker.h"
#include "scenarios/workload.h"

namespace tern::scenarios {

namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    if (j > i) out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

// key=value words after the keyword; a word without '=' is an error.
Result<std::map<std::string, std::string>> key_values(std::span<const std::string_view> words) {
  std::map<std::string, std::string> out;
  for (auto w : words) {
    const size_t eq = w.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Error(Errc::invalid_argument, fmt::format("'{}': want key=value", w));
    auto [it, inserted] = out.emplace(std::string(w.substr(0, eq)), std::string(w.substr(eq + 1)));
    if (!inserted) return Error(Errc::invalid_argument, fmt::format("'{}' given twice", it->first));
  }
  return out;
}

Result<uint64_t> parse_count(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return Error(Errc::invalid_argument, fmt::format("'{}': want a non-negative integer", s));
  return v;
}

Result<bool> parse_on_off(std::string_view s) {
  if (s == "on") return true;
  if (s == "off") return false;
  return Error(Errc::invalid_argument, fmt::format("'{}': want on or off", s));
}

std::string workload_names() {
  std::vector<std::string> names;
  for (const auto& w : all_workloads()) names.push_back(w.name);
  return fmt::format("{}", fmt::join(names, " "));
}

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  Result<Scenario> run(std::string_view text) {
    size_t pos = 0;
    int line_no = 0;
    while (pos <= text.size()) {
      size_t nl = text.find('\n', pos);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
      auto words = split_words(line);
      if (words.empty()) continue;
      if (auto s = one(words, line, line_no); !s.ok())
        return Error(Errc::invalid_argument,
                     fmt::format("{}:{}: {}", source_, line_no, s.error().context()));
    }
    if (s_.name.empty())
      return Error(Errc::invalid_argument, fmt::format("{}: no 'scenario NAME' line", source_));
    if (s_.workloads.empty())
      return Error(Errc::invalid_argument, fmt::format("{}: no 'workload' line", source_));
    s_.source = std::string(source_);
    return std::move(s_);
  }

 private:
  Status one(const std::vector<std::string_view>& w, std::string_view line, int line_no) {
    const std::string_view key = w[0];
    const std::span<const std::string_view> args(w.data() + 1, w.size() - 1);
    auto need = [&](size_t n) -> Status {
      if (args.size() != n)
        return Error(Errc::invalid_argument,
                     fmt::format("'{}' takes {} value{}", key, n, n == 1 ? "" : "s"));
      return {};
    };
    if (key == "scenario") {
      TERN_TRY(need(1));
      s_.name = std::string(args[0]);
    } else if (key == "summary") {
      const size_t at = line.find("summary") + 7;
      std::string_view rest = line.substr(at);
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
      while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
      s_.summary = std::string(rest);
    } else if (key == "brokers") {
      TERN_TRY(need(1));
      auto n = parse_count(args[0]);
      if (!n.ok() || n.value() < 1 || n.value() > 9)
        return Error(Errc::invalid_argument, fmt::format("brokers '{}': want 1..9", args[0]));
      s_.brokers = static_cast<int>(n.value());
    } else if (key == "controllers") {
      if (args.size() != 1 && args.size() != 2)
        return Error(Errc::invalid_argument, "'controllers' takes N [combined|separate]");
      auto n = parse_count(args[0]);
      if (!n.ok() || n.value() < 1 || n.value() > 7)
        return Error(Errc::invalid_argument, fmt::format("controllers '{}': want 1..7", args[0]));
      s_.controllers = static_cast<int>(n.value());
      if (args.size() > 1) {
        if (args[1] != "combined" && args[1] != "separate")
          return Error(Errc::invalid_argument,
                       fmt::format("controllers {} '{}': want combined or separate", args[0],
                                   args[1]));
        s_.separate_controllers = args[1] == "separate";
      }
    } else if (key == "duration" || key == "liveness") {
      TERN_TRY(need(1));
      auto d = parse_duration(args[0]);
      if (!d.ok()) return d.error();
      if (d.value().ns <= 0) return Error(Errc::invalid_argument, "must be > 0");
      (key == "duration" ? s_.duration : s_.liveness_bound) = d.value();
    } else if (key == "faults") {
      TERN_TRY(need(1));
      if (args[0] != "swarm" && args[0] != "none")
        return Error(Errc::invalid_argument,
                     fmt::format("faults '{}': want swarm or none", args[0]));
      s_.faults = args[0] == "swarm";
    } else if (key == "force") {
      if (args.empty()) return Error(Errc::invalid_argument, "force takes a fault kind");
      auto kind = faults::kind_from_name(args[0]);
      bool drawable = false;
      for (auto k : faults::swarm_kinds()) drawable |= kind && k == *kind;
      if (!drawable)
        return Error(Errc::invalid_argument,
                     fmt::format("force: '{}' is not a fault kind the swarm draws", args[0]));
      auto kv = key_values(args.subspan(1));
      if (!kv.ok()) return kv.error();
      Duration every{0};
      for (const auto& [k, v] : kv.value()) {
        if (k != "every")
          return Error(Errc::invalid_argument,
                       fmt::format("force: unknown key '{}' (keys: every)", k));
        auto d = parse_duration(v);
        if (!d.ok()) return d.error();
        every = d.value();
      }
      s_.forced_kinds[*kind] = every;
    } else if (key == "budget") {
      auto kv = key_values(args);
      if (!kv.ok()) return kv.error();
      for (const auto& [k, v] : kv.value()) {
        if (k == "max_down") {
          auto n = parse_count(v);
          if (!n.ok()) return n.error();
          s_.budget.max_down = static_cast<uint32_t>(n.value());
        } else if (k == "heal_at_percent") {
          auto n = parse_count(v);
          if (!n.ok() || n.value() < 1 || n.value() > 100)
            return Error(Errc::invalid_argument, "heal_at_percent: want 1..100");
          s_.budget.heal_at_percent = static_cast<uint32_t>(n.value());
        } else if (k == "max_downtime" || k == "max_fault_duration") {
          auto d = parse_duration(v);
          if (!d.ok()) return d.error();
          if (d.value().ns <= 0) return Error(Errc::invalid_argument, k + " must be > 0");
          (k == "max_downtime" ? s_.budget.max_downtime : s_.budget.max_fault_duration) = d.value();
        } else {
          return Error(Errc::invalid_argument,
                       fmt::format("budget: unknown key '{}' (keys: max_down max_downtime "
                                   "max_fault_duration heal_at_percent)",
                                   k));
        }
      }
    } else if (key == "power_loss" || key == "knobs") {
      TERN_TRY(need(1));
      auto b = parse_on_off(args[0]);
      if (!b.ok()) return b.error();
      (key == "power_loss" ? s_.power_loss : s_.knobs) = b.value();
    } else if (key == "scheduler") {
      TERN_TRY(need(1));
      if (args[0] == "fifo")
        s_.scheduler = SchedulerMode::fifo;
      else if (args[0] == "shuffle")
        s_.scheduler = SchedulerMode::shuffle;
      else if (args[0] == "seed")
        s_.scheduler = SchedulerMode::seed;
      else
        return Error(Errc::invalid_argument, "scheduler: want fifo, shuffle or seed");
    } else if (key == "broker") {
      auto kv = key_values(args);
      if (!kv.ok()) return kv.error();
      if (kv.value().empty())
        return Error(Errc::invalid_argument, "broker takes key=value settings");
      for (auto& [k, v] : kv.value()) s_.broker_config[k] = v;
    } else if (key == "workload") {
      if (args.empty())
        return Error(Errc::invalid_argument,
                     fmt::format("workload takes a type (workloads: {})", workload_names()));
      const WorkloadType* type = find_workload(args[0]);
      if (!type)
        return Error(Errc::invalid_argument, fmt::format("unknown workload '{}' (workloads: {})",
                                                         args[0], workload_names()));
      auto kv = key_values(args.subspan(1));
      if (!kv.ok()) return kv.error();
      // The workload checks its own options now, so a bad one is an error of this line.
      auto made = type->make(WorkloadOptions(kv.value()));
      if (!made.ok()) return made.error();
      s_.workloads.push_back({type->name, std::move(kv.value()), line_no});
    } else if (key == "require") {
      auto kv = key_values(args);
      if (!kv.ok()) return kv.error();
      for (const auto& [k, v] : kv.value()) {
        auto n = parse_count(v);
        if (!n.ok())
          return Error(Errc::invalid_argument, fmt::format("{}: {}", k, n.error().context()));
        if (k == "acks")
          s_.require.acks = n.value();
        else if (k == "polls")
          s_.require.polls = n.value();
        else if (k == "faults")
          s_.require.faults = n.value();
        else if (k == "crashes_after_ack")
          s_.require.crashes_after_ack = n.value();
        else
          return Error(Errc::invalid_argument,
                       fmt::format("require: unknown key '{}' (keys: acks polls faults "
                                   "crashes_after_ack)",
                                   k));
      }
    } else if (key == "invariants") {
      if (args.empty()) return Error(Errc::invalid_argument, "invariants takes 'all' or names");
      s_.invariants.clear();
      if (args.size() == 1 && args[0] == "all") return {};
      for (auto a : args) {
        bool known = false;
        for (const auto& c : all_checkers()) known |= a == c.name;
        if (!known) {
          std::vector<std::string_view> names;
          for (const auto& c : all_checkers()) names.push_back(c.name);
          return Error(
              Errc::invalid_argument,
              fmt::format("unknown invariant '{}' (invariants: {})", a, fmt::join(names, " ")));
        }
        s_.invariants.emplace_back(a);
      }
    } else {
      return Error(Errc::invalid_argument,
                   fmt::format("unknown setting '{}' (settings: scenario summary brokers "
                               "controllers duration liveness faults force budget power_loss "
                               "knobs scheduler broker workload require invariants)",
                               key));
    }
    return {};
  }

  std::string_view source_;
  Scenario s_;
};

std::string seconds(Duration d) { return faults::format_seconds(d.ns); }

}  // namespace

Result<Scenario> parse_scenario(std::string_view text, std::string_view source) {
  return Parser(source).run(text);
}

std::string scenario_to_text(const Scenario& s) {
  std::string out = fmt::format("scenario {}\n", s.name);
  if (!s.summary.empty()) out += fmt::format("summary {}\n", s.summary);
  if (s.controllers > 0)
    out += fmt::format("controllers {} {}\n", s.controllers,
                       s.separate_controllers ? "separate" : "combined");
  out += fmt::format("brokers {}\nduration {}\nliveness {}\nfaults {}\n", s.brokers,
                     seconds(s.duration), seconds(s.liveness_bound), s.faults ? "swarm" : "none");
  for (const auto& [k, every] : s.forced_kinds)
    out += fmt::format("force {} every={}\n", faults::kind_name(k), seconds(every));
  out += fmt::format("budget max_downtime={} max_fault_duration={} heal_at_percent={}",
                     seconds(s.budget.max_downtime), seconds(s.budget.max_fault_duration),
                     s.budget.heal_at_percent);
  if (s.budget.max_down) out += fmt::format(" max_down={}", *s.budget.max_down);
  out += fmt::format("\npower_loss {}\nknobs {}\nscheduler {}\n", s.power_loss ? "on" : "off",
                     s.knobs ? "on" : "off",
                     s.scheduler == SchedulerMode::fifo      ? "fifo"
                     : s.scheduler == SchedulerMode::shuffle ? "shuffle"
                                                             : "seed");
  for (const auto& [k, v] : s.broker_config) out += fmt::format("broker {}={}\n", k, v);
  for (const auto& w : s.workloads) {
    out += "workload " + w.type;
    for (const auto& [k, v] : w.options) out += fmt::format(" {}={}", k, v);
    out += "\n";
  }
  out += fmt::format("require acks={} polls={} faults={} crashes_after_ack={}\n", s.require.acks,
                     s.require.polls, s.require.faults, s.require.crashes_after_ack);
  out += "invariants " +
         (s.invariants.empty() ? std::string("all")
                               : fmt::format("{}", fmt::join(s.invariants, " "))) +
         "\n";
  return out;
}

}  // namespace tern::scenarios
