// Goal: the zigzag varint helpers added to broker/base/varint.h for records agree with the
// Kafka encoding (ByteUtils.writeVarint/writeVarlong), reject overlong input, and the base
// helpers (big-endian access, strong ids) behave.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <fmt/format.h>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"
#include "broker/base/limits.h"
#include "broker/base/varint.h"

namespace tern {
namespace {

Bytes enc(int64_t v) {
  uint8_t tmp[kVarint64MaxBytes];
  return Bytes(tmp, tmp + put_varlong(tmp, v));
}

TEST(RecordVarint, KnownEncodings) {
  EXPECT_EQ(enc(0), (Bytes{0x00}));
  EXPECT_EQ(enc(-1), (Bytes{0x01}));
  EXPECT_EQ(enc(1), (Bytes{0x02}));
  EXPECT_EQ(enc(-64), (Bytes{0x7f}));
  EXPECT_EQ(enc(64), (Bytes{0x80, 0x01}));
  EXPECT_EQ(enc(INT32_MAX), (Bytes{0xfe, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(enc(INT32_MIN), (Bytes{0xff, 0xff, 0xff, 0xff, 0x0f}));
  EXPECT_EQ(enc(INT64_MIN).size(), 10u);
  EXPECT_EQ(varint_size(-1), 1u);
  EXPECT_EQ(varlong_size(INT64_MAX), 10u);
  uint8_t tmp[kVarint32MaxBytes];
  EXPECT_EQ(put_varint(tmp, INT32_MIN), 5u);
}

RC_GTEST_PROP(RecordVarint, Varint32RoundTrip, (int32_t v)) {
  uint8_t tmp[kVarint32MaxBytes];
  const size_t n = put_varint(tmp, v);
  RC_ASSERT(n == varint_size(v));
  auto r = get_varint32(ByteView(tmp, n));
  RC_ASSERT(r.has_value());
  RC_ASSERT(r->value == v);
  RC_ASSERT(r->bytes == n);
  // Every strict prefix is incomplete.
  for (size_t k = 0; k < n; ++k) RC_ASSERT(!get_varint32(ByteView(tmp, k)).has_value());
}

RC_GTEST_PROP(RecordVarint, VarlongRoundTrip, (int64_t v)) {
  const Bytes b = enc(v);
  RC_ASSERT(b.size() == varlong_size(v));
  auto r = get_varlong(b);
  RC_ASSERT(r.has_value());
  RC_ASSERT(r->value == v);
  RC_ASSERT(r->bytes == b.size());
}

TEST(RecordVarint, RejectsOverflow) {
  // 5th byte of a varint32 carrying more than 4 bits.
  EXPECT_FALSE(get_varint32(Bytes{0xff, 0xff, 0xff, 0xff, 0x1f}).has_value());
  EXPECT_FALSE(get_varint32(Bytes{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}).has_value());
  // 10th byte of a varlong carrying more than 1 bit.
  EXPECT_FALSE(get_varlong(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02})
                   .has_value());
  EXPECT_TRUE(get_varlong(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
                  .has_value());
  EXPECT_FALSE(get_varlong(Bytes(11, 0x80)).has_value());
  EXPECT_FALSE(get_varlong(Bytes{}).has_value());
}

TEST(RecordBase, BigEndian) {
  Bytes b;
  append_be16(b, 0x0102);
  append_be32(b, 0x03040506);
  append_be64(b, 0x0708090a0b0c0d0eULL);
  EXPECT_EQ(b, (Bytes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}));
  EXPECT_EQ(load_be16(b.data()), 0x0102);
  EXPECT_EQ(load_be32(b.data() + 2), 0x03040506u);
  EXPECT_EQ(load_be64(b.data() + 6), 0x0708090a0b0c0d0eULL);
  Bytes n(8);
  store_be64(n.data(), static_cast<uint64_t>(-2));
  EXPECT_EQ(load_be_i64(n.data()), -2);
  EXPECT_EQ(load_be_i32(n.data()), -1);
  EXPECT_EQ(load_be_i16(n.data() + 6), -2);
  EXPECT_EQ(as_chars(as_bytes("hey")), "hey");
  EXPECT_EQ(slice(b, 2, 4).size(), 4u);
}

TEST(RecordBase, StrongIds) {
  static_assert(!std::is_convertible_v<int64_t, Offset>, "no implicit conversion");
  static_assert(!std::is_convertible_v<Offset, int64_t>);
  static_assert(!std::is_same_v<NodeId, PartitionId>);
  EXPECT_LT(Offset(1), Offset(2));
  EXPECT_EQ(Offset(5) + 3, Offset(8));
  EXPECT_EQ(Offset(5) - Offset(2), 3);
  EXPECT_LT(LeaderEpoch(1), LeaderEpoch(2));
  EXPECT_EQ(kNoProducerId, ProducerId(-1));
  EXPECT_EQ(fmt::format("{} {}", NodeId(3), Offset(42)), "3 42");
  EXPECT_EQ(std::hash<NodeId>{}(NodeId(3)), std::hash<int32_t>{}(3));
  EXPECT_GT(kDecompressedBatchBytesMax, kBatchBytesMaxDefault);
}

}  // namespace
}  // namespace tern
