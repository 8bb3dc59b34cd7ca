#pragma once
// Kafka RecordBatch, magic v2 (KIP-98), the unit of produce, fetch, replication and storage.
//
//   offset size field
//        0    8 baseOffset              assigned by the leader; not covered by the CRC
//        8    4 batchLength             bytes after this field (total size - 12)
//       12    4 partitionLeaderEpoch    stamped by the leader; not covered by the CRC
//       16    1 magic                   2 (at byte 16 in every format, so legacy is detectable)
//       17    4 crc                     CRC-32C of bytes 21..end
//       21    2 attributes              0-2 codec, 3 timestampType, 4 transactional, 5 control,
//                                       6 hasDeleteHorizon
//       23    4 lastOffsetDelta
//       27    8 baseTimestamp
//       35    8 maxTimestamp
//       43    8 producerId
//       51    2 producerEpoch
//       53    4 baseSequence
//       57    4 recordsCount
//       61      records (compressed as one stream when the codec is not none)
//
// This header parses, checks and patches batches in place; record_batch_builder.h writes them
// and record_reader.h iterates their records. See README.md for the decisions.
#include <cstdint>
#include <optional>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"
#include "broker/base/limits.h"
#include "broker/protocol/compression/compression.h"
#include "broker/protocol/records/record_error.h"

namespace tern {

namespace batch_layout {
inline constexpr size_t kBaseOffset = 0;
inline constexpr size_t kBatchLength = 8;
inline constexpr size_t kPartitionLeaderEpoch = 12;
inline constexpr size_t kMagic = 16;
inline constexpr size_t kCrc = 17;
inline constexpr size_t kAttributes = 21;
inline constexpr size_t kLastOffsetDelta = 23;
inline constexpr size_t kBaseTimestamp = 27;
inline constexpr size_t kMaxTimestamp = 35;
inline constexpr size_t kProducerId = 43;
inline constexpr size_t kProducerEpoch = 51;
inline constexpr size_t kBaseSequence = 53;
inline constexpr size_t kRecordsCount = 57;
inline constexpr size_t kRecords = 61;
// The part before batchLength's coverage starts (baseOffset + batchLength).
inline constexpr size_t kLogOverhead = 12;
// The CRC covers everything from attributes on.
inline constexpr size_t kCrcCoverageStart = kAttributes;
static_assert(kRecords == static_cast<size_t>(kBatchHeaderBytes));
static_assert(kRecordsCount + 4 == kRecords && kCrc + 4 == kAttributes);
}  // namespace batch_layout

inline constexpr int8_t kMagicV2 = 2;
// The smallest valid batchLength: a header with no records.
inline constexpr int32_t kBatchLengthMin =
    static_cast<int32_t>(kBatchHeaderBytes - batch_layout::kLogOverhead);
inline constexpr int64_t kNoTimestamp = -1;

enum class TimestampType : uint8_t { create_time = 0, log_append_time = 1 };

namespace batch_attr {
inline constexpr int16_t kCompressionMask = 0x07;
inline constexpr int16_t kTimestampType = 0x08;
inline constexpr int16_t kTransactional = 0x10;
inline constexpr int16_t kControl = 0x20;
inline constexpr int16_t kDeleteHorizon = 0x40;
}  // namespace batch_attr

// The parsed fixed header of one v2 batch plus a view of its bytes (no copy). Valid while
// the underlying buffer lives.
struct BatchHeader {
  Offset base_offset;
  int32_t batch_length = 0;
  LeaderEpoch partition_leader_epoch;
  int8_t magic = kMagicV2;
  uint32_t crc = 0;
  int16_t attributes = 0;
  int32_t last_offset_delta = 0;
  int64_t base_timestamp = kNoTimestamp;
  int64_t max_timestamp = kNoTimestamp;
  ProducerId producer_id;
  ProducerEpoch producer_epoch;
  int32_t base_sequence = kNoSequence;
  int32_t record_count = 0;
  ByteView bytes;  // exactly the batch: kLogOverhead + batch_length bytes

  Compression compression() const {
    // parse_batch_header rejected ids 5..7.
    return static_cast<Compression>(attributes & batch_attr::kCompressionMask);
  }
  TimestampType timestamp_type() const {
    return (attributes & batch_attr::kTimestampType) ? TimestampType::log_append_time
                                                     : TimestampType::create_time;
  }
  bool is_transactional() const { return attributes & batch_attr::kTransactional; }
  bool is_control() const { return attributes & batch_attr::kControl; }
  bool has_delete_horizon() const { return attributes & batch_attr::kDeleteHorizon; }
  Offset last_offset() const { return base_offset + last_offset_delta; }
  Offset next_offset() const { return last_offset().next(); }
  size_t size_bytes() const { return bytes.size(); }
  // The (possibly compressed) records section.
  ByteView records_bytes() const { return bytes.subspan(batch_layout::kRecords); }
  // The last sequence number, wrapping at INT32_MAX like Kafka (DefaultRecordBatch).
  int32_t last_sequence() const;
};

struct ParseOptions {
  // Batches larger than this are rejected as too_large before anything else is read.
  int64_t batch_bytes_max = kBatchBytesHardMax;
};

// Parses and bounds-checks the header of the batch at the front of `in`. `in` may hold more
// bytes after the batch; BatchHeader::bytes covers only this batch. Errors: truncated (the
// batch is not complete in `in`), bad_batch_length, too_large, legacy_magic, bad_magic,
// unknown_compression, bad_record_count. The CRC is NOT checked here (see verify_crc).
RecordResult<BatchHeader> parse_batch_header(ByteView in, const ParseOptions& opts = {});

// Computes the CRC-32C of a batch's covered bytes (attributes..end).
// REQUIRES: batch.size() >= kBatchHeaderBytes.
uint32_t compute_batch_crc(ByteView batch);

// bad_crc unless the stored CRC matches the bytes.
RecordStatus verify_crc(const BatchHeader& header);

// --- in-place patching (the leader assigns offsets and stamps epochs / append time) ---
// REQUIRES for all: `batch` is exactly one batch that parse_batch_header accepted.

// baseOffset is outside the CRC (Kafka's design, so the leader can assign offsets cheaply).
void set_base_offset(MutableByteView batch, Offset base_offset);
// partitionLeaderEpoch is outside the CRC as well.
void set_partition_leader_epoch(MutableByteView batch, LeaderEpoch epoch);
// Sets the timestamp type bit and maxTimestamp, then rewrites the CRC. With LogAppendTime,
// max_timestamp is the broker's append time and every record reads as that time.
void set_max_timestamp(MutableByteView batch, TimestampType type, int64_t max_timestamp);
// Recomputes and stores the CRC (after any other edit of covered bytes).
void rewrite_crc(MutableByteView batch);

// --- a buffer of concatenated batches (a segment file, a fetch response's records) ---

enum class CrcCheck : bool { skip, verify };

struct SplitOptions {
  ParseOptions parse;
  CrcCheck crc = CrcCheck::verify;
};

struct BatchSplit {
  std::vector<BatchHeader> batches;  // complete, valid batches in order
  size_t valid_bytes = 0;            // bytes covered by `batches` (all from the front)
  // Bytes of an incomplete batch at the end (a fetch response cut at max bytes, a segment
  // whose last write was torn). Not corruption: the next fetch/recovery handles it.
  size_t partial_bytes = 0;
  // The first malformed batch, at byte offset `valid_bytes`; nothing after it was looked at.
  std::optional<RecordError> error;
};

BatchSplit split_batches(ByteView in, const SplitOptions& opts = {});

}  // namespace tern
