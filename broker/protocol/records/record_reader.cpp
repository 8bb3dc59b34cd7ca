#include "broker/protocol/records/record_reader.h"

#include <fmt/format.h>

#include "broker/base/varint.h"

namespace tern {
namespace {

// A bounds-checked reader over one record's body. Every accessor fails instead of reading
// past the end; the caller turns the failure into a RecordError.
class Cursor {
 public:
  explicit Cursor(ByteView in) : in_(in) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return in_.size() - pos_; }

  std::optional<int64_t> varint32() {
    auto r = get_varint32(in_.subspan(pos_));
    if (!r) return std::nullopt;
    pos_ += r->bytes;
    return r->value;
  }
  std::optional<int64_t> varlong() {
    auto r = get_varlong(in_.subspan(pos_));
    if (!r) return std::nullopt;
    pos_ += r->bytes;
    return r->value;
  }
  std::optional<ByteView> take(size_t n) {
    if (n > remaining()) return std::nullopt;
    ByteView out = in_.subspan(pos_, n);
    pos_ += n;
    return out;
  }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

RecordError bad(RecordErrc code, std::string detail) {
  return RecordError{code, std::move(detail)};
}

// A varint length of nullable bytes: -1 = null, anything else must fit in what is left.
RecordResult<std::optional<ByteView>> nullable_bytes(Cursor& c, const char* what) {
  auto len = c.varint32();
  if (!len) return bad(RecordErrc::bad_varint, fmt::format("{} length", what));
  if (*len == -1) return std::optional<ByteView>{};
  if (*len < -1 || static_cast<uint64_t>(*len) > c.remaining()) {
    return bad(RecordErrc::bad_record,
               fmt::format("{} length {} with {} bytes left", what, *len, c.remaining()));
  }
  return std::optional<ByteView>{*c.take(static_cast<size_t>(*len))};
}

}  // namespace

RecordResult<RecordReader> RecordReader::open(const BatchHeader& header,
                                              const DecodeLimits& limits) {
  TERN_ASSERT(header.bytes.size() >= static_cast<size_t>(kBatchHeaderBytes));
  TERN_ASSERT(header.record_count >= 0, "parse_batch_header admits no negative count");
  RecordReader r(header, limits);
  if (header.compression() != Compression::none) {
    auto d = decompress(header.compression(), header.records_bytes(),
                        limits.decompressed_bytes_max);
    if (!d.ok()) return d.error();
    r.decompressed_ = std::move(d).value();
  }
  if (int64_t{header.record_count} * kRecordBytesMin > static_cast<int64_t>(r.records().size())) {
    return bad(RecordErrc::bad_record_count,
               fmt::format("count {} in {} record bytes", header.record_count,
                           r.records().size()));
  }
  return r;
}

ByteView RecordReader::records() const {
  return header_.compression() == Compression::none ? header_.records_bytes()
                                                    : ByteView(decompressed_);
}

int64_t RecordReader::timestamp_of(const RecordView& r) const {
  // Under LogAppendTime the broker's time in maxTimestamp overrides each record's own.
  if (header_.timestamp_type() == TimestampType::log_append_time) return header_.max_timestamp;
  // Two's-complement wrap, as Java's long arithmetic does: a hostile delta cannot be UB.
  return static_cast<int64_t>(static_cast<uint64_t>(header_.base_timestamp) +
                              static_cast<uint64_t>(r.timestamp_delta));
}

RecordError RecordReader::fail(RecordErrc code, std::string detail) {
  failed_ = true;
  return RecordError{code, fmt::format("record {} of batch at offset {}: {}", read_,
                                       header_.base_offset, detail)};
}

RecordResult<std::optional<RecordView>> RecordReader::next() {
  if (failed_) return fail(RecordErrc::bad_record, "reader already failed");
  const ByteView all = records();
  if (read_ == header_.record_count) {
    if (pos_ != all.size()) {
      return fail(RecordErrc::bad_record_count,
                  fmt::format("{} bytes left after {} records", all.size() - pos_, read_));
    }
    return std::optional<RecordView>{};
  }
  if (pos_ == all.size()) {
    return fail(RecordErrc::bad_record_count,
                fmt::format("records end after {} of {}", read_, header_.record_count));
  }
  auto r = parse_record();
  if (!r.ok()) return fail(r.error().code, r.error().detail);
  ++read_;
  TERN_ASSERT(pos_ <= all.size());
  return std::optional<RecordView>{std::move(r).value()};
}

RecordResult<RecordView> RecordReader::parse_record() {
  const ByteView all = records();
  Cursor outer(all.subspan(pos_));
  auto length = outer.varint32();
  if (!length) return bad(RecordErrc::bad_varint, "record length");
  if (*length < 0 || static_cast<uint64_t>(*length) > outer.remaining()) {
    return bad(RecordErrc::bad_record,
               fmt::format("record length {} with {} bytes left", *length, outer.remaining()));
  }
  const ByteView body = *outer.take(static_cast<size_t>(*length));
  Cursor c(body);
  RecordView rec;
  auto attrs = c.take(1);
  if (!attrs) return bad(RecordErrc::bad_record, "empty record body");
  rec.attributes = static_cast<int8_t>((*attrs)[0]);
  auto ts = c.varlong();
  if (!ts) return bad(RecordErrc::bad_varint, "timestampDelta");
  rec.timestamp_delta = *ts;
  auto od = c.varint32();
  if (!od) return bad(RecordErrc::bad_varint, "offsetDelta");
  rec.offset_delta = static_cast<int32_t>(*od);
  // A record's offset lies inside its batch: [base, base + lastOffsetDelta]. Anything else is
  // garbage, and base + delta could overflow (found by request_fuzz).
  if (rec.offset_delta < 0 || rec.offset_delta > header_.last_offset_delta)
    return bad(RecordErrc::bad_record,
               fmt::format("offsetDelta {} outside the batch's 0..{}", rec.offset_delta,
                           header_.last_offset_delta));
  auto key = nullable_bytes(c, "key");
  if (!key.ok()) return key.error();
  rec.key = *key;
  auto value = nullable_bytes(c, "value");
  if (!value.ok()) return value.error();
  rec.value = *value;
  auto count = c.varint32();
  if (!count) return bad(RecordErrc::bad_varint, "header count");
  // Each header takes >= 2 bytes (two one-byte lengths).
  if (*count < 0 || static_cast<uint64_t>(*count) > c.remaining() / 2) {
    return bad(RecordErrc::bad_record,
               fmt::format("header count {} with {} bytes left", *count, c.remaining()));
  }
  if (static_cast<uint64_t>(*count) > limits_.headers_per_record_max) {
    return bad(RecordErrc::too_large, fmt::format("{} headers", *count));
  }
  rec.headers.reserve(static_cast<size_t>(*count));
  for (int64_t i = 0; i < *count; ++i) {
    auto hk = nullable_bytes(c, "header key");
    if (!hk.ok()) return hk.error();
    if (!hk->has_value()) return bad(RecordErrc::bad_record, "null header key");
    auto hv = nullable_bytes(c, "header value");
    if (!hv.ok()) return hv.error();
    rec.headers.push_back(RecordHeaderView{as_chars(**hk), *hv});
  }
  if (c.remaining() != 0) {
    return bad(RecordErrc::bad_record,
               fmt::format("record length {} but fields end after {}", *length, c.pos()));
  }
  pos_ += outer.pos();
  return rec;
}

RecordResult<std::vector<Record>> decode_records(const BatchHeader& header,
                                                 const DecodeLimits& limits) {
  auto reader = RecordReader::open(header, limits);
  if (!reader.ok()) return reader.error();
  std::vector<Record> out;
  for (;;) {
    auto next = reader->next();
    if (!next.ok()) return next.error();
    if (!next->has_value()) break;
    const RecordView& v = **next;
    Record r;
    r.offset = reader->offset_of(v);
    r.timestamp = reader->timestamp_of(v);
    r.key = owned(v.key);
    r.value = owned(v.value);
    r.headers = owned(v.headers);
    out.push_back(std::move(r));
  }
  TERN_ASSERT(static_cast<int32_t>(out.size()) == header.record_count);
  return out;
}

}  // namespace tern
