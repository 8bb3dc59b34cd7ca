// LZ4 frame format (lz4frame.h). Kafka's magic v2 batches use the standard frame; the Java
// producer (KafkaLZ4BlockOutputStream) writes independent 64 KiB blocks without checksums or
// content size, and its reader refuses linked blocks, so we write exactly that shape. We read
// any valid frame (and concatenated frames), as librdkafka does.
#include <lz4frame.h>

#include <memory>

#include <fmt/format.h>

#include "broker/protocol/compression/compression.h"
#include "broker/protocol/compression/detail/output_buffer.h"

namespace tern {
namespace {

struct DctxFree {
  void operator()(LZ4F_dctx* d) const { LZ4F_freeDecompressionContext(d); }
};
struct CctxFree {
  void operator()(LZ4F_cctx* c) const { LZ4F_freeCompressionContext(c); }
};

RecordError lz4_error(const char* what, size_t rc) {
  return RecordError{RecordErrc::decompress_failed,
                     fmt::format("lz4 {}: {}", what, LZ4F_getErrorName(rc))};
}

}  // namespace

RecordResult<Bytes> lz4_compress(ByteView input) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  prefs.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  prefs.frameInfo.frameType = LZ4F_frame;
  prefs.frameInfo.contentSize = 0;
  prefs.compressionLevel = 0;  // default (fast) level, as the Java producer
  Bytes out(LZ4F_compressFrameBound(input.size(), &prefs));
  // A context per thread, reused: LZ4F_compressFrame makes and initialises one per call
  // (LZ4_initStream clears its 16 KiB table: 9% of a simulated run that drew lz4). A reused
  // context starts each frame afresh, so no output depends on an earlier call.
  thread_local std::unique_ptr<LZ4F_cctx, CctxFree> cctx = [] {  // allowed: a cache
    LZ4F_cctx* raw = nullptr;
    const size_t rc = LZ4F_createCompressionContext(&raw, LZ4F_VERSION);
    TERN_ASSERT(!LZ4F_isError(rc), "LZ4F_createCompressionContext: {}", LZ4F_getErrorName(rc));
    return std::unique_ptr<LZ4F_cctx, CctxFree>(raw);
  }();
  // Begin, one update and end on the reused context: the same frame LZ4F_compressFrame writes.
  size_t n = LZ4F_compressBegin(cctx.get(), out.data(), out.size(), &prefs);
  if (!LZ4F_isError(n)) {
    const size_t body = LZ4F_compressUpdate(cctx.get(), out.data() + n, out.size() - n,
                                            input.data(), input.size(), nullptr);
    n = LZ4F_isError(body) ? body : n + body;
  }
  if (!LZ4F_isError(n)) {
    const size_t tail = LZ4F_compressEnd(cctx.get(), out.data() + n, out.size() - n, nullptr);
    n = LZ4F_isError(tail) ? tail : n + tail;
  }
  // The bound makes failure impossible short of a library bug.
  TERN_ASSERT(!LZ4F_isError(n), "LZ4F compress: {}", LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

RecordResult<Bytes> lz4_decompress(ByteView input, size_t output_bytes_max) {
  LZ4F_dctx* raw = nullptr;
  const size_t rc0 = LZ4F_createDecompressionContext(&raw, LZ4F_VERSION);
  if (LZ4F_isError(rc0)) return lz4_error("context", rc0);
  std::unique_ptr<LZ4F_dctx, DctxFree> dctx(raw);
  detail::CappedOutput out(input.size(), output_bytes_max);
  size_t pos = 0;
  size_t hint = 1;  // != 0: a frame is in progress (or none started yet)
  if (input.empty()) return lz4_error("empty input", static_cast<size_t>(-1));
  while (pos < input.size() || hint != 0) {
    if (!out.reserve_space()) {
      return RecordError{RecordErrc::too_large,
                         fmt::format("lz4 output exceeds cap {}", output_bytes_max)};
    }
    size_t dst_bytes = out.free_bytes();
    size_t src_bytes = input.size() - pos;
    hint = LZ4F_decompress(dctx.get(), out.free_begin(), &dst_bytes, input.data() + pos,
                           &src_bytes, nullptr);
    if (LZ4F_isError(hint)) return lz4_error("corrupt frame", hint);
    pos += src_bytes;
    out.commit(dst_bytes);
    // Output space was available, so no progress means the input ended mid-frame.
    if (dst_bytes == 0 && src_bytes == 0) {
      return RecordError{RecordErrc::decompress_failed, "lz4 truncated frame"};
    }
  }
  if (out.over_cap()) {
    return RecordError{RecordErrc::too_large,
                       fmt::format("lz4 output exceeds cap {}", output_bytes_max)};
  }
  return std::move(out).take();
}

}  // namespace tern
