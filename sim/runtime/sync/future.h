#pragma once
// A one-shot future/promise pair for a value produced by one task and awaited by others.
// A promise destroyed unfulfilled (its task crashed or gave up) breaks the future: waiters
// get Errc::cancelled instead of hanging forever.
#include <memory>
#include <optional>

#include "sim/runtime/sync/wait_queue.h"

namespace tern {

template <class T>
class Future;

template <class T>
class Promise {
 public:
  explicit Promise(Tasks& tasks) : state_(std::make_shared<State>(tasks)) {}
  Promise(Promise&&) noexcept = default;
  Promise& operator=(Promise&&) noexcept = default;
  ~Promise() {
    if (state_ && !state_->value && !state_->broken) {
      state_->broken = true;
      state_->waiters.notify_all();
    }
  }
  void set(T value) {
    TERN_ASSERT(state_ && !state_->value && !state_->broken, "promise set twice");
    state_->value.emplace(std::move(value));
    state_->waiters.notify_all();
  }
  bool fulfilled() const { return state_->value.has_value(); }
  Future<T> future() const { return Future<T>(state_); }

 private:
  friend class Future<T>;
  struct State {
    explicit State(Tasks& tasks) : waiters(tasks) {}
    WaitQueue waiters;
    std::optional<T> value;
    bool broken = false;
  };
  std::shared_ptr<State> state_;
};

template <class T>
class Future {
 public:
  Future() = default;
  bool ready() const { return state_ && (state_->value || state_->broken); }
  // Waits for the value; returns a copy so several tasks may wait on one future.
  Result<T> get(Deadline deadline = Instant::never()) const {
    TERN_ASSERT(state_ != nullptr, "get() on an empty future");
    while (!state_->value && !state_->broken) {
      Wake w = state_->waiters.wait(deadline);
      if (w == Wake::cancelled) return Errc::cancelled;
      if (w == Wake::timed_out && !state_->value && !state_->broken) return Errc::timed_out;
    }
    if (!state_->value) return Error(Errc::cancelled, "broken promise");
    return *state_->value;
  }

 private:
  friend class Promise<T>;
  using State = typename Promise<T>::State;
  explicit Future(std::shared_ptr<State> s) : state_(std::move(s)) {}
  std::shared_ptr<State> state_;
};

}  // namespace tern
