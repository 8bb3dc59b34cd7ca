#pragma once
// Fibers and the FIFO run queue shared by both worlds. A Scheduler owns tasks (Boost.Context
// fibers), runs the runnable ones in FIFO order and keeps timers in a heap ordered by
// (deadline, sequence). It does not know what time it is: the world that drives it (virtual
// time in sim/simulated, CLOCK_MONOTONIC in sim/real) asks for the next deadline and fires
// timers when their time has come.
//
// Tie shuffling (shuffle_ties, simulation only): FIFO is one legal interleaving among many,
// and code that silently relies on it (a task that assumes its wake-up runs before another's)
// passes every seed. With a seeded Rng the scheduler instead runs a uniformly drawn runnable
// task each time, and timers with equal deadlines fire in a seeded order (each timer draws a
// random tie key when armed, in place of its arming sequence). Same seed, same order.
//
// Each task belongs to a group (a simulated node). kill_group() unwinds every fiber of a group
// newest first, running the destructors on their stacks: a crash that leaks nothing.
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/runtime/rng.h"
#include "sim/runtime/sync/wait_queue.h"
#include "sim/runtime/task.h"

namespace tern::fiber {

class Scheduler;

struct TimerId {
  uint32_t slot = UINT32_MAX;
  uint64_t seq = 0;
  bool valid() const { return slot != UINT32_MAX; }
};

class Task;
class StackPool;

class Scheduler {
 public:
  // stack_bytes: each fiber's stack. Broker code is shallow; 256 KiB leaves ample room.
  explicit Scheduler(Tasks& facade, size_t stack_bytes = 256 * 1024);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  std::shared_ptr<Task> spawn(uint32_t group, std::string name, UniqueFunction body);
  Task* current() const { return current_; }
  void yield();
  Wake park(Deadline deadline);
  void unpark(Task* task, Wake reason);

  TimerId add_timer(Instant deadline, UniqueFunction fn);
  void cancel_timer(TimerId id);
  // The earliest pending timer, or never() if there is none.
  Instant next_deadline();
  // Fires the earliest timer if its deadline is <= now. Returns whether one fired.
  bool fire_next_timer(Instant now);

  bool has_runnable() const { return !runnable_.empty(); }
  // Runs runnable tasks in FIFO order (or seeded order, see shuffle_ties) until none is left.
  void run_runnable();
  // Runs one runnable task; false if there was none.
  bool run_one();

  // From now on, pick the next runnable task, and order timers with equal deadlines, by draws
  // from `rng` instead of FIFO / arming order. Timers already armed keep their tie keys. Off
  // (the default) costs one predictable branch per run_one and per add_timer.
  void shuffle_ties(Rng rng) { shuffle_.emplace(rng); }
  bool shuffling_ties() const { return shuffle_.has_value(); }

  // A paused group's tasks do not run (a stalled process: SIGSTOP, a long GC pause, a VM
  // migration); they keep their place and resume in order when the group is resumed.
  void pause_group(uint32_t group);
  void resume_group(uint32_t group);
  bool group_paused(uint32_t group) const { return paused_.count(group) != 0; }

  // Unwinds and destroys every task of a group, newest first. Must not be called from a task
  // of that group.
  void kill_group(uint32_t group);
  // Unwinds every task, newest group first (what the destructor does). Call it before the
  // owner's pointer to the scheduler goes away: destructors on fiber stacks may unpark
  // other tasks through the facade, which must still reach this scheduler.
  void kill_all();
  size_t live_tasks() const { return live_count_; }
  size_t live_tasks(uint32_t group) const;
  uint64_t switches() const { return switches_; }
  Tasks& facade() const { return facade_; }

 private:
  friend class Task;
  // The heap holds live timers only: cancel_timer removes its entry at once (each slot knows
  // where its entry sits). Lazy deletion let cancelled park timers (request timeouts that
  // rarely fire) pile up by the thousand and made every push and pop walk a deep heap.
  // `seq` orders equal deadlines: the arming sequence, or a seeded draw when shuffling ties
  // (the slot keeps the true sequence for TimerId checks).
  struct HeapEntry {
    Instant deadline;
    uint64_t seq;
    uint32_t slot;
  };
  struct TimerSlot {
    UniqueFunction fn;
    uint64_t seq = 0;
    uint32_t pos = 0;  // index of the slot's entry in heap_ while live
    bool live = false;
  };
  static bool earlier(const HeapEntry& a, const HeapEntry& b) {
    return a.deadline != b.deadline ? a.deadline < b.deadline : a.seq < b.seq;
  }
  void heap_place(uint32_t pos, const HeapEntry& e);
  void heap_sift_up(uint32_t pos);
  void heap_sift_down(uint32_t pos);
  void heap_remove(uint32_t pos);
  void resume(Task* task);
  void finished(Task* task);
  void link(std::shared_ptr<Task> task);
  void unlink(Task* task);

  Tasks& facade_;
  Task* current_ = nullptr;
  std::deque<Task*> runnable_;
  // Live tasks in id order (a task is appended when spawned, and ids only grow), so
  // kill_group unwinds in a defined (newest first) order. Intrusive: a map node per task was
  // one more allocation for every request a simulated broker serves.
  Task* first_ = nullptr;
  Task* last_ = nullptr;
  size_t live_count_ = 0;
  uint64_t next_task_id_ = 1;
  std::vector<HeapEntry> heap_;
  std::vector<TimerSlot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t timer_seq_ = 0;
  uint64_t switches_ = 0;
  std::unique_ptr<StackPool> stacks_;
  std::set<uint32_t> paused_;
  std::deque<Task*> held_;  // runnable tasks of paused groups, in queue order
  std::optional<Rng> shuffle_;
};

enum class TaskState : uint8_t { runnable, running, parked, finished };

class Task final : public TaskControl {
 public:
  struct Impl;
  Task(Scheduler& s, Impl& impl, uint64_t id, uint32_t group, std::string name,
       UniqueFunction body);
  ~Task() override;
  uint64_t id() const override { return id_; }
  const std::string& name() const override { return name_; }
  bool done() const override { return state_ == TaskState::finished; }
  void cancel() override;
  Status join(Deadline deadline) override;
  uint32_t group() const { return group_; }
  TaskState state() const { return state_; }
  bool cancelled() const { return cancelled_; }

 private:
  friend class Scheduler;
  Scheduler& sched_;
  uint64_t id_;
  uint32_t group_;
  std::string name_;
  UniqueFunction body_;
  Impl* impl_;  // the Boost.Context fibers, kept out of this header; same allocation as *this
  // While live: the scheduler's list of tasks, and its reference that keeps this task alive.
  Task* prev_ = nullptr;
  Task* next_ = nullptr;
  std::shared_ptr<Task> self_;
  TaskState state_ = TaskState::runnable;
  Wake wake_ = Wake::notified;
  bool cancelled_ = false;
  bool unwinding_ = false;
  uint64_t park_gen_ = 0;
  WaitQueue joiners_;
};

}  // namespace tern::fiber
