#include "broker/protocol/records/record_error.h"

#include <fmt/format.h>

namespace tern {

std::string_view record_errc_name(RecordErrc e) {
  switch (e) {
    case RecordErrc::truncated: return "truncated";
    case RecordErrc::bad_batch_length: return "bad_batch_length";
    case RecordErrc::too_large: return "too_large";
    case RecordErrc::legacy_magic: return "legacy_magic";
    case RecordErrc::bad_magic: return "bad_magic";
    case RecordErrc::bad_crc: return "bad_crc";
    case RecordErrc::unknown_compression: return "unknown_compression";
    case RecordErrc::bad_record_count: return "bad_record_count";
    case RecordErrc::bad_record: return "bad_record";
    case RecordErrc::bad_varint: return "bad_varint";
    case RecordErrc::decompress_failed: return "decompress_failed";
  }
  return "unknown";
}

std::string RecordError::message() const {
  if (detail.empty()) return std::string(record_errc_name(code));
  return fmt::format("{}: {}", record_errc_name(code), detail);
}

Error to_error(const RecordError& e) {
  switch (e.code) {
    case RecordErrc::too_large:
    case RecordErrc::legacy_magic:
    case RecordErrc::unknown_compression:
      return Error(Errc::invalid_argument, e.message());
    default:
      return Error(Errc::corrupt, e.message());
  }
}

}  // namespace tern
