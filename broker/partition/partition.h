#pragma once
// Partition: one partition replica on this node (Kafka's Partition): its log, its role and
// leader epoch, its high-watermark policy, its durability pump and the wake-up of fetches
// waiting on it. Nothing outside reaches into its log for writes: appends, truncation,
// retention and closing all go through here, so the high watermark and the wake-ups cannot
// be bypassed.
//
// Held by shared_ptr (ReplicaManager owns, handlers and tasks share): a handler keeps its
// Partition across suspensions, and a removal (topic deleted) marks it deleted and closes
// the log under them instead of freeing it; they see errors.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/base/ids.h"
#include "broker/log/partition_log.h"
#include "broker/partition/data_waiter.h"
#include "broker/protocol/wire.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/event.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::partition {

enum class Role : uint8_t { none, leader, follower };
const char* role_name(Role r);

// tern.flush.durable: `fsync` makes the high watermark the fsynced offset (nothing a power
// loss could take back is ever visible); `os` is Kafka's default (the log end offset).
enum class Durability : bool { os, fsync };

// What append() did with a produce request's batches for this partition.
struct BatchesAppended {
  enum class Refused : uint8_t { no, unavailable, not_leader };
  Refused refused = Refused::no;         // nothing appended, for this reason
  std::optional<Offset> first;           // base offset of the first batch appended
  std::optional<Offset> last;            // last offset of the last batch appended
  int64_t log_append_time = kNoTimestamp;
  std::optional<Error> error;            // the append that failed (earlier batches stand)
  Offset log_start;                      // after the append
};

class Partition : public std::enable_shared_from_this<Partition> {
 public:
  Partition(Runtime& rt, std::string topic, protocol::Uuid topic_id, int32_t index,
            Durability durability);
  ~Partition();
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;

  // Opens (creating) the log under data_dir. On failure the partition stays unusable.
  // REQUIRES: called once, before anything else.
  Status open(const std::string& data_dir, const LogConfig& config,
              std::function<void(const Error&)> on_log_failure);

  const std::string& topic() const { return topic_; }
  const protocol::Uuid& topic_id() const { return topic_id_; }
  int32_t index() const { return index_; }
  Role role() const { return role_; }
  LeaderEpoch leader_epoch() const { return leader_epoch_; }
  // Applies the metadata's view of this replica. Epochs never go backwards.
  void set_role(Role role, LeaderEpoch epoch);

  // Open and not removed: reads and appends may be tried.
  bool usable() const { return !deleted_ && log_ != nullptr; }
  bool deleted() const { return deleted_; }

  // What consumers may read: below the fsynced offset with Durability::fsync, else below
  // the log end. REQUIRES: usable() or at least opened.
  Offset high_watermark() const;
  Offset log_start_offset() const;
  Offset log_end_offset() const;
  Offset durable_offset() const;

  // Appends one produce request's batches (validated by the caller) under the append
  // mutex, so they get contiguous offsets, stamped with the leader epoch. Wakes waiters.
  BatchesAppended append(std::vector<Bytes> batches);
  // Waits until everything up to `offset` is fsynced (acks=-1), then wakes waiters (the
  // high watermark moved).
  Status wait_durable(Offset offset, Deadline deadline);
  // After an append nobody waits on (acks 0/1) with Durability::fsync: the durability pump
  // fsyncs it so the high watermark moves. At most one pump task per partition.
  void request_flush();

  // Reads (see PartitionLog): whole batches from `offset`, timestamps.
  Result<Bytes> read(Offset offset, uint64_t max_bytes);
  Result<std::optional<TimestampOffset>> offset_for_timestamp(int64_t ts);
  // Deletes old segments beyond retention; wakes waiters when some went.
  Result<uint32_t> enforce_retention();

  // Marks the partition deleted, closes its log and wakes its waiters (they answer errors).
  Status remove();
  // Closes the log (shutdown). Waiters are left to their tasks' cancellation.
  Status close();
  // Waits until no durability pump runs (shutdown, after close()).
  Status wait_pump_idle();

  // Registration of a fetch's DataWaiter with this partition, undone by the destructor.
  class Watch {
   public:
    Watch(std::shared_ptr<Partition> p, DataWaiter* w);
    ~Watch();
    Watch(Watch&& o) noexcept : p_(std::move(o.p_)), w_(o.w_) { o.w_ = nullptr; }
    Watch& operator=(Watch&&) = delete;
    Watch(const Watch&) = delete;

   private:
    std::shared_ptr<Partition> p_;
    DataWaiter* w_;
  };
  Watch watch(DataWaiter& w) { return Watch(shared_from_this(), &w); }
  // Wakes every registered fetch: data, the high watermark or the log range moved.
  void notify_waiters() { waiters_.notify_all(); }
  size_t waiter_count() const { return waiters_.size(); }

  // For inspection.
  const RecoveryReport* recovery() const { return log_ ? &log_->recovery() : nullptr; }

 private:
  void pump();

  Runtime& rt_;
  const std::string topic_;
  const protocol::Uuid topic_id_;
  const int32_t index_;
  const Durability durability_;
  std::unique_ptr<PartitionLog> log_;
  Role role_ = Role::none;
  LeaderEpoch leader_epoch_{0};
  // Held across the batches of one produce so they get contiguous offsets.
  Mutex append_mutex_;
  bool deleted_ = false;
  bool opened_ = false;
  bool pump_running_ = false;  // the durability task for acks 0/1 appends
  Condition pump_done_;
  WaiterList waiters_;
};

}  // namespace tern::partition
