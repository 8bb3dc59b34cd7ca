// Goal: every codec round-trips any input, writes the shape Kafka clients expect (xerial
// snappy, independent-block LZ4 frames), reads the other shapes clients write, and answers
// garbage, truncation and decompression bombs with an error, never a crash.
#include "broker/protocol/compression/compression.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <iterator>
#include <string>
#include <vector>

#include "sim/runtime/rng.h"

namespace tern {
namespace {

constexpr Compression kCodecs[] = {Compression::gzip, Compression::snappy, Compression::lz4,
                                   Compression::zstd};
constexpr size_t kCap = 64 * 1024 * 1024;

Bytes random_bytes(uint64_t seed, size_t n) {
  Rng rng(seed);
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng.next_u64());
  return b;
}

Bytes text_bytes(size_t n) {
  Bytes b(n);
  const std::string_view words = "the quick brown fox jumps over the lazy dog; kafka tern ";
  for (size_t i = 0; i < n; ++i) {
    b[i] = static_cast<uint8_t>(words[(i * 7 + i / 13) % words.size()]);
  }
  return b;
}

void expect_round_trip(Compression c, const Bytes& in) {
  auto z = compress(c, in);
  ASSERT_TRUE(z.ok()) << z.error().message();
  auto back = decompress(c, *z, kCap);
  ASSERT_TRUE(back.ok()) << compression_name(c) << ": " << back.error().message();
  EXPECT_EQ(*back, in) << compression_name(c);
}

TEST(Compression, NamesAndIds) {
  for (Compression c : kAllCompressions) {
    EXPECT_EQ(compression_from_name(compression_name(c)), c);
    EXPECT_EQ(compression_from_id(static_cast<int>(c)), c);
  }
  EXPECT_FALSE(compression_from_id(5).has_value());
  EXPECT_FALSE(compression_from_id(7).has_value());
  EXPECT_FALSE(compression_from_id(-1).has_value());
  EXPECT_FALSE(compression_from_name("brotli").has_value());
}

TEST(Compression, RoundTripEdgeSizes) {
  for (Compression c : kAllCompressions) {
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{100}, size_t{32 * 1024 - 1},
                     size_t{32 * 1024}, size_t{32 * 1024 + 1}, size_t{64 * 1024},
                     size_t{64 * 1024 + 1}, size_t{200 * 1024}}) {
      SCOPED_TRACE(fmt::format("{} n={}", compression_name(c), n));
      expect_round_trip(c, text_bytes(n));
      expect_round_trip(c, random_bytes(n, n));
    }
  }
}

TEST(Compression, RoundTripOneMiB) {
  for (Compression c : kAllCompressions) {
    expect_round_trip(c, text_bytes(1 << 20));
    expect_round_trip(c, random_bytes(99, 1 << 20));
  }
}

RC_GTEST_PROP(Compression, RoundTripAnyBytes, (const std::vector<uint8_t>& data)) {
  const Compression c = *rc::gen::elementOf(
      std::vector<Compression>(std::begin(kAllCompressions), std::end(kAllCompressions)));
  auto z = compress(c, data);
  RC_ASSERT(z.ok());
  auto back = decompress(c, *z, kCap);
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == data);
}

// Garbage must fail cleanly. (It may, rarely, be a valid stream: raw snappy of a short
// payload is easy to hit, so the property only demands "no crash, and if ok then bounded".)
RC_GTEST_PROP(Compression, GarbageNeverCrashes, (const std::vector<uint8_t>& data)) {
  for (Compression c : kCodecs) {
    auto r = decompress(c, data, 1 << 20);
    if (r.ok()) RC_ASSERT(r->size() <= size_t{1 << 20});
  }
}

TEST(Compression, GarbageIsAnError) {
  const Bytes junk = random_bytes(7, 4096);
  for (Compression c : kCodecs) {
    auto r = decompress(c, junk, kCap);
    ASSERT_FALSE(r.ok()) << compression_name(c);
    EXPECT_EQ(r.error().code, RecordErrc::decompress_failed) << compression_name(c);
  }
  for (Compression c : kCodecs) {
    auto r = decompress(c, ByteView{}, kCap);
    if (c == Compression::snappy) continue;  // an empty raw snappy input is checked below
    EXPECT_FALSE(r.ok()) << compression_name(c) << " empty input";
  }
  EXPECT_FALSE(snappy_decompress(ByteView{}, kCap).ok());
}

TEST(Compression, EveryTruncationIsAnError) {
  const Bytes in = text_bytes(70 * 1024);
  for (Compression c : kCodecs) {
    auto z = compress(c, in);
    ASSERT_TRUE(z.ok());
    for (size_t cut = 0; cut < z->size(); ++cut) {
      auto r = decompress(c, ByteView(*z).first(cut), kCap);
      if (r.ok() && c == Compression::snappy) {
        // xerial framing has no end marker: a cut exactly between chunks reads as a shorter
        // stream. The batch CRC catches that; here it must at least be a clean prefix.
        ASSERT_LT(r->size(), in.size());
        ASSERT_TRUE(std::equal(r->begin(), r->end(), in.begin())) << cut;
        continue;
      }
      ASSERT_FALSE(r.ok()) << compression_name(c) << " cut at " << cut << " of " << z->size();
    }
  }
}

TEST(Compression, FlippedBytesNeverCrash) {
  const Bytes in = text_bytes(10 * 1024);
  Rng rng(2024);
  for (Compression c : kCodecs) {
    auto z = compress(c, in);
    ASSERT_TRUE(z.ok());
    for (int i = 0; i < 500; ++i) {
      Bytes bad = *z;
      bad[rng.below(bad.size())] ^= static_cast<uint8_t>(1 + rng.below(255));
      auto r = decompress(c, bad, 1 << 20);
      if (r.ok()) {
        EXPECT_LE(r->size(), size_t{1 << 20});
      }
    }
  }
}

TEST(Compression, OutputCapIsEnforced) {
  const Bytes zeros(8 << 20, 0);  // compresses to almost nothing: a small bomb
  for (Compression c : kCodecs) {
    auto z = compress(c, zeros);
    ASSERT_TRUE(z.ok());
    EXPECT_LT(z->size(), size_t{1 << 20}) << compression_name(c);
    auto r = decompress(c, *z, 1 << 20);
    ASSERT_FALSE(r.ok()) << compression_name(c);
    EXPECT_EQ(r.error().code, RecordErrc::too_large) << compression_name(c);
    // Exactly at the cap is fine, one byte below is not.
    auto exact = decompress(c, *z, zeros.size());
    ASSERT_TRUE(exact.ok()) << compression_name(c) << exact.error().message();
    auto below = decompress(c, *z, zeros.size() - 1);
    ASSERT_FALSE(below.ok()) << compression_name(c);
    EXPECT_EQ(below.error().code, RecordErrc::too_large);
  }
  auto none = decompress(Compression::none, zeros, 10);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, RecordErrc::too_large);
}

TEST(Compression, SnappyWritesXerialFraming) {
  const Bytes in = text_bytes(100 * 1024);
  auto z = snappy_compress_xerial(in);
  ASSERT_TRUE(z.ok());
  const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
  ASSERT_GE(z->size(), 20u);
  EXPECT_EQ(std::memcmp(z->data(), magic, 8), 0);
  EXPECT_EQ(load_be32(z->data() + 8), 1u);   // version
  EXPECT_EQ(load_be32(z->data() + 12), 1u);  // compatible version
  // Walk the chunks by hand: 100 KiB of input in 32 KiB chunks = 4 chunks.
  size_t pos = 16, chunks = 0, total = 0;
  while (pos < z->size()) {
    const uint32_t len = load_be32(z->data() + pos);
    pos += 4;
    size_t n = 0;
    ASSERT_TRUE(
        snappy::GetUncompressedLength(reinterpret_cast<const char*>(z->data() + pos), len, &n));
    total += n;
    pos += len;
    ++chunks;
  }
  EXPECT_EQ(pos, z->size());
  EXPECT_EQ(chunks, 4u);
  EXPECT_EQ(total, in.size());
  // Even empty input gets one chunk (librdkafka needs > 20 bytes to detect the framing).
  auto empty = snappy_compress_xerial(ByteView{});
  ASSERT_TRUE(empty.ok());
  EXPECT_GT(empty->size(), 20u);
}

TEST(Compression, SnappyReadsRawBlocks) {
  // What librdkafka's producer writes: one raw snappy block, no framing.
  const Bytes in = text_bytes(50 * 1024);
  std::string raw;
  snappy::Compress(reinterpret_cast<const char*>(in.data()), in.size(), &raw);
  auto back = snappy_decompress(as_bytes(raw), kCap);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, in);
  auto ours = snappy_compress_raw(in);
  ASSERT_TRUE(ours.ok());
  auto back2 = decompress(Compression::snappy, *ours, kCap);
  ASSERT_TRUE(back2.ok());
  EXPECT_EQ(*back2, in);
}

TEST(Compression, SnappyRejectsLyingLengths) {
  // A 5-byte varint claiming 4 GiB - 1 of output: must be refused without allocating it.
  const Bytes lie = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};
  auto r = snappy_decompress(lie, SIZE_MAX - 1);
  ASSERT_FALSE(r.ok());
  // A xerial chunk whose length runs past the end.
  Bytes framed = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0};
  EXPECT_FALSE(snappy_decompress(framed, kCap).ok());
  // Header only.
  framed.resize(16);
  EXPECT_FALSE(snappy_decompress(framed, kCap).ok());
}

TEST(Compression, Lz4WritesKafkaCompatibleFrame) {
  auto z = lz4_compress(text_bytes(1000));
  ASSERT_TRUE(z.ok());
  ASSERT_GE(z->size(), 7u);
  EXPECT_EQ(z->data()[0], 0x04);  // magic 0x184D2204, little-endian
  EXPECT_EQ(z->data()[1], 0x22);
  EXPECT_EQ(z->data()[2], 0x4D);
  EXPECT_EQ(z->data()[3], 0x18);
  // FLG: version 01, block independence set, no block/content checksum, no content size.
  EXPECT_EQ(z->data()[4], 0x60);
  // BD: 64 KiB max block size (id 4).
  EXPECT_EQ(z->data()[5], 0x40);
}

TEST(Compression, Lz4ReadsFramesWithChecksumsAndLinkedBlocks) {
  const Bytes in = text_bytes(300 * 1024);
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockMode = LZ4F_blockLinked;
  prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
  prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
  prefs.frameInfo.contentSize = in.size();
  Bytes z(LZ4F_compressFrameBound(in.size(), &prefs));
  const size_t n = LZ4F_compressFrame(z.data(), z.size(), in.data(), in.size(), &prefs);
  ASSERT_FALSE(LZ4F_isError(n));
  z.resize(n);
  auto back = lz4_decompress(z, kCap);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, in);
  // A flipped payload byte now fails the content checksum.
  z[z.size() / 2] ^= 0x01;
  EXPECT_FALSE(lz4_decompress(z, kCap).ok());
}

TEST(Compression, ZstdReadsFramesWithoutContentSize) {
  // zstd-jni's streaming output (the Java producer) has no content size in the header.
  const Bytes in = text_bytes(500 * 1024);
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  Bytes z(ZSTD_compressBound(in.size()));
  ZSTD_outBuffer out{z.data(), z.size(), 0};
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  size_t rc;
  do {
    rc = ZSTD_compressStream2(cctx, &out, &src, ZSTD_e_end);
    ASSERT_FALSE(ZSTD_isError(rc));
  } while (rc != 0);
  ZSTD_freeCCtx(cctx);
  z.resize(out.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(z.data(), z.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  auto back = zstd_decompress(z, kCap);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(*back, in);
  auto capped = zstd_decompress(z, in.size() - 1);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, RecordErrc::too_large);
}

TEST(Compression, GzipReadsConcatenatedMembersAndRejectsTrailingGarbage) {
  const Bytes a = text_bytes(1000), b = random_bytes(3, 500);
  auto za = gzip_compress(a), zb = gzip_compress(b);
  ASSERT_TRUE(za.ok() && zb.ok());
  Bytes both = *za;
  append_bytes(both, *zb);
  auto back = gzip_decompress(both, kCap);
  ASSERT_TRUE(back.ok()) << back.error().message();
  Bytes want = a;
  append_bytes(want, b);
  EXPECT_EQ(*back, want);
  Bytes junk = *za;
  junk.push_back(0x42);
  EXPECT_FALSE(gzip_decompress(junk, kCap).ok());
  // gzip magic check: a zlib (not gzip) stream is rejected.
  Bytes zlib_stream(compressBound(a.size()));
  uLongf zn = zlib_stream.size();
  ASSERT_EQ(compress2(zlib_stream.data(), &zn, a.data(), a.size(), 6), Z_OK);
  zlib_stream.resize(zn);
  EXPECT_FALSE(gzip_decompress(zlib_stream, kCap).ok());
  EXPECT_EQ((*za)[0], 0x1f);
  EXPECT_EQ((*za)[1], 0x8b);
}

}  // namespace
}  // namespace tern
