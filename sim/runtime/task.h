#pragma once
// Tasks: named cooperative fibers. Blocking calls suspend the fiber, never the thread.
// park()/unpark() are the only hooks the sync primitives (sync/) need.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "sim/runtime/result.h"
#include "sim/runtime/time.h"
#include "sim/runtime/unique_function.h"

namespace tern {

namespace fiber {
class Task;  // the implementation, in sim/fiber; opaque here
}
using TaskRef = fiber::Task*;

// Why a parked task woke up.
enum class Wake : uint8_t { notified, timed_out, cancelled };

// Shared state of a spawned task, implemented by sim/fiber.
class TaskControl {
 public:
  virtual ~TaskControl() = default;
  virtual uint64_t id() const = 0;
  virtual const std::string& name() const = 0;
  virtual bool done() const = 0;
  // Asks the task to stop: its current and every later park() returns Wake::cancelled, so
  // its blocking calls fail with Errc::cancelled. The task decides how to wind up.
  virtual void cancel() = 0;
  // Waits (parking the calling task) until the task has finished.
  virtual Status join(Deadline deadline) = 0;
};

class TaskHandle {
 public:
  TaskHandle() = default;
  explicit TaskHandle(std::shared_ptr<TaskControl> control) : c_(std::move(control)) {}
  bool valid() const { return c_ != nullptr; }
  uint64_t id() const { return c_->id(); }
  const std::string& name() const { return c_->name(); }
  bool done() const { return c_->done(); }
  void cancel() { c_->cancel(); }
  Status join(Deadline deadline = Instant::never()) { return c_->join(deadline); }

 private:
  std::shared_ptr<TaskControl> c_;
};

class Tasks {
 public:
  virtual ~Tasks() = default;
  virtual Instant now() const = 0;
  // Starts a task; it first runs when the current task yields or parks (FIFO order).
  virtual TaskHandle spawn(std::string name, UniqueFunction body) = 0;
  // Lets every other runnable task run once, then continues.
  virtual void yield() = 0;
  // The running task. Only valid inside a task.
  virtual TaskRef current() = 0;
  // Suspends the current task until unpark(), the deadline or a cancel.
  virtual Wake park(Deadline deadline) = 0;
  // Makes a parked task runnable with the given reason; no effect on a task that is not parked.
  virtual void unpark(TaskRef task, Wake reason = Wake::notified) = 0;

  // Errc::cancelled if the task was cancelled before the deadline.
  Status sleep_until(Deadline deadline);
  Status sleep_for(Duration d) { return sleep_until(now() + d); }
};

}  // namespace tern
