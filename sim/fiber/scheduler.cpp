#include "sim/fiber/scheduler.h"

#include <algorithm>
#include <boost/context/fiber.hpp>
#include <cstdlib>
#include <exception>

#include "sim/runtime/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#define TERN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TERN_ASAN 1
#endif
#endif
#ifdef TERN_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace ctx = boost::context;

namespace tern::fiber {

// Fiber stacks come from a per-scheduler free list: a fresh 256 KiB allocation per task would
// cost an mmap/munmap pair (glibc serves blocks that large with mmap), and servers spawn tasks
// per connection and per request.
class StackPool {
 public:
  explicit StackPool(size_t bytes) : bytes_(bytes) {}
  ~StackPool() {
    for (void* p : free_) std::free(p);
  }
  ctx::stack_context allocate() {
    void* p;
    if (!free_.empty()) {
      p = free_.back();
      free_.pop_back();
    } else {
      p = std::malloc(bytes_);
      TERN_ASSERT(p != nullptr, "out of memory for a fiber stack");
    }
#ifdef TERN_ASAN
    // A reused stack still carries the redzones of frames that were unwound by a crash
    // (ASan cannot see fcontext switches to clean them up): start from clean memory.
    ASAN_UNPOISON_MEMORY_REGION(p, bytes_);
#endif
    ctx::stack_context sc;
    sc.size = bytes_;
    sc.sp = static_cast<char*>(p) + bytes_;
    last_ = p;
    return sc;
  }
  void deallocate(ctx::stack_context& sc) {
    TERN_ASSERT(sc.size == bytes_);
    void* p = static_cast<char*>(sc.sp) - sc.size;
#ifdef TERN_ASAN
    ASAN_UNPOISON_MEMORY_REGION(p, bytes_);
#endif
    if (free_.size() < kKeepMax) free_.push_back(p);
    else std::free(p);
  }

  // The stack handed out last: spawn() remembers it per task (see kill_group).
  void* last() const { return last_; }
  size_t bytes() const { return bytes_; }

 private:
  static constexpr size_t kKeepMax = 1024;
  void* last_ = nullptr;
  size_t bytes_;
  std::vector<void*> free_;
};

// The allocator handed to Boost.Context: a thin reference to the pool.
struct PooledStack {
  StackPool* pool;
  ctx::stack_context allocate() { return pool->allocate(); }
  void deallocate(ctx::stack_context& sc) { pool->deallocate(sc); }
};

struct Task::Impl {
  ctx::fiber fiber;   // the task's own context (valid while it is suspended)
  ctx::fiber caller;  // the context that resumed it (valid while it runs)
  TimerId park_timer;
  void* stack = nullptr;  // the stack's lowest address
};

// A task and its fibers in one allocation (with the shared_ptr's control block).
struct TaskBlock {
  TaskBlock(Scheduler& s, uint64_t id, uint32_t group, std::string name, UniqueFunction body)
      : task(s, impl, id, group, std::move(name), std::move(body)) {}
  Task::Impl impl;  // declared first: destroyed after the task, whose destructor reads it
  Task task;
};

Task::Task(Scheduler& s, Impl& impl, uint64_t id, uint32_t group, std::string name,
           UniqueFunction body)
    : sched_(s),
      id_(id),
      group_(group),
      name_(std::move(name)),
      body_(std::move(body)),
      impl_(&impl),
      joiners_(s.facade()) {}

Task::~Task() {
  // A task is destroyed only once finished or unwound; never with a live stack.
  TERN_ASSERT(!impl_->fiber, "task '{}' destroyed with a live fiber", name_);
}

void Task::cancel() {
  if (state_ == TaskState::finished) return;
  cancelled_ = true;
  if (state_ == TaskState::parked) sched_.unpark(this, Wake::cancelled);
}

Status Task::join(Deadline deadline) {
  TERN_ASSERT(sched_.current() != this, "task '{}' joins itself", name_);
  while (state_ != TaskState::finished) {
    Wake w = joiners_.wait(deadline);
    if (state_ == TaskState::finished) break;
    if (w == Wake::timed_out) return Errc::timed_out;
    if (w == Wake::cancelled) return Errc::cancelled;
  }
  return {};
}

Scheduler::Scheduler(Tasks& facade, size_t stack_bytes)
    : facade_(facade), stacks_(std::make_unique<StackPool>(stack_bytes)) {}

Scheduler::~Scheduler() {
  kill_all();
  TERN_ASSERT(first_ == nullptr && live_count_ == 0);
}

void Scheduler::kill_all() {
  // Unwind whatever is left, newest first, so no destructor on a fiber stack is skipped.
  // Again while tasks remain: an unwinding destructor may (rarely) spawn into another group.
  while (first_ != nullptr) {
    std::vector<uint32_t> groups;
    for (Task* t = first_; t != nullptr; t = t->next_) groups.push_back(t->group_);
    std::sort(groups.begin(), groups.end());
    groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
    for (auto it = groups.rbegin(); it != groups.rend(); ++it) kill_group(*it);
  }
}

std::shared_ptr<Task> Scheduler::spawn(uint32_t group, std::string name,
                                       UniqueFunction body) {
  auto block = std::make_shared<TaskBlock>(*this, next_task_id_++, group, std::move(name),
                                           std::move(body));
  std::shared_ptr<Task> task(block, &block->task);
  Task* t = task.get();
  t->impl_->fiber = ctx::fiber(
      std::allocator_arg, PooledStack{stacks_.get()}, [t](ctx::fiber&& caller) {
        t->impl_->caller = std::move(caller);
        try {
          t->body_();
        } catch (const ctx::detail::forced_unwind&) {
          throw;  // a crash unwinding this fiber: let Boost.Context finish it
        } catch (const std::exception& e) {
          TERN_UNREACHABLE("task '{}' let an exception escape: {}", t->name_, e.what());
        }
        t->body_ = nullptr;  // free the captures while the stack is still ours
        t->state_ = TaskState::finished;
        t->joiners_.notify_all();
        return std::move(t->impl_->caller);
      });
  t->impl_->stack = stacks_->last();
  link(task);
  runnable_.push_back(t);
  return task;
}

void Scheduler::resume(Task* t) {
  TERN_ASSERT(t->state_ == TaskState::runnable);
  Task* prev = current_;
  current_ = t;
  t->state_ = TaskState::running;
  ++switches_;
  t->impl_->fiber = std::move(t->impl_->fiber).resume();
  current_ = prev;
  if (t->state_ == TaskState::finished) finished(t);
}

void Scheduler::finished(Task* t) {
  TERN_ASSERT(!t->impl_->fiber);
  unlink(t);  // may destroy the task
}

void Scheduler::link(std::shared_ptr<Task> task) {
  Task* t = task.get();
  TERN_ASSERT(t->self_ == nullptr && (last_ == nullptr || last_->id_ < t->id_));
  t->prev_ = last_;
  t->next_ = nullptr;
  if (last_) last_->next_ = t;
  else first_ = t;
  last_ = t;
  t->self_ = std::move(task);
  ++live_count_;
}

void Scheduler::unlink(Task* t) {
  TERN_ASSERT(t->self_ != nullptr, "task '{}' is not live", t->name_);
  if (t->prev_) t->prev_->next_ = t->next_;
  else first_ = t->next_;
  if (t->next_) t->next_->prev_ = t->prev_;
  else last_ = t->prev_;
  t->prev_ = t->next_ = nullptr;
  --live_count_;
  std::shared_ptr<Task> doomed = std::move(t->self_);
}

void Scheduler::pause_group(uint32_t group) { paused_.insert(group); }

void Scheduler::resume_group(uint32_t group) {
  if (paused_.erase(group) == 0) return;
  // Held tasks go back to the end of the queue in the order they became runnable.
  std::deque<Task*> still_held;
  for (Task* t : held_) {
    if (t->group_ == group) runnable_.push_back(t);
    else still_held.push_back(t);
  }
  held_.swap(still_held);
}

bool Scheduler::run_one() {
  while (!runnable_.empty()) {
    if (shuffle_ && runnable_.size() > 1) {
      // A uniform pick: swap it to the front. The queue's order carries no meaning in this
      // mode, only its content does, so the swap changes no later draw's odds.
      const auto i = static_cast<size_t>(shuffle_->below(runnable_.size()));
      std::swap(runnable_[0], runnable_[i]);
    }
    Task* t = runnable_.front();
    runnable_.pop_front();
    if (!paused_.empty() && paused_.count(t->group_)) {
      held_.push_back(t);
      continue;
    }
    TERN_ASSERT(t->state_ == TaskState::runnable, "task '{}' queued twice", t->name_);
    resume(t);
    return true;
  }
  return false;
}

void Scheduler::run_runnable() {
  while (run_one()) {
  }
}

void Scheduler::yield() {
  Task* t = current_;
  TERN_ASSERT(t != nullptr, "yield outside a task");
  if (t->unwinding_) return;
  t->state_ = TaskState::runnable;
  runnable_.push_back(t);
  t->impl_->caller = std::move(t->impl_->caller).resume();
}

Wake Scheduler::park(Deadline deadline) {
  Task* t = current_;
  TERN_ASSERT(t != nullptr, "park outside a task");
  // A fiber being unwound by a crash cannot wait for anything: its node is gone.
  if (t->unwinding_ || t->cancelled_) return Wake::cancelled;
  t->state_ = TaskState::parked;
  t->wake_ = Wake::notified;
  ++t->park_gen_;
  if (!deadline.is_never()) {
    // Two words of capture: kept inline by UniqueFunction, so no allocation per park.
    t->impl_->park_timer = add_timer(deadline, [t, gen = t->park_gen_] {
      if (t->state_ == TaskState::parked && t->park_gen_ == gen)
        t->sched_.unpark(t, Wake::timed_out);
    });
  }
  t->impl_->caller = std::move(t->impl_->caller).resume();
  if (t->impl_->park_timer.valid()) {
    cancel_timer(t->impl_->park_timer);
    t->impl_->park_timer = {};
  }
  return t->wake_;
}

void Scheduler::unpark(Task* t, Wake reason) {
  if (t->state_ != TaskState::parked || t->unwinding_) return;
  t->state_ = TaskState::runnable;
  t->wake_ = reason;
  runnable_.push_back(t);
}

// The heap helpers keep each slot's `pos` up to date. (deadline, seq) is a total order, so
// the heap's shape never decides which timer fires first: removals cannot leak into behaviour.
// (With shuffled ties only a 2^-64 key collision would, and the shape is seeded too.)
inline void Scheduler::heap_place(uint32_t pos, const HeapEntry& e) {
  heap_[pos] = e;
  slots_[e.slot].pos = pos;
}

inline void Scheduler::heap_sift_up(uint32_t pos) {
  const HeapEntry e = heap_[pos];
  while (pos > 0) {
    const uint32_t parent = (pos - 1) / 2;
    if (!earlier(e, heap_[parent])) break;
    heap_place(pos, heap_[parent]);
    pos = parent;
  }
  heap_place(pos, e);
}

inline void Scheduler::heap_sift_down(uint32_t pos) {
  const HeapEntry e = heap_[pos];
  const auto n = static_cast<uint32_t>(heap_.size());
  while (true) {
    uint32_t child = 2 * pos + 1;
    if (child >= n) break;
    if (child + 1 < n && earlier(heap_[child + 1], heap_[child])) ++child;
    if (!earlier(heap_[child], e)) break;
    heap_place(pos, heap_[child]);
    pos = child;
  }
  heap_place(pos, e);
}

inline void Scheduler::heap_remove(uint32_t pos) {
  TERN_ASSERT(pos < heap_.size());
  const HeapEntry last = heap_.back();
  heap_.pop_back();
  if (pos == heap_.size()) return;
  heap_place(pos, last);
  if (pos > 0 && earlier(last, heap_[(pos - 1) / 2])) heap_sift_up(pos);
  else heap_sift_down(pos);
}

TimerId Scheduler::add_timer(Instant deadline, UniqueFunction fn) {
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  const uint64_t seq = ++timer_seq_;
  TimerSlot& s = slots_[slot];
  s.fn = std::move(fn);
  s.seq = seq;
  s.live = true;
  const auto pos = static_cast<uint32_t>(heap_.size());
  // Two equal random keys (odds 2^-64 per pair) would fall back to the heap's shape, which
  // is itself a function of the operations so far: still the same run for the same seed.
  heap_.push_back({deadline, shuffle_ ? shuffle_->next_u64() : seq, slot});
  s.pos = pos;
  heap_sift_up(pos);
  return {slot, seq};
}

void Scheduler::cancel_timer(TimerId id) {
  if (!id.valid()) return;
  TimerSlot& s = slots_[id.slot];
  // A stale id (the timer fired, or its slot was reused) has a different seq: a no-op.
  if (!s.live || s.seq != id.seq) return;
  // Destroyed last: the callable's captures may run code that touches the timers.
  UniqueFunction doomed = std::move(s.fn);
  s.live = false;
  heap_remove(s.pos);
  free_slots_.push_back(id.slot);
}

Instant Scheduler::next_deadline() {
  return heap_.empty() ? Instant::never() : heap_.front().deadline;
}

bool Scheduler::fire_next_timer(Instant now) {
  if (heap_.empty() || heap_.front().deadline > now) return false;
  const uint32_t slot = heap_.front().slot;
  heap_remove(0);
  TimerSlot& s = slots_[slot];
  UniqueFunction fn = std::move(s.fn);
  s.fn = nullptr;
  s.live = false;
  free_slots_.push_back(slot);
  if (fn) fn();
  return true;
}

size_t Scheduler::live_tasks(uint32_t group) const {
  size_t n = 0;
  for (const Task* t = first_; t != nullptr; t = t->next_) n += t->group_ == group;
  return n;
}

void Scheduler::kill_group(uint32_t group) {
  TERN_ASSERT(current_ == nullptr || current_->group_ != group,
              "a node cannot crash itself from inside");
  // Loop: a destructor run by the unwinding may (rarely) spawn a task in the same group.
  while (true) {
    std::vector<std::shared_ptr<Task>> victims;
    for (Task* t = last_; t != nullptr; t = t->prev_)
      if (t->group_ == group) victims.push_back(t->self_);
    if (victims.empty()) break;
    // Mark all first, so destructors on one stack cannot requeue another victim.
    for (auto& v : victims) v->unwinding_ = true;
    std::erase_if(runnable_, [group](Task* t) { return t->group_ == group; });
    std::erase_if(held_, [group](Task* t) { return t->group_ == group; });
    for (auto& v : victims) {
      Task* t = v.get();
      if (t->impl_->park_timer.valid()) {
        cancel_timer(t->impl_->park_timer);
        t->impl_->park_timer = {};
      }
      Task* prev = current_;
      current_ = t;
      if (t->impl_->fiber) {
#ifdef TERN_ASAN
        // ASan cannot follow fcontext switches, so it cannot clean the redzones of frames the
        // forced unwind passes; stale ones would be reported as overflows. Clear them first.
        ASAN_UNPOISON_MEMORY_REGION(t->impl_->stack, stacks_->bytes());
#endif
        ctx::fiber doomed = std::move(t->impl_->fiber);
        // Destroying a suspended fiber resumes it with forced_unwind: every destructor runs.
      }
      t->body_ = nullptr;
      current_ = prev;
      t->state_ = TaskState::finished;
      t->joiners_.notify_all();
      unlink(t);
    }
  }
  paused_.erase(group);
  TERN_ASSERT(live_tasks(group) == 0);
}

}  // namespace tern::fiber
