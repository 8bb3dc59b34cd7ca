// Zstandard, standard frames. The Java producer (zstd-jni streaming) writes frames without a
// content size, so decoding always streams into a capped buffer instead of trusting a size
// field; the decoder's default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT, 128 MiB) also caps
// its own memory.
#include <zstd.h>

#include <memory>

#include <fmt/format.h>

#include "broker/protocol/compression/compression.h"
#include "broker/protocol/compression/detail/output_buffer.h"

namespace tern {
namespace {

constexpr int kZstdLevel = 3;  // Kafka's default compression.zstd.level

struct DctxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

}  // namespace

RecordResult<Bytes> zstd_compress(ByteView input) {
  Bytes out(ZSTD_compressBound(input.size()));
  const size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), kZstdLevel);
  TERN_ASSERT(!ZSTD_isError(n), "ZSTD_compress: {}", ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

RecordResult<Bytes> zstd_decompress(ByteView input, size_t output_bytes_max) {
  if (input.empty()) return RecordError{RecordErrc::decompress_failed, "zstd empty input"};
  std::unique_ptr<ZSTD_DCtx, DctxFree> dctx(ZSTD_createDCtx());
  TERN_ASSERT(dctx != nullptr, "ZSTD_createDCtx");
  detail::CappedOutput out(input.size(), output_bytes_max);
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  size_t hint = 1;  // != 0: inside a frame (or before the first one)
  while (in.pos < in.size || hint != 0) {
    if (!out.reserve_space()) {
      return RecordError{RecordErrc::too_large,
                         fmt::format("zstd output exceeds cap {}", output_bytes_max)};
    }
    ZSTD_outBuffer o{out.free_begin(), out.free_bytes(), 0};
    const size_t in_before = in.pos;
    hint = ZSTD_decompressStream(dctx.get(), &o, &in);
    if (ZSTD_isError(hint)) {
      return RecordError{RecordErrc::decompress_failed,
                         fmt::format("zstd: {}", ZSTD_getErrorName(hint))};
    }
    out.commit(o.pos);
    // Output space was available, so no progress means the input ended mid-frame.
    if (o.pos == 0 && in.pos == in_before) {
      return RecordError{RecordErrc::decompress_failed, "zstd truncated frame"};
    }
  }
  if (out.over_cap()) {
    return RecordError{RecordErrc::too_large,
                       fmt::format("zstd output exceeds cap {}", output_bytes_max)};
  }
  return std::move(out).take();
}

}  // namespace tern
