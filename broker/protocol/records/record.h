#pragma once
// One record inside a v2 batch:
//   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint (-1 = null) | key | valueLength varint (-1 = null) | value |
//   headerCount varint | headers: keyLength varint | key (UTF-8) | valueLength varint | value
// RecordView points into a batch (or its decompressed records) without copying; Record owns
// its bytes and carries absolute offset and timestamp.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"

namespace tern {

struct RecordHeaderView {
  std::string_view key;
  std::optional<ByteView> value;  // nullopt = null
};

struct RecordView {
  int8_t attributes = 0;  // unused by Kafka so far; kept for fidelity
  int64_t timestamp_delta = 0;
  int32_t offset_delta = 0;
  std::optional<ByteView> key;    // nullopt = null key
  std::optional<ByteView> value;  // nullopt = null value (a tombstone)
  std::vector<RecordHeaderView> headers;
};

struct RecordHeader {
  std::string key;
  std::optional<Bytes> value;
  friend bool operator==(const RecordHeader&, const RecordHeader&) = default;
};

// Between the owned and the view forms: a view lives as long as what it views; owned()
// copies.
inline std::optional<ByteView> view_of(const std::optional<Bytes>& b) {
  return b ? std::optional<ByteView>(*b) : std::nullopt;
}
inline std::optional<Bytes> owned(const std::optional<ByteView>& b) {
  return b ? std::optional<Bytes>(to_bytes(*b)) : std::nullopt;
}
inline RecordHeaderView view_of(const RecordHeader& h) { return {h.key, view_of(h.value)}; }
inline RecordHeader owned(const RecordHeaderView& h) {
  return {std::string(h.key), owned(h.value)};
}
inline std::vector<RecordHeaderView> views_of(std::span<const RecordHeader> headers) {
  std::vector<RecordHeaderView> out;
  out.reserve(headers.size());
  for (const RecordHeader& h : headers) out.push_back(view_of(h));
  return out;
}
inline std::vector<RecordHeader> owned(std::span<const RecordHeaderView> headers) {
  std::vector<RecordHeader> out;
  out.reserve(headers.size());
  for (const RecordHeaderView& h : headers) out.push_back(owned(h));
  return out;
}

struct Record {
  Offset offset;
  int64_t timestamp = 0;  // absolute; the batch's append time under LogAppendTime
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<RecordHeader> headers;
  friend bool operator==(const Record&, const Record&) = default;
};

}  // namespace tern
