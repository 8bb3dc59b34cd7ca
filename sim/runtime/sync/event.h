#pragma once
// A manual-reset event: wait() returns once set() has been called (until reset()).
#include "sim/runtime/sync/wait_queue.h"

namespace tern {

class Event {
 public:
  explicit Event(Tasks& tasks) : waiters_(tasks) {}
  void set() {
    set_ = true;
    waiters_.notify_all();
  }
  void reset() { set_ = false; }
  bool is_set() const { return set_; }
  // Errc::timed_out or Errc::cancelled if the event was not set in time.
  Status wait(Deadline deadline = Instant::never());

 private:
  WaitQueue waiters_;
  bool set_ = false;
};

// A condition: wait until a predicate over state changed by other tasks holds. Tasks are
// cooperative, so no lock is needed; notify after changing the state.
class Condition {
 public:
  explicit Condition(Tasks& tasks) : waiters_(tasks) {}
  template <class Pred>
  Status wait_until(Pred pred, Deadline deadline = Instant::never()) {
    while (!pred()) {
      Wake w = waiters_.wait(deadline);
      if (w == Wake::timed_out) return pred() ? Status{} : Status(Errc::timed_out);
      if (w == Wake::cancelled) return Errc::cancelled;
    }
    return {};
  }
  void notify_all() { waiters_.notify_all(); }
  void notify_one() { waiters_.notify_one(); }

 private:
  WaitQueue waiters_;
};

}  // namespace tern
