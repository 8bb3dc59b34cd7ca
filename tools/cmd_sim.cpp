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
#include "scenarios/runner.h"
#include "scenarios/scenario_file.h"
#include "scenarios/shrink_run.h"
#include "scenarios/workload.h"
#include "sim/trace/dot_writer.h"
#include "tools/commands.h"
#include "tools/process_tuning.h"
#include "tools/sim_args.h"

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
    "  tern sim run (--suite NAME [--scenario NAME] | --scenario NAME | --scenario-file F ...)\n"
    "               [--seeds A..B | --seeds N | --seed S] [--jobs N] [--shard I/N]\n"
    "               [--time-limit SECONDS] [--junit FILE] [--shrink] [--no-buggify]\n"
    "  tern sim replay (--scenario NAME | --scenario-file F) --seed S [--plan FILE]\n"
    "                  [--trace FILE] [--dot FILE] [--svg FILE] [--shrink] [--shrink-out FILE]\n"
    "                  [--no-buggify]\n"
    "  tern sim determinism --suite NAME [--sample N] [--seeds A..B] [--scenario NAME]\n"
    "  tern sim failover [--seeds A..B] [--kills-per-node K]\n"
    "\n"
    "A seed decides the whole run: cluster knobs, latencies, faults, workload choices. A failing\n"
    "seed prints the command that replays it exactly (same trace hash). A scenario is a text\n"
    "file (scenarios/specs/*.scenario are built in; --scenario-file runs your own).\n";

// How a user names a scenario on the command line: by name if it is built in, else its file.
std::string scenario_flag(const Scenario& s) {
  return scenarios::find_scenario(s.name) == &s ? fmt::format("--scenario {}", s.name)
                                                : fmt::format("--scenario-file {}", s.source);
}

std::string replay_command(const Scenario& s, uint64_t seed) {
  return fmt::format("tern sim replay {} --seed {} --trace {}-{}.trace --svg {}-{}.svg --shrink",
                     scenario_flag(s), seed, s.name, seed, s.name, seed);
}

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

// A scenario file from the command line. Errors are one line naming the file and line.
std::optional<Scenario> load_scenario_file(const std::string& path) {
  std::string text;
  if (!read_file(path, text)) {
    std::fprintf(stderr, "tern sim: cannot read scenario file %s\n", path.c_str());
    return std::nullopt;
  }
  auto s = scenarios::parse_scenario(text, path);
  if (!s.ok()) {
    std::fprintf(stderr, "tern sim: %s\n", s.error().context().c_str());
    return std::nullopt;
  }
  return s.value();
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
  size_t item = 0;  // index in the work list
  bool passed = false;
  uint64_t hash = 0;
  int64_t sim_ns = 0;
  double wall_s = 0;
  uint64_t acks = 0;
  uint64_t crashes_after_ack = 0;
  uint64_t acks_crashed_before_fsync = 0;
  uint64_t triggers_fired = 0;
  bool shuffled = false;
  std::string faults;  // "crash=3,partition=2"
  std::string kind;    // the violated invariant
  std::string failure;

  std::string encode() const {
    std::string f = failure;
    for (char& c : f)
      if (c == '\t' || c == '\n') c = ' ';
    return fmt::format("{}\t{}\t{:016x}\t{}\t{:.6f}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n", item,
                       passed ? 1 : 0, hash, sim_ns, wall_s, acks, crashes_after_ack,
                       acks_crashed_before_fsync, triggers_fired, shuffled ? 1 : 0,
                       faults.empty() ? "-" : faults, kind.empty() ? "-" : kind, f);
  }
  static std::optional<ResultLine> decode(const std::string& line) {
    std::vector<std::string> parts;
    std::stringstream ss(line);
    std::string part;
    while (std::getline(ss, part, '\t')) parts.push_back(part);
    if (parts.size() < 12) return std::nullopt;
    ResultLine r;
    r.item = std::stoull(parts[0]);
    r.passed = parts[1] == "1";
    r.hash = std::stoull(parts[2], nullptr, 16);
    r.sim_ns = std::stoll(parts[3]);
    r.wall_s = std::stod(parts[4]);
    r.acks = std::stoull(parts[5]);
    r.crashes_after_ack = std::stoull(parts[6]);
    r.acks_crashed_before_fsync = std::stoull(parts[7]);
    r.triggers_fired = std::stoull(parts[8]);
    r.shuffled = parts[9] == "1";
    r.faults = parts[10] == "-" ? "" : parts[10];
    r.kind = parts[11] == "-" ? "" : parts[11];
    if (parts.size() > 12) r.failure = parts[12];
    return r;
  }
};

std::string describe_failure(const Outcome& o) {
  if (o.violations.empty()) return "error event: " + o.first_error;
  return fmt::format("{}: {}{}", o.violations[0].invariant, o.violations[0].message,
                     o.violations.size() > 1
                         ? fmt::format(" (+{} more)", o.violations.size() - 1)
                         : "");
}

std::string faults_text(const std::map<std::string, uint64_t>& by_kind) {
  std::string out;
  for (const auto& [k, n] : by_kind) out += fmt::format("{}{}={}", out.empty() ? "" : ",", k, n);
  return out;
}

ResultLine run_one(const Scenario& s, uint64_t seed, size_t item, bool buggify) {
  const auto t0 = std::chrono::steady_clock::now();
  scenarios::RunOptions ro;
  ro.buggify = buggify;
  Outcome o = scenarios::run_scenario(s, seed, ro);
  ResultLine r;
  r.item = item;
  r.passed = o.passed;
  r.hash = o.trace_hash;
  r.sim_ns = o.sim_ns;
  r.acks = o.acks;
  r.crashes_after_ack = o.crashes_after_ack;
  r.acks_crashed_before_fsync = o.acks_crashed_before_fsync;
  r.triggers_fired = o.triggers_fired;
  r.shuffled = o.shuffled;
  r.faults = faults_text(o.faults_applied);
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!o.passed) {
    r.kind = o.failure_kind();
    r.failure = describe_failure(o);
  }
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
  std::printf("\nworkloads (scenario files compose them: workload TYPE key=value ...):\n");
  for (const auto& w : scenarios::all_workloads())
    std::printf("  %-18s %s\n  %-18s options: %s\n", w.name.c_str(), w.summary.c_str(), "",
                w.options_help.c_str());
  std::printf("\nfault kinds (swarm testing turns a random subset on per seed):\n  ");
  for (auto k : faults::swarm_kinds()) std::printf("%s ", std::string(faults::kind_name(k)).c_str());
  std::printf("\n\ninvariants:\n");
  for (const auto& c : scenarios::all_checkers()) std::printf("  %-20s %s\n", c.name, c.summary);
  return 0;
}

// Per-suite totals: how hard the runs tested the system, printed after the sweep.
struct Totals {
  uint64_t runs = 0, failed = 0, acks = 0, crashes_after_ack = 0, acks_crashed_before_fsync = 0;
  uint64_t shuffled = 0, triggers_fired = 0;
  double sim_s = 0, wall_s = 0;
  std::map<std::string, uint64_t> faults;

  void add(const ResultLine& r) {
    ++runs;
    failed += !r.passed;
    acks += r.acks;
    crashes_after_ack += r.crashes_after_ack;
    acks_crashed_before_fsync += r.acks_crashed_before_fsync;
    shuffled += r.shuffled;
    triggers_fired += r.triggers_fired;
    sim_s += static_cast<double>(r.sim_ns) / 1e9;
    wall_s += r.wall_s;
    std::stringstream ss(r.faults);
    std::string item;
    while (std::getline(ss, item, ',')) {
      const size_t eq = item.find('=');
      if (eq != std::string::npos) faults[item.substr(0, eq)] += std::stoull(item.substr(eq + 1));
    }
  }
  void print(const std::string& name) const {
    std::printf("%s: %llu runs, %llu failed; %.0f simulated s in %.1f s of worker time (%.0fx real "
                "time); %llu acknowledged writes, %llu broker crashes after an ack, %llu acks "
                "followed by a crash before their log's next fsync; %llu runs with shuffled ties\n",
                name.c_str(), static_cast<unsigned long long>(runs),
                static_cast<unsigned long long>(failed), sim_s, wall_s,
                wall_s > 0 ? sim_s / wall_s : 0.0, static_cast<unsigned long long>(acks),
                static_cast<unsigned long long>(crashes_after_ack),
                static_cast<unsigned long long>(acks_crashed_before_fsync),
                static_cast<unsigned long long>(shuffled));
    std::string f;
    for (const auto& [k, n] : faults) f += fmt::format(" {}={}", k, n);
    std::printf("  faults applied by kind:%s; %llu of them triggered by an event of the run\n",
                f.empty() ? " none" : f.c_str(), static_cast<unsigned long long>(triggers_fired));
  }
};

// Shrinks a failing run and prints the small plan (written to <scenario>-<seed>.plan).
void shrink_and_print(const Scenario& s, uint64_t seed, bool buggify,
                      const std::string& out_file) {
  scenarios::RunOptions ro;
  ro.buggify = buggify;
  const Outcome o = scenarios::run_scenario(s, seed, ro);
  if (o.passed) {
    std::printf("%s seed %llu passed on replay: nothing to shrink\n", s.name.c_str(),
                static_cast<unsigned long long>(seed));
    return;
  }
  auto parsed = faults::FaultPlan::parse(o.plan_text);
  const size_t before = parsed.ok() ? parsed.value().size() : 0;
  std::printf("shrinking %s seed %llu (%s, %zu faults), keeping the violated invariant...\n",
              s.name.c_str(), static_cast<unsigned long long>(seed), o.failure_kind().c_str(),
              before);
  std::fflush(stdout);
  const auto r = scenarios::shrink_failure(s, seed, o, ro);
  const std::string path = out_file.empty() ? fmt::format("{}-{}.plan", s.name, seed) : out_file;
  const std::string text = r.plan.to_text();
  std::ofstream out(path);
  out << text;
  std::printf("smallest plan that still fails with %s (%zu faults, %llu replays%s):\n%s"
              "written to %s; replay it: tern sim replay %s --seed %llu --plan %s\n",
              r.invariant.c_str(), r.plan.size(), static_cast<unsigned long long>(r.attempts),
              r.exhausted ? ", attempt budget exhausted" : "", text.c_str(), path.c_str(),
              scenario_flag(s).c_str(), static_cast<unsigned long long>(seed), path.c_str());
}

int cmd_run(int argc, char** argv) {
  std::string suite_name, scenario_name, junit;
  std::vector<std::string> scenario_files;
  std::optional<SeedRange> seeds;
  uint64_t jobs = 1, shard_i = 0, shard_n = 1;
  double time_limit_s = 0;
  bool shrink = false, buggify = true;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (a == "--suite" && (v = value())) suite_name = *v;
    else if (a == "--scenario" && (v = value())) scenario_name = *v;
    else if (a == "--scenario-file" && (v = value())) scenario_files.push_back(*v);
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
    else if (a == "--shrink") shrink = true;
    else if (a == "--no-buggify") buggify = false;
    else if (a == "--help" || a == "-h") {
      std::fputs(kHelp, stdout);
      return 0;
    } else return usage_error(fmt::format("unknown or incomplete option '{}'", a));
  }
  if (suite_name.empty() && scenario_name.empty() && scenario_files.empty())
    return usage_error("--suite, --scenario or --scenario-file is required");
  // Scenario files first: their Scenario objects must stay put while pointers to them live.
  std::vector<Scenario> from_files;
  for (const auto& f : scenario_files) {
    auto s = load_scenario_file(f);
    if (!s) return 2;
    from_files.push_back(std::move(*s));
  }
  std::vector<const Scenario*> scenarios_to_run;
  uint64_t default_seeds = 10;
  std::string label = suite_name;
  if (!suite_name.empty()) {
    const auto* suite = scenarios::find_suite(suite_name);
    if (!suite) return usage_error("unknown suite '" + suite_name + "' (tern sim list)");
    default_seeds = suite->default_seeds;
    for (const auto& n : suite->scenarios)
      if (scenario_name.empty() || n == scenario_name)
        scenarios_to_run.push_back(scenarios::find_scenario(n));
    if (scenarios_to_run.empty())
      return usage_error("scenario '" + scenario_name + "' is not in suite " + suite_name);
  } else if (!scenario_name.empty()) {
    const auto* s = scenarios::find_scenario(scenario_name);
    if (!s) return usage_error("unknown scenario '" + scenario_name + "' (tern sim list)");
    scenarios_to_run.push_back(s);
    label = scenario_name;
  }
  for (const auto& s : from_files) {
    scenarios_to_run.push_back(&s);
    if (label.empty()) label = s.name;
  }
  const SeedRange range = seeds.value_or(SeedRange{1, default_seeds});
  // The work list, in a fixed order (seed-major); shards take every n-th item.
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
              work.size(), label.c_str(), static_cast<unsigned long long>(range.first),
              static_cast<unsigned long long>(range.last),
              static_cast<unsigned long long>(shard_i), static_cast<unsigned long long>(shard_n),
              static_cast<unsigned long long>(jobs));
  std::fflush(stdout);

  // Workers are processes: a crash (an assertion) in one seed cannot take the sweep down,
  // and each seed still runs in one single-threaded world.
  std::vector<ResultLine> results;
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
        std::string line = run_one(*work[i].first, work[i].second, i, buggify).encode();
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
    const auto& [sc, seed] = work[r.item];
    if (tty) {
      std::printf("\r\033[K[%zu/%zu] %zu failed  %.1fs", done, work.size(), failed, elapsed());
      if (!r.passed) std::printf("\n");
    } else if (!r.passed || done % 50 == 0 || done == work.size()) {
      std::printf("[%zu/%zu] %zu failed, %.1fs\n", done, work.size(), failed, elapsed());
    }
    if (!r.passed)
      std::printf("FAIL %s seed=%llu hash=%016llx: %s\n  replay: %s\n", sc->name.c_str(),
                  static_cast<unsigned long long>(seed), static_cast<unsigned long long>(r.hash),
                  r.failure.c_str(), replay_command(*sc, seed).c_str());
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
        ResultLine r;
        r.item = workers[i].items[workers[i].reported];
        r.kind = "crash";
        r.failure = WIFSIGNALED(status)
                        ? fmt::format("the run crashed (signal {}): see stderr above",
                                      WTERMSIG(status))
                        : "the run exited abnormally";
        report(r);
      }
    }
  }
  if (tty) std::printf("\n");
  // Per suite (here: per scenario, and all together).
  std::printf("\n");
  std::map<std::string, Totals> per_scenario;
  Totals all;
  for (const auto& r : results) {
    per_scenario[work[r.item].first->name].add(r);
    all.add(r);
  }
  for (const auto& [name, t] : per_scenario) t.print(name);
  all.print(label.empty() ? "all" : label);
  std::printf("%.1f seeds/s wall\n",
              elapsed() > 0 ? static_cast<double>(results.size()) / elapsed() : 0.0);
  const size_t skipped = work.size() - results.size();
  if (!junit.empty()) {
    std::ofstream out(junit);
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    out << fmt::format("<testsuite name=\"tern-sim-{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" "
                       "time=\"{:.3f}\">\n",
                       xml_escape(label), work.size(), failed, skipped, elapsed());
    for (const auto& r : results) {
      const auto& [sc, seed] = work[r.item];
      out << fmt::format("  <testcase classname=\"{}\" name=\"seed-{}\" time=\"{:.3f}\">",
                         xml_escape(sc->name), seed, r.wall_s);
      if (!r.passed)
        out << fmt::format("<failure message=\"{}\">replay: {}</failure>", xml_escape(r.failure),
                           xml_escape(replay_command(*sc, seed)));
      out << "</testcase>\n";
    }
    out << "</testsuite>\n";
    if (!out) return usage_error("cannot write " + junit);
  }
  if (shrink) {
    std::vector<ResultLine> fails;
    for (const auto& r : results)
      if (!r.passed) fails.push_back(r);
    std::sort(fails.begin(), fails.end(),
              [](const ResultLine& a, const ResultLine& b) { return a.item < b.item; });
    for (const auto& r : fails) {
      const auto& [sc, seed] = work[r.item];
      shrink_and_print(*sc, seed, buggify, "");
    }
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
  std::string scenario_name, scenario_file, plan_file, trace_file, dot_file, svg_file,
      shrink_out;
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
    else if (a == "--scenario-file" && (v = value())) scenario_file = *v;
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
  if ((scenario_name.empty() == scenario_file.empty()) || !seed)
    return usage_error("replay needs --seed and one of --scenario or --scenario-file");
  std::optional<Scenario> loaded;
  const Scenario* s = nullptr;
  if (!scenario_file.empty()) {
    loaded = load_scenario_file(scenario_file);
    if (!loaded) return 2;
    s = &*loaded;
  } else {
    s = scenarios::find_scenario(scenario_name);
    if (!s) return usage_error("unknown scenario '" + scenario_name + "' (tern sim list)");
  }
  scenarios::RunOptions opts;
  opts.buggify = buggify;
  if (!plan_file.empty()) {
    std::string text;
    if (!read_file(plan_file, text)) return usage_error("cannot read plan file " + plan_file);
    auto plan = faults::FaultPlan::parse(text);
    if (!plan.ok()) {
      std::fprintf(stderr, "tern sim: %s: %s\n", plan_file.c_str(),
                   plan.error().message().c_str());
      return 2;
    }
    if (auto reshaped = scenarios::apply_plan_settings(*s, plan.value()); !reshaped.ok()) {
      std::fprintf(stderr, "tern sim: %s: %s\n", plan_file.c_str(),
                   reshaped.error().context().c_str());
      return 2;
    }
    opts.plan = plan.value();
  }
  opts.keep_trace = !trace_file.empty() || !dot_file.empty() || !svg_file.empty();
  Outcome o = scenarios::run_scenario(*s, *seed, opts);
  if (!o.violations.empty() && o.violations[0].invariant == "plan") {
    std::fprintf(stderr, "tern sim: %s: %s\n", plan_file.c_str(), o.violations[0].message.c_str());
    return 2;
  }
  std::printf("scenario %s seed %llu: %s\ntrace hash %016llx (%llu events), %.3f simulated s, "
              "%llu sends, %llu acks, %llu polls, %llu failed sends\n",
              s->name.c_str(), static_cast<unsigned long long>(*seed),
              o.passed ? "PASSED" : "FAILED", static_cast<unsigned long long>(o.trace_hash),
              static_cast<unsigned long long>(o.trace_events), static_cast<double>(o.sim_ns) / 1e9,
              static_cast<unsigned long long>(o.sends), static_cast<unsigned long long>(o.acks),
              static_cast<unsigned long long>(o.polls),
              static_cast<unsigned long long>(o.failures));
  std::printf("faults applied: %s (%llu triggered by an event, %llu triggers never fired); %llu "
              "broker crashes after an ack, %llu acks followed by a crash before their log's "
              "next fsync; scheduler: %s\n",
              o.faults_applied.empty() ? "none" : faults_text(o.faults_applied).c_str(),
              static_cast<unsigned long long>(o.triggers_fired),
              static_cast<unsigned long long>(o.triggers_expired),
              static_cast<unsigned long long>(o.crashes_after_ack),
              static_cast<unsigned long long>(o.acks_crashed_before_fsync),
              o.shuffled ? "ties shuffled by the seed" : "FIFO");
  if (!o.knobs.empty()) {
    std::printf("knobs the seed drew:\n");
    for (const auto& k : o.knobs) std::printf("  %s\n", k.c_str());
  }
  for (const auto& v : o.violations)
    std::printf("  VIOLATED %s at %.3fs: %s\n", v.invariant.c_str(),
                static_cast<double>(v.time_ns) / 1e9, v.message.c_str());
  if (!o.first_error.empty()) std::printf("  first error event: %s\n", o.first_error.c_str());
  if (!o.swarm_text.empty()) std::printf("%s", o.swarm_text.c_str());
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
    std::printf("shrinking (keeping the violated invariant %s)...\n", o.failure_kind().c_str());
    std::fflush(stdout);
    const auto r = scenarios::shrink_failure(*s, *seed, o, opts);
    const std::string out_path =
        shrink_out.empty() ? fmt::format("{}-{}.plan", s->name, *seed) : shrink_out;
    const std::string text = r.plan.to_text();
    if (!write_file(out_path, text)) return usage_error("cannot write " + out_path);
    std::printf("smallest plan that still fails with %s (%zu faults, %llu replays%s):\n%s"
                "written to %s; replay it: tern sim replay %s --seed %llu --plan %s\n",
                r.invariant.c_str(), r.plan.size(), static_cast<unsigned long long>(r.attempts),
                r.exhausted ? ", attempt budget exhausted" : "", text.c_str(), out_path.c_str(),
                scenario_flag(*s).c_str(), static_cast<unsigned long long>(*seed),
                out_path.c_str());
  } else if (shrink) {
    std::printf("the run passed: nothing to shrink\n");
  }
  return o.passed ? 0 : 1;
}

}  // namespace

int cmd_sim_determinism(int argc, char** argv);  // cmd_sim_determinism.cpp
int cmd_sim_failover(int argc, char** argv);     // cmd_sim_failover.cpp

int cmd_sim(int argc, char** argv) {
  tune_allocator_for_large_buffers();
  if (argc < 2) return usage_error("missing subcommand: list, run or replay");
  const std::string_view sub = argv[1];
  if (sub == "list") return cmd_list();
  if (sub == "run") return cmd_run(argc - 1, argv + 1);
  if (sub == "replay") return cmd_replay(argc - 1, argv + 1);
  if (sub == "determinism") return cmd_sim_determinism(argc - 1, argv + 1);
  if (sub == "failover") return cmd_sim_failover(argc - 1, argv + 1);
  if (sub == "--help" || sub == "-h" || sub == "help") {
    std::fputs(kHelp, stdout);
    return 0;
  }
  return usage_error("unknown subcommand '" + std::string(sub) + "'");
}

}  // namespace tern::tools
