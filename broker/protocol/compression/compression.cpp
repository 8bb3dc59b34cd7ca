#include "broker/protocol/compression/compression.h"

#include <fmt/format.h>

namespace tern {

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::none: return "none";
    case Compression::gzip: return "gzip";
    case Compression::snappy: return "snappy";
    case Compression::lz4: return "lz4";
    case Compression::zstd: return "zstd";
  }
  TERN_UNREACHABLE("compression id {}", static_cast<int>(c));
}

std::optional<Compression> compression_from_name(std::string_view name) {
  for (Compression c : kAllCompressions) {
    if (compression_name(c) == name) return c;
  }
  return std::nullopt;
}

std::optional<Compression> compression_from_id(int id) {
  if (id < 0 || id > static_cast<int>(Compression::zstd)) return std::nullopt;
  return static_cast<Compression>(id);
}

RecordResult<Bytes> compress(Compression c, ByteView input) {
  switch (c) {
    case Compression::none: return to_bytes(input);
    case Compression::gzip: return gzip_compress(input);
    case Compression::snappy: return snappy_compress_xerial(input);
    case Compression::lz4: return lz4_compress(input);
    case Compression::zstd: return zstd_compress(input);
  }
  TERN_UNREACHABLE("compression id {}", static_cast<int>(c));
}

RecordResult<Bytes> decompress(Compression c, ByteView input, size_t output_bytes_max) {
  switch (c) {
    case Compression::none:
      if (input.size() > output_bytes_max) {
        return RecordError{RecordErrc::too_large,
                           fmt::format("{} bytes > cap {}", input.size(), output_bytes_max)};
      }
      return to_bytes(input);
    case Compression::gzip: return gzip_decompress(input, output_bytes_max);
    case Compression::snappy: return snappy_decompress(input, output_bytes_max);
    case Compression::lz4: return lz4_decompress(input, output_bytes_max);
    case Compression::zstd: return zstd_decompress(input, output_bytes_max);
  }
  TERN_UNREACHABLE("compression id {}", static_cast<int>(c));
}

}  // namespace tern
