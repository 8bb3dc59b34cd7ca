#pragma once
// MetadataApplier: turns the committed metadata log into published MetadataImages on one
// node (Kafka's MetadataLoader). Raft hands it committed batches in log order and, when the
// node starts from (or is sent) a snapshot, a whole image; it applies each record at its
// offset to a copy of the current image and publishes the copy once per batch, so readers
// never see half a batch (a topic without its partitions).
//
// It also decides when to snapshot: after `snapshot_bytes` of records applied since the
// last snapshot, the image is encoded and handed back through `take_snapshot` (Raft then
// may drop the log below it, KIP-630).
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/controller/metadata_cache.h"
#include "sim/runtime/runtime.h"

namespace tern::controller {

class MetadataApplier {
 public:
  using SnapshotFn = std::function<void(int64_t end_offset, int32_t epoch, Bytes data)>;

  MetadataApplier(Runtime& rt, MetadataCache& cache, std::string cluster_id,
                  int64_t snapshot_bytes, SnapshotFn take_snapshot);

  // A committed batch: records at base_offset, base_offset + 1, ... written in `epoch`.
  // Control batches (Raft's LeaderChange) advance the offset without changing the image.
  // A record that does not decode or contradicts the image is an error: the node must stop.
  Status apply_batch(int64_t base_offset, int64_t last_offset, int32_t epoch, bool control,
                     const std::vector<Bytes>& records);
  // Replaces the image with a snapshot's (covering offsets below end_offset).
  Status load_snapshot(int64_t end_offset, int32_t epoch, std::span<const uint8_t> data);

  int64_t applied_offset() const { return cache_.current()->offset; }
  uint64_t records_applied() const { return records_applied_; }

 private:
  Runtime& rt_;
  MetadataCache& cache_;
  std::string cluster_id_;
  int64_t snapshot_bytes_;
  SnapshotFn take_snapshot_;
  int64_t bytes_since_snapshot_ = 0;
  uint64_t records_applied_ = 0;
};

}  // namespace tern::controller
