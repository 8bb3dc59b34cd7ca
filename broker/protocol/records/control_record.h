#pragma once
// Control records (KIP-98): the records of a control batch (attributes bit 5). Key: int16
// version (0) + int16 type. Transaction markers (ABORT = 0, COMMIT = 1) carry a value:
// int16 version (0) + int32 coordinatorEpoch. Written by the transaction coordinator's marker
// writer, read by the log (last stable offset, aborted-transaction index) and by consumers.
#include <cstdint>

#include "broker/base/bytes.h"
#include "broker/protocol/records/record_error.h"

namespace tern {

enum class ControlRecordType : int16_t {
  abort = 0,
  commit = 1,
  leader_change = 2,     // KRaft (KIP-595)
  snapshot_header = 3,   // KRaft snapshots
  snapshot_footer = 4,
};

Bytes encode_control_key(ControlRecordType type);
// Reads the type; unknown types come back as their number (callers ignore what they don't
// know, as Kafka does). Errors: bad_record when shorter than 4 bytes or version < 0.
RecordResult<int16_t> parse_control_key(ByteView key);

Bytes encode_end_txn_marker_value(int32_t coordinator_epoch);
// Returns the coordinator epoch. Errors: bad_record when shorter than 6 bytes or version < 0.
RecordResult<int32_t> parse_end_txn_marker_value(ByteView value);

}  // namespace tern
