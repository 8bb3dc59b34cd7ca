#pragma once
// Applying committed metadata records to an image, and the image's snapshot form.
//
// apply_record is a pure function of (image, record, offset): every node applies the same
// committed records in the same order and so holds the same image at the same offset. A
// record that contradicts the image (an unknown topic id, a partition out of range, a
// fence for a broker epoch that is not the registered one) is an error: the controller
// never writes one, so seeing one means a bug or a corrupt log, and the node must stop
// rather than diverge.
//
// A snapshot (KIP-630) of an image is a header (offset, epoch) and the list of records that
// rebuild it from an empty image; the same decoder and apply path serve logs and snapshots.
#include <cstdint>
#include <vector>

#include "broker/controller/metadata_image.h"
#include "broker/controller/metadata_records.h"
#include "sim/runtime/result.h"

namespace tern::controller {

Status apply_record(MetadataImage& image, const MetadataRecord& record, int64_t offset);

// The records that rebuild `image` (brokers, topics, partitions, configs, producer ids).
std::vector<MetadataRecord> image_to_records(const MetadataImage& image);

Bytes encode_snapshot(const MetadataImage& image);
// The image a snapshot holds (offset and epoch from its header; cluster_id left empty: it
// is the node's own, from meta.properties).
Result<MetadataImage> decode_snapshot(std::span<const uint8_t> bytes);

}  // namespace tern::controller
