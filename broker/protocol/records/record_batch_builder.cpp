#include "broker/protocol/records/record_batch_builder.h"

#include <utility>

#include <fmt/format.h>

#include "broker/base/crc32c.h"
#include "broker/base/varint.h"

namespace tern {
namespace {

namespace L = batch_layout;

void put_varint_to(Bytes& out, int64_t v) {
  uint8_t tmp[kVarint64MaxBytes];
  const size_t n = put_varlong(tmp, v);
  out.insert(out.end(), tmp, tmp + n);
}

size_t nullable_size(const std::optional<ByteView>& b) {
  if (!b) return varint_size(-1);
  return varint_size(static_cast<int32_t>(b->size())) + b->size();
}

void put_nullable(Bytes& out, const std::optional<ByteView>& b) {
  if (!b) {
    put_varint_to(out, -1);
    return;
  }
  TERN_ASSERT(b->size() <= static_cast<size_t>(INT32_MAX), "{} bytes", b->size());
  put_varint_to(out, static_cast<int64_t>(b->size()));
  append_bytes(out, *b);
}

}  // namespace

void RecordBatchBuilder::add(int64_t timestamp, std::optional<ByteView> key,
                             std::optional<ByteView> value,
                             std::span<const RecordHeaderView> headers) {
  add_at(last_offset_delta_ + 1, timestamp, key, value, headers);
}

void RecordBatchBuilder::add_at(int32_t offset_delta, int64_t timestamp,
                                std::optional<ByteView> key, std::optional<ByteView> value,
                                std::span<const RecordHeaderView> headers) {
  TERN_ASSERT(offset_delta > last_offset_delta_, "offset delta {} after {}", offset_delta,
              last_offset_delta_);
  TERN_ASSERT(count_ < INT32_MAX);
  if (!base_timestamp_) base_timestamp_ = opts_.delete_horizon_ms.value_or(timestamp);
  // Wrapping like Java's long arithmetic (the reader adds it back the same way).
  const auto ts_delta = static_cast<int64_t>(static_cast<uint64_t>(timestamp) -
                                             static_cast<uint64_t>(*base_timestamp_));

  size_t body = 1 + varlong_size(ts_delta) + varint_size(offset_delta) + nullable_size(key) +
                nullable_size(value) + varint_size(static_cast<int32_t>(headers.size()));
  for (const auto& h : headers) {
    body += nullable_size(as_bytes(h.key)) + nullable_size(h.value);
  }
  TERN_ASSERT(body <= static_cast<size_t>(INT32_MAX), "record of {} bytes", body);

  const size_t record_start = body_.size();
  put_varint_to(body_, static_cast<int64_t>(body));
  const size_t body_start = body_.size();
  body_.push_back(0);  // record attributes: unused, always 0
  put_varint_to(body_, ts_delta);
  put_varint_to(body_, offset_delta);
  put_nullable(body_, key);
  put_nullable(body_, value);
  put_varint_to(body_, static_cast<int64_t>(headers.size()));
  for (const auto& h : headers) {
    put_nullable(body_, as_bytes(h.key));
    put_nullable(body_, h.value);
  }
  TERN_ASSERT(body_.size() - body_start == body, "record body {} != computed {}",
              body_.size() - body_start, body);
  records_crc_ = crc32c_extend(records_crc_, ByteView(body_).subspan(record_start));

  ++count_;
  last_offset_delta_ = offset_delta;
  if (max_timestamp_ == kNoTimestamp || timestamp > max_timestamp_) max_timestamp_ = timestamp;
}

RecordResult<Bytes> RecordBatchBuilder::build() const& {
  Bytes out;
  std::optional<uint32_t> records_crc;
  if (opts_.compression == Compression::none) {
    out = body_;
    records_crc = records_crc_;
  } else {
    auto c = compress(opts_.compression, records());
    if (!c.ok()) return c.error();
    out.reserve(static_cast<size_t>(kBatchHeaderBytes) + c.value().size());
    out.resize(static_cast<size_t>(kBatchHeaderBytes));
    append_bytes(out, c.value());
  }
  if (static_cast<int64_t>(out.size()) > opts_.batch_bytes_max) {
    return RecordError{RecordErrc::too_large, fmt::format("batch of {} bytes > max {}",
                                                          out.size(), opts_.batch_bytes_max)};
  }
  finish_header(out, records_crc);
  return out;
}

RecordResult<Bytes> RecordBatchBuilder::build() && {
  RecordResult<Bytes> out = [&]() -> RecordResult<Bytes> {
    if (opts_.compression != Compression::none) return std::as_const(*this).build();
    if (static_cast<int64_t>(body_.size()) > opts_.batch_bytes_max) {
      return RecordError{RecordErrc::too_large, fmt::format("batch of {} bytes > max {}",
                                                            body_.size(), opts_.batch_bytes_max)};
    }
    Bytes batch = std::move(body_);
    finish_header(batch, records_crc_);
    return batch;
  }();
  *this = RecordBatchBuilder(opts_);  // empty again: nothing of the handed-over batch remains
  return out;
}

void RecordBatchBuilder::finish_header(Bytes& out, std::optional<uint32_t> records_crc) const {
  TERN_ASSERT(out.size() >= static_cast<size_t>(kBatchHeaderBytes), "{} bytes", out.size());
  const auto total = static_cast<int64_t>(out.size());
  int16_t attrs = static_cast<int16_t>(opts_.compression);
  if (opts_.timestamp_type == TimestampType::log_append_time) attrs |= batch_attr::kTimestampType;
  if (opts_.transactional) attrs |= batch_attr::kTransactional;
  if (opts_.control) attrs |= batch_attr::kControl;
  if (opts_.delete_horizon_ms) attrs |= batch_attr::kDeleteHorizon;

  const int64_t base_ts =
      opts_.delete_horizon_ms ? *opts_.delete_horizon_ms : base_timestamp_.value_or(kNoTimestamp);
  const int32_t last_delta = count_ > 0 ? last_offset_delta_ : opts_.empty_last_offset_delta;

  uint8_t* p = out.data();
  store_be64(p + L::kBaseOffset, static_cast<uint64_t>(opts_.base_offset.value()));
  store_be32(p + L::kBatchLength, static_cast<uint32_t>(total - L::kLogOverhead));
  store_be32(p + L::kPartitionLeaderEpoch,
             static_cast<uint32_t>(opts_.partition_leader_epoch.value()));
  p[L::kMagic] = static_cast<uint8_t>(kMagicV2);
  store_be16(p + L::kAttributes, static_cast<uint16_t>(attrs));
  store_be32(p + L::kLastOffsetDelta, static_cast<uint32_t>(last_delta));
  store_be64(p + L::kBaseTimestamp, static_cast<uint64_t>(base_ts));
  store_be64(p + L::kMaxTimestamp, static_cast<uint64_t>(max_timestamp_));
  store_be64(p + L::kProducerId, static_cast<uint64_t>(opts_.producer_id.value()));
  store_be16(p + L::kProducerEpoch, static_cast<uint16_t>(opts_.producer_epoch.value()));
  store_be32(p + L::kBaseSequence, static_cast<uint32_t>(opts_.base_sequence));
  store_be32(p + L::kRecordsCount, static_cast<uint32_t>(count_));
  // Small batches are cheaper to checksum whole than to combine.
  const size_t records_bytes = out.size() - static_cast<size_t>(kBatchHeaderBytes);
  if (records_crc && records_bytes >= 4096) {
    const ByteView head = ByteView(out).subspan(
        L::kCrcCoverageStart, static_cast<size_t>(kBatchHeaderBytes) - L::kCrcCoverageStart);
    store_be32(p + L::kCrc, crc32c_combine(crc32c(head), *records_crc, records_bytes));
  } else {
    store_be32(p + L::kCrc, compute_batch_crc(out));
  }
}

void RecordBatchBuilder::add(const Record& r) {
  add(r.timestamp, view_of(r.key), view_of(r.value), views_of(r.headers));
}

RecordResult<Bytes> build_batch(const BatchOptions& opts, std::span<const Record> records) {
  RecordBatchBuilder b(opts);
  for (const Record& r : records) b.add(r);
  return std::move(b).build();
}

}  // namespace tern
