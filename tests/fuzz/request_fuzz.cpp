// request_fuzz: the bytes a client sends, decoded the way the broker decodes them.
//
// The input is a stream of frames exactly as it arrives on a connection: int32 big-endian size,
// then size bytes of request header + body. Framing follows Connection::read_frame (a size
// below the 8-byte minimum header or above socket.request.max.bytes ends the stream, as the
// broker closes the connection; a frame cut short by the end of input is a peer that hung up).
// Each frame's header goes through decode_request_header and its body through the generated
// codec of (api_key, api_version) when tern serves that version. Produce record sets go on
// through split_batches / RecordReader (CRC skipped so the fuzzer reaches the record parser).
//
// Oracles, besides ASan/UBSan and TERN_ASSERT never firing on input bytes:
//   - round trip: a decoded header/message re-encodes to bytes that decode to an equal value,
//     consume exactly what was written, and re-encode to the same bytes (a fixpoint);
//   - every (key, version) that is_supported() accepts has a generated codec;
//   - a record batch's decoded records, rebuilt with RecordBatchBuilder, decode to the same
//     keys, values, headers and offset deltas.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <type_traits>

#include "broker/base/bytes.h"
#include "broker/base/limits.h"
#include "broker/protocol/api_key.h"
#include "broker/protocol/api_table.h"
#include "broker/protocol/messages.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "broker/protocol/records/record_reader.h"
#include "broker/protocol/wire.h"
#include "sim/runtime/assert.h"

namespace tern::fuzz {
namespace {

using namespace protocol;

// Connection::read_frame's lower bound (api_key, api_version, correlation_id).
constexpr int32_t kFrameBytesMin = 8;
// The broker's default socket.request.max.bytes; inputs are far smaller anyway.
constexpr int64_t kFrameBytesMax = kRequestBytesMaxDefault;
// Decompression cap for the fuzzer (the broker's is 256 MiB): keeps RSS and time per input
// small while still reaching every decompressor's cap check.
constexpr size_t kDecompressedMax = 1 << 20;

template <class Msg>
void round_trip(const Msg& decoded, int16_t version) {
  Writer w1;
  decoded.encode(w1, version);
  Reader r2(w1.data());
  Msg again;
  Status s = again.decode(r2, version);
  TERN_ASSERT(s.ok(), "{} v{}: re-encoded bytes do not decode: {}", Msg::kName, version,
              s.error().message());
  TERN_ASSERT(r2.at_end(), "{} v{}: {} bytes left after decoding our own encoding",
              Msg::kName, version, r2.remaining());
  TERN_ASSERT(again == decoded, "{} v{}: decode(encode(m)) != m", Msg::kName, version);
  Writer w2;
  again.encode(w2, version);
  TERN_ASSERT(w2.data() == w1.data(), "{} v{}: encoding is not a fixpoint", Msg::kName,
              version);
}

void header_round_trip(const RequestHeader& h) {
  const int16_t hv = request_header_version(h.api_key, h.api_version);
  Writer w1;
  h.encode(w1, hv);
  Reader r2(w1.data());
  RequestHeader again;
  Status s = decode_request_header(r2, again);
  TERN_ASSERT(s.ok(), "request header v{}: re-encoding does not decode: {}", hv,
              s.error().message());
  TERN_ASSERT(r2.at_end() && again == h, "request header v{} round trip", hv);
}

// One record batch from a produce request: parse it, read every record, rebuild and compare.
void check_batch(const BatchHeader& batch) {
  (void)verify_crc(batch);  // the broker's first check; its result does not matter here
  DecodeLimits limits;
  limits.decompressed_bytes_max = kDecompressedMax;
  auto reader = RecordReader::open(batch, limits);
  if (!reader.ok()) return;
  std::vector<RecordView> records;
  bool increasing = true;
  while (true) {
    auto next = reader.value().next();
    if (!next.ok()) return;  // malformed records: the broker answers CORRUPT_MESSAGE
    if (!next.value().has_value()) break;
    const RecordView& rv = *next.value();
    (void)reader.value().offset_of(rv);
    (void)reader.value().timestamp_of(rv);
    if (rv.offset_delta < 0 ||
        (!records.empty() && rv.offset_delta <= records.back().offset_delta)) {
      increasing = false;
    }
    records.push_back(rv);
  }
  TERN_ASSERT(records.size() == static_cast<size_t>(batch.record_count),
              "{} records read, header says {}", records.size(), batch.record_count);
  if (!increasing) return;  // the builder requires increasing deltas (compaction gaps only)

  RecordBatchBuilder builder;
  for (const RecordView& rv : records) {
    builder.add_at(rv.offset_delta, 0, rv.key, rv.value, rv.headers);
  }
  auto rebuilt = builder.build();
  if (!rebuilt.ok()) return;
  auto parsed = parse_batch_header(rebuilt.value());
  TERN_ASSERT(parsed.ok(), "rebuilt batch does not parse");
  TERN_ASSERT(verify_crc(parsed.value()).ok(), "rebuilt batch has a bad CRC");
  auto reader2 = RecordReader::open(parsed.value());
  TERN_ASSERT(reader2.ok(), "rebuilt batch does not open");
  for (const RecordView& want : records) {
    auto got = reader2.value().next();
    TERN_ASSERT(got.ok() && got.value().has_value(), "rebuilt batch lost a record");
    const RecordView& g = *got.value();
    auto same = [](const std::optional<ByteView>& a, const std::optional<ByteView>& b) {
      if (a.has_value() != b.has_value()) return false;
      return !a || std::equal(a->begin(), a->end(), b->begin(), b->end());
    };
    TERN_ASSERT(g.offset_delta == want.offset_delta, "offset delta changed");
    TERN_ASSERT(same(g.key, want.key) && same(g.value, want.value), "key/value changed");
    TERN_ASSERT(g.headers.size() == want.headers.size(), "header count changed");
    for (size_t i = 0; i < g.headers.size(); ++i) {
      TERN_ASSERT(g.headers[i].key == want.headers[i].key &&
                      same(g.headers[i].value, want.headers[i].value),
                  "record header changed");
    }
  }
  auto end = reader2.value().next();
  TERN_ASSERT(end.ok() && !end.value().has_value(), "rebuilt batch has extra records");
}

void check_records(const std::optional<Bytes>& records) {
  if (!records) return;
  SplitOptions opts;
  opts.crc = CrcCheck::skip;
  BatchSplit split = split_batches(*records, opts);
  TERN_ASSERT(split.valid_bytes + split.partial_bytes <= records->size(), "split overruns");
  for (const BatchHeader& b : split.batches) check_batch(b);
}

template <class Req>
void check_request(const Req& req, int16_t version) {
  round_trip(req, version);
  if constexpr (std::is_same_v<Req, ProduceRequest>) {
    for (const auto& t : req.topic_data) {
      for (const auto& p : t.partition_data) check_records(p.records);
    }
  }
}

// Returns false where the broker would close the connection.
bool handle_frame(std::span<const uint8_t> frame) {
  Reader r(frame);
  RequestHeader h;
  if (!decode_request_header(r, h).ok()) return false;
  header_round_trip(h);
  bool known = false;
  auto decode_body = [&]<class Req, class Resp>(std::type_identity<Req>,
                                               std::type_identity<Resp>) {
    if (h.api_version < Req::kMinVersion || h.api_version > Req::kMaxVersion) return;
    known = true;
    Req req;
    Reader body(r.rest());
    if (!req.decode(body, h.api_version).ok()) return;  // the handler answers or closes
    check_request(req, h.api_version);
  };
  const bool generated = visit_api(h.api_key, decode_body);
  TERN_ASSERT(!is_supported(h.api_key, h.api_version) || (generated && known),
              "api {} v{} is advertised but has no codec", h.api_key, h.api_version);
  // Unsupported versions: dispatch closes the connection (ApiVersions answers error 35).
  return known || h.api_key == static_cast<int16_t>(ApiKey::api_versions);
}

}  // namespace
}  // namespace tern::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  while (in.size() >= 4) {
    const int32_t frame_size = static_cast<int32_t>(tern::load_be32(in.data()));
    if (frame_size < tern::fuzz::kFrameBytesMin || frame_size > tern::fuzz::kFrameBytesMax) {
      break;  // the broker logs conn.bad_frame_size and closes
    }
    in = in.subspan(4);
    if (in.size() < static_cast<size_t>(frame_size)) break;  // the peer hung up mid-frame
    // A copy of exactly the frame, so ASan flags any read past its end.
    std::vector<uint8_t> frame(in.begin(), in.begin() + frame_size);
    in = in.subspan(static_cast<size_t>(frame_size));
    if (!tern::fuzz::handle_frame(frame)) break;
  }
  return 0;
}
