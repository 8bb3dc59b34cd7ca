#include "sim/runtime/sync/wait_queue.h"

namespace tern {

WaitQueue::~WaitQueue() {
  // Only reachable with waiters when a crashed node's objects are torn down out of order;
  // wake them cancelled rather than leave them pointing at freed memory.
  while (head_ != nullptr) {
    Waiter* w = head_;
    unlink(w);
    tasks_.unpark(w->task, Wake::cancelled);
  }
}

void WaitQueue::push(Waiter* w) {
  TERN_ASSERT(w->queue == nullptr);
  w->queue = this;
  w->prev = tail_;
  w->next = nullptr;
  if (tail_) tail_->next = w;
  else head_ = w;
  tail_ = w;
}

void WaitQueue::unlink(Waiter* w) {
  TERN_ASSERT(w->queue == this);
  if (w->prev) w->prev->next = w->next;
  else head_ = w->next;
  if (w->next) w->next->prev = w->prev;
  else tail_ = w->prev;
  w->prev = w->next = nullptr;
  w->queue = nullptr;
}

Wake WaitQueue::wait(Deadline deadline) {
  Waiter w{tasks_.current()};
  push(&w);
  struct Unlinker {  // also runs when the fiber is force-unwound by a crash
    Waiter& w;
    ~Unlinker() {
      if (w.queue) w.queue->unlink(&w);
    }
  } unlinker{w};
  Wake reason = tasks_.park(deadline);
  return w.notified ? Wake::notified : reason;
}

bool WaitQueue::notify_one() {
  if (head_ == nullptr) return false;
  Waiter* w = head_;
  unlink(w);
  w->notified = true;
  tasks_.unpark(w->task, Wake::notified);
  return true;
}

size_t WaitQueue::notify_all() {
  size_t n = 0;
  while (notify_one()) ++n;
  return n;
}

}  // namespace tern
