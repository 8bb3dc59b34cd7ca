#pragma once
// The only source of randomness for code under broker/, faults/ and scenarios/.
// xoshiro256** seeded through splitmix64, with our own bounded draws: std distributions are
// implementation-defined and would make a seed mean different runs on different std libraries.
#include <cstdint>
#include <string_view>

#include "sim/runtime/assert.h"

namespace tern {

constexpr uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Stable 64-bit hash of a name (FNV-1a), used to derive sub-streams.
constexpr uint64_t stable_hash(std::string_view s, uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : seed_(seed) {
    uint64_t x = seed;
    for (auto& w : s_) w = splitmix64(x);
  }

  uint64_t seed() const { return seed_; }

  uint64_t next_u64() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, n). Lemire's multiply-shift with rejection: unbiased and portable.
  uint64_t below(uint64_t n) {
    TERN_ASSERT(n > 0);
    unsigned __int128 m = static_cast<unsigned __int128>(next_u64()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<unsigned __int128>(next_u64()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform in [lo, hi].
  int64_t between(int64_t lo, int64_t hi) {
    TERN_ASSERT(lo <= hi, "between({}, {})", lo, hi);
    return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1));
  }

  // True with probability per_million / 1e6. Integer odds: no floating point decides order.
  bool chance_ppm(uint32_t per_million) {
    TERN_ASSERT(per_million <= 1'000'000);
    return below(1'000'000) < per_million;
  }
  bool one_in(uint64_t n) { return below(n) == 0; }

  // An independent stream named `name`: it depends on this stream's seed only, never on how
  // many values were drawn, so adding a draw in one component does not shift the others.
  Rng fork(std::string_view name) const {
    uint64_t x = seed_ ^ stable_hash(name);
    return Rng(splitmix64(x));
  }

 private:
  static constexpr uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t seed_;
  uint64_t s_[4];
};

}  // namespace tern
