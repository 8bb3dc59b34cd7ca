#pragma once
// Iterates the records of one batch, decompressing the records section once up front.
// Every malformation comes back as a RecordError: record count mismatch, bad varints, lengths
// running past the end, leftover bytes, decompression failure or a decompressed size over the
// cap. Nothing here asserts on input bytes.
#include <optional>
#include <vector>

#include "broker/protocol/records/record.h"
#include "broker/protocol/records/record_batch.h"

namespace tern {

struct DecodeLimits {
  // Cap on the decompressed records section (decompression-bomb guard).
  size_t decompressed_bytes_max = static_cast<size_t>(kDecompressedBatchBytesMax);
  // Cap on headers of one record.
  size_t headers_per_record_max = static_cast<size_t>(kHeadersPerRecordMax);
};

class RecordReader {
 public:
  // Decompresses (if needed) and prepares iteration. Does not verify the CRC: callers decide
  // (verify_crc) because a leader checks it on produce while a reader of its own checked log
  // may skip it.
  static RecordResult<RecordReader> open(const BatchHeader& header,
                                         const DecodeLimits& limits = {});

  // The next record, nullopt after the last one. After the last record it also checks that no
  // bytes are left over. After an error, the reader stays failed.
  RecordResult<std::optional<RecordView>> next();

  const BatchHeader& header() const { return header_; }
  int32_t records_read() const { return read_; }

  // Absolute values of a record of this batch.
  Offset offset_of(const RecordView& r) const { return header_.base_offset + r.offset_delta; }
  int64_t timestamp_of(const RecordView& r) const;

 private:
  RecordReader(const BatchHeader& h, const DecodeLimits& limits) : header_(h), limits_(limits) {}
  ByteView records() const;
  RecordResult<RecordView> parse_record();
  RecordError fail(RecordErrc code, std::string detail);

  BatchHeader header_;
  DecodeLimits limits_;
  Bytes decompressed_;  // empty unless the batch is compressed
  size_t pos_ = 0;
  int32_t read_ = 0;
  bool failed_ = false;
};

// Convenience: every record of a batch as owned values (absolute offsets and timestamps).
RecordResult<std::vector<Record>> decode_records(const BatchHeader& header,
                                                 const DecodeLimits& limits = {});

}  // namespace tern
