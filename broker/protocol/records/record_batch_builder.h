#pragma once
// Writes one RecordBatch v2. Producers (tern's client), the transaction marker writer
// (control batches) and compaction (rewritten batches with offset gaps) all build batches
// here, so there is exactly one encoder to get right.
#include <optional>
#include <span>
#include <vector>

#include "broker/protocol/records/record.h"
#include "broker/protocol/records/record_batch.h"

namespace tern {

struct BatchOptions {
  Offset base_offset{0};  // producers send 0; the leader assigns the real one
  LeaderEpoch partition_leader_epoch = kNoLeaderEpoch;  // producers send -1
  Compression compression = Compression::none;
  TimestampType timestamp_type = TimestampType::create_time;
  ProducerId producer_id = kNoProducerId;
  ProducerEpoch producer_epoch = kNoProducerEpoch;
  int32_t base_sequence = kNoSequence;
  bool transactional = false;
  bool control = false;
  // KIP-534: when set, the batch carries the delete horizon in baseTimestamp (hasDeleteHorizon).
  std::optional<int64_t> delete_horizon_ms;
  // lastOffsetDelta for a batch with no records left (compaction keeps such batches for
  // producer state); ignored when records exist.
  int32_t empty_last_offset_delta = 0;
  // build() fails with too_large beyond this many bytes.
  int64_t batch_bytes_max = kBatchBytesHardMax;
};

class RecordBatchBuilder {
 public:
  // The batch is built in one buffer: header room first, records after it, so an
  // uncompressed build() && fills the header in place instead of copying every record.
  explicit RecordBatchBuilder(const BatchOptions& opts = {})
      : opts_(opts), body_(static_cast<size_t>(kBatchHeaderBytes)) {}

  // Room for a batch of about this many bytes (a producer knows its batch.size), so the
  // buffer does not grow by doubling, copying what it holds each time.
  void reserve(size_t bytes) { body_.reserve(bytes); }

  // Appends a record at the next offset delta (0, 1, 2, ...).
  void add(int64_t timestamp, std::optional<ByteView> key, std::optional<ByteView> value,
           std::span<const RecordHeaderView> headers = {});
  // Appends an owned record (its offset field is ignored): for tests and tools.
  void add(const Record& r);
  // Appends with an explicit offset delta (compaction leaves gaps).
  // REQUIRES: offset_delta greater than the previous record's.
  void add_at(int32_t offset_delta, int64_t timestamp, std::optional<ByteView> key,
              std::optional<ByteView> value, std::span<const RecordHeaderView> headers = {});

  size_t record_count() const { return static_cast<size_t>(count_); }
  // Uncompressed size of the batch so far (an upper bound for the compressed one, nearly).
  size_t uncompressed_bytes() const { return body_.size(); }

  // The finished batch: CRC set, batchLength set. Errors: too_large. The && form hands over
  // the builder's buffer (no copy when uncompressed) and leaves the builder empty, also on
  // an error.
  RecordResult<Bytes> build() const&;
  RecordResult<Bytes> build() &&;

 private:
  BatchOptions opts_;
  // Header room (kBatchHeaderBytes, filled by build) then the encoded records, uncompressed.
  Bytes body_;
  ByteView records() const { return ByteView(body_).subspan(kBatchHeaderBytes); }
  // Writes the header into out[0, kBatchHeaderBytes) for `records_bytes` of records after it,
  // then the CRC over everything. REQUIRES: out.size() == header + records_bytes.
  // `records_crc`: the CRC of out's records if they are body_'s (uncompressed), else nullopt.
  void finish_header(Bytes& out, std::optional<uint32_t> records_crc) const;
  // CRC-32C of the records appended so far, extended as each is written (while its bytes are
  // in cache): build() then checksums only the header and combines. A 1 MB batch checksummed
  // at build time was read back from memory (16% of `tern perf produce`).
  uint32_t records_crc_ = 0;
  int32_t count_ = 0;
  int32_t last_offset_delta_ = -1;
  std::optional<int64_t> base_timestamp_;  // delete horizon, or the first record's timestamp
  int64_t max_timestamp_ = kNoTimestamp;
};

// Convenience for tests and tools: a batch of owned records, offsets as deltas 0..n-1.
RecordResult<Bytes> build_batch(const BatchOptions& opts, std::span<const Record> records);

}  // namespace tern
