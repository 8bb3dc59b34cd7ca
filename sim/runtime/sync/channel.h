#pragma once
// A bounded multi-producer multi-consumer channel. send() parks while the channel is full;
// recv() parks while it is empty; close() wakes everyone: receivers drain what is left, then
// get Errc::closed. The bound is the point: every queue in tern has a limit.
#include <cstddef>
#include <deque>
#include <optional>

#include "sim/runtime/sync/wait_queue.h"

namespace tern {

template <class T>
class Channel {
 public:
  Channel(Tasks& tasks, size_t capacity)
      : senders_(tasks), receivers_(tasks), capacity_(capacity) {
    TERN_ASSERT(capacity > 0);
  }

  Status send(T value, Deadline deadline = Instant::never()) {
    while (!closed_ && items_.size() >= capacity_) {
      Wake w = senders_.wait(deadline);
      if (w == Wake::cancelled) return Errc::cancelled;
      if (w == Wake::timed_out && !closed_ && items_.size() >= capacity_) return Errc::timed_out;
    }
    if (closed_) return Errc::closed;
    items_.push_back(std::move(value));
    TERN_ASSERT(items_.size() <= capacity_);
    receivers_.notify_one();
    return {};
  }

  bool try_send(T value) {
    if (closed_ || items_.size() >= capacity_) return false;
    items_.push_back(std::move(value));
    receivers_.notify_one();
    return true;
  }

  Result<T> recv(Deadline deadline = Instant::never()) {
    while (items_.empty() && !closed_) {
      Wake w = receivers_.wait(deadline);
      if (w == Wake::cancelled) return Errc::cancelled;
      if (w == Wake::timed_out && items_.empty() && !closed_) return Errc::timed_out;
    }
    if (items_.empty()) return Errc::closed;
    T value = std::move(items_.front());
    items_.pop_front();
    senders_.notify_one();
    return value;
  }

  std::optional<T> try_recv() {
    if (items_.empty()) return std::nullopt;
    T value = std::move(items_.front());
    items_.pop_front();
    senders_.notify_one();
    return value;
  }

  void close() {
    closed_ = true;
    senders_.notify_all();
    receivers_.notify_all();
  }
  bool closed() const { return closed_; }
  size_t size() const { return items_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  WaitQueue senders_;
  WaitQueue receivers_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

}  // namespace tern
