#pragma once
// The epoll half of the real runtime. Every socket is registered once, edge-triggered, for
// both directions; a fiber that hits EAGAIN parks in wait() and the loop unparks it on the
// next edge. Because the loop only polls between fibers (one thread), no edge can slip in
// between a fiber's EAGAIN and its park: the edge is reported by the next epoll_wait.
// A spurious wake-up is harmless: callers always retry the syscall.
#include <atomic>
#include <cstdint>

#include "sim/runtime/result.h"
#include "sim/runtime/task.h"
#include "sim/runtime/time.h"

namespace tern::real {

// One registered file descriptor and the (at most one per direction) fiber waiting on it.
// Lives inside the socket object that owns the fd.
struct IoHandle {
  int fd = -1;
  TaskRef reader = nullptr;
  TaskRef writer = nullptr;
  bool registered = false;
  bool closed = false;  // set by EventLoop::close(); wakes waiters with Errc::closed
  // Read-readiness hint, to skip a recv() that would only say EAGAIN. Cleared by the reader
  // after a short read (the receive queue was empty then); set by every EPOLLIN edge. Safe
  // with edge triggering: data queued after the short read raises a new edge. Conditions
  // that end a read early without a new edge (EOF, error, hang-up) set `sticky`, after which
  // the hint is never trusted again.
  bool maybe_readable = true;
  bool sticky = false;
};

enum class IoDirection : uint8_t { read, write };

class EventLoop {
 public:
  // Unparks through `tasks` (the RealRuntime facade), so the loop needs only sim/runtime.
  explicit EventLoop(Tasks& tasks);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers h.fd for EPOLLIN|EPOLLOUT|EPOLLRDHUP, edge-triggered.
  Status add(IoHandle& h);
  // Deregisters and closes h.fd, then wakes its waiters (they see h.closed). Idempotent.
  void close(IoHandle& h);
  // Parks the current task until the fd may be ready in direction d. Errc::closed if the
  // handle was closed meanwhile, Errc::timed_out / Errc::cancelled from the park.
  Status wait(IoHandle& h, IoDirection d, Deadline deadline);

  // One epoll_wait with the given timeout (ms; 0 polls, -1 blocks) and dispatch of the
  // events. Returns the number of events. Runs outside any fiber.
  int poll(int timeout_ms);
  // Makes a blocked poll() return. Async-signal-safe and thread-safe (an eventfd write).
  void wake() const;

  uint64_t polls() const { return polls_; }

 private:
  Tasks& tasks_;
  int epfd_ = -1;
  int wake_fd_ = -1;
  uint64_t polls_ = 0;
};

}  // namespace tern::real
