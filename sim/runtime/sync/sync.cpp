// Event, Mutex and Semaphore: the non-template primitives on WaitQueue.
#include "sim/runtime/sync/event.h"
#include "sim/runtime/sync/mutex.h"
#include "sim/runtime/sync/semaphore.h"

namespace tern {

static Status wake_to_status(Wake w) {
  switch (w) {
    case Wake::notified: return {};
    case Wake::timed_out: return Errc::timed_out;
    case Wake::cancelled: return Errc::cancelled;
  }
  return Errc::cancelled;
}

Status Event::wait(Deadline deadline) {
  while (!set_) {
    Wake w = waiters_.wait(deadline);
    if (set_) return {};
    if (w != Wake::notified) return wake_to_status(w);
  }
  return {};
}

Status Mutex::lock(Deadline deadline) {
  if (!locked_) {
    locked_ = true;
    return {};
  }
  // Ownership is handed over by unlock(): a notified waiter owns the mutex on return.
  Wake w = waiters_.wait(deadline);
  if (w == Wake::notified) {
    TERN_ASSERT(locked_);
    return {};
  }
  return wake_to_status(w);
}

void Mutex::unlock() {
  TERN_ASSERT(locked_, "unlock of an unlocked mutex");
  if (!waiters_.notify_one()) locked_ = false;
}

bool Semaphore::try_acquire(int64_t n) {
  TERN_ASSERT(n > 0);
  // FIFO: a newcomer may not overtake parked waiters.
  if (!waiters_.empty() || permits_ < n) return false;
  permits_ -= n;
  return true;
}

Status Semaphore::acquire(int64_t n, Deadline deadline) {
  if (try_acquire(n)) return {};
  while (true) {
    Wake w = waiters_.wait(deadline);
    if (permits_ >= n) {
      permits_ -= n;
      // Pass the baton: more permits may remain for the next waiter.
      if (permits_ > 0) waiters_.notify_one();
      return {};
    }
    if (w != Wake::notified) return wake_to_status(w);
  }
}

void Semaphore::release(int64_t n) {
  TERN_ASSERT(n > 0);
  permits_ += n;
  waiters_.notify_one();
}

}  // namespace tern
