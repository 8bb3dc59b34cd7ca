#include "broker/partition/data_waiter.h"

#include <algorithm>

#include "sim/runtime/assert.h"

namespace tern::partition {

WaiterList::~WaiterList() {
  // Every Watch holds its partition alive, so no waiter can still be registered here.
  TERN_ASSERT(waiters_.empty(), "{} waiters outlive their partition", waiters_.size());
}

void WaiterList::add(DataWaiter* w) {
  TERN_ASSERT(w != nullptr);
  TERN_ASSERT(std::find(waiters_.begin(), waiters_.end(), w) == waiters_.end(),
              "waiter registered twice");
  waiters_.push_back(w);
}

void WaiterList::remove(DataWaiter* w) {
  auto it = std::find(waiters_.begin(), waiters_.end(), w);
  TERN_ASSERT(it != waiters_.end(), "waiter not registered");
  waiters_.erase(it);
}

void WaiterList::notify_all() {
  const size_t n = waiters_.size();
  for (DataWaiter* w : waiters_) w->notify();
  TERN_ASSERT(waiters_.size() == n, "the waiter list changed while notifying");
}

}  // namespace tern::partition
