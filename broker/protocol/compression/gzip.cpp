// gzip (RFC 1952) through zlib. Kafka's Java producer writes one gzip member through
// GZIPOutputStream; GZIPInputStream reads concatenated members, so we do too.
#include <zlib.h>

#include <fmt/format.h>

#include "broker/protocol/compression/compression.h"
#include "broker/protocol/compression/detail/output_buffer.h"

namespace tern {
namespace {

constexpr int kGzipWindowBits = 15 + 16;  // 32 KiB window, gzip wrapper instead of zlib's

RecordError gzip_error(const char* what, int rc) {
  return RecordError{RecordErrc::decompress_failed, fmt::format("gzip {}: zlib rc {}", what, rc)};
}

// One deflate and one inflate stream per thread, reset for each call: deflateInit2 allocates
// and clears ~270 KiB (window, hash chains, pending buffer), which was a fifth of a simulated
// run that drew gzip for small batches. A reset stream starts a fresh gzip member, so no
// output depends on an earlier call: a cache, not state.
// Small inputs use a small hash table (memLevel 1): deflateReset clears the table on every
// call, 64 KiB at zlib's default memLevel 8, which is more work than compressing a small batch.
// The output is a valid gzip member either way.
constexpr size_t kSmallInputBytes = 4096;
struct Deflater {
  z_stream z{};
  explicit Deflater(int mem_level) {
    const int rc = deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, mem_level,
                                Z_DEFAULT_STRATEGY);
    TERN_ASSERT(rc == Z_OK, "deflateInit2 rc {}", rc);
  }
  ~Deflater() { deflateEnd(&z); }
};
struct Inflater {
  z_stream z{};
  Inflater() {
    const int rc = inflateInit2(&z, kGzipWindowBits);
    TERN_ASSERT(rc == Z_OK, "inflateInit2 rc {}", rc);
  }
  ~Inflater() { inflateEnd(&z); }
};

}  // namespace

RecordResult<Bytes> gzip_compress(ByteView input) {
  TERN_ASSERT(input.size() <= UINT32_MAX, "gzip input {} bytes", input.size());
  thread_local Deflater small(1), large(8);  // allowed: a cache (see Deflater)
  z_stream& z = input.size() <= kSmallInputBytes ? small.z : large.z;
  int rc = deflateReset(&z);
  if (rc != Z_OK) return gzip_error("deflateReset", rc);
  Bytes out(deflateBound(&z, static_cast<uLong>(input.size())));
  z.next_in = const_cast<Bytef*>(input.data());  // zlib's API is not const-correct
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  rc = deflate(&z, Z_FINISH);
  const size_t produced = out.size() - z.avail_out;
  // deflateBound guarantees one Z_FINISH call completes.
  TERN_ASSERT(rc == Z_STREAM_END, "deflate rc {}", rc);
  out.resize(produced);
  return out;
}

RecordResult<Bytes> gzip_decompress(ByteView input, size_t output_bytes_max) {
  if (input.size() > UINT32_MAX) return RecordError{RecordErrc::too_large, "gzip input > 4 GiB"};
  thread_local Inflater inflater;  // allowed: a cache (see Deflater)
  z_stream& z = inflater.z;
  int rc = inflateReset(&z);
  if (rc != Z_OK) return gzip_error("inflateReset", rc);
  detail::CappedOutput out(input.size(), output_bytes_max);
  z.next_in = const_cast<Bytef*>(input.data());
  z.avail_in = static_cast<uInt>(input.size());
  enum class End { done, over_cap, truncated, corrupt } end;
  for (;;) {
    if (!out.reserve_space()) {
      end = End::over_cap;  // cap + 1 bytes produced and the stream wants to go on
      break;
    }
    z.next_out = out.free_begin();
    z.avail_out = static_cast<uInt>(std::min<size_t>(out.free_bytes(), UINT32_MAX));
    const uInt avail_before = z.avail_out;
    rc = inflate(&z, Z_NO_FLUSH);
    out.commit(avail_before - z.avail_out);
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) {
        end = End::done;
        break;
      }
      // Another member follows (GZIPInputStream semantics); garbage fails in the next inflate.
      if (inflateReset(&z) != Z_OK) {
        end = End::corrupt;
        break;
      }
      continue;
    }
    if (rc == Z_OK) continue;
    // Output space is always available here, so Z_BUF_ERROR means the input ran out.
    end = rc == Z_BUF_ERROR ? End::truncated : End::corrupt;
    break;
  }
  if (end == End::over_cap || out.over_cap()) {
    return RecordError{RecordErrc::too_large,
                       fmt::format("gzip output exceeds cap {}", output_bytes_max)};
  }
  if (end == End::truncated) return gzip_error("truncated stream", rc);
  if (end == End::corrupt) return gzip_error("corrupt stream", rc);
  return std::move(out).take();
}

}  // namespace tern
