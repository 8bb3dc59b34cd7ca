// Goal: the wire primitives are exact (big-endian, varint and length encodings as Kafka
// defines them), total on bad input, and the header/API tables say what the protocol says.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

#include "broker/protocol/api_key.h"
#include "broker/protocol/api_table.h"
#include "broker/protocol/error_code.h"
#include "broker/protocol/msg_fetch.h"
#include "broker/protocol/wire.h"

namespace tern::protocol {
namespace {

TEST(Wire, BigEndianIntegers) {
  Writer w;
  w.write_int8(-2);
  w.write_int16(0x0102);
  w.write_int32(-2);
  w.write_int64(0x0102030405060708LL);
  w.write_uint16(0xfffe);
  w.write_float64(1.0);
  const Bytes want = {0xfe, 0x01, 0x02, 0xff, 0xff, 0xff, 0xfe, 0x01, 0x02, 0x03, 0x04,
                      0x05, 0x06, 0x07, 0x08, 0xff, 0xfe, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(w.data(), want);
  Reader r(want);
  int8_t a = 0;
  int16_t b = 0;
  int32_t c = 0;
  int64_t d = 0;
  uint16_t e = 0;
  double f = 0;
  ASSERT_TRUE(r.read_int8(a).ok());
  ASSERT_TRUE(r.read_int16(b).ok());
  ASSERT_TRUE(r.read_int32(c).ok());
  ASSERT_TRUE(r.read_int64(d).ok());
  ASSERT_TRUE(r.read_uint16(e).ok());
  ASSERT_TRUE(r.read_float64(f).ok());
  EXPECT_EQ(a, -2);
  EXPECT_EQ(b, 0x0102);
  EXPECT_EQ(c, -2);
  EXPECT_EQ(d, 0x0102030405060708LL);
  EXPECT_EQ(e, 0xfffe);
  EXPECT_EQ(f, 1.0);
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(r.read_int8(a).code(), Errc::corrupt);  // nothing left
}

TEST(Wire, VarintsAndCompactLengths) {
  Writer w;
  w.write_uvarint(300);   // ac 02
  w.write_varint32(-1);   // zigzag 1
  w.write_varint64(-65);  // zigzag 129: 81 01
  w.write_string("hi", true);  // 03 'h' 'i'
  w.write_nullable_string(std::nullopt, true, true);  // 00
  w.write_array_length(-1, true);  // 00
  w.write_array_length(2, false);  // 00 00 00 02
  w.write_int16(0);                // two one-byte elements, so the count passes the cap
  const Bytes want = {0xac, 0x02, 0x01, 0x81, 0x01, 0x03, 'h', 'i', 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x02, 0x00, 0x00};
  EXPECT_EQ(w.data(), want);
  Reader r(want);
  uint32_t u = 0;
  int32_t s32 = 0;
  int64_t s64 = 0;
  std::string str;
  std::optional<std::string> ns = "x";
  int32_t n = 0;
  ASSERT_TRUE(r.read_uvarint32(u).ok());
  ASSERT_TRUE(r.read_varint32(s32).ok());
  ASSERT_TRUE(r.read_varint64(s64).ok());
  ASSERT_TRUE(r.read_string(str, true).ok());
  ASSERT_TRUE(r.read_nullable_string(ns, true, true).ok());
  ASSERT_TRUE(r.read_array_length(n, true, true).ok());
  EXPECT_EQ(n, -1);
  ASSERT_TRUE(r.read_array_length(n, false, false).ok());
  EXPECT_EQ(u, 300u);
  EXPECT_EQ(s32, -1);
  EXPECT_EQ(s64, -65);
  EXPECT_EQ(str, "hi");
  EXPECT_FALSE(ns.has_value());
  EXPECT_EQ(n, 2);
  int16_t pad = -1;
  ASSERT_TRUE(r.read_int16(pad).ok());
  EXPECT_TRUE(r.at_end());
}

TEST(Wire, NullWhereNotAllowed) {
  // Writer: a null in a version that cannot carry one goes out empty.
  Writer w;
  w.write_nullable_string(std::nullopt, false, false);
  w.write_nullable_bytes(std::nullopt, true, false);
  EXPECT_EQ(w.data(), (Bytes{0x00, 0x00, 0x01}));
  // Reader: a null there is an error.
  const Bytes null_string = {0xff, 0xff};
  Reader r(null_string);
  std::string s;
  EXPECT_FALSE(r.read_string(s, false).ok());
  Reader r2(null_string);
  std::optional<std::string> os;
  EXPECT_FALSE(r2.read_nullable_string(os, false, false).ok());
}

TEST(Wire, LengthsAreCappedByRemainingBytes) {
  const Bytes big = {0x00, 0x00, 0x10, 0x00, 1, 2, 3};  // 4096 elements in 3 bytes
  Reader r(big);
  int32_t n = 0;
  EXPECT_EQ(r.read_array_length(n, false, false).code(), Errc::corrupt);
  const Bytes big_bytes = {0x7f, 0xff, 0xff, 0xff, 1};
  Reader r2(big_bytes);
  Bytes out;
  EXPECT_EQ(r2.read_bytes(out, false).code(), Errc::corrupt);
}

RC_GTEST_PROP(Wire, PrimitivesRoundTrip,
              (int64_t a, int32_t b, int16_t c, uint64_t d, std::string s, bool compact)) {
  RC_PRE(s.size() < 0x7fff);
  Writer w;
  w.write_int64(a);
  w.write_varint32(b);
  w.write_int16(c);
  w.write_uvarint(d);
  w.write_varint64(a);
  w.write_string(s, compact);
  w.write_bytes(Bytes(s.begin(), s.end()), compact);
  Reader r(w.data());
  int64_t a2 = 0, a3 = 0;
  int32_t b2 = 0;
  int16_t c2 = 0;
  uint64_t d2 = 0;
  std::string s2;
  Bytes bytes2;
  RC_ASSERT(r.read_int64(a2).ok());
  RC_ASSERT(r.read_varint32(b2).ok());
  RC_ASSERT(r.read_int16(c2).ok());
  RC_ASSERT(r.read_uvarint64(d2).ok());
  RC_ASSERT(r.read_varint64(a3).ok());
  RC_ASSERT(r.read_string(s2, compact).ok());
  RC_ASSERT(r.read_bytes(bytes2, compact).ok());
  RC_ASSERT(r.at_end());
  RC_ASSERT(a2 == a && a3 == a && b2 == b && c2 == c && d2 == d && s2 == s);
  RC_ASSERT(bytes2 == Bytes(s.begin(), s.end()));
}

TEST(Headers, RoundTripEveryVersion) {
  RequestHeader h;
  h.api_key = 3;
  h.api_version = 9;
  h.correlation_id = -7;
  h.client_id.reset();
  for (int16_t v = 0; v <= 2; ++v) {
    Writer w;
    h.encode(w, v);
    Reader r(w.data());
    RequestHeader got;
    ASSERT_TRUE(got.decode(r, v).ok());
    EXPECT_TRUE(r.at_end());
    EXPECT_EQ(got.correlation_id, -7);
  }
  ResponseHeader rh;
  rh.correlation_id = 42;
  rh.unknown_tagged_fields.push_back({3, {1, 2}});
  Writer w;
  rh.encode(w, 1);
  EXPECT_EQ(w.data(), (Bytes{0, 0, 0, 42, 0x01, 0x03, 0x02, 1, 2}));
  Reader r(w.data());
  ResponseHeader got;
  ASSERT_TRUE(got.decode(r, 1).ok());
  EXPECT_EQ(got, rh);
}

TEST(Headers, VersionsFollowFlexibility) {
  // Non-flexible requests: header v1 / response v0.
  EXPECT_EQ(request_header_version(3, 8), 1);
  EXPECT_EQ(response_header_version(3, 8), 0);
  EXPECT_EQ(request_header_version(1, 11), 1);
  // Flexible ones: v2 / v1 ...
  EXPECT_EQ(request_header_version(22, 4), 2);
  EXPECT_EQ(response_header_version(22, 4), 1);
  EXPECT_EQ(request_header_version(9, 7), 2);
  EXPECT_EQ(request_header_version(60, 0), 2);
  // ... except ApiVersions responses, always v0.
  EXPECT_EQ(request_header_version(18, 3), 2);
  EXPECT_EQ(response_header_version(18, 3), 0);
  // SaslHandshake is never flexible; unknown keys get the classic headers.
  EXPECT_EQ(request_header_version(17, 1), 1);
  EXPECT_EQ(request_header_version(999, 5), 1);
  EXPECT_EQ(response_header_version(999, 5), 0);
}

TEST(ApiTable, MatchesTheSupportMatrix) {
  struct Want {
    ApiKey key;
    int16_t min, max, flex;
  };
  const Want wants[] = {
      {ApiKey::api_versions, 0, 3, 3},     {ApiKey::metadata, 0, 8, 9},
      {ApiKey::produce, 3, 8, 9},          {ApiKey::fetch, 4, 11, 12},
      {ApiKey::list_offsets, 1, 5, 6},     {ApiKey::offset_fetch, 0, 7, 6},
      {ApiKey::init_producer_id, 0, 4, 2}, {ApiKey::txn_offset_commit, 0, 3, 3},
      {ApiKey::describe_cluster, 0, 0, 0}, {ApiKey::sasl_handshake, 0, 1, -1},
      {ApiKey::write_txn_markers, 0, 1, 1}};
  for (const Want& w : wants) {
    const ApiInfo* a = find_api(static_cast<int16_t>(w.key));
    ASSERT_NE(a, nullptr) << api_key_name(w.key);
    EXPECT_EQ(a->min_version, w.min) << a->name;
    EXPECT_EQ(a->max_version, w.max) << a->name;
    EXPECT_EQ(a->first_flexible, w.flex) << a->name;
    EXPECT_EQ(a->name, api_key_name(w.key));
  }
  EXPECT_EQ(find_api(static_cast<int16_t>(ApiKey::delete_records)), nullptr);
  EXPECT_TRUE(is_supported(3, 0));
  EXPECT_FALSE(is_supported(3, 9));
  EXPECT_FALSE(is_supported(0, 2));
  for (size_t i = 1; i < std::size(kSupportedApis); ++i) {
    EXPECT_LT(kSupportedApis[i - 1].key, kSupportedApis[i].key);
  }
}

TEST(ErrorCodes, NumbersAndNames) {
  EXPECT_EQ(to_wire(ErrorCode::unknown_server_error), -1);
  EXPECT_EQ(to_wire(ErrorCode::none), 0);
  EXPECT_EQ(to_wire(ErrorCode::offset_out_of_range), 1);
  EXPECT_EQ(to_wire(ErrorCode::not_leader_or_follower), 6);
  EXPECT_EQ(to_wire(ErrorCode::not_coordinator), 16);
  EXPECT_EQ(to_wire(ErrorCode::rebalance_in_progress), 27);
  EXPECT_EQ(to_wire(ErrorCode::unsupported_version), 35);
  EXPECT_EQ(to_wire(ErrorCode::topic_already_exists), 36);
  EXPECT_EQ(to_wire(ErrorCode::invalid_producer_epoch), 47);
  EXPECT_EQ(to_wire(ErrorCode::unknown_producer_id), 59);
  EXPECT_EQ(to_wire(ErrorCode::fenced_leader_epoch), 74);
  EXPECT_EQ(to_wire(ErrorCode::member_id_required), 79);
  EXPECT_EQ(to_wire(ErrorCode::producer_fenced), 90);
  EXPECT_EQ(to_wire(ErrorCode::unknown_topic_id), 100);
  EXPECT_EQ(error_code_name(ErrorCode::unknown_topic_or_partition), "UNKNOWN_TOPIC_OR_PARTITION");
  EXPECT_EQ(error_code_name(int16_t{35}), "UNSUPPORTED_VERSION");
  EXPECT_EQ(error_code_name(int16_t{-1}), "UNKNOWN_SERVER_ERROR");
  EXPECT_EQ(error_code_name(int16_t{30000}), "UNKNOWN");
  EXPECT_TRUE(is_retriable(ErrorCode::not_leader_or_follower));
  EXPECT_FALSE(is_retriable(ErrorCode::topic_already_exists));
  EXPECT_EQ(api_key_name(int16_t{18}), "ApiVersions");
  EXPECT_EQ(api_key_name(ApiKey::offset_for_leader_epoch), "OffsetForLeaderEpoch");
}

// Splicing: a Fetch response encoded with big record sets left out of the buffer, then put
// back at the splice positions, is byte for byte the ordinary encoding (every version, both
// flexible and not, several partitions, null and small records that stay inline).
RC_GTEST_PROP(Wire, SplicedEncodingReassemblesToTheCopiedOne, ()) {
  const auto version = *rc::gen::inRange<int16_t>(FetchResponse::kMinVersion,
                                                  FetchResponse::kMaxVersion + 1);
  FetchResponse resp;
  resp.throttle_time_ms = 7;
  const int topics = *rc::gen::inRange(1, 3);
  for (int t = 0; t < topics; ++t) {
    auto& tr = resp.responses.emplace_back();
    tr.topic = "t" + std::to_string(t);
    const int parts = *rc::gen::inRange(1, 4);
    for (int p = 0; p < parts; ++p) {
      auto& pd = tr.partitions.emplace_back();
      pd.partition_index = p;
      pd.high_watermark = 100 + p;
      const size_t n = *rc::gen::oneOf(rc::gen::just<size_t>(0), rc::gen::inRange<size_t>(1, 40),
                                       rc::gen::inRange<size_t>(64, 300));
      if (*rc::gen::inRange(0, 5) == 0) {
        pd.records = std::nullopt;
      } else {
        pd.records = Bytes(n);
        for (size_t i = 0; i < n; ++i) (*pd.records)[i] = static_cast<uint8_t>(i * 31 + p);
      }
      pd.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{};
    }
  }
  Writer plain;
  resp.encode(plain, version);
  Writer spliced;
  spliced.splice_bytes_from(64);
  resp.encode(spliced, version);
  const std::vector<Splice> splices = spliced.take_splices();
  const Bytes head = spliced.take();
  Bytes joined;
  size_t done = 0;
  for (const Splice& sp : splices) {
    RC_ASSERT(sp.at >= done);
    RC_ASSERT(sp.data.size() >= 64u);
    joined.insert(joined.end(), head.begin() + static_cast<std::ptrdiff_t>(done),
                  head.begin() + static_cast<std::ptrdiff_t>(sp.at));
    joined.insert(joined.end(), sp.data.begin(), sp.data.end());
    done = sp.at;
  }
  joined.insert(joined.end(), head.begin() + static_cast<std::ptrdiff_t>(done), head.end());
  RC_ASSERT(joined == plain.data());
  // What the connections send: write_spliced's pieces, in order, add up to the same bytes.
  Bytes sent;
  RC_ASSERT(write_spliced(head, splices, [&](std::span<const uint8_t> piece) {
    RC_ASSERT(!piece.empty());
    sent.insert(sent.end(), piece.begin(), piece.end());
    return true;
  }));
  RC_ASSERT(sent == plain.data());
  RC_ASSERT(head.size() + spliced_bytes(splices) == plain.size());
}

}  // namespace
}  // namespace tern::protocol
