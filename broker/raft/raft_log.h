#pragma once
// The replicated metadata log `__cluster_metadata-0` (KIP-595) and its snapshots (KIP-630).
//
// Entries are Kafka v2 record batches in a PartitionLog; a batch's partition_leader_epoch is
// the epoch it was first written in. An in-memory index of every batch (offsets, epoch, a hash
// of its bytes) gives the epoch cache (epoch -> start offset) used for divergence detection
// and lets invariant checkers compare logs cheaply; it is rebuilt from the log on open.
//
// Snapshots: `<dir>/<20-digit end offset>-<10-digit epoch>.checkpoint`, the state machine's
// image of everything below `end offset`; `epoch` is the epoch of the entry at end offset - 1,
// so the snapshot id alone answers "which epoch ends where" below the log start. File layout
// (big-endian): magic "TERNSNAP", u32 version 1, i64 end offset, i32 epoch, u64 data length,
// data, u32 CRC-32C of everything before it. Written to a `.part` file, fsynced and renamed.
// After a snapshot at S the log's segments below S may be deleted: the log start becomes S.
//
// Tasks: methods that touch the disk may suspend; RaftNode serialises writers.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"
#include "broker/log/partition_log.h"
#include "broker/raft/raft_config.h"
#include "sim/runtime/runtime.h"

namespace tern::raft {

struct SnapshotId {
  Offset end_offset{0};  // exclusive: the snapshot holds everything below
  int32_t epoch = 0;     // epoch of the entry at end_offset - 1
  auto operator<=>(const SnapshotId&) const = default;
};

// One batch of the log, for the epoch cache and for checkers.
struct EntryInfo {
  Offset base;
  Offset last;
  int32_t epoch = 0;
  uint32_t hash = 0;  // CRC-32C of the whole batch as stored
  bool control = false;
};

// (epoch, end offset): the largest epoch <= the asked one that the log knows of, and the
// offset where it ends (the next epoch's start, or the log end). epoch -1: none known.
struct EpochEnd {
  int32_t epoch = -1;
  Offset end_offset{-1};
};

// Snapshot file bytes <-> (id, data). decode checks magic, lengths and the CRC.
Bytes encode_snapshot_file(SnapshotId id, ByteView data);
Result<std::pair<SnapshotId, Bytes>> decode_snapshot_file(ByteView file);
std::string snapshot_file_name(SnapshotId id);
std::optional<SnapshotId> parse_snapshot_file_name(std::string_view name);

class RaftLog {
 public:
  // Opens `<data_dir>/__cluster_metadata-0`: the latest valid snapshot, then the log after
  // it (a log that ends before the snapshot, or disagrees with it, restarts at its end).
  static Result<std::unique_ptr<RaftLog>> open(Runtime& rt, const RaftConfig& config);
  ~RaftLog();
  Status close();

  const std::string& dir() const { return dir_; }
  // The first offset the log holds (the latest snapshot's end offset, or 0).
  Offset log_start() const { return start_; }
  Offset end_offset() const { return log_->log_end_offset(); }
  // An fsync or write failed: the log's state on disk is unknown and it takes no more writes.
  bool failed() const { return log_->failed(); }
  // Everything below is fsynced (never counted as replicated before that).
  Offset durable_offset() const { return log_->durable_offset(); }
  // Epoch of the last entry (or of the snapshot when the log is empty, else 0).
  int32_t last_epoch() const;
  EpochEnd end_offset_for_epoch(int32_t epoch) const;
  // Epoch of the entry holding `offset`, if the log (or the snapshot id, for start - 1) knows.
  std::optional<int32_t> epoch_of(Offset offset) const;

  // Leader: appends one batch of `values` written in `epoch` (a control batch when `control`:
  // its records carry `control_key` as key). Returns the last offset.
  Result<Offset> append_as_leader(const std::vector<Bytes>& values, int32_t epoch, bool control,
                                  const Bytes& control_key = {});
  // Follower: appends the leader's batches as they are. REQUIRES: the first batch starts at
  // end_offset(); each is CRC-valid. Returns the new end offset.
  Result<Offset> append_as_follower(ByteView batches);
  // Removes every entry at or above `offset` (at a batch boundary). REQUIRES: offset >=
  // log_start(). Durable when it returns.
  Status truncate_to(Offset offset);
  // Whole batches from the one holding `offset`, up to max_bytes (at least one batch).
  Result<Bytes> read(Offset offset, uint64_t max_bytes);
  Status wait_durable(Offset offset, Deadline deadline) {
    return log_->wait_durable(offset, deadline);
  }

  // --- snapshots ---
  std::optional<SnapshotId> latest_snapshot() const { return snapshot_; }
  // The latest snapshot's whole file (header, data, CRC), for FetchSnapshot.
  const Bytes& snapshot_file() const { return snapshot_file_; }
  Result<Bytes> snapshot_data() const;
  // The state machine's image of everything below id.end_offset. REQUIRES: the log holds the
  // entry at end_offset - 1 with id.epoch. Deletes older snapshots and log segments below.
  Status write_snapshot(SnapshotId id, ByteView data);
  // A follower installs a snapshot copied from the leader (the whole file as the leader has
  // it). Keeps the log after it when the log agrees at end_offset - 1, else restarts the log
  // at end_offset.
  Status install_snapshot(ByteView file);

  // Every batch at or above log_start(), in order.
  const std::deque<EntryInfo>& entries() const { return entries_; }

 private:
  RaftLog(Runtime& rt, std::string dir) : rt_(rt), dir_(std::move(dir)) {}
  Status load_snapshot();
  std::optional<int32_t> log_epoch_of(Offset offset) const;  // from the batch index only
  Status rebuild_index();
  // Every batch from the log start to the end, appended to out.
  Status read_all(Bytes& out);
  Status write_snapshot_file(SnapshotId id, const Bytes& file);
  Status remove_older_snapshots();
  // Moves the log start to the snapshot's end: drops index entries and whole segments below.
  Status trim_prefix();
  void index_batches(ByteView batches);

  Runtime& rt_;
  std::string dir_;
  std::unique_ptr<PartitionLog> log_;
  Offset start_{0};
  std::optional<SnapshotId> snapshot_;
  Bytes snapshot_file_;
  std::deque<EntryInfo> entries_;
  std::map<int32_t, Offset> epoch_starts_;  // epoch -> first offset of it in the log
};

}  // namespace tern::raft
