// Snappy in Kafka comes in two shapes:
// - xerial framing (snappy-java's SnappyOutputStream, what the Java producer writes):
//   "\x82SNAPPY\0", int32 BE version (1), int32 BE min compatible version (1), then chunks of
//   int32 BE compressed length + one raw snappy block each (32 KiB of input per chunk).
// - a raw snappy block (what librdkafka's producer writes).
// librdkafka 2.0.2 (rdkafka_msgset_reader.c) checks for the xerial magic and length > 16+4
// and otherwise reads a raw block; snappy-java's SnappyInputStream also falls back to raw when
// the magic is missing. So every consumer reads xerial, and we write xerial like the Java
// producer, always with at least one chunk (librdkafka treats a bare 16-byte header as raw).
#include <snappy.h>

#include <cstring>

#include <fmt/format.h>

#include "broker/protocol/compression/compression.h"

namespace tern {
namespace {

constexpr uint8_t kXerialMagic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
constexpr size_t kXerialHeaderBytes = 16;
constexpr uint32_t kXerialVersion = 1;
constexpr uint32_t kXerialCompatibleVersion = 1;
constexpr size_t kXerialChunkInputBytes = 32 * 1024;  // snappy-java's default block size

bool has_xerial_magic(ByteView in) {
  return in.size() >= kXerialHeaderBytes && std::memcmp(in.data(), kXerialMagic, 8) == 0;
}

RecordError snappy_error(std::string detail) {
  return RecordError{RecordErrc::decompress_failed, "snappy: " + std::move(detail)};
}

// Appends one raw snappy block decoding `block` to `out`, respecting the cap.
RecordStatus append_raw_block(ByteView block, Bytes& out, size_t output_bytes_max) {
  const char* src = reinterpret_cast<const char*>(block.data());
  size_t n = 0;
  if (!snappy::GetUncompressedLength(src, block.size(), &n)) return snappy_error("bad length");
  // The densest snappy element is a 3-byte copy of 64 bytes (ratio 21.3), so a block claiming
  // more than 22x its size is a lie; refusing it early avoids allocating what it claims.
  if (n / 22 > block.size()) {
    return snappy_error(fmt::format("block of {} bytes claims {} bytes", block.size(), n));
  }
  if (n > output_bytes_max || out.size() > output_bytes_max - n) {
    return RecordError{RecordErrc::too_large,
                       fmt::format("snappy output {} + {} exceeds cap {}", out.size(), n,
                                   output_bytes_max)};
  }
  const size_t at = out.size();
  out.resize(at + n);
  if (!snappy::RawUncompress(src, block.size(), reinterpret_cast<char*>(out.data() + at))) {
    return snappy_error("corrupt block");
  }
  return {};
}

void append_raw_compressed(ByteView in, Bytes& out) {
  const size_t at = out.size();
  out.resize(at + snappy::MaxCompressedLength(in.size()));
  size_t n = 0;
  snappy::RawCompress(reinterpret_cast<const char*>(in.data()), in.size(),
                      reinterpret_cast<char*>(out.data() + at), &n);
  TERN_ASSERT(n <= out.size() - at);
  out.resize(at + n);
}

}  // namespace

RecordResult<Bytes> snappy_compress_raw(ByteView input) {
  Bytes out;
  append_raw_compressed(input, out);
  return out;
}

RecordResult<Bytes> snappy_compress_xerial(ByteView input) {
  Bytes out(kXerialMagic, kXerialMagic + 8);
  append_be32(out, kXerialVersion);
  append_be32(out, kXerialCompatibleVersion);
  size_t pos = 0;
  do {
    const size_t take = std::min(kXerialChunkInputBytes, input.size() - pos);
    const size_t len_at = out.size();
    append_be32(out, 0);  // patched below
    append_raw_compressed(input.subspan(pos, take), out);
    const size_t chunk = out.size() - len_at - 4;
    store_be32(out.data() + len_at, static_cast<uint32_t>(chunk));
    pos += take;
  } while (pos < input.size());
  TERN_ASSERT(out.size() > kXerialHeaderBytes + 4, "xerial output must hold a chunk");
  return out;
}

RecordResult<Bytes> snappy_decompress(ByteView input, size_t output_bytes_max) {
  Bytes out;
  if (!has_xerial_magic(input)) {
    TERN_TRY(append_raw_block(input, out, output_bytes_max));
    return out;
  }
  // Version fields are not checked: librdkafka and snappy-java ignore them too.
  size_t pos = kXerialHeaderBytes;
  if (pos == input.size()) return snappy_error("xerial stream without chunks");
  while (pos < input.size()) {
    if (input.size() - pos < 4) return snappy_error("truncated chunk length");
    const uint32_t len = load_be32(input.data() + pos);
    pos += 4;
    if (len > input.size() - pos) {
      return snappy_error(fmt::format("chunk of {} bytes, {} left", len, input.size() - pos));
    }
    TERN_TRY(append_raw_block(input.subspan(pos, len), out, output_bytes_max));
    pos += len;
  }
  TERN_ASSERT(pos == input.size());
  return out;
}

}  // namespace tern
