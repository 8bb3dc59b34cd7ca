#pragma once
// Kafka's murmur2 (MurmurHash2, 32-bit, seed 0x9747b28c), bit-for-bit as the Java client's
// org.apache.kafka.common.utils.Utils.murmur2. The default partitioner places a keyed record
// at toPositive(murmur2(key)) % numPartitions; tern's producer must pick the same partition
// as every other Kafka client, or keyed data would be split across partitions by client.
#include <cstdint>

#include "broker/base/bytes.h"

namespace tern {

// Returns Java's signed int result (Utils.murmur2).
int32_t murmur2(ByteView data);

// Utils.toPositive: clears the sign bit (not abs(): abs(INT_MIN) would stay negative).
constexpr int32_t murmur2_to_positive(int32_t h) { return h & 0x7fffffff; }

// The Java default partitioner's choice for a non-null key.
// REQUIRES: num_partitions > 0.
int32_t murmur2_partition(ByteView key, int32_t num_partitions);

}  // namespace tern
