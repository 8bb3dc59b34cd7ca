#pragma once
// Per-partition log settings, named after Kafka's topic-level configs (the broker-level
// default is the `log.`-prefixed name in parentheses). Values are plain integers in Kafka's
// units so the config layer can copy them straight from server.properties / topic configs.
#include <cstdint>

#include "broker/base/limits.h"
#include "sim/runtime/time.h"

namespace tern {

enum class MessageTimestampType : uint8_t { create_time, log_append_time };

inline constexpr int64_t kDayMs = 24LL * 60 * 60 * 1000;

struct LogConfig {
  // segment.bytes (log.segment.bytes): roll to a new segment before this size is exceeded.
  int64_t segment_bytes = kSegmentBytesDefault;
  // segment.ms (log.roll.ms / log.roll.hours): roll a non-empty segment this old (measured
  // from the segment's creation, or from when this process opened it).
  int64_t segment_ms = 7 * kDayMs;
  // index.interval.bytes (log.index.interval.bytes): one offset/time index entry per this
  // many bytes of batches.
  int64_t index_interval_bytes = 4096;
  // retention.bytes (log.retention.bytes): delete whole old segments while the log minus the
  // oldest segment is still at least this big. -1: no size limit.
  int64_t retention_bytes = -1;
  // retention.ms (log.retention.ms / .minutes / .hours): delete segments whose newest
  // timestamp is older than this. -1: no time limit.
  int64_t retention_ms = 7 * kDayMs;
  // flush.messages (log.flush.interval.messages): fsync after this many records. Kafka's
  // default (INT64_MAX) leaves flushing to the OS.
  int64_t flush_messages = INT64_MAX;
  // flush.ms (log.flush.interval.ms): fsync data that has been unflushed this long.
  int64_t flush_ms = INT64_MAX;
  // message.timestamp.type (log.message.timestamp.type): CreateTime keeps the producer's
  // timestamps; LogAppendTime stamps each batch with the broker's clock on append.
  MessageTimestampType message_timestamp_type = MessageTimestampType::create_time;
  // tern.log.durable.acks (tern's own): the partition layer answers acks=all only after
  // PartitionLog::wait_durable. true is tern's default; false is Kafka's (replication alone
  // keeps acknowledged data). The log itself only offers wait_durable either way.
  bool durable_acks = true;
  // Largest batch recovery accepts on disk (larger ones are treated as corruption).
  int64_t batch_bytes_max = kBatchBytesHardMax;
};

}  // namespace tern
