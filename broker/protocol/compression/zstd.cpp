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
struct CctxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};

// One compression and one decompression context per thread, reused. Creating a context
// costs ~30 us (its tables are allocated and initialised): ten times the work of compressing
// or decompressing a small batch, and 80% of a simulated run that drew zstd. The contexts
// carry nothing from one call into the next output (ZSTD_compressCCtx starts a fresh frame,
// the decoder is reset per call), so sharing them between simulated nodes leaks no
// behaviour; they are a cache, not state.
ZSTD_CCtx* compress_context() {
  thread_local std::unique_ptr<ZSTD_CCtx, CctxFree> c(ZSTD_createCCtx());  // allowed: a cache
  TERN_ASSERT(c != nullptr, "ZSTD_createCCtx");
  return c.get();
}
ZSTD_DCtx* decompress_context() {
  thread_local std::unique_ptr<ZSTD_DCtx, DctxFree> d(ZSTD_createDCtx());  // allowed: a cache
  TERN_ASSERT(d != nullptr, "ZSTD_createDCtx");
  const size_t r = ZSTD_DCtx_reset(d.get(), ZSTD_reset_session_only);
  TERN_ASSERT(!ZSTD_isError(r), "ZSTD_DCtx_reset: {}", ZSTD_getErrorName(r));
  return d.get();
}

}  // namespace

RecordResult<Bytes> zstd_compress(ByteView input) {
  Bytes out(ZSTD_compressBound(input.size()));
  const size_t n = ZSTD_compressCCtx(compress_context(), out.data(), out.size(), input.data(),
                                     input.size(), kZstdLevel);
  TERN_ASSERT(!ZSTD_isError(n), "ZSTD_compress: {}", ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

RecordResult<Bytes> zstd_decompress(ByteView input, size_t output_bytes_max) {
  if (input.empty()) return RecordError{RecordErrc::decompress_failed, "zstd empty input"};
  ZSTD_DCtx* dctx = decompress_context();
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
    hint = ZSTD_decompressStream(dctx, &o, &in);
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
