#include "broker/base/murmur2.h"

namespace tern {

int32_t murmur2(ByteView data) {
  // Java does this in signed 32-bit ints with wrap-around; unsigned arithmetic gives the same
  // bits without signed-overflow UB. `>>>` is the logical shift, i.e. unsigned >>.
  constexpr uint32_t kSeed = 0x9747b28cu;
  constexpr uint32_t kM = 0x5bd1e995u;
  constexpr int kR = 24;
  const size_t length = data.size();
  const uint8_t* p = data.data();

  uint32_t h = kSeed ^ static_cast<uint32_t>(length);
  const size_t length4 = length / 4;
  for (size_t i = 0; i < length4; ++i) {
    const uint8_t* q = p + 4 * i;
    uint32_t k = uint32_t{q[0]} | (uint32_t{q[1]} << 8) | (uint32_t{q[2]} << 16) |
                 (uint32_t{q[3]} << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const uint8_t* tail = p + (length & ~size_t{3});
  switch (length % 4) {
    case 3:
      h ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t{tail[0]};
      h *= kM;
      break;
    default:
      break;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return static_cast<int32_t>(h);
}

int32_t murmur2_partition(ByteView key, int32_t num_partitions) {
  TERN_ASSERT(num_partitions > 0, "num_partitions={}", num_partitions);
  const int32_t p = murmur2_to_positive(murmur2(key)) % num_partitions;
  TERN_ASSERT(p >= 0 && p < num_partitions);
  return p;
}

}  // namespace tern
