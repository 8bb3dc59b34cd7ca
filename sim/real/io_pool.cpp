#include "sim/real/io_pool.h"

#include "sim/real/event_loop.h"
#include "sim/runtime/assert.h"

namespace tern::real {

IoPool::IoPool(Tasks& tasks, EventLoop& loop, int threads)
    : tasks_(tasks), loop_(loop), thread_count_(threads) {
  TERN_ASSERT(threads > 0);
}

IoPool::~IoPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void IoPool::start_threads() {
  threads_.reserve(static_cast<size_t>(thread_count_));
  for (int i = 0; i < thread_count_; ++i) threads_.emplace_back([this] { worker(); });
}

void IoPool::worker() {
  std::unique_lock lock(mu_);
  while (true) {
    work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every queued job has run
    std::shared_ptr<Op> op = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const int result = op->job();
    lock.lock();
    op->result = result;
    op->done = true;
    op->job = nullptr;  // drop what the job captured on this thread, not the loop's
    finished_.push_back(std::move(op));
    any_finished_.store(true, std::memory_order_release);
    done_cv_.notify_all();
    loop_.wake();
  }
}

int IoPool::run(std::function<int()> job) {
  TaskRef self = tasks_.current();
  if (self == nullptr) return job();
  ++jobs_run_;
  auto op = std::make_shared<Op>();
  op->job = std::move(job);
  {
    std::lock_guard lock(mu_);
    if (threads_.empty()) start_threads();
    queue_.push_back(op);
  }
  work_cv_.notify_one();
  // A task unwound while parked (crash, shutdown) stops waiting; reap() then skips it.
  struct ClearWaiter {
    Op& op;
    ~ClearWaiter() { op.waiter = nullptr; }
  } clear{*op};
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (op->done) return op->result;
    }
    op->waiter = self;
    if (tasks_.park(Instant::never()) == Wake::cancelled) {
      // Every later park() of a cancelled task returns at once: wait here instead.
      std::unique_lock lock(mu_);
      done_cv_.wait(lock, [&] { return op->done; });
      return op->result;
    }
  }
}

void IoPool::reap() {
  if (!any_finished_.load(std::memory_order_acquire)) return;
  std::vector<std::shared_ptr<Op>> done;
  {
    std::lock_guard lock(mu_);
    done.swap(finished_);
    any_finished_.store(false, std::memory_order_relaxed);
  }
  for (auto& op : done) {
    if (op->waiter != nullptr) {
      tasks_.unpark(op->waiter, Wake::notified);
      op->waiter = nullptr;
    }
  }
}

}  // namespace tern::real
