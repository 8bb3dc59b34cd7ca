#pragma once
// Shared helpers for the log tests: batch building and a linear model of the log.
#include <map>
#include <string>
#include <vector>

#include "broker/log/partition_log.h"
#include "broker/protocol/records/record_batch_builder.h"

namespace tern::test {

// A batch of `n` records (values of `value_bytes`), all at timestamp `ts`, base offset 0.
inline Bytes make_batch(uint32_t n, size_t value_bytes, int64_t ts, uint8_t fill = 'x') {
  RecordBatchBuilder b;
  Bytes value(value_bytes, fill);
  for (uint32_t i = 0; i < n; ++i) b.add(ts, std::nullopt, ByteView(value));
  auto built = b.build();
  TERN_ASSERT(built.ok());
  return std::move(built.value());
}

// What a test appended: base offset -> the batch bytes as stored (offset patched).
struct Appended {
  Offset base;
  Offset last;
  Bytes bytes;
  int64_t max_timestamp;
};

// Splits a read's bytes into batches (CRC verified).
inline std::vector<BatchHeader> batches_of(const Bytes& bytes) {
  auto split = split_batches(bytes);
  TERN_ASSERT(!split.error && split.partial_bytes == 0 && split.valid_bytes == bytes.size());
  return split.batches;
}

// Reads the whole log from its start, checking contiguity; returns the batches' bytes.
inline std::vector<Bytes> read_all(PartitionLog& log, uint64_t max_bytes = 1 << 16) {
  std::vector<Bytes> out;
  Offset next = log.log_start_offset();
  while (next < log.log_end_offset()) {
    auto r = log.read(next, max_bytes);
    TERN_ASSERT(r.ok(), "read {}: {}", next, r.error().message());
    auto bs = batches_of(r.value());
    TERN_ASSERT(!bs.empty());
    for (const auto& h : bs) {
      TERN_ASSERT(h.base_offset == next, "batch {} where {} expected", h.base_offset, next);
      out.emplace_back(h.bytes.begin(), h.bytes.end());
      next = h.next_offset();
    }
  }
  return out;
}

}  // namespace tern::test

// RapidCheck's RC_ASSERT throws, and an exception must not cross a fiber's boundary: inside
// simulated tasks, record the first failure instead and return; the property then fails
// with it from the test's own thread (RC_FAIL).
#define LOG_CHECK(failures, cond)                                                    \
  do {                                                                               \
    if (!(cond)) {                                                                   \
      (failures).push_back(fmt::format("{}:{}: check failed: {}", __FILE__, __LINE__, \
                                       #cond));                                      \
      return;                                                                        \
    }                                                                                \
  } while (0)
