#include "broker/base/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define TERN_CRC32C_X86 1
#else
#define TERN_CRC32C_X86 0
#endif

namespace tern {
namespace {

constexpr uint32_t kPoly = 0x82F63B78u;  // Castagnoli, bit-reversed

using Table = std::array<std::array<uint32_t, 256>, 8>;

// Slicing-by-8 tables: t[0] is the classic byte-at-a-time table; t[k][i] is the CRC of byte i
// followed by k zero bytes, so eight table lookups consume eight input bytes at once.
constexpr Table make_tables() {
  Table t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int b = 0; b < 8; ++b) c = (c & 1) ? (c >> 1) ^ kPoly : (c >> 1);
    t[0][i] = c;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

// Immutable after compile time: not the mutable static state STYLE.md section 7 bans.
constexpr Table kTables = make_tables();
static_assert(kTables[0][1] == 0xF26B8303u, "CRC-32C table entry 1");

inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}

#if TERN_CRC32C_X86
__attribute__((target("sse4.2"))) uint32_t hw_update(uint32_t c, const uint8_t* p, size_t n) {
  uint64_t c64 = c;
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);  // unaligned load; x86 is little-endian as the instruction expects
    c64 = _mm_crc32_u64(c64, w);
    p += 8;
    n -= 8;
  }
  c = static_cast<uint32_t>(c64);
  while (n > 0) {
    c = _mm_crc32_u8(c, *p++);
    --n;
  }
  return c;
}
#endif

}  // namespace

uint32_t crc32c_extend_sw(uint32_t crc, ByteView data) {
  uint32_t c = ~crc;
  const uint8_t* p = data.data();
  size_t n = data.size();
  const auto& t = kTables;
  while (n >= 8) {
    const uint32_t lo = c ^ load_le32(p);
    const uint32_t hi = load_le32(p + 4);
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    c = t[0][(c ^ *p++) & 0xff] ^ (c >> 8);
    --n;
  }
  return ~c;
}

bool crc32c_hw_available() {
#if TERN_CRC32C_X86
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

uint32_t crc32c_extend_hw(uint32_t crc, ByteView data) {
  TERN_ASSERT(crc32c_hw_available(), "crc32c_extend_hw without SSE4.2");
#if TERN_CRC32C_X86
  return ~hw_update(~crc, data.data(), data.size());
#else
  TERN_UNREACHABLE("no hardware CRC-32C on this architecture");
#endif
}

uint32_t crc32c_extend(uint32_t crc, ByteView data) {
  // Checked on every call instead of cached in a static: the probe is a load of a libgcc
  // global, and a cache would be the mutable static state the determinism rules forbid.
  if (crc32c_hw_available()) return crc32c_extend_hw(crc, data);
  return crc32c_extend_sw(crc, data);
}

uint32_t crc32c(ByteView data) { return crc32c_extend(0, data); }

}  // namespace tern
