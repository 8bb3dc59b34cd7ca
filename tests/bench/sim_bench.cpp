// Benchmarks of the simulated world: stream throughput between two simulated nodes (bytes
// and messages per wall-second), timer events through the world loop, and how much faster
// than real time an idle-heavy workload runs. Run: ./build/tests/bench/sim_bench
#include <benchmark/benchmark.h>

#include "sim/simulated/world.h"

namespace tern {
namespace {

// One writer streams `size`-byte messages to a reader on another node for a fixed volume;
// reports bytes and messages per wall-second.
void BM_SimStreamThroughput(benchmark::State& state) {
  const size_t msg = static_cast<size_t>(state.range(0));
  const size_t total = 64u << 20;
  uint64_t bytes = 0, messages = 0;
  for (auto _ : state) {
    sim::World world({.seed = 1, .trace = {}});
    const uint32_t r = world.add_node("reader", [&](Runtime& rt) {
      auto l = rt.net().listen({"reader", 1});
      auto s = l.value()->accept(Instant::never());
      std::vector<uint8_t> buf(256 * 1024);
      size_t got = 0;
      while (got < total) {
        auto n = s.value()->read_some(buf, Instant::never());
        if (!n.ok()) break;
        got += n.value();
      }
      bytes += got;
    });
    const uint32_t w = world.add_node("writer", [&](Runtime& rt) {
      auto s = rt.net().connect({"reader", 1}, Instant::never());
      std::vector<uint8_t> buf(msg, 7);
      for (size_t sent = 0; sent < total; sent += msg) {
        if (!s.value()->write_all(buf, Instant::never()).ok()) break;
        ++messages;
      }
    });
    world.start_node(r);
    world.start_node(w);
    world.run_until_idle();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.SetItemsProcessed(static_cast<int64_t>(messages));
}
BENCHMARK(BM_SimStreamThroughput)->Arg(100)->Arg(1024)->Arg(64 << 10)->Unit(benchmark::kMillisecond);

// Timer events through the whole world loop: many tasks sleeping random short times.
void BM_SimTimerEvents(benchmark::State& state) {
  uint64_t events = 0;
  for (auto _ : state) {
    sim::World world({.seed = 2, .trace = {}});
    const uint32_t n = world.add_node("n", [&](Runtime& rt) {
      std::vector<TaskHandle> ts;
      for (int t = 0; t < 100; ++t)
        ts.push_back(rt.spawn("sleeper", [&] {
          for (int i = 0; i < 1000; ++i) {
            (void)rt.sleep_for(Duration::micros(1 + static_cast<int64_t>(rt.rng().below(1000))));
            ++events;
          }
        }));
      for (auto& t : ts) (void)t.join();
    });
    world.start_node(n);
    world.run_until_idle();
  }
  state.SetItemsProcessed(static_cast<int64_t>(events));
}
BENCHMARK(BM_SimTimerEvents)->Unit(benchmark::kMillisecond);

// Simulated seconds per wall-second for a mostly idle node (heartbeats every 100 ms): time
// jumps to the next event, so idle time costs nothing.
void BM_SimIdleSpeedup(benchmark::State& state) {
  int64_t sim_ns = 0;
  for (auto _ : state) {
    sim::World world({.seed = 3, .trace = {}});
    const uint32_t n = world.add_node("n", [](Runtime& rt) {
      for (int i = 0; i < 36'000; ++i) (void)rt.sleep_for(Duration::millis(100));
    });
    world.start_node(n);
    world.run_until_idle();
    sim_ns += world.now().ns;
  }
  state.counters["sim_s_per_wall_s"] =
      benchmark::Counter(static_cast<double>(sim_ns) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimIdleSpeedup)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tern

BENCHMARK_MAIN();
