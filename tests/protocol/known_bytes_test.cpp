// Goal: pin the generated codecs to bytes worked out by hand from the protocol spec, so a
// generator bug that is symmetric (encode and decode wrong the same way) cannot hide behind
// the round-trip properties.
#include <gtest/gtest.h>

#include <vector>

#include "broker/protocol/messages.h"
#include "broker/protocol/wire.h"

namespace tern::protocol {
namespace {

template <class M>
Bytes encode(const M& m, int16_t version) {
  Writer w;
  m.encode(w, version);
  return w.take();
}

template <class M>
M decode_ok(const Bytes& bytes, int16_t version) {
  Reader r(bytes);
  M m;
  const Status st = m.decode(r, version);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message());
  EXPECT_TRUE(r.at_end());
  return m;
}

template <class M>
bool decodes(const Bytes& bytes, int16_t version) {
  Reader r(bytes);
  M m;
  return m.decode(r, version).ok();
}

TEST(KnownBytes, ApiVersionsV0RequestHeader) {
  // api_key 18, api_version 0, correlation_id 1, client_id "ab" (int16 length): header v1.
  ASSERT_EQ(request_header_version(18, 0), 1);
  RequestHeader h;
  h.api_key = 18;
  h.api_version = 0;
  h.correlation_id = 1;
  h.client_id = "ab";
  Writer w;
  h.encode(w, 1);
  ApiVersionsRequest body;
  body.encode(w, 0);  // v0 has no fields
  const Bytes want = {0x00, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 'a', 'b'};
  EXPECT_EQ(w.data(), want);

  Reader r(want);
  RequestHeader got;
  ASSERT_TRUE(decode_request_header(r, got).ok());
  EXPECT_EQ(got, h);
  EXPECT_TRUE(r.at_end());
}

TEST(KnownBytes, ApiVersionsV3RequestWithHeaderV2) {
  ASSERT_EQ(request_header_version(18, 3), 2);
  const Bytes want = {
      0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07,  // key 18, v3, correlation 7
      0x00, 0x03, 'r', 'd', 'k',                       // client_id: classic string even in v2
      0x00,                                            // header tagged fields: none
      0x02, 'x',                                       // client_software_name: compact "x"
      0x04, '1', '.', '0',                             // client_software_version: "1.0"
      0x00};                                           // body tagged fields: none
  Reader r(want);
  RequestHeader h;
  ASSERT_TRUE(decode_request_header(r, h).ok());
  EXPECT_EQ(h.api_key, 18);
  EXPECT_EQ(h.api_version, 3);
  EXPECT_EQ(h.correlation_id, 7);
  EXPECT_EQ(h.client_id, "rdk");
  ApiVersionsRequest req;
  ASSERT_TRUE(req.decode(r, 3).ok());
  EXPECT_TRUE(r.at_end());
  EXPECT_EQ(req.client_software_name, "x");
  EXPECT_EQ(req.client_software_version, "1.0");

  Writer w;
  h.encode(w, 2);
  req.encode(w, 3);
  EXPECT_EQ(w.data(), want);
}

TEST(KnownBytes, MetadataV1Request) {
  MetadataRequest m;
  m.topics = std::vector<MetadataRequest::Topic>{{.name = "foo"}};
  const Bytes want = {0x00, 0x00, 0x00, 0x01, 0x00, 0x03, 'f', 'o', 'o'};
  EXPECT_EQ(encode(m, 1), want);
  EXPECT_EQ(decode_ok<MetadataRequest>(want, 1), m);

  // v1+: a null array asks for all topics.
  m.topics.reset();
  EXPECT_EQ(encode(m, 1), (Bytes{0xff, 0xff, 0xff, 0xff}));
  EXPECT_FALSE(decode_ok<MetadataRequest>(Bytes{0xff, 0xff, 0xff, 0xff}, 1).topics.has_value());
  // v0 cannot carry null: we write an empty array, and reject a null on input.
  EXPECT_EQ(encode(m, 0), (Bytes{0x00, 0x00, 0x00, 0x00}));
  EXPECT_FALSE(decodes<MetadataRequest>(Bytes{0xff, 0xff, 0xff, 0xff}, 0));
}

TEST(KnownBytes, MetadataV4RequestCarriesAutoCreate) {
  MetadataRequest m;
  m.topics.emplace();
  EXPECT_TRUE(m.allow_auto_topic_creation);  // schema default
  EXPECT_EQ(encode(m, 4), (Bytes{0x00, 0x00, 0x00, 0x00, 0x01}));
  // Below v4 the field is absent: not written, and decodes to its default.
  m.allow_auto_topic_creation = false;
  EXPECT_EQ(encode(m, 3), (Bytes{0x00, 0x00, 0x00, 0x00}));
  EXPECT_TRUE(decode_ok<MetadataRequest>(Bytes{0x00, 0x00, 0x00, 0x00}, 3)
                  .allow_auto_topic_creation);
}

TEST(KnownBytes, ApiVersionsV0Response) {
  ApiVersionsResponse m;
  m.api_keys.push_back({.api_key = 18, .min_version = 0, .max_version = 3});
  const Bytes want = {0x00, 0x00,                           // error_code
                      0x00, 0x00, 0x00, 0x01,               // one entry
                      0x00, 0x12, 0x00, 0x00, 0x00, 0x03};  // 18: 0..3
  EXPECT_EQ(encode(m, 0), want);
  EXPECT_EQ(decode_ok<ApiVersionsResponse>(want, 0), m);
  EXPECT_EQ(response_header_version(18, 3), 0);  // always v0 for ApiVersions
}

TEST(KnownBytes, ApiVersionsV3ResponseWithTaggedField) {
  ApiVersionsResponse m;
  m.api_keys.push_back({.api_key = 18, .min_version = 0, .max_version = 3});
  m.finalized_features_epoch = 5;
  const Bytes want = {0x00, 0x00,                    // error_code
                      0x02,                          // compact array: 1 entry
                      0x00, 0x12, 0x00, 0x00, 0x00, 0x03,
                      0x00,                          // entry tagged fields
                      0x00, 0x00, 0x00, 0x00,        // throttle_time_ms
                      0x01,                          // one tagged field
                      0x01, 0x08,                    // tag 1 (finalized_features_epoch), 8 bytes
                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05};
  EXPECT_EQ(encode(m, 3), want);
  EXPECT_EQ(decode_ok<ApiVersionsResponse>(want, 3), m);
  // At its default (-1) the tagged field is simply absent.
  m.finalized_features_epoch = -1;
  const Bytes bare = {0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,
                      0x00, 0x00, 0x00, 0x00, 0x00};
  EXPECT_EQ(encode(m, 3), bare);
}

TEST(KnownBytes, ProduceV3Request) {
  ProduceRequest m;
  m.acks = -1;
  m.timeout_ms = 1000;
  auto& topic = m.topic_data.emplace_back();
  topic.name = "t";
  topic.partition_data.push_back({.index = 0, .records = Bytes{0xaa, 0xbb, 0xcc}});
  const Bytes want = {0xff, 0xff,              // transactional_id: null
                      0xff, 0xff,              // acks -1
                      0x00, 0x00, 0x03, 0xe8,  // timeout 1000
                      0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',
                      0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                      0x00, 0x00, 0x00, 0x03, 0xaa, 0xbb, 0xcc};
  EXPECT_EQ(encode(m, 3), want);
  EXPECT_EQ(decode_ok<ProduceRequest>(want, 3), m);
}

TEST(KnownBytes, UnknownTaggedFieldsArePreserved) {
  const Bytes in = {0x02, 'x', 0x02, '1',
                    0x02,                    // two tagged fields
                    0x05, 0x02, 0xaa, 0xbb,  // tag 5, 2 bytes
                    0x09, 0x00};             // tag 9, empty
  const auto m = decode_ok<ApiVersionsRequest>(in, 3);
  ASSERT_EQ(m.unknown_tagged_fields.size(), 2u);
  EXPECT_EQ(m.unknown_tagged_fields[0], (RawTaggedField{5, {0xaa, 0xbb}}));
  EXPECT_EQ(m.unknown_tagged_fields[1], (RawTaggedField{9, {}}));
  EXPECT_EQ(encode(m, 3), in);

  // Tags must ascend; duplicates and disorder are corrupt input.
  const Bytes disorder = {0x02, 'x', 0x02, '1', 0x02, 0x09, 0x00, 0x05, 0x00};
  EXPECT_FALSE(decodes<ApiVersionsRequest>(disorder, 3));
  // A known tagged field whose body is longer than the field is corrupt too.
  const Bytes bad_size = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
                          0x01, 0x01, 0x09, 0, 0, 0, 0, 0, 0, 0, 5, 0};
  EXPECT_FALSE(decodes<ApiVersionsResponse>(bad_size, 3));
}

TEST(KnownBytes, HostileLengthsAreRejectedWithoutAllocating) {
  // A 2^31-1 element array announced in a 14-byte message.
  Bytes in = {0x7f, 0xff, 0xff, 0xff};
  in.resize(14, 0);
  EXPECT_FALSE(decodes<MetadataRequest>(in, 1));
  // A compact string claiming ~4 GB.
  EXPECT_FALSE(decodes<ApiVersionsRequest>(Bytes{0xff, 0xff, 0xff, 0xff, 0x0f, 'x'}, 3));
  // An over-long varint.
  EXPECT_FALSE(decodes<ApiVersionsRequest>(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 3));
  // Negative lengths other than -1.
  EXPECT_FALSE(decodes<MetadataRequest>(Bytes{0xff, 0xff, 0xff, 0xfe}, 1));
  EXPECT_FALSE(decodes<MetadataRequest>(Bytes{0x00, 0x00, 0x00, 0x01, 0xff, 0xfe}, 1));
}

TEST(KnownBytes, UnsupportedVersionIsAnError) {
  Reader r(std::span<const uint8_t>{});
  MetadataRequest m;
  EXPECT_EQ(m.decode(r, 9).code(), Errc::invalid_argument);
  ProduceRequest p;
  EXPECT_EQ(p.decode(r, 2).code(), Errc::invalid_argument);
}

}  // namespace
}  // namespace tern::protocol
