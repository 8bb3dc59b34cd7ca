// `tern sim list | run | replay`: seeded simulation suites, replay of one seed with its trace
// and picture, and shrinking of a failing seed's fault plan.
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "faults/fault.h"
#include "faults/shrink.h"
#include "scenarios/runner.h"
#include "sim/trace/dot_writer.h"
#include "tools/commands.h"

namespace tern::tools {

namespace {

using scenarios::Outcome;
using scenarios::Scenario;

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "tern sim: %s (see tern sim --help)\n", msg.c_str());
  return 2;
}

constexpr const char* kHelp =
    "usage:\n"
    "  tern sim list\n"
    "  tern sim run --suite NAME [--scenario NAME] [--seeds A..B | --seeds N | --seed S]\n"
    "               [--jobs N] [--shard I/N] [--time-limit SECONDS] [--junit FILE]\n"
    "  tern sim replay --scenario NAME --seed S [--plan FILE] [--trace FILE] [--dot FILE]\n"
    "                  [--svg FILE] [--shrink] [--shrink-out FILE] [--no-buggify]\n"
    "\n"
    "A seed decides the whole run: latencies, faults, workload choices. A failing seed prints\n"
    "the command that replays it exactly (same trace hash).\n";

std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

struct SeedRange {
  uint64_t first = 1, last = 0;  // inclusive; empty when last < first
};

std::optional<SeedRange> parse_seeds(std::string_view s) {
  const size_t dots = s.find("..");
  if (dots == std::string_view::npos) {
    auto n = parse_u64(s);
    if (!n || *n == 0) return std::nullopt;
    return SeedRange{1, *n};
  }
  auto a = parse_u64(s.substr(0, dots));
  auto b = parse_u64(s.substr(dots + 2));
  if (!a || !b || *b < *a) return std::nullopt;
  return SeedRange{*a, *b};
}

std::string replay_command(const std::string& scenario, uint64_t seed) {
  return fmt::format("tern sim replay --scenario {} --seed {} --trace {}-{}.trace --svg {}-{}.svg "
                     "--shrink",
                     scenario, seed, scenario, seed, scenario, seed);
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// One result line between a worker and the parent: tab-separated, violation text last.
struct ResultLine {
  std::string scenario;
  uint64_t seed = 0;
  bool passed = false;
  uint64_t hash = 0;
  int64_t sim_ns = 0;
  double wall_s = 0;
  uint64_t acks = 0;
  std::string failure;

  std::string encode() const {
    std::string f = failure;
    for (char& c : f)
      if (c == '\t' || c == '\n') c = ' ';
    return fmt::format("{}\t{}\t{}\t{:016x}\t{}\t{:.6f}\t{}\t{}\n", scenario, seed, passed ? 1 : 0,
                       hash, sim_ns, wall_s, acks, f);
  }
  static std::optional<ResultLine> decode(const std::string& line) {
    std::vector<std::string> parts;
    std::stringstream ss(line);
    std::string part;
    while (std::getline(ss, part, '\t')) parts.push_back(part);
    if (parts.size() < 7) return std::nullopt;
    ResultLine r;
    r.scenario = parts[0];
    r.seed = std::stoull(parts[1]);
    r.passed = parts[2] == "1";
    r.hash = std::stoull(parts[3], nullptr, 16);
    r.sim_ns = std::stoll(parts[4]);
    r.wall_s = std::stod(parts[5]);
    r.acks = std::stoull(parts[6]);
    if (parts.size() > 7) r.failure = parts[7];
    return r;
  }
};

ResultLine run_one(const Scenario& s, uint64_t seed) {
  const auto t0 = std::chrono::steady_clock::now();
  Outcome o = scenarios::run_scenario(s, seed);
  ResultLine r;
  r.scenario = s.name;
  r.seed = seed;
  r.passed = o.passed;
  r.hash = o.trace_hash;
  r.sim_ns = o.sim_ns;
  r.acks = o.acks;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!o.passed)
    r.failure = o.violations.empty()
                    ? "error event: " + o.first_error
                    : fmt::format("{}: {}{}", o.violations[0].invariant, o.violations[0].message,
                                  o.violations.size() > 1
                                      ? fmt::format(" (+{} more)", o.violations.size() - 1)
                                      : "");
  return r;
}

int cmd_list() {
  std::printf("suites:\n");
  for (const auto& s : scenarios::all_suites())
    std::printf("  %-10s %3llu seeds x %zu scenarios  %s\n", s.name.c_str(),
                static_cast<unsigned long long>(s.default_seeds), s.scenarios.size(),
                s.summary.c_str());
  std::printf("\nscenarios:\n");
  for (const auto& s : scenarios::all_scenarios())
    std::printf("  %-28s %s\n", s.name.c_str(), s.summary.c_str());
  std::printf("\nfault kinds (swarm testing turns a random subset on per seed):\n  ");
  for (auto k : faults::swarm_kinds()) std::printf("%s ", std::string(faults::kind_name(k)).c_str());
  std::printf("\n\ninvariants:\n");
  for (const auto& c : scenarios::all_checkers()) std::printf("  %-20s %s\n", c.name, c.summary);
  return 0;
}

int cmd_run(int argc, char** argv) {
  std::string suite_name, scenario_name, junit;
  std::optional<SeedRange> seeds;
  uint64_t jobs = 1, shard_i = 0, shard_n = 1;
  double time_limit_s = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (a == "--suite" && (v = value())) suite_name = *v;
    else if (a == "--scenario" && (v = value())) scenario_name = *v;
    else if (a == "--seeds" && (v = value())) {
      seeds = parse_seeds(*v);
      if (!seeds) return usage_error("--seeds takes N or A..B (A <= B), got '" + *v + "'");
    } else if (a == "--seed" && (v = value())) {
      auto s = parse_u64(*v);
      if (!s) return usage_error("--seed takes a number, got '" + *v + "'");
      seeds = SeedRange{*s, *s};
    } else if (a == "--jobs" && (v = value())) {
      auto j = parse_u64(*v);
      if (!j || *j == 0 || *j > 256) return usage_error("--jobs takes 1..256, got '" + *v + "'");
      jobs = *j;
    } else if (a == "--shard" && (v = value())) {
      const size_t slash = v->find('/');
      auto si = slash == std::string::npos ? std::nullopt : parse_u64(v->substr(0, slash));
      auto sn = slash == std::string::npos ? std::nullopt : parse_u64(v->substr(slash + 1));
      if (!si || !sn || *sn == 0 || *si >= *sn)
        return usage_error("--shard takes I/N with 0 <= I < N, got '" + *v + "'");
      shard_i = *si;
      shard_n = *sn;
    } else if (a == "--time-limit" && (v = value())) {
      char* end = nullptr;
      time_limit_s = std::strtod(v->c_str(), &end);
      if (end == v->c_str() || *end != 0 || time_limit_s <= 0)
        return usage_error("--time-limit takes seconds > 0, got '" + *v + "'");
    } else if (a == "--junit" && (v = value())) junit = *v;
    else if (a == "--help" || a == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    } else return usage_error(fmt::format("unknown or incomplete option '{}'", a));
  }
  if (suite_name.empty() && scenario_name.empty()) return usage_error("--suite is required");
  std::vector<const Scenario*> scenarios_to_run;
  uint64_t default_seeds = 10;
  if (!suite_name.empty()) {
    const auto* suite = scenarios::find_suite(suite_name);
    if (!suite) return usage_error("unknown suite '" + suite_name + "' (tern sim list)");
    default_seeds = suite->default_seeds;
    for (const auto& n : suite->scenarios)
      if (scenario_name.empty() || n == scenario_name)
        scenarios_to_run.push_back(scenarios::find_scenario(n));
    if (scenarios_to_run.empty())
      return usage_error("scenario '" + scenario_name + "' is not in suite " + suite_name);
  } else {
    const auto* s = scenarios::find_scenario(scenario_name);
    if (!s) return usage_error("unknown scenario '" + scenario_name + "' (tern sim list)");
    scenarios_to_run.push_back(s);
  }
  const SeedRange range = seeds.value_or(SeedRange{1, default_seeds});
  // The work list, in a fixed order; shards take every n-th item.
  std::vector<std::pair<const Scenario*, uint64_t>> work;
  uint64_t k = 0;
  for (uint64_t seed = range.first; seed <= range.last; ++seed)
    for (const auto* s : scenarios_to_run)
      if (k++ % shard_n == shard_i) work.push_back({s, seed});

  const bool tty = ::isatty(STDOUT_FILENO) && std::getenv("CI") == nullptr;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  std::printf("tern sim: %zu runs (%s, seeds %llu..%llu, shard %llu/%llu) on %llu jobs\n",
              work.size(), suite_name.empty() ? scenario_name.c_str() : suite_name.c_str(),
              static_cast<unsigned long long>(range.first),
              static_cast<unsigned long long>(range.last),
              static_cast<unsigned long long>(shard_i), static_cast<unsigned long long>(shard_n),
              static_cast<unsigned long long>(jobs));
  std::fflush(stdout);

  // Workers are processes: a crash (an assertion) in one seed cannot take the sweep down,
  // and each seed still runs in one single-threaded world.
  std::vector<ResultLine> results;
  std::vector<std::pair<std::string, uint64_t>> crashed;
  struct Worker {
    pid_t pid;
    int fd;
    std::string buf;
    std::vector<size_t> items;
    size_t reported = 0;
  };
  std::vector<Worker> workers;
  for (uint64_t j = 0; j < std::min<uint64_t>(jobs, std::max<size_t>(work.size(), 1)); ++j) {
    int p[2];
    if (::pipe(p) != 0) return usage_error("pipe failed");
    Worker w{0, p[0], {}, {}, 0};
    for (size_t i = j; i < work.size(); i += jobs) w.items.push_back(i);
    std::fflush(stdout);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(p[0]);
      for (size_t i : w.items) {
        if (time_limit_s > 0 && elapsed() > time_limit_s) break;
        std::string line = run_one(*work[i].first, work[i].second).encode();
        if (::write(p[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(3);
      }
      _exit(0);
    }
    ::close(p[1]);
    w.pid = pid;
    workers.push_back(std::move(w));
  }
  size_t done = 0, failed = 0;
  auto report = [&](const ResultLine& r) {
    ++done;
    if (!r.passed) ++failed;
    if (tty) {
      std::printf("\r\033[K[%zu/%zu] %zu failed  %.1fs", done, work.size(), failed, elapsed());
      if (!r.passed) std::printf("\n");
    } else if (!r.passed || done % 50 == 0 || done == work.size()) {
      std::printf("[%zu/%zu] %zu failed, %.1fs\n", done, work.size(), failed, elapsed());
    }
    if (!r.passed)
      std::printf("FAIL %s seed=%llu hash=%016llx: %s\n  replay: %s\n", r.scenario.c_str(),
                  static_cast<unsigned long long>(r.seed), static_cast<unsigned long long>(r.hash),
                  r.failure.c_str(), replay_command(r.scenario, r.seed).c_str());
    std::fflush(stdout);
    results.push_back(r);
  };
  size_t open = workers.size();
  while (open > 0) {
    std::vector<pollfd> fds;
    for (auto& w : workers) fds.push_back({w.fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) continue;
    for (size_t i = 0; i < workers.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP)) || workers[i].fd < 0) continue;
      char buf[4096];
      const ssize_t n = ::read(workers[i].fd, buf, sizeof buf);
      if (n > 0) {
        workers[i].buf.append(buf, static_cast<size_t>(n));
        size_t nl;
        while ((nl = workers[i].buf.find('\n')) != std::string::npos) {
          auto r = ResultLine::decode(workers[i].buf.substr(0, nl));
          workers[i].buf.erase(0, nl + 1);
          if (r) {
            ++workers[i].reported;
            report(*r);
          }
        }
        continue;
      }
      ::close(workers[i].fd);
      workers[i].fd = -1;
      --open;
      int status = 0;
      ::waitpid(workers[i].pid, &status, 0);
      // A worker that died mid-seed (an assertion, a crash): that seed failed.
      if (workers[i].reported < workers[i].items.size() &&
          !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
        const auto& [s, seed] = work[workers[i].items[workers[i].reported]];
        ResultLine r;
        r.scenario = s->name;
        r.seed = seed;
        r.failure = WIFSIGNALED(status)
                        ? fmt::format("the run crashed (signal {}): see stderr above",
                                      WTERMSIG(status))
                        : "the run exited abnormally";
        report(r);
      }
    }
  }
  if (tty) std::printf("\n");
  double sim_s = 0, wall_s = 0;
  uint64_t acks = 0;
  for (const auto& r : results) {
    sim_s += static_cast<double>(r.sim_ns) / 1e9;
    wall_s += r.wall_s;
    acks += r.acks;
  }
  const size_t skipped = work.size() - results.size();
  std::printf("\nsimulated %.0f s in %.1f s of worker time (%.0fx real time), %.1f seeds/s wall, "
              "%llu acknowledged writes checked\n",
              sim_s, wall_s, wall_s > 0 ? sim_s / wall_s : 0.0,
              elapsed() > 0 ? static_cast<double>(results.size()) / elapsed() : 0.0,
              static_cast<unsigned long long>(acks));
  if (!junit.empty()) {
    std::ofstream out(junit);
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << fmt::format("<testsuite name=\"tern-sim-{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" "
                       "time=\"{:.3f}\">\n",
                       xml_escape(suite_name.empty() ? scenario_name : suite_name), work.size(),
                       failed, skipped, elapsed());
    for (const auto& r : results) {
      out << fmt::format("  <testcase classname=\"{}\" name=\"seed-{}\" time=\"{:.3f}\">",
                         xml_escape(r.scenario), r.seed, r.wall_s);
      if (!r.passed)
        out << fmt::format("<failure message=\"{}\">replay: {}</failure>", xml_escape(r.failure),
                           xml_escape(replay_command(r.scenario, r.seed)));
      out << "</testcase>\n";
    }
    out << "</testsuite>\n";
    if (!out) return usage_error("cannot write " + junit);
  }
  std::printf("%zu passed, %zu failed%s\n", results.size() - failed, failed,
              skipped ? fmt::format(", {} skipped", skipped).c_str() : "");
  return failed == 0 && skipped == 0 ? 0 : 1;
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

int cmd_replay(int argc, char** argv) {
  std::string scenario_name, plan_file, trace_file, dot_file, svg_file, shrink_out;
  std::optional<uint64_t> seed;
  bool shrink = false, buggify = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (a == "--scenario" && (v = value())) scenario_name = *v;
    else if (a == "--seed" && (v = value())) {
      seed = parse_u64(*v);
      if (!seed) return usage_error("--seed takes a number, got '" + *v + "'");
    } else if (a == "--plan" && (v = value())) plan_file = *v;
    else if (a == "--trace" && (v = value())) trace_file = *v;
    else if (a == "--dot" && (v = value())) dot_file = *v;
    else if (a == "--svg" && (v = value())) svg_file = *v;
    else if (a == "--shrink-out" && (v = value())) shrink_out = *v;
    else if (a == "--shrink") shrink = true;
    else if (a == "--no-buggify") buggify = false;
    else if (a == "--help" || a == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    } else return usage_error(fmt::format("unknown or incomplete option '{}'", a));
  }
  if (scenario_name.empty() || !seed) return usage_error("replay needs --scenario and --seed");
  const Scenario* s = scenarios::find_scenario(scenario_name);
  if (!s) return usage_error("unknown scenario '" + scenario_name + "' (tern sim list)");
  scenarios::RunOptions opts;
  opts.buggify = buggify;
  if (!plan_file.empty()) {
    std::ifstream in(plan_file);
    if (!in) return usage_error("cannot read plan file " + plan_file);
    std::stringstream ss;
    ss << in.rdbuf();
    auto plan = faults::FaultPlan::parse(ss.str());
    if (!plan.ok()) {
      std::fprintf(stderr, "tern sim: %s: %s\n", plan_file.c_str(),
                   plan.error().message().c_str());
      return 2;
    }
    opts.plan = plan.value();
  }
  opts.keep_trace = !trace_file.empty() || !dot_file.empty() || !svg_file.empty();
  Outcome o = scenarios::run_scenario(*s, *seed, opts);
  std::printf("scenario %s seed %llu: %s\ntrace hash %016llx (%llu events), %.3f simulated s, "
              "%llu sends, %llu acks, %llu polls\n",
              s->name.c_str(), static_cast<unsigned long long>(*seed),
              o.passed ? "PASSED" : "FAILED", static_cast<unsigned long long>(o.trace_hash),
              static_cast<unsigned long long>(o.trace_events), static_cast<double>(o.sim_ns) / 1e9,
              static_cast<unsigned long long>(o.sends), static_cast<unsigned long long>(o.acks),
              static_cast<unsigned long long>(o.polls));
  for (const auto& v : o.violations)
    std::printf("  VIOLATED %s at %.3fs: %s\n", v.invariant.c_str(),
                static_cast<double>(v.time_ns) / 1e9, v.message.c_str());
  if (!o.first_error.empty()) std::printf("  first error event: %s\n", o.first_error.c_str());
  std::printf("fault plan:\n%s", o.plan_text.c_str());
  if (!trace_file.empty()) {
    std::string text;
    for (const auto& e : o.trace) text += e.to_line() + "\n";
    if (!write_file(trace_file, text)) return usage_error("cannot write " + trace_file);
    std::printf("trace: %s\n", trace_file.c_str());
  }
  if (!dot_file.empty() || !svg_file.empty()) {
    DotOptions dopts;
    dopts.title = fmt::format("{} seed {} ({})", s->name, *seed, o.passed ? "passed" : "FAILED");
    for (const auto& v : o.violations) dopts.violations.push_back(v.invariant + ": " + v.message);
    const std::string dot = render_dot(o.trace, dopts);
    const std::string dot_path = dot_file.empty() ? svg_file + ".dot" : dot_file;
    if (!write_file(dot_path, dot)) return usage_error("cannot write " + dot_path);
    if (!dot_file.empty()) std::printf("dot: %s\n", dot_file.c_str());
    if (!svg_file.empty()) {
      const std::string cmd = fmt::format("dot -Tsvg -o '{}' '{}'", svg_file, dot_path);
      if (std::system(cmd.c_str()) != 0) {
        std::fprintf(stderr, "tern sim: graphviz 'dot' failed (is graphviz installed?)\n");
        return 1;
      }
      if (dot_file.empty()) std::remove(dot_path.c_str());
      std::printf("svg: %s\n", svg_file.c_str());
    }
  }
  if (shrink && !o.passed) {
    auto parsed = faults::FaultPlan::parse(o.plan_text);
    if (!parsed.ok()) return usage_error("internal: plan does not parse back");
    std::printf("shrinking the fault plan (%zu faults)...\n", parsed.value().size());
    auto result = faults::shrink(parsed.value(), [&](const faults::FaultPlan& candidate) {
      scenarios::RunOptions ro;
      ro.plan = candidate;
      ro.buggify = buggify;
      return !scenarios::run_scenario(*s, *seed, ro).passed;
    });
    const std::string out_path =
        shrink_out.empty() ? fmt::format("{}-{}.plan", s->name, *seed) : shrink_out;
    const std::string text = result.plan.to_text();
    if (!write_file(out_path, text)) return usage_error("cannot write " + out_path);
    std::printf("smallest failing plan (%zu faults, %llu replays%s):\n%s"
                "written to %s; replay it: tern sim replay --scenario %s --seed %llu --plan %s\n",
                result.plan.size(), static_cast<unsigned long long>(result.attempts),
                result.exhausted ? ", attempt budget exhausted" : "", text.c_str(),
                out_path.c_str(), s->name.c_str(), static_cast<unsigned long long>(*seed),
                out_path.c_str());
  } else if (shrink) {
    std::printf("the run passed: nothing to shrink\n");
  }
  return o.passed ? 0 : 1;
}

}  // namespace

int cmd_sim_determinism(int argc, char** argv);  // cmd_sim_determinism.cpp

int cmd_sim(int argc, char** argv) {
  if (argc < 2) return usage_error("missing subcommand: list, run or replay");
  const std::string_view sub = argv[1];
  if (sub == "list") return cmd_list();
  if (sub == "run") return cmd_run(argc - 1, argv + 1);
  if (sub == "replay") return cmd_replay(argc - 1, argv + 1);
  if (sub == "determinism") return cmd_sim_determinism(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  return usage_error("unknown subcommand '" + std::string(sub) + "'");
}

}  // namespace tern::tools
