#pragma once
// The four compression codecs of Kafka's RecordBatch v2 (attributes bits 0-2). Only the
// records section of a batch is compressed; the 61-byte header never is.
// Every decompressor takes an output cap: a small hostile payload must not be able to make
// the broker allocate gigabytes (a "decompression bomb"). Going past the cap is an error
// (RecordErrc::too_large), garbage input is an error (RecordErrc::decompress_failed); neither
// ever crashes.
#include <cstdint>
#include <optional>
#include <string_view>

#include "broker/base/bytes.h"
#include "broker/protocol/records/record_error.h"

namespace tern {

enum class Compression : uint8_t { none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4 };

inline constexpr Compression kAllCompressions[] = {Compression::none, Compression::gzip,
                                                   Compression::snappy, Compression::lz4,
                                                   Compression::zstd};

// Kafka's names (compression.type): "none", "gzip", "snappy", "lz4", "zstd".
std::string_view compression_name(Compression c);
std::optional<Compression> compression_from_name(std::string_view name);
// The attributes-bits id; nullopt for 5..7, which Kafka rejects.
std::optional<Compression> compression_from_id(int id);

// Compresses `input` in the format Kafka's Java producer writes (see README.md):
// gzip = RFC 1952 member; snappy = xerial-framed; lz4 = LZ4 frame (independent 64 KiB blocks,
// no checksums); zstd = one standard frame. Compression::none copies.
RecordResult<Bytes> compress(Compression c, ByteView input);

// Inverse of compress, also accepting what other clients write (raw snappy, lz4 frames with
// checksums, zstd without content size, concatenated gzip members). Fails with too_large as
// soon as the output would exceed output_bytes_max.
RecordResult<Bytes> decompress(Compression c, ByteView input, size_t output_bytes_max);

// Per-codec entry points (used by the dispatchers above and by tests).
RecordResult<Bytes> gzip_compress(ByteView input);
RecordResult<Bytes> gzip_decompress(ByteView input, size_t output_bytes_max);
RecordResult<Bytes> snappy_compress_xerial(ByteView input);
RecordResult<Bytes> snappy_compress_raw(ByteView input);
// Detects the xerial header ("\x82SNAPPY\0") and otherwise reads a raw snappy block.
RecordResult<Bytes> snappy_decompress(ByteView input, size_t output_bytes_max);
RecordResult<Bytes> lz4_compress(ByteView input);
RecordResult<Bytes> lz4_decompress(ByteView input, size_t output_bytes_max);
RecordResult<Bytes> zstd_compress(ByteView input);
RecordResult<Bytes> zstd_decompress(ByteView input, size_t output_bytes_max);

}  // namespace tern
