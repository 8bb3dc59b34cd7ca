#pragma once
// One segment of a partition's log: a .log file of concatenated RecordBatch v2 batches exactly
// as on the wire (baseOffset assigned), plus its sparse offset and time indexes (FORMAT.md).
// A segment knows nothing of flushing policy or of its neighbours; PartitionLog drives it.
//
// Suspension: every method that touches the disk may suspend the calling task. PartitionLog
// serialises writers (append, truncate) with a mutex; readers run concurrently with them and
// only look at bytes below the size they saw at their start, which are never rewritten except
// by truncate.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"
#include "broker/log/log_config.h"
#include "broker/log/segment_index.h"
#include "broker/protocol/records/record_batch.h"
#include "sim/runtime/disk.h"
#include "sim/runtime/result.h"

namespace tern {

// "00000000000000000042.log" etc.: Kafka's 20-digit zero-padded base offset.
std::string segment_file_name(Offset base, std::string_view suffix);
// The base offset of a ".log" file name, or nullopt if the name is not a segment's.
std::optional<Offset> parse_segment_file_name(std::string_view name, std::string_view suffix);

inline constexpr std::string_view kLogSuffix = ".log";
inline constexpr std::string_view kIndexSuffix = ".index";
inline constexpr std::string_view kTimeIndexSuffix = ".timeindex";

// Where a batch sits in a segment, from its header.
struct BatchLocation {
  uint64_t position = 0;
  uint32_t size_bytes = 0;
  Offset base_offset;
  Offset last_offset;
  int64_t max_timestamp = 0;
};

// What recovery found in one segment.
struct SegmentRecovery {
  uint64_t valid_bytes = 0;      // bytes kept
  uint64_t truncated_bytes = 0;  // bytes cut off (torn or corrupt tail)
  uint32_t batches = 0;
  std::string stop_reason;  // why the scan stopped before the end of the file, if it did
};

class Segment {
 public:
  // Creates an empty segment's files. REQUIRES: the caller fsyncs `dir` before relying on
  // the new names surviving a crash.
  static Result<std::shared_ptr<Segment>> create(Disk& disk, const std::string& dir, Offset base,
                                                 const LogConfig& config, Instant now);
  // Opens an existing segment, validates every batch (bounds, magic, CRC-32C, contiguous
  // offsets from `base`), truncates the file at the first invalid or torn batch and rebuilds
  // both indexes from the data (index files on disk are never trusted).
  static Result<std::shared_ptr<Segment>> open_and_recover(Disk& disk, const std::string& dir,
                                                           Offset base, const LogConfig& config,
                                                           Instant now, SegmentRecovery& out);

  Offset base_offset() const { return base_; }
  // One past the last offset in the segment (== base_offset() when empty).
  Offset next_offset() const { return next_; }
  uint64_t size_bytes() const { return size_; }
  bool empty() const { return size_ == 0; }
  // The largest batch maxTimestamp in the segment (kNoTimestamp when empty).
  int64_t max_timestamp() const { return max_timestamp_; }
  Instant created_at() const { return created_at_; }
  const OffsetIndex& offset_index() const { return offset_index_; }
  const TimeIndex& time_index() const { return time_index_; }

  // Appends one batch whose baseOffset is already next_offset(). On error nothing was added
  // (a partial write is cut off again; if that fails too the error is io_error and the
  // segment must not be used for writing any more).
  Status append(ByteView batch, const BatchHeader& header);

  // The batch holding `target` (or the first batch after it if `target` fell in a gap).
  // nullopt if every batch in the segment ends before `target`.
  Result<std::optional<BatchLocation>> find_batch(Offset target, uint64_t size_limit);
  // Whole batches from `position` up to `max_bytes` (at least one batch if `at_least_one`),
  // never past `size_limit`.
  Result<Bytes> read_batches(uint64_t position, uint64_t size_limit, uint64_t max_bytes,
                             bool at_least_one);
  // The first batch whose maxTimestamp >= ts, or nullopt.
  Result<std::optional<BatchLocation>> find_timestamp(int64_t ts, uint64_t size_limit);
  // The header fields of the batch at `position`.
  Result<BatchLocation> read_location(uint64_t position);

  // Removes every batch from the one holding `offset` on (Kafka's LogSegment.truncateTo) and
  // rebuilds the indexes. Returns the new next_offset().
  Result<Offset> truncate_to(Offset offset);
  Status fsync();
  // Reads every byte of the segment file and writes it back in place, so pages a failed
  // fsync left clean-but-unwritten become dirty and the next fsync persists them.
  Status rewrite_in_place();
  // Rewrites the .index and .timeindex files from memory and fsyncs them.
  Status write_indexes();
  // Removes the three files. REQUIRES: the caller fsyncs the directory afterwards.
  Status remove_files();

  std::string log_path() const;

 private:
  Segment(Disk& disk, std::string dir, Offset base, const LogConfig& config, Instant now)
      : disk_(disk), dir_(std::move(dir)), base_(base), next_(base), config_(config),
        created_at_(now) {}
  std::string path(std::string_view suffix) const;
  void index_batch(const BatchHeader& header, uint64_t position);
  // Validates all batches from 0 and cuts the file after the last good one.
  Status recover(SegmentRecovery& out);

  Disk& disk_;
  std::string dir_;
  Offset base_;
  Offset next_;
  LogConfig config_;
  Instant created_at_;
  uint64_t size_ = 0;
  int64_t max_timestamp_ = kNoTimestamp;
  Offset offset_of_max_timestamp_;
  uint64_t bytes_since_index_ = 0;
  // Where the batch after the last one find_batch returned starts: a tailing reader asks for
  // exactly that offset next, and starting there skips rescanning every batch header from
  // the sparse index entry (one pread each). Checked on use, dropped by truncation.
  struct ReadHint {
    Offset next;
    uint64_t position = UINT64_MAX;  // UINT64_MAX: none
  };
  ReadHint read_hint_;
  std::unique_ptr<File> log_;
  OffsetIndex offset_index_;
  TimeIndex time_index_;
};

}  // namespace tern
