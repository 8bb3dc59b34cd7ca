// Goal: CRC-32C matches published vectors, and the SSE4.2 and slicing-by-8 paths agree on
// every input, split any way (so crc32c_extend composes).
#include "broker/base/crc32c.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <numeric>
#include <string_view>
#include <vector>

namespace tern {
namespace {

// Independent bit-at-a-time reference (no tables), straight from the polynomial.
uint32_t crc32c_bitwise(ByteView data) {
  uint32_t c = 0xFFFFFFFFu;
  for (uint8_t b : data) {
    c ^= b;
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
  }
  return ~c;
}

TEST(Crc32c, KnownVectors) {
  EXPECT_EQ(crc32c(as_bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c(ByteView{}), 0u);
  // RFC 3720 (iSCSI) appendix B.4.
  std::vector<uint8_t> zeros(32, 0x00), ones(32, 0xFF), up(32), down(32);
  std::iota(up.begin(), up.end(), uint8_t{0});
  for (size_t i = 0; i < 32; ++i) down[i] = static_cast<uint8_t>(31 - i);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(up), 0x46DD794Eu);
  EXPECT_EQ(crc32c(down), 0x113FDB5Cu);
  EXPECT_EQ(crc32c_bitwise(as_bytes("123456789")), 0xE3069283u);
}

TEST(Crc32c, SoftwareMatchesVectors) {
  EXPECT_EQ(crc32c_extend_sw(0, as_bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_extend_sw(0, std::vector<uint8_t>(32, 0xFF)), 0x62A8AB43u);
}

TEST(Crc32c, HardwareMatchesVectors) {
  if (!crc32c_hw_available()) GTEST_SKIP() << "no SSE4.2 on this CPU";
  EXPECT_EQ(crc32c_extend_hw(0, as_bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(crc32c_extend_hw(0, std::vector<uint8_t>(32, 0xFF)), 0x62A8AB43u);
}

TEST(Crc32c, AllLengthsUpTo300AgreeWithReference) {
  std::vector<uint8_t> data(300);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t n = 0; n <= data.size(); ++n) {
    const ByteView v(data.data(), n);
    const uint32_t want = crc32c_bitwise(v);
    ASSERT_EQ(crc32c_extend_sw(0, v), want) << n;
    if (crc32c_hw_available()) {
      ASSERT_EQ(crc32c_extend_hw(0, v), want) << n;
    }
    ASSERT_EQ(crc32c(v), want) << n;
  }
}

RC_GTEST_PROP(Crc32c, HardwareEqualsSoftware, (const std::vector<uint8_t>& data)) {
  const uint32_t sw = crc32c_extend_sw(0, data);
  RC_ASSERT(sw == crc32c_bitwise(data));
  if (crc32c_hw_available()) RC_ASSERT(crc32c_extend_hw(0, data) == sw);
}

RC_GTEST_PROP(Crc32c, ExtendComposes, (const std::vector<uint8_t>& data)) {
  const size_t cut = *rc::gen::inRange<size_t>(0, data.size() + 1);
  const ByteView all(data);
  const uint32_t whole = crc32c(all);
  RC_ASSERT(crc32c_extend(crc32c(all.first(cut)), all.subspan(cut)) == whole);
  RC_ASSERT(crc32c_extend_sw(crc32c_extend_sw(0, all.first(cut)), all.subspan(cut)) == whole);
  if (crc32c_hw_available()) {
    RC_ASSERT(crc32c_extend_hw(crc32c_extend_hw(0, all.first(cut)), all.subspan(cut)) == whole);
  }
}

// The hardware path runs three chains over 3 x 8 KiB and 3 x 256 B stretches and joins them
// with shift tables: lengths around those boundaries, unaligned starts and any starting CRC.
RC_GTEST_PROP(Crc32c, InterleavedHardwareEqualsSoftwareAcrossStrides, ()) {
  if (!crc32c_hw_available()) return;
  const size_t len = *rc::gen::oneOf(rc::gen::inRange<size_t>(0, 3 * 8192 * 2 + 800),
                                     rc::gen::inRange<size_t>(3 * 256 - 9, 3 * 256 + 9),
                                     rc::gen::inRange<size_t>(3 * 8192 - 9, 3 * 8192 + 9));
  const size_t skew = *rc::gen::inRange<size_t>(0, 8);
  const uint32_t start = *rc::gen::arbitrary<uint32_t>();
  std::vector<uint8_t> buf(len + skew);
  uint32_t x = *rc::gen::arbitrary<uint32_t>();
  for (auto& b : buf) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  const ByteView data = ByteView(buf).subspan(skew);
  RC_ASSERT(crc32c_extend_hw(start, data) == crc32c_extend_sw(start, data));
}

// combine(crc(a), crc(b), |b|) == crc(a ++ b): for any split of any bytes, empty sides too.
RC_GTEST_PROP(Crc32c, CombineEqualsChecksumOfConcatenation,
              (const std::vector<uint8_t>& a, const std::vector<uint8_t>& b)) {
  std::vector<uint8_t> ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  RC_ASSERT(crc32c_combine(crc32c(a), crc32c(b), b.size()) == crc32c(ab));
}

// n bytes from a linear congruential generator: big inputs without RapidCheck's cost.
std::vector<uint8_t> lcg_bytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> data(n);
  for (auto& v : data) {
    seed = seed * 1103515245u + 12345u;
    v = static_cast<uint8_t>(seed >> 16);
  }
  return data;
}

TEST(Crc32c, CombineOverMegabytesAndZeroLength) {
  const std::vector<uint8_t> data = lcg_bytes(3 << 20, 777);
  for (size_t cut : {size_t{0}, size_t{40}, size_t{1} << 20, data.size() - 1, data.size()}) {
    const ByteView all(data);
    EXPECT_EQ(crc32c_combine(crc32c(all.first(cut)), crc32c(all.subspan(cut)), data.size() - cut),
              crc32c(all))
        << "cut at " << cut;
  }
  EXPECT_EQ(crc32c_combine(0xE3069283, crc32c({}), 0), 0xE3069283u);
}

TEST(Crc32c, LargeBufferHwEqualsSw) {
  const std::vector<uint8_t> data = lcg_bytes(1 << 20, 12345);
  const uint32_t sw = crc32c_extend_sw(0, data);
  if (crc32c_hw_available()) {
    EXPECT_EQ(crc32c_extend_hw(0, data), sw);
  }
  EXPECT_EQ(crc32c_bitwise(data), sw);
}

}  // namespace
}  // namespace tern
