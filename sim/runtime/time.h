#pragma once
// Time at the boundary. Instants are nanoseconds on a monotonic clock whose zero is the
// node's (or the simulated world's) start; WallTime is Unix-epoch milliseconds, used only for
// record timestamps and skewable in the simulation. Distinct types keep the two apart.
#include <compare>
#include <cstdint>
#include <limits>

namespace tern {

struct Duration {
  int64_t ns = 0;
  static constexpr Duration nanos(int64_t n) { return {n}; }
  static constexpr Duration micros(int64_t n) { return {n * 1000}; }
  static constexpr Duration millis(int64_t n) { return {n * 1000'000}; }
  static constexpr Duration seconds(int64_t n) { return {n * 1000'000'000}; }
  constexpr int64_t to_millis() const { return ns / 1000'000; }
  constexpr int64_t to_micros() const { return ns / 1000; }
  constexpr auto operator<=>(const Duration&) const = default;
  constexpr Duration operator+(Duration o) const { return {ns + o.ns}; }
  constexpr Duration operator-(Duration o) const { return {ns - o.ns}; }
  constexpr Duration operator*(int64_t k) const { return {ns * k}; }
};

struct Instant {
  int64_t ns = 0;
  static constexpr Instant never() { return {std::numeric_limits<int64_t>::max()}; }
  constexpr bool is_never() const { return ns == never().ns; }
  constexpr auto operator<=>(const Instant&) const = default;
  constexpr Instant operator+(Duration d) const {
    // Saturate so that never() + d stays never() and huge timeouts do not wrap.
    if (d.ns > 0 && ns > std::numeric_limits<int64_t>::max() - d.ns) return never();
    return {ns + d.ns};
  }
  constexpr Duration operator-(Instant o) const { return {ns - o.ns}; }
  constexpr Instant operator-(Duration d) const { return is_never() ? never() : Instant{ns - d.ns}; }
};

// A deadline is an instant: every blocking call takes one explicitly.
using Deadline = Instant;

struct WallTime {
  int64_t unix_ms = 0;
  constexpr auto operator<=>(const WallTime&) const = default;
};

}  // namespace tern
