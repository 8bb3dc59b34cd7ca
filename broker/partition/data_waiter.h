#pragma once
// The wake-up of fetches waiting for data (Kafka's DelayedFetch purgatory, per partition).
//
// A long-poll fetch over several partitions owns one DataWaiter and registers it with each
// partition it reads (Partition::watch, an RAII Watch). Whenever one of them moves (an
// append, a high-watermark advance, retention, deletion) the partition notifies every
// registered waiter: the waiter's version goes up and its task wakes and reads again.
// There is no broker-wide "something changed" signal: a fetch wakes only for its partitions.
//
// Lifetime: the DataWaiter lives in the fetch's task (its stack or its state); each Watch
// holds a shared_ptr to its partition and unregisters in its destructor, so a fetch that is
// cancelled or unwound by a crash leaves no dangling pointer in any partition's list. The
// Watches must be destroyed before their DataWaiter (declare the waiter first).
#include <cstdint>
#include <vector>

#include "sim/runtime/sync/event.h"

namespace tern::partition {

class DataWaiter {
 public:
  explicit DataWaiter(Tasks& tasks) : changed_(tasks) {}
  DataWaiter(const DataWaiter&) = delete;
  DataWaiter& operator=(const DataWaiter&) = delete;

  // Read before looking at the partitions; wait_changed(seen) then returns as soon as any of
  // them moved after that point, so a change during the read is never missed.
  uint64_t version() const { return version_; }
  void notify() {
    ++version_;
    changed_.notify_all();
  }
  // Errc::timed_out at the deadline, Errc::cancelled when the task was cancelled.
  Status wait_changed(uint64_t seen, Deadline deadline) {
    return changed_.wait_until([&] { return version_ != seen; }, deadline);
  }

 private:
  Condition changed_;
  uint64_t version_ = 0;
};

// The waiters registered with one partition, in registration order: notification order is
// deterministic and never depends on pointer values.
class WaiterList {
 public:
  WaiterList() = default;
  WaiterList(const WaiterList&) = delete;
  WaiterList& operator=(const WaiterList&) = delete;
  ~WaiterList();

  void add(DataWaiter* w);
  void remove(DataWaiter* w);
  // notify() only marks tasks runnable (nothing runs inside), so the list cannot change
  // while it is walked.
  void notify_all();
  size_t size() const { return waiters_.size(); }

 private:
  std::vector<DataWaiter*> waiters_;
};

}  // namespace tern::partition
