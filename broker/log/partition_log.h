#pragma once
#include <functional>
// One partition's log (Kafka's UnifiedLog/LocalLog): an ordered run of segments under
// `<log.dir>/<topic>-<partition>/`, offsets contiguous from the log start offset to the log
// end offset. The log assigns offsets on append, serves whole batches on read, rolls
// segments, deletes old ones for retention, recovers after a crash and makes data durable
// with group commit: one flusher task per log, many waiters, one fsync per round.
//
// Durability contract (tern's default acks=all mode): once wait_durable(o) returned ok, the
// record at offset o survives any crash (power loss included). Everything the log holds
// after a crash and reopen is a prefix of what was appended, offsets contiguous.
//
// Tasks: all methods run in tasks of the owning node and may suspend. Appends and truncation
// are serialised inside; reads run alongside them. close() must be called before the object
// is destroyed, except when a crash unwinds the node.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"
#include "broker/log/log_config.h"
#include "broker/log/segment.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/event.h"
#include "sim/runtime/sync/mutex.h"

namespace tern {

struct AppendResult {
  Offset base_offset;
  Offset last_offset;
  int64_t log_append_time = kNoTimestamp;  // -1 unless the batch got LogAppendTime
};

struct TimestampOffset {
  Offset offset;          // base offset of the first batch whose maxTimestamp >= the target
  int64_t timestamp = 0;  // that batch's maxTimestamp
};

struct RecoveryReport {
  uint32_t segments = 0;
  uint32_t batches = 0;
  uint64_t truncated_bytes = 0;   // torn or corrupt bytes cut off
  uint32_t removed_segments = 0;  // segments after the truncation point, deleted
  std::vector<std::string> reasons;
};

class PartitionLog {
 public:
  // Opens (creating if missing) the log of `topic`-`partition` under `log_dir` and recovers
  // it: every batch of every segment is validated, the log is cut at the first bad or torn
  // batch, indexes are rebuilt, later segments deleted. Starts the flusher task.
  static Result<std::unique_ptr<PartitionLog>> open(Runtime& rt, const std::string& log_dir,
                                                    const std::string& topic,
                                                    int32_t partition, const LogConfig& config);
  ~PartitionLog();
  PartitionLog(const PartitionLog&) = delete;
  PartitionLog& operator=(const PartitionLog&) = delete;

  // Appends one validated batch: sets its baseOffset to the log end offset, stamps
  // LogAppendTime when configured (recomputing the CRC) and, when given, the leader epoch.
  // Errors: no_space (the log stays usable), io_error (the log is failed), invalid_argument
  // (not exactly one well-formed batch).
  Result<AppendResult> append(Bytes batch, std::optional<LeaderEpoch> epoch = std::nullopt);

  // Whole batches starting with the one holding `offset` (Kafka semantics: the first batch
  // may start before `offset`), up to max_bytes but at least one batch, from one segment.
  // Empty at the log end offset. Errc::not_found ("offset out of range") outside
  // [log_start_offset, log_end_offset].
  // Errc::corrupt if what came back from the disk fails its CRC or its offsets do not line
  // up (a bit flipped on read): the caller retries, nothing corrupt is served.
  Result<Bytes> read(Offset offset, uint64_t max_bytes);

  // ListOffsets by time: the first batch whose maxTimestamp >= ts; nullopt if none.
  Result<std::optional<TimestampOffset>> offset_for_timestamp(int64_t ts);

  // Waits until every record below offset + 1 is on disk (fsynced), asking the flusher for a
  // round. Errors: io_error (the log failed), timed_out, cancelled, closed.
  Status wait_durable(Offset offset, Deadline deadline = Instant::never());
  // Asks for a flush of everything appended so far and waits for it.
  Status flush() { return wait_durable(log_end_offset() - 1); }

  // Removes every batch from the one holding `offset` on (replication's truncation). The
  // new log end offset is that batch's base offset (== offset at batch boundaries). Durable
  // when it returns.
  Result<Offset> truncate_to(Offset offset);

  // Deletes whole segments that lie entirely below `offset` (never the active one): a Raft
  // snapshot (KIP-630) covers them. Returns segments deleted; durable when it returns.
  Result<uint32_t> delete_segments_below(Offset offset);

  // Removes every segment and starts an empty log at `offset` (Kafka's truncateFullyAndStartAt:
  // a follower installed a snapshot ending beyond its log). Durable when it returns; a crash
  // in between leaves an empty log at 0 or the new one, never a log with a gap.
  Status reset_to(Offset offset);

  // Deletes whole old segments beyond retention.bytes / retention.ms (never the last one;
  // an expired non-empty active segment is rolled first). Returns segments deleted.
  Result<uint32_t> enforce_retention();

  // Flushes everything, writes the index files and stops the flusher. Appends fail after.
  Status close();

  Offset log_start_offset() const;
  Offset log_end_offset() const { return end_; }
  // Everything below this offset is durable.
  Offset durable_offset() const { return durable_; }
  uint64_t size_bytes() const;
  size_t segment_count() const { return segments_.size(); }
  bool failed() const { return failed_; }
  // Called once when the log fails (a write or fsync error): the broker treats it like
  // Kafka's log directory failure and shuts down, so a supervisor restarts it and recovery
  // runs, instead of serving a partition that can no longer take writes.
  void set_failure_handler(std::function<void(const Error&)> handler) {
    on_failure_ = std::move(handler);
  }
  const std::string& dir() const { return dir_; }
  const RecoveryReport& recovery() const { return recovery_; }
  uint64_t flush_rounds() const { return flush_rounds_; }
  // For tests and inspection: the segments' base offsets in order.
  std::vector<Offset> segment_bases() const;
  // For tests: the segment with this base offset (its indexes).
  const Segment* segment(Offset base) const;

 private:
  Status verify_read(Offset offset, const Bytes& bytes) const;
  PartitionLog(Runtime& rt, std::string dir, std::string topic, int32_t partition,
               const LogConfig& config);
  Status recover();
  Status make_dir_durable();
  Status roll(Instant now);
  bool should_roll(uint64_t batch_bytes, Offset last_offset, Instant now) const;
  void flusher_loop(std::shared_ptr<bool> alive);
  // One group-commit round: fsync every segment holding data past durable_ (oldest first).
  Status flush_round();
  void fail(const Error& e);
  std::shared_ptr<Segment> active() const { return segments_.rbegin()->second; }

  Runtime& rt_;
  std::string dir_;
  std::string topic_;  // for trace events only
  int32_t partition_ = 0;
  LogConfig config_;
  std::map<Offset, std::shared_ptr<Segment>> segments_;  // by base offset
  Offset end_;      // log end offset
  Offset durable_;  // everything below is fsynced
  bool failed_ = false;
  std::function<void(const Error&)> on_failure_;
  bool closed_ = false;
  Mutex write_mutex_;  // appends, rolls, truncation, retention
  // Flusher state.
  Condition flusher_wake_;
  Condition durable_changed_;
  bool flush_wanted_ = false;
  bool flusher_rearm_ = false;  // first_unflushed_at_ set: recompute the flush.ms deadline
  int64_t unflushed_records_ = 0;
  Instant first_unflushed_at_ = Instant::never();
  uint64_t truncations_ = 0;  // bumped by truncate_to: a flush round in flight is void
  uint64_t flush_rounds_ = 0;
  TaskHandle flusher_;
  std::shared_ptr<bool> alive_;
  RecoveryReport recovery_;
};

}  // namespace tern
