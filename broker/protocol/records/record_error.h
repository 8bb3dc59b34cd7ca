#pragma once
// Errors of the record layer as values. Record bytes come from clients, replicas and disks, so
// every malformation is an expected failure with a precise reason: the produce path maps it to
// a Kafka error code (see README.md), log recovery truncates at it, a fetcher retries.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "sim/runtime/assert.h"
#include "sim/runtime/result.h"

namespace tern {

enum class RecordErrc : uint8_t {
  truncated,            // the input ends inside a batch (a partial batch, not corruption)
  bad_batch_length,     // batchLength smaller than a v2 header: cannot be a batch
  too_large,            // a size beyond a configured limit (batch, decompressed bytes)
  legacy_magic,         // magic 0 or 1: a valid Kafka message set tern does not accept
  bad_magic,            // magic outside 0..2: garbage
  bad_crc,              // CRC-32C over attributes..end does not match
  unknown_compression,  // compression codec id 5..7
  bad_record_count,     // negative count, or the records do not add up to it
  bad_record,           // a malformed record: bad lengths, leftover bytes
  bad_varint,           // overlong or truncated varint inside a record
  decompress_failed,    // the codec rejected the compressed payload
};

std::string_view record_errc_name(RecordErrc e);

struct RecordError {
  RecordErrc code;
  std::string detail;  // "batch at byte 4096: crc 0x1234 != computed 0x5678"

  std::string message() const;
  bool operator==(RecordErrc c) const { return code == c; }
};

// Maps into the runtime's generic error (for TERN_TRY into Status-returning code): corruption
// -> Errc::corrupt, everything else -> Errc::invalid_argument. The RecordErrc goes into the
// context text.
Error to_error(const RecordError& e);

template <class T>
using RecordResult = BasicResult<T, RecordError>;
using RecordStatus = RecordResult<void>;

}  // namespace tern

