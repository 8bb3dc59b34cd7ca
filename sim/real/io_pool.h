#pragma once
// Blocking system calls off the event-loop thread. A task that calls run() parks; a pool
// thread runs the job (fdatasync, a directory fsync) and hands the result back through the
// loop, which wakes the task. Meanwhile the loop keeps serving sockets: appends and network
// I/O overlap the flush, and the next group-commit round covers everything that arrived
// during this one (measured: a durable produce stream spent 73% of the loop thread's time
// blocked in fdatasync before this existed).
//
// Jobs must own what they touch: a job may outlive its task (a task unwound by a crash or
// shutdown stops waiting, the job still finishes). PosixFile passes a dup()ed descriptor.
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/runtime/task.h"

namespace tern::real {

class EventLoop;

class IoPool {
 public:
  // Threads start on the first job, so runtimes that never block pay nothing.
  IoPool(Tasks& tasks, EventLoop& loop, int threads);
  // Finishes every queued job, then joins the threads.
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // Runs job on a pool thread and returns its result (an errno value, 0 for success). From
  // outside a task it runs inline. If the calling task is cancelled while it waits, the wait
  // continues blocking the loop thread: the caller must see the real outcome of a flush.
  int run(std::function<int()> job);

  // Loop thread, after each poll: wakes the tasks whose jobs finished. Cheap when none did.
  void reap();

  uint64_t jobs_run() const { return jobs_run_; }

 private:
  struct Op {
    std::function<int()> job;
    int result = 0;
    bool done = false;          // under mu_
    TaskRef waiter = nullptr;   // loop thread only
  };
  void worker();
  void start_threads();

  Tasks& tasks_;
  EventLoop& loop_;
  const int thread_count_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  std::deque<std::shared_ptr<Op>> queue_;     // under mu_
  std::vector<std::shared_ptr<Op>> finished_;  // under mu_
  std::atomic<bool> any_finished_{false};
  bool stopping_ = false;  // under mu_
  std::vector<std::thread> threads_;
  uint64_t jobs_run_ = 0;
};

}  // namespace tern::real
