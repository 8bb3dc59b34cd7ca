#include "broker/controller/metadata_applier.h"

#include "broker/controller/image_apply.h"

namespace tern::controller {

MetadataApplier::MetadataApplier(Runtime& rt, MetadataCache& cache, std::string cluster_id,
                                 int64_t snapshot_bytes, SnapshotFn take_snapshot)
    : rt_(rt),
      cache_(cache),
      cluster_id_(std::move(cluster_id)),
      snapshot_bytes_(snapshot_bytes),
      take_snapshot_(std::move(take_snapshot)) {}

Status MetadataApplier::apply_batch(int64_t base_offset, int64_t last_offset, int32_t epoch,
                                    bool control, const std::vector<Bytes>& records) {
  const MetadataImagePtr current = cache_.current();
  if (last_offset <= current->offset) return {};  // already in the image (a snapshot had it)
  TERN_ASSERT(base_offset == current->offset + 1 || current->offset < 0,
              "metadata batch at {} after image offset {}: a gap", base_offset,
              current->offset);
  auto next = std::make_shared<MetadataImage>(*current);
  next->cluster_id = cluster_id_;
  if (!control) {
    TERN_ASSERT(static_cast<int64_t>(records.size()) == last_offset - base_offset + 1,
                "batch {}..{} holds {} records", base_offset, last_offset, records.size());
    for (size_t i = 0; i < records.size(); ++i) {
      const int64_t offset = base_offset + static_cast<int64_t>(i);
      auto rec = decode_record(records[i]);
      if (!rec.ok()) {
        return Error(Errc::corrupt, fmt::format("metadata record at offset {}: {}", offset,
                                                rec.error().message()));
      }
      if (Status s = apply_record(*next, rec.value(), offset); !s.ok()) {
        return Error(Errc::corrupt,
                     fmt::format("metadata record at offset {}: {}", offset,
                                 s.error().message()));
      }
      bytes_since_snapshot_ += static_cast<int64_t>(records[i].size());
      ++records_applied_;
    }
  }
  next->offset = last_offset;
  next->epoch = epoch;
  cache_.publish(std::move(next));
  rt_.trace(Severity::debug, "metadata.applied", {{"offset", last_offset}, {"epoch", epoch}});
  if (take_snapshot_ && snapshot_bytes_ > 0 && bytes_since_snapshot_ >= snapshot_bytes_) {
    bytes_since_snapshot_ = 0;
    const MetadataImagePtr image = cache_.current();
    take_snapshot_(image->offset + 1, image->epoch, encode_snapshot(*image));
  }
  return {};
}

Status MetadataApplier::load_snapshot(int64_t end_offset, int32_t epoch,
                                      std::span<const uint8_t> data) {
  auto image = decode_snapshot(data);
  if (!image.ok()) return image.error();
  if (image.value().offset != end_offset - 1) {
    return Error(Errc::corrupt, fmt::format("metadata snapshot ends at {} but holds offset {}",
                                            end_offset, image.value().offset));
  }
  auto next = std::make_shared<MetadataImage>(std::move(image.value()));
  next->cluster_id = cluster_id_;
  next->epoch = epoch;
  bytes_since_snapshot_ = 0;
  rt_.trace("metadata.snapshot_loaded", {{"end_offset", end_offset}, {"epoch", epoch}});
  cache_.publish(std::move(next));
  return {};
}

}  // namespace tern::controller
