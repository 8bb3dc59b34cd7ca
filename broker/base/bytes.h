#pragma once
// Byte buffers and big-endian field access. Kafka's wire and record formats are big-endian
// (network order) everywhere except inside compression frames (LZ4 sizes are little-endian,
// handled by the codec libraries). The helpers are bounds-free on purpose: callers check the
// span length once for a whole fixed-size header, then load fields without re-checking.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

#include "sim/runtime/assert.h"

namespace tern {

// An owned byte buffer. A plain vector: it interoperates with every codec library and
// std::span without adapters; the "small owned buffer type" needs nothing more yet.
using Bytes = std::vector<uint8_t>;
// A read-only view of bytes someone else owns.
using ByteView = std::span<const uint8_t>;
// A writable view (in-place patching of batch headers).
using MutableByteView = std::span<uint8_t>;

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view as_chars(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes to_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }
inline Bytes to_bytes(ByteView b) { return Bytes(b.begin(), b.end()); }

// --- big-endian loads: REQUIRES p points at >= sizeof(T) readable bytes ---
inline uint16_t load_be16(const uint8_t* p) {
  return static_cast<uint16_t>((uint16_t{p[0]} << 8) | uint16_t{p[1]});
}
inline uint32_t load_be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t load_be64(const uint8_t* p) {
  return (uint64_t{load_be32(p)} << 32) | uint64_t{load_be32(p + 4)};
}
inline int8_t load_i8(const uint8_t* p) { return static_cast<int8_t>(p[0]); }
inline int16_t load_be_i16(const uint8_t* p) { return static_cast<int16_t>(load_be16(p)); }
inline int32_t load_be_i32(const uint8_t* p) { return static_cast<int32_t>(load_be32(p)); }
inline int64_t load_be_i64(const uint8_t* p) { return static_cast<int64_t>(load_be64(p)); }

// --- big-endian stores: REQUIRES p points at >= sizeof(T) writable bytes ---
inline void store_be16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline void store_be64(uint8_t* p, uint64_t v) {
  store_be32(p, static_cast<uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<uint32_t>(v));
}

// --- appending to an owned buffer ---
inline void append_u8(Bytes& out, uint8_t v) { out.push_back(v); }
inline void append_be16(Bytes& out, uint16_t v) {
  const size_t at = out.size();
  out.resize(at + 2);
  store_be16(out.data() + at, v);
}
inline void append_be32(Bytes& out, uint32_t v) {
  const size_t at = out.size();
  out.resize(at + 4);
  store_be32(out.data() + at, v);
}
inline void append_be64(Bytes& out, uint64_t v) {
  const size_t at = out.size();
  out.resize(at + 8);
  store_be64(out.data() + at, v);
}
inline void append_bytes(Bytes& out, ByteView b) { out.insert(out.end(), b.begin(), b.end()); }

// Checked sub-view: asserts instead of silently clamping, because an out-of-range subspan
// is a programming error here (parsers check lengths against the input before slicing).
inline ByteView slice(ByteView b, size_t offset, size_t count) {
  TERN_ASSERT(offset <= b.size() && count <= b.size() - offset,
              "slice [{}, +{}) of {} bytes", offset, count, b.size());
  return b.subspan(offset, count);
}

}  // namespace tern
