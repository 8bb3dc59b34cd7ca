#include "sim/real/real_runtime.h"

#include <time.h>
#include <unistd.h>

#include <climits>

#include <fmt/format.h>

#include "sim/runtime/assert.h"

namespace tern::real {

namespace {

// How many fibers run between two polls when fibers keep yielding: bounds how long a busy
// task set can keep sockets and timers waiting, at one epoll_wait(0) per batch.
constexpr int kRunBatch = 256;

uint64_t pick_seed(const RealRuntime::Options& o) {
  if (o.seed != 0) return o.seed;
  uint64_t x = static_cast<uint64_t>(RealClock::realtime_ns()) ^
               (static_cast<uint64_t>(RealClock::monotonic_ns()) << 17) ^
               static_cast<uint64_t>(::getpid());
  return splitmix64(x) ^ stable_hash(o.node_name);
}

void write_stderr(std::string_view line) {
  // One write(2) per line: lines from several runtimes (threads) do not interleave.
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
    if (n <= 0) return;  // nowhere to report a failing stderr
    done += static_cast<size_t>(n);
  }
}

}  // namespace

std::string format_log_line(WallTime wall, Severity severity, std::string_view node,
                            std::string_view kind, std::initializer_list<TraceField> fields) {
  const time_t secs = static_cast<time_t>(wall.unix_ms / 1000);
  struct tm tm{};
  ::gmtime_r(&secs, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {} {}",
                                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                tm.tm_min, tm.tm_sec, wall.unix_ms % 1000,
                                severity_name(severity), node, kind);
  for (const TraceField& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    append_trace_value(out, f.value);
  }
  out += '\n';
  return out;
}

RealRuntime::RealRuntime(Options options)
    : options_(std::move(options)),
      rng_(pick_seed(options_)),
      loop_(*this),
      net_(loop_),
      io_pool_(*this, loop_, options_.io_threads),
      disk_(options_.data_root.empty() ? std::string(".") : options_.data_root, &io_pool_),
      sched_(std::make_unique<fiber::Scheduler>(*this, options_.stack_bytes)) {
  Status root = disk_.ensure_root();
  if (!root.ok()) trace(Severity::warn, "disk.root", {{"error", root.error().message()}});
  trace(Severity::debug, "runtime.start", {{"seed", static_cast<int64_t>(rng_.seed())}});
}

RealRuntime::~RealRuntime() {
  TERN_ASSERT(sched_->current() == nullptr, "RealRuntime destroyed from inside a task");
  // Unwind the remaining fibers while the loop, network and disk they use are still alive,
  // and while sched_ is still set: their destructors may unpark other tasks through us
  // (unique_ptr::reset nulls the pointer before the Scheduler's destructor runs).
  sched_->kill_all();
  sched_.reset();
}

TaskHandle RealRuntime::spawn(std::string name, UniqueFunction body) {
  return TaskHandle(sched_->spawn(0, std::move(name), std::move(body)));
}

void RealRuntime::stop() {
  stop_.store(true, std::memory_order_relaxed);
  loop_.wake();
}

void RealRuntime::run(std::function<void()> main) {
  TERN_ASSERT(sched_->current() == nullptr, "run() from inside a task");
  TERN_ASSERT(main != nullptr);
  spawn("main", std::move(main));
  while (!stop_requested() && sched_->live_tasks() > 0) loop_once();
  stop_.store(false, std::memory_order_relaxed);  // consumed: a later run() runs again
}

void RealRuntime::loop_once() {
  // 1. Runnable fibers, FIFO, in a bounded batch.
  for (int i = 0; i < kRunBatch && sched_->run_one(); ++i) {
    if (stop_requested()) return;
  }
  // 2. Due timers (they only unpark; the fibers run in the next batch).
  Instant now = clock_.now();
  while (sched_->fire_next_timer(now)) {
  }
  if (stop_requested() || sched_->live_tasks() == 0) return;
  // 3. I/O: poll without blocking if fibers are waiting to run, else sleep until the next
  // timer (rounded up to whole ms, so a timer is never polled for early in a busy loop).
  int timeout_ms = 0;
  if (!sched_->has_runnable()) {
    const Instant next = sched_->next_deadline();
    if (next.is_never()) {
      timeout_ms = -1;
    } else {
      const int64_t ns = (next - clock_.now()).ns;
      if (ns > 0) timeout_ms = static_cast<int>(std::min<int64_t>(INT_MAX, (ns + 999'999) / 1000'000));
    }
  }
  loop_.poll(timeout_ms);
  io_pool_.reap();
}

void RealRuntime::trace(Severity severity, std::string_view kind,
                        std::initializer_list<TraceField> fields) {
  if (severity < options_.log_level) return;
  const std::string line =
      format_log_line(clock_.wall_now(), severity, options_.node_name, kind, fields);
  if (options_.log_sink) options_.log_sink(line);
  else write_stderr(line);
}

}  // namespace tern::real
