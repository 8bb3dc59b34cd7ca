// Goal: murmur2 is bit-for-bit Kafka's Utils.murmur2, so tern's producer partitions keyed
// records exactly like the Java client (and librdkafka's murmur2_random partitioner).
#include "broker/base/murmur2.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

namespace tern {
namespace {

// An independent transcription of the Java code, done the Java way: signed ints, with
// wrap-around emulated through int64 and explicit masking, `>>>` as an unsigned shift.
int32_t java_int(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(v & 0xFFFFFFFF)); }
int32_t java_mul(int32_t a, int32_t b) { return java_int(int64_t{a} * int64_t{b}); }
int32_t java_ushr(int32_t a, int s) { return static_cast<int32_t>(static_cast<uint32_t>(a) >> s); }

int32_t murmur2_java(const std::vector<int8_t>& data) {
  const int32_t length = static_cast<int32_t>(data.size());
  const int32_t seed = java_int(0x9747b28cLL);
  const int32_t m = 0x5bd1e995;
  int32_t h = seed ^ length;
  for (int32_t i = 0; i < length / 4; ++i) {
    const int32_t i4 = i * 4;
    int32_t k = java_int(int64_t{data[i4 + 0] & 0xff} + (int64_t{data[i4 + 1] & 0xff} << 8) +
                         (int64_t{data[i4 + 2] & 0xff} << 16) +
                         (int64_t{data[i4 + 3] & 0xff} << 24));
    k = java_mul(k, m);
    k ^= java_ushr(k, 24);
    k = java_mul(k, m);
    h = java_mul(h, m);
    h ^= k;
  }
  const int32_t rest = length % 4;
  const int32_t base = length & ~3;
  if (rest >= 3) h ^= (data[base + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base] & 0xff;
    h = java_mul(h, m);
  }
  h ^= java_ushr(h, 13);
  h = java_mul(h, m);
  h ^= java_ushr(h, 15);
  return h;
}

std::vector<int8_t> signed_bytes(ByteView b) { return std::vector<int8_t>(b.begin(), b.end()); }

// Apache Kafka's UtilsTest.testMurmur2 vectors.
TEST(Murmur2, KafkaVectors) {
  EXPECT_EQ(murmur2(as_bytes("21")), -973932308);
  EXPECT_EQ(murmur2(as_bytes("foobar")), -790332482);
  EXPECT_EQ(murmur2(as_bytes("a-little-bit-long-string")), -985981536);
  EXPECT_EQ(murmur2(as_bytes("a-little-bit-longer-string")), -1486304829);
  EXPECT_EQ(murmur2(as_bytes("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8")), -58897971);
  EXPECT_EQ(murmur2(as_bytes("abc")), 479470107);
}

TEST(Murmur2, ReferenceAgreesOnKafkaVectors) {
  EXPECT_EQ(murmur2_java(signed_bytes(as_bytes("21"))), -973932308);
  EXPECT_EQ(murmur2_java(signed_bytes(as_bytes("abc"))), 479470107);
}

TEST(Murmur2, ToPositiveAndPartition) {
  EXPECT_EQ(murmur2_to_positive(-973932308), -973932308 & 0x7fffffff);
  EXPECT_EQ(murmur2_to_positive(INT32_MIN), 0);
  EXPECT_EQ(murmur2_to_positive(-1), INT32_MAX);
  // toPositive(-973932308) = 1173551340 (checked by hand: clear bit 31).
  EXPECT_EQ(murmur2_partition(as_bytes("21"), 3), 1173551340 % 3);
  EXPECT_EQ(murmur2_partition(as_bytes("21"), 7), 1173551340 % 7);
  EXPECT_EQ(murmur2_partition(as_bytes("foobar"), 1), 0);
}

RC_GTEST_PROP(Murmur2, MatchesJavaTranscription, (const std::vector<uint8_t>& data)) {
  RC_ASSERT(murmur2(data) == murmur2_java(signed_bytes(data)));
}

RC_GTEST_PROP(Murmur2, PartitionInRange, (const std::vector<uint8_t>& key)) {
  const int32_t n = *rc::gen::inRange(1, 10000);
  const int32_t p = murmur2_partition(key, n);
  RC_ASSERT(p >= 0);
  RC_ASSERT(p < n);
}

}  // namespace
}  // namespace tern
