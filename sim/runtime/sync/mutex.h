#pragma once
// A fiber mutex with FIFO hand-off: the unlocking task passes ownership straight to the
// longest waiter, so no task starves. Needed only around sections that suspend (e.g. a
// multi-step write to one file); sections that do not suspend need no lock at all.
#include "sim/runtime/sync/wait_queue.h"

namespace tern {

class Mutex {
 public:
  explicit Mutex(Tasks& tasks) : waiters_(tasks) {}
  Status lock(Deadline deadline = Instant::never());
  void unlock();
  bool locked() const { return locked_; }

 private:
  WaitQueue waiters_;
  bool locked_ = false;
};

class [[nodiscard]] MutexLock {
 public:
  explicit MutexLock(Mutex& m) : m_(m) { ok_ = m_.lock().ok(); }
  ~MutexLock() {
    if (ok_) m_.unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;
  // False if the task was cancelled while waiting for the lock.
  bool owns() const { return ok_; }

 private:
  Mutex& m_;
  bool ok_ = false;
};

}  // namespace tern
