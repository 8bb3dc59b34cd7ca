#include "broker/protocol/records/record_batch.h"

#include <fmt/format.h>

#include "broker/base/crc32c.h"

namespace tern {

namespace L = batch_layout;

int32_t BatchHeader::last_sequence() const {
  if (base_sequence == kNoSequence) return kNoSequence;
  // Sequences wrap from INT32_MAX to 0 (DefaultRecordBatch.incrementSequence).
  const int64_t next = int64_t{base_sequence} + last_offset_delta;
  return next > INT32_MAX ? static_cast<int32_t>(next - INT32_MAX - 1)
                          : static_cast<int32_t>(next);
}

RecordResult<BatchHeader> parse_batch_header(ByteView in, const ParseOptions& opts) {
  if (in.size() < L::kLogOverhead) {
    return RecordError{RecordErrc::truncated, fmt::format("{} bytes < log overhead", in.size())};
  }
  const int32_t batch_length = load_be_i32(in.data() + L::kBatchLength);
  // Magic first when visible: a legacy message set has smaller sizes and would otherwise be
  // misreported as a bad length.
  if (in.size() > L::kMagic) {
    const int8_t magic = load_i8(in.data() + L::kMagic);
    if (magic == 0 || magic == 1) {
      return RecordError{RecordErrc::legacy_magic, fmt::format("magic {}", magic)};
    }
    if (magic != kMagicV2) {
      return RecordError{RecordErrc::bad_magic, fmt::format("magic {}", magic)};
    }
  }
  if (batch_length < kBatchLengthMin) {
    return RecordError{RecordErrc::bad_batch_length, fmt::format("batchLength {}", batch_length)};
  }
  const int64_t total = int64_t{batch_length} + static_cast<int64_t>(L::kLogOverhead);
  if (total > opts.batch_bytes_max) {
    return RecordError{RecordErrc::too_large,
                       fmt::format("batch of {} bytes > max {}", total, opts.batch_bytes_max)};
  }
  if (static_cast<int64_t>(in.size()) < total) {
    return RecordError{RecordErrc::truncated,
                       fmt::format("batch of {} bytes, {} available", total, in.size())};
  }
  TERN_ASSERT(in.size() >= static_cast<size_t>(kBatchHeaderBytes));

  const uint8_t* p = in.data();
  BatchHeader h;
  h.base_offset = Offset(load_be_i64(p + L::kBaseOffset));
  h.batch_length = batch_length;
  h.partition_leader_epoch = LeaderEpoch(load_be_i32(p + L::kPartitionLeaderEpoch));
  h.magic = load_i8(p + L::kMagic);
  h.crc = load_be32(p + L::kCrc);
  h.attributes = load_be_i16(p + L::kAttributes);
  h.last_offset_delta = load_be_i32(p + L::kLastOffsetDelta);
  h.base_timestamp = load_be_i64(p + L::kBaseTimestamp);
  h.max_timestamp = load_be_i64(p + L::kMaxTimestamp);
  h.producer_id = ProducerId(load_be_i64(p + L::kProducerId));
  h.producer_epoch = ProducerEpoch(load_be_i16(p + L::kProducerEpoch));
  h.base_sequence = load_be_i32(p + L::kBaseSequence);
  h.record_count = load_be_i32(p + L::kRecordsCount);
  h.bytes = in.first(static_cast<size_t>(total));

  if (!compression_from_id(h.attributes & batch_attr::kCompressionMask)) {
    return RecordError{RecordErrc::unknown_compression,
                       fmt::format("codec id {}", h.attributes & batch_attr::kCompressionMask)};
  }
  if (h.record_count < 0) {
    return RecordError{RecordErrc::bad_record_count, fmt::format("count {}", h.record_count)};
  }
  // The last offset is base + delta and the next one past it must exist: a negative delta or
  // a base this close to the end of int64 is garbage (found by request_fuzz: signed overflow
  // in last_offset()).
  if (h.last_offset_delta < 0 ||
      h.base_offset.value() > INT64_MAX - 1 - int64_t{h.last_offset_delta}) {
    return RecordError{RecordErrc::bad_record_count,
                       fmt::format("base offset {} with last offset delta {}",
                                   h.base_offset.value(), h.last_offset_delta)};
  }
  // Uncompressed records take >= kRecordBytesMin bytes each: a cheap early lie detector.
  // (Compressed batches are checked while decoding, against the decompressed size.)
  if (h.compression() == Compression::none &&
      int64_t{h.record_count} * kRecordBytesMin > static_cast<int64_t>(h.records_bytes().size())) {
    return RecordError{RecordErrc::bad_record_count,
                       fmt::format("count {} in {} record bytes", h.record_count,
                                   h.records_bytes().size())};
  }
  return h;
}

uint32_t compute_batch_crc(ByteView batch) {
  TERN_ASSERT(batch.size() >= static_cast<size_t>(kBatchHeaderBytes), "{} bytes", batch.size());
  return crc32c(batch.subspan(L::kCrcCoverageStart));
}

RecordStatus verify_crc(const BatchHeader& header) {
  const uint32_t computed = compute_batch_crc(header.bytes);
  if (computed != header.crc) {
    return RecordError{RecordErrc::bad_crc,
                       fmt::format("stored {:#010x} != computed {:#010x} (base offset {})",
                                   header.crc, computed, header.base_offset)};
  }
  return {};
}

namespace {
void require_batch(MutableByteView batch) {
  TERN_ASSERT(batch.size() >= static_cast<size_t>(kBatchHeaderBytes), "{} bytes", batch.size());
  TERN_ASSERT(load_i8(batch.data() + L::kMagic) == kMagicV2 &&
                  load_be_i32(batch.data() + L::kBatchLength) + L::kLogOverhead == batch.size(),
              "not exactly one v2 batch ({} bytes)", batch.size());
}
}  // namespace

void set_base_offset(MutableByteView batch, Offset base_offset) {
  require_batch(batch);
  store_be64(batch.data() + L::kBaseOffset, static_cast<uint64_t>(base_offset.value()));
}

void set_partition_leader_epoch(MutableByteView batch, LeaderEpoch epoch) {
  require_batch(batch);
  store_be32(batch.data() + L::kPartitionLeaderEpoch, static_cast<uint32_t>(epoch.value()));
}

void set_max_timestamp(MutableByteView batch, TimestampType type, int64_t max_timestamp) {
  require_batch(batch);
  uint16_t attrs = load_be16(batch.data() + L::kAttributes);
  attrs = type == TimestampType::log_append_time
              ? static_cast<uint16_t>(attrs | batch_attr::kTimestampType)
              : static_cast<uint16_t>(attrs & ~batch_attr::kTimestampType);
  store_be16(batch.data() + L::kAttributes, attrs);
  store_be64(batch.data() + L::kMaxTimestamp, static_cast<uint64_t>(max_timestamp));
  rewrite_crc(batch);
}

void rewrite_crc(MutableByteView batch) {
  require_batch(batch);
  store_be32(batch.data() + L::kCrc, compute_batch_crc(batch));
}

BatchSplit split_batches(ByteView in, const SplitOptions& opts) {
  BatchSplit out;
  size_t pos = 0;
  while (pos < in.size()) {
    auto h = parse_batch_header(in.subspan(pos), opts.parse);
    if (!h.ok()) {
      if (h.error().code == RecordErrc::truncated) {
        out.partial_bytes = in.size() - pos;
      } else {
        out.error = h.error();
        out.error->detail = fmt::format("batch at byte {}: {}", pos, out.error->detail);
      }
      break;
    }
    if (opts.crc == CrcCheck::verify) {
      auto crc = verify_crc(*h);
      if (!crc.ok()) {
        out.error = crc.error();
        out.error->detail = fmt::format("batch at byte {}: {}", pos, out.error->detail);
        break;
      }
    }
    pos += h->size_bytes();
    out.batches.push_back(*h);
  }
  out.valid_bytes = pos;
  TERN_ASSERT(out.valid_bytes + out.partial_bytes <= in.size());
  TERN_ASSERT(!(out.partial_bytes > 0 && out.error.has_value()));
  return out;
}

}  // namespace tern
