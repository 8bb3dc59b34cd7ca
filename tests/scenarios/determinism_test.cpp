// Goal: the same seed gives the same run — in another order, after other seeds, and in
// another process — for whole scenarios with the broker, clients and faults. On a mismatch
// the test names the first trace event where the two runs diverge.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "scenarios/runner.h"

namespace tern::scenarios {
namespace {

std::string first_divergence(const Scenario& sc, uint64_t seed) {
  RunOptions o;
  o.keep_trace = true;
  Outcome a = run_scenario(sc, seed, o);
  Outcome b = run_scenario(sc, seed, o);
  const size_t n = std::min(a.trace.size(), b.trace.size());
  for (size_t i = 0; i < n; ++i)
    if (a.trace[i].to_line() != b.trace[i].to_line())
      return "event " + std::to_string(i) + ":\n  " + a.trace[i].to_line() + "\n  " +
             b.trace[i].to_line();
  if (a.trace.size() != b.trace.size())
    return "one trace is longer: " + std::to_string(a.trace.size()) + " vs " +
           std::to_string(b.trace.size()) + " events";
  return "no divergence on rerun (the difference came from an earlier run in the process)";
}

TEST(Determinism, SameSeedSameTraceHashInAnyOrderAndProcess) {
  const Scenario* sc = find_scenario("produce-consume");
  ASSERT_NE(sc, nullptr);
  const std::vector<uint64_t> seeds = {1, 2, 3, 4};
  std::map<uint64_t, uint64_t> forward, backward;
  for (uint64_t s : seeds) forward[s] = run_scenario(*sc, s).trace_hash;
  for (auto it = seeds.rbegin(); it != seeds.rend(); ++it)
    backward[*it] = run_scenario(*sc, *it).trace_hash;
  for (uint64_t s : seeds)
    EXPECT_EQ(forward[s], backward[s]) << "seed " << s << " diverged; first divergence at "
                                       << first_divergence(*sc, s);
  // Another process: a fresh address space, allocator and heap layout.
  int fd[2];
  ASSERT_EQ(::pipe(fd), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fd[0]);
    for (uint64_t s : seeds) {
      uint64_t h = run_scenario(*sc, s).trace_hash;
      if (::write(fd[1], &h, sizeof h) != sizeof h) _exit(2);
    }
    _exit(0);
  }
  ::close(fd[1]);
  for (uint64_t s : seeds) {
    uint64_t h = 0;
    ASSERT_EQ(::read(fd[0], &h, sizeof h), static_cast<ssize_t>(sizeof h));
    EXPECT_EQ(h, forward[s]) << "seed " << s << " differs across processes";
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  // Different seeds are different runs.
  EXPECT_NE(forward[1], forward[2]);
}

}  // namespace
}  // namespace tern::scenarios
