// Runtime benchmarks: fiber switches and timers of the shared Scheduler, and the real
// runtime's loopback TCP echo against a blocking-socket, two-thread baseline.
// Run by hand: build-<dir>/tests/bench/runtime_bench [--benchmark_filter=...]
// Targets (see sim/real/README.md): switch < 50 ns, timers > 5M/s, real echo >= 90% of
// the blocking baseline.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <chrono>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "sim/real/real_runtime.h"

namespace tern::real {
namespace {

RealRuntime::Options bench_options(std::string name) {
  RealRuntime::Options o;
  o.node_name = std::move(name);
  o.data_root = "/tmp";
  o.seed = 1;
  o.log_level = Severity::error;
  return o;
}

// Two tasks ping-pong with yield(); each iteration is two task switches (a -> b -> a).
// Driven by the Scheduler alone, as both worlds use it.
void BM_FiberSwitch(benchmark::State& state) {
  RealRuntime rt(bench_options("bench"));
  fiber::Scheduler& s = rt.scheduler();
  bool done = false;
  s.spawn(0, "a", [&] {
    for (auto _ : state) s.yield();
    done = true;
  });
  s.spawn(0, "b", [&] {
    while (!done) s.yield();
  });
  s.run_runnable();
  state.SetItemsProcessed(state.iterations() * 2);
  state.counters["ns_per_switch"] = benchmark::Counter(
      static_cast<double>(state.iterations() * 2),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FiberSwitch);

// The same through RealRuntime::run, which adds an epoll_wait(0) every 256 runs.
void BM_FiberSwitchRealLoop(benchmark::State& state) {
  RealRuntime rt(bench_options("bench"));
  bool done = false;
  rt.run([&] {
    rt.spawn("b", [&] {
      while (!done) rt.yield();
    });
    for (auto _ : state) rt.yield();
    done = true;
  });
  state.SetItemsProcessed(state.iterations() * 2);
  state.counters["ns_per_switch"] = benchmark::Counter(
      static_cast<double>(state.iterations() * 2),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FiberSwitchRealLoop);

// Schedules N timers at pseudo-random deadlines and fires them all, in deadline order.
void BM_TimerEvents(benchmark::State& state) {
  RealRuntime rt(bench_options("bench"));
  fiber::Scheduler& s = rt.scheduler();
  const auto n = static_cast<size_t>(state.range(0));
  std::vector<Instant> deadlines(n);
  Rng rng(7);
  for (auto& d : deadlines) d = Instant{static_cast<int64_t>(rng.below(1'000'000'000))};
  int64_t fired = 0;
  for (auto _ : state) {
    for (Instant d : deadlines) s.add_timer(d, [&fired] { ++fired; });
    while (s.fire_next_timer(Instant::never())) {
    }
  }
  if (fired != static_cast<int64_t>(n) * static_cast<int64_t>(state.iterations()))
    state.SkipWithError("a timer did not fire");
  state.SetItemsProcessed(fired);
}
BENCHMARK(BM_TimerEvents)->Arg(64)->Arg(1024)->Arg(65536);

// ---- loopback echo -----------------------------------------------------------------------

constexpr size_t kServerBuffer = 256 * 1024;

// Pins the calling thread to one CPU. Both two-thread echo benchmarks put the client on CPU
// 0 and the server on CPU 1: unpinned, the scheduler's placement makes loopback throughput
// bimodal (about 1 or 2.3 GB/s per run on the 2-vCPU sandbox), for either implementation.
// Only with TERN_BENCH_PIN=1: on a loaded machine pinning makes both far worse.
bool pinning_enabled() {
  const char* v = std::getenv("TERN_BENCH_PIN");
  return v != nullptr && v[0] == '1';
}

void pin_to_cpu(int cpu) {
  const int n = static_cast<int>(std::thread::hardware_concurrency());
  if (n < 2 || !pinning_enabled()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu % n, &set);
  (void)::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
}

// Restores the benchmark thread's affinity at the end of a benchmark.
class PinScope {
 public:
  explicit PinScope(int cpu) {
    (void)::pthread_getaffinity_np(::pthread_self(), sizeof old_, &old_);
    pin_to_cpu(cpu);
  }
  ~PinScope() { (void)::pthread_setaffinity_np(::pthread_self(), sizeof old_, &old_); }

 private:
  cpu_set_t old_;
};

// The real runtime's echo server: one loop on its own thread, one task per connection.
void real_echo_server(std::atomic<uint16_t>& port) {
  pin_to_cpu(1);
  RealRuntime rt(bench_options("server"));
  rt.run([&] {
    auto l = rt.net().listen(Address{"127.0.0.1", 0});
    if (!l.ok()) std::abort();
    port = l.value()->local().port;
    auto s = l.value()->accept(Instant::never());
    if (!s.ok()) std::abort();
    std::vector<uint8_t> buf(kServerBuffer);
    while (true) {
      auto n = s.value()->read_some(buf, Instant::never());
      if (!n.ok()) return;
      if (!s.value()->write_all(std::span<const uint8_t>(buf.data(), n.value()),
                                Instant::never())
               .ok())
        return;
    }
  });
}

uint16_t wait_for_port(const std::atomic<uint16_t>& port) {
  while (port.load() == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  return port.load();
}

// Client loop in the benchmark thread, server loop in a second thread: the same shape as
// the blocking baseline (one thread per side).
void BM_RealLoopbackEcho(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  PinScope pin(0);
  std::atomic<uint16_t> port{0};
  std::thread server([&] { real_echo_server(port); });
  const Address addr{"127.0.0.1", wait_for_port(port)};
  RealRuntime rt(bench_options("client"));
  rt.run([&] {
    auto c = rt.net().connect(addr, rt.now() + Duration::seconds(10));
    if (!c.ok()) {
      state.SkipWithError("connect failed");
      return;
    }
    std::vector<uint8_t> msg(size, 0x5a), back(size);
    for (auto _ : state) {
      if (!c.value()->write_all(msg, Instant::never()).ok() ||
          !c.value()->read_exact(back, Instant::never()).ok()) {
        state.SkipWithError("echo failed");
        break;
      }
    }
    c.value()->close();
  });
  server.join();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_RealLoopbackEcho)->Arg(4 << 10)->Arg(64 << 10)->UseRealTime();

// Client and server as two tasks of one loop on one thread (how one broker process serves
// its own loopback connections).
void BM_RealLoopbackEchoOneLoop(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  RealRuntime rt(bench_options("both"));
  rt.run([&] {
    auto l = rt.net().listen(Address{"127.0.0.1", 0});
    if (!l.ok()) std::abort();
    rt.spawn("server", [&] {
      auto s = l.value()->accept(Instant::never());
      if (!s.ok()) return;
      std::vector<uint8_t> buf(kServerBuffer);
      while (true) {
        auto n = s.value()->read_some(buf, Instant::never());
        if (!n.ok()) return;
        if (!s.value()->write_all(std::span<const uint8_t>(buf.data(), n.value()),
                                  Instant::never())
                 .ok())
          return;
      }
    });
    auto c = rt.net().connect(l.value()->local(), rt.now() + Duration::seconds(10));
    if (!c.ok()) std::abort();
    std::vector<uint8_t> msg(size, 0x5a), back(size);
    for (auto _ : state) {
      if (!c.value()->write_all(msg, Instant::never()).ok() ||
          !c.value()->read_exact(back, Instant::never()).ok()) {
        state.SkipWithError("echo failed");
        break;
      }
    }
    c.value()->close();
  });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_RealLoopbackEchoOneLoop)->Arg(4 << 10)->Arg(64 << 10)->UseRealTime();

// ---- the baseline: blocking sockets, one thread per side ---------------------------------

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

bool send_all(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t k = ::send(fd, p, n, MSG_NOSIGNAL);
    if (k <= 0) return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

void BM_BlockingSocketEcho(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof sa;
  if (lfd < 0 || ::bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(lfd, 1) != 0 || ::getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
    std::abort();
  PinScope pin(0);
  std::thread server([lfd] {
    pin_to_cpu(1);
    const int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) return;
    set_nodelay(fd);
    std::vector<uint8_t> buf(kServerBuffer);
    while (true) {
      const ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
      if (n <= 0 || !send_all(fd, buf.data(), static_cast<size_t>(n))) break;
    }
    ::close(fd);
  });
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) std::abort();
  set_nodelay(fd);
  std::vector<uint8_t> msg(size, 0x5a), back(size);
  for (auto _ : state) {
    if (!send_all(fd, msg.data(), size)) std::abort();
    size_t got = 0;
    while (got < size) {
      const ssize_t n = ::recv(fd, back.data() + got, size - got, 0);
      if (n <= 0) std::abort();
      got += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  server.join();
  ::close(lfd);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_BlockingSocketEcho)->Arg(4 << 10)->Arg(64 << 10)->UseRealTime();

}  // namespace
}  // namespace tern::real

BENCHMARK_MAIN();
