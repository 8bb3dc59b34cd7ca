#include "sim/real/real_clock.h"

#include <time.h>

#include "sim/runtime/assert.h"

namespace tern::real {

static int64_t read_clock(clockid_t id) {
  struct timespec ts;
  const int rc = ::clock_gettime(id, &ts);
  TERN_ASSERT(rc == 0, "clock_gettime({}) failed", static_cast<int>(id));
  return static_cast<int64_t>(ts.tv_sec) * 1000'000'000 + ts.tv_nsec;
}

int64_t RealClock::monotonic_ns() { return read_clock(CLOCK_MONOTONIC); }
int64_t RealClock::realtime_ns() { return read_clock(CLOCK_REALTIME); }

// Start one nanosecond in the past so that now() is never Instant{0}, which some callers may
// treat as "unset".
RealClock::RealClock() : start_ns_(monotonic_ns() - 1) {}

Instant RealClock::now() const {
  const int64_t ns = monotonic_ns() - start_ns_;
  TERN_ASSERT(ns > 0);
  return Instant{ns};
}

WallTime RealClock::wall_now() const { return WallTime{realtime_ns() / 1000'000}; }

}  // namespace tern::real
