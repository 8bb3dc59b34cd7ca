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

}  // namespace
}  // namespace tern::lint
