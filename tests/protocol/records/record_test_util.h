#pragma once
// Shared helpers for the record tests: RapidCheck draws of records and options, and a way to
// assemble a batch around hand-made record bytes (to feed the decoder malformed records with
// a valid CRC, so the record parser itself is exercised).
#include <rapidcheck.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "broker/protocol/records/record_reader.h"

namespace tern::test {

// Call only inside a RapidCheck property.
inline std::optional<Bytes> draw_nullable_bytes() {
  if (*rc::gen::inRange(0, 5) == 0) return std::nullopt;
  return *rc::gen::arbitrary<std::vector<uint8_t>>();
}

inline std::vector<Record> draw_records(int max_records) {
  const int n = *rc::gen::inRange(0, max_records + 1);
  const int64_t base_ts = *rc::gen::inRange<int64_t>(0, int64_t{4} << 40);
  std::vector<Record> out;
  for (int i = 0; i < n; ++i) {
    Record r;
    r.timestamp = base_ts + *rc::gen::inRange<int64_t>(-1'000'000, 1'000'000);
    r.key = draw_nullable_bytes();
    r.value = draw_nullable_bytes();
    const int headers = *rc::gen::inRange(0, 4);
    for (int h = 0; h < headers; ++h) {
      const auto key = *rc::gen::arbitrary<std::string>();
      r.headers.push_back(RecordHeader{key, draw_nullable_bytes()});
    }
    out.push_back(std::move(r));
  }
  return out;
}

inline BatchOptions draw_options() {
  BatchOptions o;
  o.base_offset = Offset(*rc::gen::inRange<int64_t>(0, int64_t{1} << 50));
  o.partition_leader_epoch = LeaderEpoch(*rc::gen::inRange<int32_t>(-1, 1000));
  o.compression = *rc::gen::elementOf(
      std::vector<Compression>(std::begin(kAllCompressions), std::end(kAllCompressions)));
  o.timestamp_type = *rc::gen::element(TimestampType::create_time, TimestampType::log_append_time);
  if (*rc::gen::arbitrary<bool>()) {
    o.producer_id = ProducerId(*rc::gen::inRange<int64_t>(0, int64_t{1} << 40));
    o.producer_epoch = ProducerEpoch(*rc::gen::inRange<int16_t>(0, INT16_MAX));
    o.base_sequence = *rc::gen::inRange<int32_t>(0, INT32_MAX);
    o.transactional = *rc::gen::arbitrary<bool>();
  }
  return o;
}

// What decode_records must return for `in` built with `o`.
inline std::vector<Record> expected_records(const BatchOptions& o, std::vector<Record> in) {
  int64_t max_ts = kNoTimestamp;
  for (const auto& r : in) max_ts = std::max(max_ts, r.timestamp);
  for (size_t i = 0; i < in.size(); ++i) {
    in[i].offset = o.base_offset + static_cast<int64_t>(i);
    if (o.timestamp_type == TimestampType::log_append_time) in[i].timestamp = max_ts;
  }
  return in;
}

// A batch with the given (uncompressed) record bytes and count, compressed with `codec`,
// with a correct CRC. The header fields other than count/length/attributes are defaults.
inline Bytes assemble_batch(ByteView records, int32_t count,
                            Compression codec = Compression::none) {
  BatchOptions o;
  o.compression = Compression::none;
  o.empty_last_offset_delta = count > 0 ? count - 1 : 0;
  Bytes out = RecordBatchBuilder(o).build().value();
  Bytes payload = compress(codec, records).value();
  append_bytes(out, payload);
  store_be32(out.data() + batch_layout::kBatchLength,
             static_cast<uint32_t>(out.size() - batch_layout::kLogOverhead));
  store_be16(out.data() + batch_layout::kAttributes, static_cast<uint16_t>(codec));
  store_be32(out.data() + batch_layout::kRecordsCount, static_cast<uint32_t>(count));
  rewrite_crc(out);
  return out;
}

// The uncompressed records section of a batch built with any codec.
inline Bytes records_section(const Bytes& batch) {
  auto h = parse_batch_header(batch).value();
  return decompress(h.compression(), h.records_bytes(), SIZE_MAX - 1).value();
}

}  // namespace tern::test
