#pragma once
// The real world behind tern::Runtime: one event loop per thread (epoll), fibers from
// sim/fiber, non-blocking TCP, POSIX files under a data root, CLOCK_MONOTONIC, log lines on
// stderr. One RealRuntime per thread; several may live in one process on different threads
// (the benchmarks do), never two on one thread at once.
//
// run(main) spawns `main` as a task and drives the loop. It returns when either
//   - stop() was called (from a task, another thread or a signal handler), or
//   - no task is left (main and everything it spawned have finished).
// Tasks still alive when run() returns stay suspended; they are unwound (their destructors
// run) when the RealRuntime is destroyed, or they continue if run() is called again.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sim/fiber/scheduler.h"
#include "sim/real/event_loop.h"
#include "sim/real/io_pool.h"
#include "sim/real/posix_disk.h"
#include "sim/real/real_clock.h"
#include "sim/real/tcp.h"
#include "sim/runtime/runtime.h"

namespace tern::real {

class RealRuntime final : public Runtime {
 public:
  struct Options {
    std::string node_name = "node";
    // The disk's root directory; created (mkdir -p) at construction if missing.
    std::string data_root = ".";
    // 0: seed from the clock (allowed here; sim/real is outside the determinism rules).
    uint64_t seed = 0;
    // Trace events below this severity are dropped before any formatting.
    Severity log_level = Severity::info;
    // Where formatted lines go; default: one write(2) per line to stderr.
    std::function<void(std::string_view line)> log_sink;
    size_t stack_bytes = 256 * 1024;
    // Threads that run fsyncs off the loop thread (started on the first fsync).
    int io_threads = 2;
  };

  explicit RealRuntime(Options options);
  ~RealRuntime() override;
  RealRuntime(const RealRuntime&) = delete;
  RealRuntime& operator=(const RealRuntime&) = delete;

  // See the header comment for when it returns.
  void run(std::function<void()> main);
  // Makes run() return soon. Async-signal-safe and thread-safe: an atomic store and an
  // eventfd write. A stop() before run() makes the next run() return at once.
  void stop();
  bool stop_requested() const { return stop_.load(std::memory_order_relaxed); }

  // Tasks
  Instant now() const override { return clock_.now(); }
  TaskHandle spawn(std::string name, UniqueFunction body) override;
  void yield() override { sched_->yield(); }
  TaskRef current() override { return sched_->current(); }
  Wake park(Deadline deadline) override { return sched_->park(deadline); }
  void unpark(TaskRef task, Wake reason) override { sched_->unpark(task, reason); }

  // Runtime
  WallTime wall_now() const override { return clock_.wall_now(); }
  Network& net() override { return net_; }
  Disk& disk() override { return disk_; }
  Rng& rng() override { return rng_; }
  const std::string& node_name() const override { return options_.node_name; }
  void trace(Severity severity, std::string_view kind,
             std::initializer_list<TraceField> fields) override;
  using Runtime::trace;
  bool buggify(std::string_view) override { return false; }

  // For tests and benchmarks.
  fiber::Scheduler& scheduler() { return *sched_; }
  EventLoop& loop() { return loop_; }
  IoPool& io_pool() { return io_pool_; }
  Severity log_level() const { return options_.log_level; }
  void set_log_level(Severity s) { options_.log_level = s; }

 private:
  void loop_once();

  Options options_;
  RealClock clock_;
  Rng rng_;
  std::atomic<bool> stop_{false};
  // Declaration order is destruction order reversed: the scheduler goes first, unwinding
  // fibers whose sockets still deregister from the loop.
  EventLoop loop_;
  TcpNetwork net_;
  IoPool io_pool_;  // after the loop it wakes; joined after the disk that uses it is gone
  PosixDisk disk_;
  std::unique_ptr<fiber::Scheduler> sched_;
};

// Formats one log line: "2026-11-25T12:00:00.123Z info node kind k=v k2="a b"".
std::string format_log_line(WallTime wall, Severity severity, std::string_view node,
                            std::string_view kind, std::initializer_list<TraceField> fields);

}  // namespace tern::real
