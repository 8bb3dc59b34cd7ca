#pragma once
// A counting semaphore with FIFO hand-off (permits go to waiters in arrival order).
#include <cstdint>

#include "sim/runtime/sync/wait_queue.h"

namespace tern {

class Semaphore {
 public:
  Semaphore(Tasks& tasks, int64_t permits) : waiters_(tasks), permits_(permits) {}
  Status acquire(int64_t n = 1, Deadline deadline = Instant::never());
  bool try_acquire(int64_t n = 1);
  void release(int64_t n = 1);
  int64_t available() const { return permits_; }

 private:
  WaitQueue waiters_;
  int64_t permits_;
};

}  // namespace tern
