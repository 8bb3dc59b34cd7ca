#pragma once
// Where a record goes. Keyed records use Kafka's default partitioner, bit for bit
// (toPositive(murmur2(key)) % numPartitions), so a key lands on the same partition whichever
// client wrote it. Records without a key stick to one partition per topic until its batch
// fills, then move to the next (KIP-480's sticky idea, rotated round-robin instead of at
// random so a simulated run stays the same for a seed).
#include <cstdint>
#include <map>
#include <string>

#include "broker/base/bytes.h"
#include "broker/base/murmur2.h"

namespace tern::client {

// REQUIRES: num_partitions > 0.
inline int32_t partition_for_key(ByteView key, int32_t num_partitions) {
  return murmur2_partition(key, num_partitions);
}

class StickyPartitions {
 public:
  // The current sticky partition of a topic. REQUIRES: num_partitions > 0.
  int32_t current(const std::string& topic, int32_t num_partitions) {
    TERN_ASSERT(num_partitions > 0);
    int32_t& p = current_[topic];
    if (p >= num_partitions) p = 0;
    return p;
  }
  // The topic's sticky batch is full: move on.
  void next(const std::string& topic, int32_t num_partitions) {
    TERN_ASSERT(num_partitions > 0);
    int32_t& p = current_[topic];
    p = (p + 1) % num_partitions;
    TERN_ASSERT(p >= 0 && p < num_partitions);
  }

 private:
  std::map<std::string, int32_t> current_;
};

}  // namespace tern::client
