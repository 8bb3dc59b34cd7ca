#pragma once
// A FIFO queue of parked tasks; every fiber-aware primitive is built on it. Waiters live on
// their own fiber's stack and unlink themselves, so a crashed (unwound) task never leaves a
// dangling waiter behind.
#include <cstddef>

#include "sim/runtime/task.h"

namespace tern {

class WaitQueue {
 public:
  explicit WaitQueue(Tasks& tasks) : tasks_(tasks) {}
  WaitQueue(const WaitQueue&) = delete;
  WaitQueue& operator=(const WaitQueue&) = delete;
  ~WaitQueue();

  // Parks the current task until notified, the deadline, or a cancel. A notification that
  // races with a timeout is never lost: a notified waiter always reports Wake::notified.
  Wake wait(Deadline deadline);
  bool notify_one();
  size_t notify_all();
  bool empty() const { return head_ == nullptr; }
  Tasks& tasks() const { return tasks_; }

 private:
  struct Waiter {
    TaskRef task;
    Waiter* prev = nullptr;
    Waiter* next = nullptr;
    WaitQueue* queue = nullptr;
    bool notified = false;
  };
  void push(Waiter* w);
  void unlink(Waiter* w);

  Tasks& tasks_;
  Waiter* head_ = nullptr;
  Waiter* tail_ = nullptr;
};

}  // namespace tern
