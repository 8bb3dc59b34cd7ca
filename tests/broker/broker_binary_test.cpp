// Goal: the built `tern broker` binary is a real server: it starts with --override settings,
// answers ApiVersions on its port, exits 0 on SIGTERM, and exits 2 with one clear line on a
// bad setting. Method: fork/exec the binary (path from meson: TERN_BINARY), talk to it with
// the raw client on a RealRuntime.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "sim/real/real_runtime.h"
#include "tests/broker/raw_client.h"

#ifndef TERN_BINARY
#error "TERN_BINARY must name the tern executable"
#endif

namespace tern::test {
namespace {

uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

pid_t spawn(const std::vector<std::string>& args, const std::string& stderr_path) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(stderr_path.c_str(), "w", stderr);
    (void)f;
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string slurp(const std::string& path) {
  std::string out;
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

TEST(BrokerBinary, ServesApiVersionsAndExitsZeroOnSigterm) {
  char tmpl[] = "/tmp/tern-broker-bin-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const uint16_t port = free_port();
  const pid_t pid = spawn({TERN_BINARY, "broker", "--override",
                           fmt::format("listeners=PLAINTEXT://127.0.0.1:{}", port), "--override",
                           "log.dirs=" + dir + "/data", "--override", "num.partitions=2"},
                          dir + "/stderr");
  ASSERT_GT(pid, 0);
  bool answered = false;
  {
    real::RealRuntime::Options o;
    o.data_root = dir;
    real::RealRuntime rt(o);
    rt.run([&] {
      RawClient c(rt, Address{"127.0.0.1", port});
      Status s = c.connect_retry(Duration::seconds(20));
      ASSERT_TRUE(s.ok()) << s.error().message();
      protocol::ApiVersionsRequest req;
      auto r = c.call<protocol::ApiVersionsResponse>(req, 0);
      ASSERT_TRUE(r.ok()) << r.error().message();
      EXPECT_EQ(r->error_code, 0);
      EXPECT_FALSE(r->api_keys.empty());
      answered = true;
      c.close();
    });
  }
  EXPECT_TRUE(answered);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  EXPECT_EQ(wait_exit(pid), 0) << slurp(dir + "/stderr");
  EXPECT_EQ(std::system(("rm -rf " + dir).c_str()), 0);
}

TEST(BrokerBinary, BadSettingIsOneClearErrorAndExitTwo) {
  char tmpl[] = "/tmp/tern-broker-bin-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  const pid_t pid =
      spawn({TERN_BINARY, "broker", "--override", "num.partitons=3"}, dir + "/stderr");
  EXPECT_EQ(wait_exit(pid), 2);
  const std::string err = slurp(dir + "/stderr");
  EXPECT_NE(err.find("num.partitons"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_EQ(std::system(("rm -rf " + dir).c_str()), 0);
}

}  // namespace
}  // namespace tern::test
