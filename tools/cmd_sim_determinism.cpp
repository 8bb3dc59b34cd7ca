// `tern sim determinism`: the guard that a seed means one run. A deterministic sample of a
// suite's (scenario, seed) runs goes through two separate child processes, the second in the
// reverse order of the first, and every run's trace hash must agree. Two processes catch what
// depends on the address space (pointer values, allocator layout, hash seeds); the reversed
// order catches state that leaks from one run into the next (statics, caches, counters).
// On a mismatch the seed is replayed in two fresh processes with the whole trace kept, and
// the first event where they differ is printed.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "scenarios/runner.h"
#include "scenarios/scenario.h"
#include "tools/sim_args.h"

namespace tern::tools {

namespace {

constexpr const char* kUsage =
    "usage: tern sim determinism --suite NAME [--sample N] [--seeds A..B] [--scenario NAME]\n"
    "\n"
    "Runs a sample of the suite's (scenario, seed) runs (default 12, spread evenly over the\n"
    "suite's default seeds) in two child processes, the second in reverse order, and compares\n"
    "their trace hashes. On a mismatch it replays the seed in two fresh processes and prints\n"
    "the first diverging trace event. Exit status: 0 identical, 1 diverged, 2 usage error.\n";

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "tern sim determinism: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

struct Run {
  std::string name;  // as the suite names it
  const scenarios::Scenario* scenario;
  uint64_t seed;
};

std::string run_name(const Run& r) { return fmt::format("{} seed {}", r.name, r.seed); }

// Everything a child writes, read to the end; then its exit status.
struct ChildOutput {
  std::string text;
  bool clean_exit = false;
  std::string how;  // how it ended, when not cleanly
};

// Forks a child that runs `body(fd)` and exits 0. The caller collects it with finish_child.
struct Child {
  pid_t pid = -1;
  int fd = -1;
};

template <typename Body>
std::optional<Child> start_child(Body body) {
  int p[2];
  if (::pipe(p) != 0) return std::nullopt;
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(p[0]);
    ::close(p[1]);
    return std::nullopt;
  }
  if (pid == 0) {
    ::close(p[0]);
    FILE* out = ::fdopen(p[1], "w");
    if (out == nullptr) _exit(3);
    body(out);
    if (std::fclose(out) != 0) _exit(3);
    _exit(0);
  }
  ::close(p[1]);
  return Child{pid, p[0]};
}

ChildOutput finish_child(const Child& c) {
  ChildOutput out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(c.fd, buf, sizeof buf);
    if (n > 0) out.text.append(buf, static_cast<size_t>(n));
    else if (n == 0) break;
    else if (errno != EINTR) break;
  }
  ::close(c.fd);
  int status = 0;
  while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
  }
  out.clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (WIFSIGNALED(status)) out.how = fmt::format("killed by signal {}", WTERMSIG(status));
  else if (!out.clean_exit) out.how = fmt::format("exited with status {}", WEXITSTATUS(status));
  return out;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Runs the sample in the given order; writes "index hash" lines. The parent maps them back.
void run_sample(FILE* out, const std::vector<Run>& sample, bool reverse) {
  for (size_t k = 0; k < sample.size(); ++k) {
    const size_t i = reverse ? sample.size() - 1 - k : k;
    const auto o = scenarios::run_scenario(*sample[i].scenario, sample[i].seed);
    std::fprintf(out, "%zu %016llx\n", i, static_cast<unsigned long long>(o.trace_hash));
    std::fflush(out);  // a later crash still leaves the finished runs with the parent
  }
}

// The hashes a child reported, by sample index (nullopt where it reported none).
std::vector<std::optional<uint64_t>> parse_hashes(const std::string& text, size_t n) {
  std::vector<std::optional<uint64_t>> hashes(n);
  for (const auto& line : split_lines(text)) {
    unsigned long long i = 0, h = 0;
    if (std::sscanf(line.c_str(), "%llu %llx", &i, &h) == 2 && i < n) hashes[i] = h;
  }
  return hashes;
}

// Replays one run in two fresh processes with the whole trace, and prints the first event
// where they differ (or that they agree, which points at state left by earlier runs).
void explain_divergence(const Run& run) {
  std::printf("replaying %s in two fresh processes with the full trace...\n",
              run_name(run).c_str());
  std::vector<std::string> traces[2];
  for (auto& lines : traces) {
    auto child = start_child([&](FILE* out) {
      scenarios::RunOptions o;
      o.keep_trace = true;
      const auto outcome = scenarios::run_scenario(*run.scenario, run.seed, o);
      for (const auto& e : outcome.trace) {
        const std::string line = e.to_line();
        std::fwrite(line.data(), 1, line.size(), out);
        std::fputc('\n', out);
      }
    });
    if (!child) {
      std::printf("  cannot start a replay process\n");
      return;
    }
    // One at a time: two whole traces in flight at once would double the memory for nothing.
    ChildOutput co = finish_child(*child);
    if (!co.clean_exit) std::printf("  a replay process %s\n", co.how.c_str());
    lines = split_lines(co.text);
  }
  const auto& a = traces[0];
  const auto& b = traces[1];
  const size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) {
      std::printf("  first divergence at event %zu:\n    %s\n    %s\n", i, a[i].c_str(),
                  b[i].c_str());
      return;
    }
  if (a.size() != b.size()) {
    std::printf("  one trace is longer: %zu vs %zu events; the longer one goes on with:\n    %s\n",
                a.size(), b.size(), (a.size() > b.size() ? a[n] : b[n]).c_str());
    return;
  }
  std::printf("  the two fresh replays agree (%zu events): the difference came from state an\n"
              "  earlier run left in the process (run order), or from outside the trace\n",
              a.size());
}

}  // namespace

int cmd_sim_determinism(int argc, char** argv) {
  std::string suite_name, scenario_name;
  std::optional<uint64_t> seed_first, seed_last;
  uint64_t sample_n = 12;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    std::optional<std::string> v;
    if (a == "--suite" && (v = value())) suite_name = *v;
    else if (a == "--scenario" && (v = value())) scenario_name = *v;
    else if (a == "--sample" && (v = value())) {
      auto n = parse_u64(*v);
      if (!n || *n == 0) return usage_error("--sample takes a number > 0, got '" + *v + "'");
      sample_n = *n;
    } else if (a == "--seeds" && (v = value())) {
      auto range = parse_seeds(*v);
      if (!range) return usage_error("--seeds takes N or A..B (A <= B), got '" + *v + "'");
      seed_first = range->first;
      seed_last = range->last;
    } else if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else return usage_error(fmt::format("unknown or incomplete option '{}'", a));
  }
  if (suite_name.empty()) return usage_error("--suite is required");
  const auto* suite = scenarios::find_suite(suite_name);
  if (!suite) return usage_error("unknown suite '" + suite_name + "' (tern sim list)");
  std::vector<std::pair<std::string, const scenarios::Scenario*>> scs;
  for (const auto& name : suite->scenarios)
    if (scenario_name.empty() || name == scenario_name) {
      const auto* sc = scenarios::find_scenario(name);
      if (!sc) return usage_error("suite " + suite_name + " names unknown scenario " + name);
      scs.push_back({name, sc});
    }
  if (scs.empty())
    return usage_error("scenario '" + scenario_name + "' is not in suite " + suite_name);
  const uint64_t first = seed_first.value_or(1);
  const uint64_t last = seed_last.value_or(suite->default_seeds);
  if (last < first) return usage_error("the suite has no default seeds; give --seeds A..B");

  // The k-th run takes the suite's scenarios in turn and the middle seed of the k-th of n
  // equal slices of the range: every scenario and the whole range are covered, and the
  // sample is the same every time (a guard that drew its sample would not be repeatable).
  const uint64_t seeds = last - first + 1;
  const uint64_t total = seeds * scs.size();
  const uint64_t n = std::min(sample_n, total);
  std::vector<Run> sample;
  for (uint64_t k = 0; k < n; ++k) {
    const auto slice = static_cast<uint64_t>(
        (static_cast<unsigned __int128>(2 * k + 1) * seeds) / (2 * n));
    const auto& [name, sc] = scs[k % scs.size()];
    sample.push_back({name, sc, first + slice});
  }
  std::printf("tern sim determinism: %llu of %llu runs (%s, seeds %llu..%llu), in 2 processes "
              "(forward, reverse):\n",
              static_cast<unsigned long long>(n), static_cast<unsigned long long>(total),
              suite_name.c_str(), static_cast<unsigned long long>(first),
              static_cast<unsigned long long>(last));
  for (const auto& r : sample) std::printf("  %s\n", run_name(r).c_str());

  // Both processes run at once; each reports a line per run, so neither fills its pipe.
  auto fwd = start_child([&](FILE* out) { run_sample(out, sample, false); });
  auto bwd = start_child([&](FILE* out) { run_sample(out, sample, true); });
  if (!fwd || !bwd) {
    std::fprintf(stderr, "tern sim determinism: cannot start the child processes\n");
    return 1;
  }
  const ChildOutput fo = finish_child(*fwd);
  const ChildOutput bo = finish_child(*bwd);
  const auto fh = parse_hashes(fo.text, sample.size());
  const auto bh = parse_hashes(bo.text, sample.size());
  bool failed = false;
  if (!fo.clean_exit || !bo.clean_exit) {
    failed = true;
    if (!fo.clean_exit) std::printf("the forward process %s\n", fo.how.c_str());
    if (!bo.clean_exit) std::printf("the reverse process %s\n", bo.how.c_str());
  }
  std::optional<size_t> first_mismatch;
  size_t identical = 0;
  for (size_t i = 0; i < sample.size(); ++i) {
    if (!fh[i] || !bh[i]) {
      failed = true;
      std::printf("MISSING %s: no hash from the %s process\n", run_name(sample[i]).c_str(),
                  !fh[i] ? "forward" : "reverse");
      continue;
    }
    if (*fh[i] == *bh[i]) {
      ++identical;
      continue;
    }
    failed = true;
    std::printf("DIVERGED %s: forward %016llx, reverse %016llx\n", run_name(sample[i]).c_str(),
                static_cast<unsigned long long>(*fh[i]), static_cast<unsigned long long>(*bh[i]));
    if (!first_mismatch) first_mismatch = i;
  }
  if (first_mismatch) explain_divergence(sample[*first_mismatch]);
  if (failed) {
    std::printf("%zu of %zu runs identical: NOT deterministic\n", identical, sample.size());
    return 1;
  }
  std::printf("%zu runs identical across 2 processes and orders\n", sample.size());
  return 0;
}

}  // namespace tern::tools
