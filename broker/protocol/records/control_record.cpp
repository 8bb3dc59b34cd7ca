#include "broker/protocol/records/control_record.h"

#include <fmt/format.h>

namespace tern {

namespace {
constexpr int16_t kControlKeyVersion = 0;
constexpr int16_t kEndTxnMarkerVersion = 0;
}  // namespace

Bytes encode_control_key(ControlRecordType type) {
  Bytes out;
  append_be16(out, static_cast<uint16_t>(kControlKeyVersion));
  append_be16(out, static_cast<uint16_t>(type));
  TERN_ASSERT(out.size() == 4);
  return out;
}

RecordResult<int16_t> parse_control_key(ByteView key) {
  if (key.size() < 4) return RecordError{RecordErrc::bad_record, "control key < 4 bytes"};
  const int16_t version = load_be_i16(key.data());
  if (version < 0) {
    return RecordError{RecordErrc::bad_record, fmt::format("control key version {}", version)};
  }
  return load_be_i16(key.data() + 2);
}

Bytes encode_end_txn_marker_value(int32_t coordinator_epoch) {
  Bytes out;
  append_be16(out, static_cast<uint16_t>(kEndTxnMarkerVersion));
  append_be32(out, static_cast<uint32_t>(coordinator_epoch));
  TERN_ASSERT(out.size() == 6);
  return out;
}

RecordResult<int32_t> parse_end_txn_marker_value(ByteView value) {
  if (value.size() < 6) return RecordError{RecordErrc::bad_record, "txn marker value < 6 bytes"};
  const int16_t version = load_be_i16(value.data());
  if (version < 0) {
    return RecordError{RecordErrc::bad_record, fmt::format("txn marker version {}", version)};
  }
  return load_be_i32(value.data() + 2);
}

}  // namespace tern
