#pragma once
// A raw Kafka protocol client for broker tests: frames requests with the generated codecs
// and reads responses, nothing more (no retries, no metadata cache), so a test sees exactly
// what the broker answered. Works on any Runtime (simulated or real).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/protocol/messages.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "broker/protocol/records/record_reader.h"
#include "broker/protocol/wire.h"
#include "sim/runtime/runtime.h"

namespace tern::test {

class RawClient {
 public:
  RawClient(Runtime& rt, Address broker) : rt_(rt), broker_(std::move(broker)) {}

  Status connect() {
    auto s = rt_.net().connect(broker_, rt_.now() + Duration::seconds(10));
    if (!s.ok()) return s.error();
    stream_ = std::move(s.value());
    return {};
  }
  // Connects, retrying while the broker is not listening yet.
  Status connect_retry(Duration total = Duration::seconds(30)) {
    const Deadline end = rt_.now() + total;
    while (true) {
      Status s = connect();
      if (s.ok() || rt_.now() >= end) return s;
      (void)rt_.sleep_for(Duration::millis(50));
    }
  }
  void close() {
    if (stream_) stream_->close();
  }
  Stream& stream() { return *stream_; }

  // Encodes header + body; returns the frame bytes without the size prefix.
  template <class Req>
  protocol::Bytes encode_request(const Req& req, int16_t version, int32_t correlation_id) {
    protocol::Writer w;
    protocol::RequestHeader h;
    h.api_key = Req::kApiKey;
    h.api_version = version;
    h.correlation_id = correlation_id;
    h.client_id = "tern-test";
    h.encode(w, protocol::request_header_version(Req::kApiKey, version));
    req.encode(w, version);
    return w.take();
  }

  Status send_frame(std::span<const uint8_t> frame) {
    protocol::Writer w;
    w.write_int32(static_cast<int32_t>(frame.size()));
    w.write_raw(frame);
    return stream_->write_all(w.data(), rt_.now() + Duration::seconds(30));
  }
  Status send_raw(std::span<const uint8_t> bytes) {
    return stream_->write_all(bytes, rt_.now() + Duration::seconds(30));
  }

  // One response frame (without the size prefix).
  Result<protocol::Bytes> read_frame(Duration timeout = Duration::seconds(60)) {
    uint8_t prefix[4];
    const Deadline d = rt_.now() + timeout;
    Status s = stream_->read_exact(prefix, d);
    if (!s.ok()) return s.error();
    const int32_t size = static_cast<int32_t>(load_be32(prefix));
    if (size < 4) return Error(Errc::invalid_argument, "bad response size");
    protocol::Bytes frame(static_cast<size_t>(size));
    s = stream_->read_exact(frame, d);
    if (!s.ok()) return s.error();
    return frame;
  }

  template <class Resp>
  Result<Resp> decode_response(const protocol::Bytes& frame, int16_t version,
                               int32_t expect_correlation) {
    protocol::Reader r(frame);
    protocol::ResponseHeader h;
    TERN_TRY(h.decode(r, protocol::response_header_version(Resp::kApiKey, version)));
    if (h.correlation_id != expect_correlation) {
      return Error(Errc::invalid_argument,
                   fmt::format("correlation {} != {}", h.correlation_id, expect_correlation));
    }
    Resp resp;
    TERN_TRY(resp.decode(r, version));
    if (!r.at_end()) return Error(Errc::invalid_argument, "trailing bytes in response");
    return resp;
  }

  // Sends one request and reads its response.
  template <class Resp, class Req>
  Result<Resp> call(const Req& req, int16_t version) {
    const int32_t corr = next_correlation_++;
    TERN_TRY(send_frame(encode_request(req, version, corr)));
    auto frame = read_frame();
    if (!frame.ok()) return frame.error();
    return decode_response<Resp>(frame.value(), version, corr);
  }
  // Sends without waiting (pipelining); returns the correlation id.
  template <class Req>
  Result<int32_t> send(const Req& req, int16_t version) {
    const int32_t corr = next_correlation_++;
    TERN_TRY(send_frame(encode_request(req, version, corr)));
    return corr;
  }
  template <class Resp>
  Result<Resp> receive(int16_t version, int32_t corr, Duration timeout = Duration::seconds(60)) {
    auto frame = read_frame(timeout);
    if (!frame.ok()) return frame.error();
    return decode_response<Resp>(frame.value(), version, corr);
  }

 private:
  Runtime& rt_;
  Address broker_;
  std::unique_ptr<Stream> stream_;
  int32_t next_correlation_ = 1;
};

// ---- request builders ------------------------------------------------------------------

inline protocol::Bytes make_batch(const std::vector<std::string>& values, int64_t timestamp,
                                  Compression compression = Compression::none) {
  BatchOptions opts;
  opts.compression = compression;
  RecordBatchBuilder b(opts);
  for (const std::string& v : values) {
    b.add(timestamp, std::nullopt, as_bytes(v));
  }
  auto built = b.build();
  TERN_ASSERT(built.ok());
  return std::move(built.value());
}

inline protocol::ProduceRequest produce_request(const std::string& topic, int32_t partition,
                                                protocol::Bytes records, int16_t acks,
                                                int32_t timeout_ms = 30000) {
  protocol::ProduceRequest req;
  req.acks = acks;
  req.timeout_ms = timeout_ms;
  auto& t = req.topic_data.emplace_back();
  t.name = topic;
  auto& p = t.partition_data.emplace_back();
  p.index = partition;
  p.records = std::move(records);
  return req;
}

inline protocol::FetchRequest fetch_request(const std::string& topic, int32_t partition,
                                            int64_t offset, int32_t max_wait_ms = 0,
                                            int32_t min_bytes = 1,
                                            int32_t partition_max_bytes = 1 << 20) {
  protocol::FetchRequest req;
  req.replica_id = -1;
  req.max_wait_ms = max_wait_ms;
  req.min_bytes = min_bytes;
  req.max_bytes = 50 << 20;
  auto& t = req.topics.emplace_back();
  t.topic = topic;
  auto& p = t.partitions.emplace_back();
  p.partition = partition;
  p.fetch_offset = offset;
  p.partition_max_bytes = partition_max_bytes;
  return req;
}

inline protocol::CreateTopicsRequest create_topics_request(const std::string& name,
                                                           int32_t partitions,
                                                           int16_t rf = 1) {
  protocol::CreateTopicsRequest req;
  auto& t = req.topics.emplace_back();
  t.name = name;
  t.num_partitions = partitions;
  t.replication_factor = rf;
  req.timeout_ms = 10000;
  return req;
}

// Every record value in concatenated batches, with its offset.
inline std::vector<std::pair<int64_t, std::string>> record_values(const protocol::Bytes& bytes) {
  std::vector<std::pair<int64_t, std::string>> out;
  BatchSplit split = split_batches(bytes);
  EXPECT_FALSE(split.error.has_value());
  for (const BatchHeader& h : split.batches) {
    auto recs = decode_records(h);
    EXPECT_TRUE(recs.ok());
    if (!recs.ok()) continue;
    for (const Record& r : recs.value()) {
      out.emplace_back(r.offset.value(),
                       r.value ? std::string(r.value->begin(), r.value->end()) : "<null>");
    }
  }
  return out;
}

}  // namespace tern::test
