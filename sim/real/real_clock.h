#pragma once
// The real clock: CLOCK_MONOTONIC nanoseconds since construction for Instant (so instants
// start near zero, like the simulated world's), CLOCK_REALTIME milliseconds for WallTime.
#include <cstdint>

#include "sim/runtime/time.h"

namespace tern::real {

class RealClock {
 public:
  RealClock();
  Instant now() const;
  WallTime wall_now() const;
  // Raw CLOCK_MONOTONIC, for seeding and for stamping log lines.
  static int64_t monotonic_ns();
  static int64_t realtime_ns();

 private:
  int64_t start_ns_;
};

}  // namespace tern::real
