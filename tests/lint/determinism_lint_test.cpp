// Goal: keep broker/, faults/ and scenarios/ deterministic and broker/ behind the runtime
// boundary. The first test runs the lint over the real tree; the others feed it bad code and
// show each rule fires (a lint that cannot fail proves nothing).
#include <gtest/gtest.h>

#include "tests/lint/determinism_lint.h"

namespace tern::lint {
namespace {

TEST(DeterminismLint, TreeIsClean) {
  auto findings = check_tree(TERN_SOURCE_ROOT);
  std::string report;
  for (const auto& f : findings) report += f.to_string() + "\n";
  EXPECT_TRUE(findings.empty()) << report;
}

TEST(DeterminismLint, FlagsEachBannedThing) {
  const char* bad[] = {
      "std::thread t([]{});",
      "auto t = std::chrono::steady_clock::now();",
      "int x = rand();",
      "std::random_device rd;",
      "std::uniform_int_distribution<int> d(0, 9);",
      "int fd = ::open(\"x\", 0);",
      "#include <unistd.h>",
      "#include <thread>",
      "std::ofstream out(\"f\");",
      "std::mutex m;",
      "const char* h = getenv(\"HOME\");",
      "#include \"sim/simulated/world.h\"",
      "try { f(); } catch (...) { }",
      "thread_local int x;",
      "std::this_thread::sleep_for(d);",
      "sleep(1);",
      "time_t now = time(nullptr);",
  };
  for (const char* line : bad) {
    auto f = check_file("broker/server/x.cpp", std::string(line) + "\n");
    EXPECT_EQ(f.size(), 1u) << line;
  }
}

TEST(DeterminismLint, RespectsFoldersCommentsAndOptOuts) {
  EXPECT_TRUE(check_file("tools/x.cpp", "std::thread t;\n").empty());
  EXPECT_TRUE(check_file("broker/x.cpp", "// std::thread is banned here\n").empty());
  EXPECT_TRUE(check_file("broker/x.cpp", "std::thread t;  // allowed: test of the opt-out\n").empty());
  EXPECT_TRUE(check_file("broker/x.cpp", "rt.net().connect(addr, deadline);\n").empty());
  EXPECT_TRUE(check_file("broker/x.cpp", "auto t = rt.now();\n").empty());
  EXPECT_TRUE(check_file("broker/x.cpp", "(void)rt.sleep_for(Duration::millis(1));\n").empty());
  EXPECT_TRUE(check_file("broker/x.h", "static Result<File> open(const Path& p);\n").empty());
  EXPECT_TRUE(check_file("broker/x.cpp", "try { f(); } catch (...) { throw; }\n").empty());
  EXPECT_EQ(check_file("broker/x.cpp", std::string(101, 'x') + "\n").size(), 1u);
}

// Goal: each folder's include rule (README "May include") is enforced. Method: one include
// per line into a file of the folder; an allowed one passes, a banned one is one finding.
TEST(DeterminismLint, IncludeRulesFollowTheLayering) {
  struct Case {
    const char* path;
    const char* include;
    bool ok;
  };
  const Case cases[] = {
      // partition: base, protocol, log, itself, the controller's image, sim/runtime.
      {"broker/partition/p.cpp", "broker/log/partition_log.h", true},
      {"broker/partition/p.cpp", "broker/protocol/wire.h", true},
      {"broker/partition/p.cpp", "broker/controller/metadata_image.h", true},
      {"broker/partition/p.cpp", "broker/controller/metadata_cache.h", false},
      {"broker/partition/p.cpp", "broker/server/config.h", false},
      {"broker/partition/p.cpp", "broker/client/connection.h", false},
      {"broker/partition/p.cpp", "sim/simulated/world.h", false},
      // controller: base, protocol, log, raft, client; not partition, not server.
      {"broker/controller/c.cpp", "broker/raft/raft_log.h", true},
      {"broker/controller/c.cpp", "broker/client/connection.h", true},
      {"broker/controller/c.cpp", "broker/partition/partition.h", false},
      {"broker/controller/c.cpp", "broker/server/config.h", false},
      // raft: base, protocol, log, client; not controller.
      {"broker/raft/r.cpp", "broker/log/partition_log.h", true},
      {"broker/raft/r.cpp", "broker/controller/metadata_image.h", false},
      // log: base and records only.
      {"broker/log/l.cpp", "broker/protocol/records/record_batch.h", true},
      {"broker/log/l.cpp", "broker/protocol/wire.h", false},
      {"broker/log/l.cpp", "broker/partition/partition.h", false},
      // base: nothing of broker above it.
      {"broker/base/b.h", "broker/protocol/wire.h", false},
      {"broker/protocol/x.h", "broker/log/segment.h", false},
      // client: protocol and base only.
      {"broker/client/c.cpp", "broker/protocol/messages.h", true},
      {"broker/client/c.cpp", "broker/server/broker.h", false},
      {"broker/client/c.cpp", "broker/log/segment.h", false},
      // server: everything of broker.
      {"broker/server/s.cpp", "broker/partition/replica_manager.h", true},
      {"broker/server/s.cpp", "broker/controller/metadata_cache.h", true},
      {"broker/server/s.cpp", "faults/fault.h", false},
      // scenarios: the broker's public surface and inspect.h only.
      {"scenarios/s.cpp", "broker/server/broker.h", true},
      {"scenarios/s.cpp", "broker/inspect.h", true},
      {"scenarios/s.cpp", "broker/server/broker_core.h", false},
      {"scenarios/s.cpp", "broker/partition/partition.h", false},
      // faults: the simulated world's hooks.
      {"faults/f.cpp", "sim/simulated/world.h", true},
      {"faults/f.cpp", "broker/client/admin.h", false},
      // sim/: runtime is the bottom; real and simulated never meet.
      {"sim/runtime/r.h", "sim/fiber/scheduler.h", false},
      {"sim/real/r.cpp", "sim/simulated/world.h", false},
      {"sim/simulated/w.cpp", "sim/trace/trace_log.h", true},
      // tools and tests may include anything.
      {"tools/t.cpp", "broker/server/broker_core.h", true},
  };
  for (const Case& c : cases) {
    const std::string text = std::string("#include \"") + c.include + "\"\n";
    auto f = check_file(c.path, text);
    EXPECT_EQ(f.size(), c.ok ? 0u : 1u) << c.path << " including " << c.include;
  }
}

}  // namespace
}  // namespace tern::lint
