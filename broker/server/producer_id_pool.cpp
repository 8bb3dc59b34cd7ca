#include "broker/server/producer_id_pool.h"

namespace tern::server {

Result<int64_t> ProducerIdPool::next() {
  if (next_ >= end_) {
    MutexLock lock(refill_mutex_);
    if (!lock.owns()) return Errc::cancelled;
    // Another task may have refilled while this one waited for the lock.
    if (next_ >= end_) {
      auto block = controller_.allocate_producer_ids();
      if (!block.ok()) return block.error();
      TERN_ASSERT(block->count > 0, "empty producer id block");
      TERN_ASSERT(block->first >= end_, "producer id block {} reuses ids below {}",
                  block->first, end_);
      next_ = block->first;
      end_ = block->first + block->count;
    }
  }
  TERN_ASSERT(next_ < end_);
  return next_++;
}

}  // namespace tern::server
