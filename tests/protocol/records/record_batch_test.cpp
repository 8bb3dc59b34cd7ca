// Goal: RecordBatch v2 round-trips every shape of record under every codec, and every kind of
// damage (bit flips, truncation, lying counts and lengths, bombs, legacy magic) comes back as
// an error value, never a crash, with truncation reported as "partial", not corruption.
#include "broker/protocol/records/record_batch.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <string>
#include <vector>

#include "broker/base/varint.h"
#include "broker/protocol/records/control_record.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "broker/protocol/records/record_reader.h"
#include "sim/runtime/rng.h"
#include "tests/protocol/records/record_test_util.h"

namespace tern {
namespace {

using test::assemble_batch;
using test::draw_options;
using test::draw_records;
using test::expected_records;

Bytes small_batch(Compression c = Compression::none, int n = 3) {
  BatchOptions o;
  o.compression = c;
  o.base_offset = Offset(100);
  RecordBatchBuilder b(o);
  for (int i = 0; i < n; ++i) {
    const std::string k = "key-" + std::to_string(i), v = "value-" + std::to_string(i);
    const RecordHeaderView h[] = {{"trace", as_bytes("abc")}};
    b.add(1000 + i, as_bytes(k), as_bytes(v), h);
  }
  return b.build().value();
}

RC_GTEST_PROP(RecordBatch, RoundTrip, ()) {
  const BatchOptions o = draw_options();
  const std::vector<Record> records = draw_records(20);
  auto built = build_batch(o, records);
  RC_ASSERT(built.ok());
  auto h = parse_batch_header(*built);
  RC_ASSERT(h.ok());
  RC_ASSERT(verify_crc(*h).ok());
  RC_ASSERT(h->size_bytes() == built->size());
  RC_ASSERT(h->base_offset == o.base_offset);
  RC_ASSERT(h->partition_leader_epoch == o.partition_leader_epoch);
  RC_ASSERT(h->compression() == o.compression);
  RC_ASSERT(h->timestamp_type() == o.timestamp_type);
  RC_ASSERT(h->is_transactional() == o.transactional);
  RC_ASSERT(!h->is_control());
  RC_ASSERT(h->producer_id == o.producer_id);
  RC_ASSERT(h->producer_epoch == o.producer_epoch);
  RC_ASSERT(h->base_sequence == o.base_sequence);
  RC_ASSERT(h->record_count == static_cast<int32_t>(records.size()));
  if (!records.empty()) {
    RC_ASSERT(h->last_offset_delta == static_cast<int32_t>(records.size()) - 1);
    RC_ASSERT(h->base_timestamp == records.front().timestamp);
    int64_t max_ts = records.front().timestamp;
    for (const auto& r : records) max_ts = std::max(max_ts, r.timestamp);
    RC_ASSERT(h->max_timestamp == max_ts);
  }
  auto decoded = decode_records(*h);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(*decoded == expected_records(o, records));
}

// build() && hands the builder's buffer over (header written in place); build() const& copies.
// Both must give the same bytes, with or without a reserve() up front.
RC_GTEST_PROP(RecordBatch, BuildInPlaceEqualsBuildByCopy, ()) {
  const BatchOptions o = draw_options();
  const std::vector<Record> records = draw_records(20);
  RecordBatchBuilder b(o);
  if (*rc::gen::arbitrary<bool>()) b.reserve(*rc::gen::inRange<size_t>(0, 4096));
  for (const Record& r : records) b.add(r);
  RC_ASSERT(b.uncompressed_bytes() >= static_cast<size_t>(kBatchHeaderBytes));
  auto copied = b.build();
  RC_ASSERT(copied.ok());
  auto moved = std::move(b).build();
  RC_ASSERT(moved.ok());
  RC_ASSERT(*copied == *moved);
  RC_ASSERT(*copied == *build_batch(o, records));
  // Empty again after handing its buffer over: the same records give the same batch.
  RC_ASSERT(b.record_count() == 0u);
  RC_ASSERT(b.uncompressed_bytes() == static_cast<size_t>(kBatchHeaderBytes));
  for (const Record& r : records) b.add(r);
  auto again = std::move(b).build();
  RC_ASSERT(again.ok());
  RC_ASSERT(*again == *moved);
}

// Batches of 4 KiB of records and more get their CRC by combining the records' running CRC
// with the header's (see finish_header): it must equal the CRC over the whole batch.
RC_GTEST_PROP(RecordBatch, BigBatchCrcEqualsWholeBatchCrc, ()) {
  BatchOptions o = draw_options();
  o.compression = Compression::none;
  const int n = *rc::gen::inRange(1, 40);
  RecordBatchBuilder b(o);
  for (int i = 0; i < n; ++i) {
    const auto size = static_cast<size_t>(*rc::gen::inRange(0, 3000));
    Bytes value(size);
    for (size_t j = 0; j < size; ++j) value[j] = static_cast<uint8_t>(i * 31 + j * 7);
    const RecordHeaderView h[] = {{"k", as_bytes("v")}};
    b.add(1000 + i, std::nullopt, ByteView(value), h);
  }
  auto copied = b.build();
  RC_ASSERT(copied.ok());
  auto moved = std::move(b).build();
  RC_ASSERT(moved.ok());
  RC_ASSERT(*copied == *moved);
  RC_ASSERT(load_be32(moved->data() + batch_layout::kCrc) == compute_batch_crc(*moved));
  auto h = parse_batch_header(*moved);
  RC_ASSERT(h.ok());
  RC_ASSERT(verify_crc(*h).ok());
}

TEST(RecordBatch, LargeAndEmptyValuesEveryCodec) {
  Rng rng(77);
  Bytes big(1 << 20);
  for (auto& b : big) b = static_cast<uint8_t>(rng.below(16));  // somewhat compressible
  for (Compression c : kAllCompressions) {
    SCOPED_TRACE(std::string(compression_name(c)));
    BatchOptions o;
    o.compression = c;
    std::vector<Record> rs(4);
    rs[0].timestamp = 1;
    rs[0].value = big;
    rs[1].timestamp = 2;
    rs[1].key = Bytes{};
    rs[1].value = Bytes{};
    rs[2].timestamp = 3;  // null key, null value
    rs[3].timestamp = 4;
    rs[3].key = big;
    rs[3].headers = {{"h", big}, {"", std::nullopt}};
    auto built = build_batch(o, rs);
    ASSERT_TRUE(built.ok()) << built.error().message();
    auto h = parse_batch_header(*built);
    ASSERT_TRUE(h.ok());
    ASSERT_TRUE(verify_crc(*h).ok());
    auto decoded = decode_records(*h);
    ASSERT_TRUE(decoded.ok()) << decoded.error().message();
    EXPECT_EQ(*decoded, expected_records(o, rs));
  }
}

TEST(RecordBatch, BuilderRefusesOversizedBatch) {
  BatchOptions o;
  o.batch_bytes_max = 1000;
  RecordBatchBuilder b(o);
  b.add(0, std::nullopt, Bytes(2000, 1));
  auto r = b.build();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, RecordErrc::too_large);
}

// Any byte from the crc field on, changed in any way, is caught (by the CRC, or earlier by
// the header checks when the change hits attributes or the count).
RC_GTEST_PROP(RecordBatch, AnyFlipAfterMagicIsDetected, ()) {
  const BatchOptions o = draw_options();
  Bytes batch = build_batch(o, draw_records(5)).value();
  const size_t pos = *rc::gen::inRange<size_t>(batch_layout::kCrc, batch.size());
  const uint8_t x = *rc::gen::inRange<int>(1, 256);
  batch[pos] ^= x;
  auto h = parse_batch_header(batch);
  if (h.ok()) RC_ASSERT(!verify_crc(*h).ok());
}

TEST(RecordBatch, EverySingleBitFlipIsDetected) {
  for (Compression c : kAllCompressions) {
    const Bytes good = small_batch(c);
    for (size_t pos = batch_layout::kMagic; pos < good.size(); ++pos) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes bad = good;
        bad[pos] ^= static_cast<uint8_t>(1 << bit);
        auto h = parse_batch_header(bad);
        ASSERT_TRUE(!h.ok() || !verify_crc(*h).ok()) << compression_name(c) << " " << pos;
      }
    }
    // baseOffset and partitionLeaderEpoch are outside the CRC by design (KIP-98).
    Bytes patched = good;
    patched[3] ^= 0x10;
    patched[14] ^= 0x01;
    auto h = parse_batch_header(patched);
    ASSERT_TRUE(h.ok());
    EXPECT_TRUE(verify_crc(*h).ok());
  }
}

TEST(RecordBatch, TruncationAtEveryPositionIsPartial) {
  for (Compression c : kAllCompressions) {
    const Bytes good = small_batch(c);
    for (size_t cut = 0; cut < good.size(); ++cut) {
      const ByteView prefix = ByteView(good).first(cut);
      auto h = parse_batch_header(prefix);
      ASSERT_FALSE(h.ok());
      ASSERT_EQ(h.error().code, RecordErrc::truncated) << cut;
      const BatchSplit s = split_batches(prefix);
      ASSERT_TRUE(s.batches.empty());
      ASSERT_FALSE(s.error.has_value()) << s.error->message();
      ASSERT_EQ(s.partial_bytes, cut);
      ASSERT_EQ(s.valid_bytes, 0u);
    }
  }
}

TEST(RecordBatch, SplitConcatenatedBatchesWithPartialTail) {
  std::vector<Bytes> parts;
  Bytes all;
  for (Compression c : kAllCompressions) {
    parts.push_back(small_batch(c, 2 + static_cast<int>(c)));
    append_bytes(all, parts.back());
  }
  std::vector<size_t> ends;
  size_t acc = 0;
  for (const auto& p : parts) ends.push_back(acc += p.size());
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    const BatchSplit s = split_batches(ByteView(all).first(cut));
    ASSERT_FALSE(s.error.has_value()) << cut << ": " << s.error->message();
    size_t complete = 0, complete_bytes = 0;
    for (size_t e : ends) {
      if (e <= cut) {
        ++complete;
        complete_bytes = e;
      }
    }
    ASSERT_EQ(s.batches.size(), complete) << cut;
    ASSERT_EQ(s.valid_bytes, complete_bytes);
    ASSERT_EQ(s.partial_bytes, cut - complete_bytes);
  }
  const BatchSplit s = split_batches(all);
  ASSERT_EQ(s.batches.size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(s.batches[i].compression(), kAllCompressions[i]);
    auto recs = decode_records(s.batches[i]);
    ASSERT_TRUE(recs.ok());
    EXPECT_EQ(recs->size(), 2 + i);
  }
}

TEST(RecordBatch, SplitStopsAtCorruptBatch) {
  const Bytes a = small_batch(), b = small_batch(Compression::lz4), c = small_batch();
  Bytes all = a;
  append_bytes(all, b);
  append_bytes(all, c);
  all[a.size() + 40] ^= 0xff;  // inside b's covered bytes
  const BatchSplit s = split_batches(all);
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->code, RecordErrc::bad_crc);
  EXPECT_EQ(s.batches.size(), 1u);
  EXPECT_EQ(s.valid_bytes, a.size());
  EXPECT_EQ(s.partial_bytes, 0u);
  SplitOptions skip;
  skip.crc = CrcCheck::skip;
  EXPECT_EQ(split_batches(all, skip).batches.size(), 3u);
  // Garbage after a good batch: a bad length, not a partial batch.
  Bytes junk = a;
  append_bytes(junk, Bytes(20, 0x00));
  const BatchSplit j = split_batches(junk);
  ASSERT_TRUE(j.error.has_value());
  EXPECT_EQ(j.batches.size(), 1u);
}

TEST(RecordBatch, LegacyAndUnknownMagic) {
  // A magic v1 message (Kafka 0.10): offset, size, crc, magic=1, attributes, timestamp,
  // key (-1), value ("hi").
  Bytes v1;
  append_be64(v1, 0);
  append_be32(v1, 4 + 1 + 1 + 8 + 4 + 4 + 2);
  append_be32(v1, 0xdeadbeef);
  v1.push_back(1);
  v1.push_back(0);
  append_be64(v1, 1234);
  append_be32(v1, 0xffffffff);
  append_be32(v1, 2);
  v1.push_back('h');
  v1.push_back('i');
  auto r1 = parse_batch_header(v1);
  ASSERT_FALSE(r1.ok());
  EXPECT_EQ(r1.error().code, RecordErrc::legacy_magic);
  v1[16] = 0;
  EXPECT_EQ(parse_batch_header(v1).error().code, RecordErrc::legacy_magic);
  const BatchSplit s = split_batches(v1);
  ASSERT_TRUE(s.error.has_value());
  EXPECT_EQ(s.error->code, RecordErrc::legacy_magic);
  EXPECT_EQ(to_error(*s.error).code(), Errc::invalid_argument);

  Bytes v3 = small_batch();
  v3[16] = 3;
  EXPECT_EQ(parse_batch_header(v3).error().code, RecordErrc::bad_magic);
  v3[16] = 0xff;
  EXPECT_EQ(parse_batch_header(v3).error().code, RecordErrc::bad_magic);
  EXPECT_EQ(to_error(parse_batch_header(v3).error()).code(), Errc::corrupt);
}

TEST(RecordBatch, HeaderChecks) {
  Bytes b = small_batch();
  // batchLength below a header.
  Bytes shortlen = b;
  store_be32(shortlen.data() + batch_layout::kBatchLength, 48);
  EXPECT_EQ(parse_batch_header(shortlen).error().code, RecordErrc::bad_batch_length);
  store_be32(shortlen.data() + batch_layout::kBatchLength, 0x80000000u);
  EXPECT_EQ(parse_batch_header(shortlen).error().code, RecordErrc::bad_batch_length);
  // Over the configured maximum.
  ParseOptions small;
  small.batch_bytes_max = 64;
  EXPECT_EQ(parse_batch_header(b, small).error().code, RecordErrc::too_large);
  // Codec ids 5..7.
  for (uint16_t id : {5, 6, 7}) {
    Bytes x = b;
    store_be16(x.data() + batch_layout::kAttributes, id);
    rewrite_crc(x);
    EXPECT_EQ(parse_batch_header(x).error().code, RecordErrc::unknown_compression);
  }
  // Negative and impossible counts.
  Bytes neg = b;
  store_be32(neg.data() + batch_layout::kRecordsCount, 0xffffffffu);
  EXPECT_EQ(parse_batch_header(neg).error().code, RecordErrc::bad_record_count);
  Bytes huge = b;
  store_be32(huge.data() + batch_layout::kRecordsCount, 1000000);
  EXPECT_EQ(parse_batch_header(huge).error().code, RecordErrc::bad_record_count);
}

TEST(RecordBatch, RecordCountMismatch) {
  for (Compression c : kAllCompressions) {
    const Bytes good = small_batch(c, 3);
    const Bytes recs = test::records_section(good);
    for (int32_t count : {2, 4}) {
      const Bytes bad = assemble_batch(recs, count, c);
      auto h = parse_batch_header(bad);
      ASSERT_TRUE(h.ok());
      ASSERT_TRUE(verify_crc(*h).ok());
      auto d = decode_records(*h);
      ASSERT_FALSE(d.ok()) << compression_name(c) << " count " << count;
      EXPECT_EQ(d.error().code, RecordErrc::bad_record_count);
    }
    auto ok = decode_records(parse_batch_header(assemble_batch(recs, 3, c)).value());
    EXPECT_TRUE(ok.ok());
  }
}

Bytes varint_bytes(int64_t v) {
  uint8_t tmp[kVarint64MaxBytes];
  return Bytes(tmp, tmp + put_varlong(tmp, v));
}

// One record from parts, with a correct length prefix unless `length` overrides it.
Bytes record_bytes(const Bytes& body, std::optional<int64_t> length = std::nullopt) {
  Bytes out = varint_bytes(length.value_or(static_cast<int64_t>(body.size())));
  append_bytes(out, body);
  return out;
}

RecordErrc decode_error(const Bytes& records, int32_t count) {
  auto d = decode_records(parse_batch_header(assemble_batch(records, count)).value());
  EXPECT_FALSE(d.ok());
  return d.ok() ? RecordErrc::truncated : d.error().code;
}

TEST(RecordBatch, MalformedRecords) {
  // A well-formed body: attrs 0, tsDelta 0, offsetDelta 0, key null, value "v", 0 headers.
  const Bytes body = {0x00, 0x00, 0x00, 0x01, 0x02, 'v', 0x00};
  ASSERT_TRUE(
      decode_records(parse_batch_header(assemble_batch(record_bytes(body), 1)).value()).ok());

  // Length longer than what is left / negative.
  EXPECT_EQ(decode_error(record_bytes(body, 100), 1), RecordErrc::bad_record);
  EXPECT_EQ(decode_error(record_bytes(body, -1), 1), RecordErrc::bad_record);
  // Length shorter than the fields: the value runs past the record.
  EXPECT_EQ(decode_error(record_bytes(body, 5), 1), RecordErrc::bad_record);
  // Leftover bytes inside the record.
  Bytes padded = body;
  padded.push_back(0x00);
  EXPECT_EQ(decode_error(record_bytes(padded), 1), RecordErrc::bad_record);
  // Key length -2.
  Bytes badkey = {0x00, 0x00, 0x00, 0x03, 0x01, 0x00};
  EXPECT_EQ(decode_error(record_bytes(badkey), 1), RecordErrc::bad_record);
  // Overlong varint (offsetDelta with 6 continuation bytes).
  Bytes overlong = {0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01, 0x01, 0x00};
  EXPECT_EQ(decode_error(record_bytes(overlong), 1), RecordErrc::bad_varint);
  // Varlong timestamp with 11 bytes.
  Bytes overlong64 = {0x00};
  for (int i = 0; i < 10; ++i) overlong64.push_back(0x80);
  for (uint8_t x : {0x01, 0x00, 0x01, 0x01, 0x00}) overlong64.push_back(x);
  EXPECT_EQ(decode_error(record_bytes(overlong64), 1), RecordErrc::bad_varint);
  // Record length varint itself overlong.
  Bytes badlen = {0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00};
  EXPECT_EQ(decode_error(badlen, 1), RecordErrc::bad_varint);
  // Null header key.
  Bytes nullkey = {0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x01, 0x01};
  EXPECT_EQ(decode_error(record_bytes(nullkey), 1), RecordErrc::bad_record);
  // Negative header count, and a count bigger than the bytes could hold.
  Bytes negcount = {0x00, 0x00, 0x00, 0x01, 0x01, 0x01};
  EXPECT_EQ(decode_error(record_bytes(negcount), 1), RecordErrc::bad_record);
  Bytes bigcount = {0x00, 0x00, 0x00, 0x01, 0x01, 0x7e, 0x00, 0x00};
  EXPECT_EQ(decode_error(record_bytes(bigcount), 1), RecordErrc::bad_record);
  // Empty body.
  EXPECT_EQ(decode_error(Bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, 1),
            RecordErrc::bad_record);
}

// Random damage to the records (with a valid CRC and under every codec) never crashes the
// decoder; it either decodes or reports an error.
RC_GTEST_PROP(RecordBatch, MutatedRecordsNeverCrash, ()) {
  const Bytes good = build_batch(BatchOptions{}, draw_records(6)).value();
  Bytes recs = test::records_section(good);
  const int32_t count = parse_batch_header(good)->record_count;
  const int edits = *rc::gen::inRange(1, 6);
  for (int i = 0; i < edits && !recs.empty(); ++i) {
    const size_t pos = *rc::gen::inRange<size_t>(0, recs.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0: recs[pos] = *rc::gen::arbitrary<uint8_t>(); break;
      case 1: recs.erase(recs.begin() + static_cast<ptrdiff_t>(pos)); break;
      default:
        recs.insert(recs.begin() + static_cast<ptrdiff_t>(pos), *rc::gen::arbitrary<uint8_t>());
    }
  }
  const Compression c = *rc::gen::elementOf(
      std::vector<Compression>(std::begin(kAllCompressions), std::end(kAllCompressions)));
  const int32_t claimed = count + *rc::gen::inRange(-1, 2);
  const Bytes bad = assemble_batch(recs, std::max(claimed, 0), c);
  auto h = parse_batch_header(bad);
  if (!h.ok()) return;  // e.g. count larger than the uncompressed bytes allow
  auto d = decode_records(*h);
  if (d.ok()) RC_ASSERT(static_cast<int32_t>(d->size()) == h->record_count);
}

RC_GTEST_PROP(RecordBatch, ArbitraryBytesNeverCrash, (const std::vector<uint8_t>& junk)) {
  const BatchSplit s = split_batches(junk, SplitOptions{ParseOptions{}, CrcCheck::skip});
  for (const auto& h : s.batches) {
    auto d = decode_records(h, DecodeLimits{1 << 20, 1000});
    (void)d;
  }
  RC_ASSERT(s.valid_bytes + s.partial_bytes <= junk.size());
}

TEST(RecordBatch, DecompressionBombIsRefused) {
  for (Compression c : {Compression::gzip, Compression::snappy, Compression::lz4,
                        Compression::zstd}) {
    BatchOptions o;
    o.compression = c;
    RecordBatchBuilder b(o);
    b.add(0, std::nullopt, Bytes(4 << 20, 0));
    const Bytes batch = b.build().value();
    EXPECT_LT(batch.size(), size_t{1 << 20}) << compression_name(c);
    auto h = parse_batch_header(batch).value();
    auto d = decode_records(h, DecodeLimits{1 << 20, 100});
    ASSERT_FALSE(d.ok()) << compression_name(c);
    EXPECT_EQ(d.error().code, RecordErrc::too_large);
    EXPECT_TRUE(decode_records(h).ok());
  }
}

TEST(RecordBatch, GarbageCompressedPayloadFails) {
  const Bytes recs = test::records_section(small_batch());
  for (Compression c : {Compression::gzip, Compression::snappy, Compression::lz4,
                        Compression::zstd}) {
    Bytes batch = assemble_batch(recs, 3);  // uncompressed payload...
    store_be16(batch.data() + batch_layout::kAttributes, static_cast<uint16_t>(c));  // ...claimed
    rewrite_crc(batch);
    auto d = decode_records(parse_batch_header(batch).value());
    ASSERT_FALSE(d.ok()) << compression_name(c);
    EXPECT_EQ(d.error().code, RecordErrc::decompress_failed) << compression_name(c);
  }
}

TEST(RecordBatch, PatchOffsetsEpochAndAppendTime) {
  for (Compression c : kAllCompressions) {
    Bytes b = small_batch(c, 3);
    set_base_offset(b, Offset(5000));
    set_partition_leader_epoch(b, LeaderEpoch(17));
    auto h = parse_batch_header(b).value();
    EXPECT_TRUE(verify_crc(h).ok());  // neither field is covered: no CRC rewrite needed
    EXPECT_EQ(h.base_offset, Offset(5000));
    EXPECT_EQ(h.partition_leader_epoch, LeaderEpoch(17));
    EXPECT_EQ(h.last_offset(), Offset(5002));
    EXPECT_EQ(h.next_offset(), Offset(5003));

    set_max_timestamp(b, TimestampType::log_append_time, 99999);
    h = parse_batch_header(b).value();
    EXPECT_TRUE(verify_crc(h).ok());
    EXPECT_EQ(h.timestamp_type(), TimestampType::log_append_time);
    EXPECT_EQ(h.max_timestamp, 99999);
    EXPECT_EQ(h.compression(), c);
    auto recs = decode_records(h).value();
    ASSERT_EQ(recs.size(), 3u);
    for (size_t i = 0; i < recs.size(); ++i) {
      EXPECT_EQ(recs[i].offset, Offset(5000 + static_cast<int64_t>(i)));
      EXPECT_EQ(recs[i].timestamp, 99999);
    }
    set_max_timestamp(b, TimestampType::create_time, 1002);
    h = parse_batch_header(b).value();
    EXPECT_TRUE(verify_crc(h).ok());
    recs = decode_records(h).value();
    EXPECT_EQ(recs[0].timestamp, 1000);
    EXPECT_EQ(recs[2].timestamp, 1002);
  }
}

TEST(RecordBatch, EmptyBatchAndOffsetGaps) {
  BatchOptions o;
  o.empty_last_offset_delta = 9;
  o.producer_id = ProducerId(3);
  o.producer_epoch = ProducerEpoch(0);
  o.base_sequence = 20;
  const Bytes empty = RecordBatchBuilder(o).build().value();
  auto h = parse_batch_header(empty).value();
  EXPECT_EQ(h.record_count, 0);
  EXPECT_EQ(h.last_offset_delta, 9);
  EXPECT_EQ(h.base_timestamp, kNoTimestamp);
  EXPECT_EQ(h.last_sequence(), 29);
  EXPECT_TRUE(decode_records(h)->empty());

  RecordBatchBuilder b;
  b.add_at(0, 10, as_bytes("a"), as_bytes("1"));
  b.add_at(4, 11, as_bytes("b"), as_bytes("2"));
  const Bytes gappy = b.build().value();
  auto g = parse_batch_header(gappy).value();
  EXPECT_EQ(g.last_offset_delta, 4);
  auto recs = decode_records(g).value();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].offset, Offset(4));
}

TEST(RecordBatch, SequenceWraps) {
  BatchHeader h;
  h.base_sequence = INT32_MAX - 1;
  h.last_offset_delta = 3;
  EXPECT_EQ(h.last_sequence(), 1);  // MAX-1, MAX, 0, 1
  h.base_sequence = kNoSequence;
  EXPECT_EQ(h.last_sequence(), kNoSequence);
}

TEST(RecordBatch, ControlBatchWithCommitMarker) {
  BatchOptions o;
  o.control = true;
  o.transactional = true;
  o.producer_id = ProducerId(42);
  o.producer_epoch = ProducerEpoch(3);
  RecordBatchBuilder b(o);
  const Bytes key = encode_control_key(ControlRecordType::commit);
  const Bytes value = encode_end_txn_marker_value(12);
  b.add(777, key, value);
  const Bytes batch = b.build().value();
  auto h = parse_batch_header(batch).value();
  EXPECT_TRUE(h.is_control());
  EXPECT_TRUE(h.is_transactional());
  auto recs = decode_records(h).value();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(parse_control_key(*recs[0].key).value(), 1);
  EXPECT_EQ(parse_end_txn_marker_value(*recs[0].value).value(), 12);
  EXPECT_EQ(key, (Bytes{0, 0, 0, 1}));
  EXPECT_EQ(value, (Bytes{0, 0, 0, 0, 0, 12}));
  EXPECT_FALSE(parse_control_key(Bytes{0, 0, 1}).ok());
  EXPECT_FALSE(parse_control_key(Bytes{0xff, 0xff, 0, 1}).ok());
  EXPECT_FALSE(parse_end_txn_marker_value(Bytes{0, 0, 0}).ok());
}

TEST(RecordBatch, ReaderIteratesViewsAndStaysFailed) {
  const Bytes b = small_batch(Compression::zstd, 3);
  auto h = parse_batch_header(b).value();
  auto reader = RecordReader::open(h);
  ASSERT_TRUE(reader.ok());
  int n = 0;
  for (;;) {
    auto r = reader->next();
    ASSERT_TRUE(r.ok());
    if (!r->has_value()) break;
    const RecordView& v = **r;
    EXPECT_EQ(reader->offset_of(v), Offset(100 + n));
    EXPECT_EQ(reader->timestamp_of(v), 1000 + n);
    EXPECT_EQ(as_chars(*v.key), "key-" + std::to_string(n));
    ASSERT_EQ(v.headers.size(), 1u);
    EXPECT_EQ(v.headers[0].key, "trace");
    ++n;
  }
  EXPECT_EQ(n, 3);
  EXPECT_EQ(reader->records_read(), 3);

  const Bytes bad = assemble_batch(Bytes{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, 1);
  auto br = RecordReader::open(parse_batch_header(bad).value());
  ASSERT_TRUE(br.ok());
  EXPECT_FALSE(br->next().ok());
  EXPECT_FALSE(br->next().ok());
}

}  // namespace
}  // namespace tern
