#pragma once
// Kafka's variable-length integers (protobuf style): unsigned varints for compact lengths and
// tagged fields, zigzag varints/varlongs for record fields. Decoding is bounds-checked and
// returns nullopt on truncated or over-long input, never reads past the end.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tern {

constexpr size_t kVarint32MaxBytes = 5;
constexpr size_t kVarint64MaxBytes = 10;

inline size_t put_uvarint(uint8_t* out, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  out[n++] = static_cast<uint8_t>(v);
  return n;
}

inline size_t uvarint_size(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

constexpr uint64_t zigzag_encode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t zigzag_decode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

struct VarintRead {
  uint64_t value;
  size_t bytes;
};

// Reads an unsigned varint of at most max_bytes bytes from the front of `in`.
inline std::optional<VarintRead> get_uvarint(std::span<const uint8_t> in, size_t max_bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < in.size() && i < max_bytes; ++i) {
    const uint8_t b = in[i];
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      // The last byte of a 5-byte varint32 may only carry 4 bits.
      if (max_bytes == kVarint32MaxBytes && i == 4 && b > 0x0f) return std::nullopt;
      return VarintRead{v, i + 1};
    }
  }
  return std::nullopt;
}

// --- zigzag (signed) varints of record fields; added for RecordBatch v2 (records helper) ---

inline size_t put_varlong(uint8_t* out, int64_t v) { return put_uvarint(out, zigzag_encode(v)); }
// zigzag64 of a sign-extended int32 equals zigzag32, so one encoder serves both widths.
inline size_t put_varint(uint8_t* out, int32_t v) { return put_varlong(out, v); }
inline size_t varlong_size(int64_t v) { return uvarint_size(zigzag_encode(v)); }
inline size_t varint_size(int32_t v) { return varlong_size(v); }

struct SignedVarintRead {
  int64_t value;
  size_t bytes;
};

// Zigzag varint that must fit an int32 (at most 5 bytes, the last carrying <= 4 bits).
inline std::optional<SignedVarintRead> get_varint32(std::span<const uint8_t> in) {
  const auto r = get_uvarint(in, kVarint32MaxBytes);
  if (!r) return std::nullopt;
  // get_uvarint already bounded the value below 2^32, so the decoded value fits an int32.
  return SignedVarintRead{zigzag_decode(r->value), r->bytes};
}

// Zigzag varlong (at most 10 bytes; the 10th may only carry the 64th bit).
inline std::optional<SignedVarintRead> get_varlong(std::span<const uint8_t> in) {
  const auto r = get_uvarint(in, kVarint64MaxBytes);
  if (!r) return std::nullopt;
  if (r->bytes == kVarint64MaxBytes && in[kVarint64MaxBytes - 1] > 0x01) return std::nullopt;
  return SignedVarintRead{zigzag_decode(r->value), r->bytes};
}

}  // namespace tern
