#include "sim/real/event_loop.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sim/runtime/assert.h"

namespace tern::real {

EventLoop::EventLoop(Tasks& tasks) : tasks_(tasks) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  TERN_ASSERT(epfd_ >= 0, "epoll_create1: {}", ::strerror(errno));
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  TERN_ASSERT(wake_fd_ >= 0, "eventfd: {}", ::strerror(errno));
  struct epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // nullptr marks the wake-up fd
  const int rc = ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  TERN_ASSERT(rc == 0, "epoll_ctl(wake): {}", ::strerror(errno));
}

EventLoop::~EventLoop() {
  ::close(wake_fd_);
  ::close(epfd_);
}

Status EventLoop::add(IoHandle& h) {
  TERN_ASSERT(h.fd >= 0 && !h.registered);
  struct epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.ptr = &h;
  if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, h.fd, &ev) != 0)
    return Error(Errc::io_error, std::string("epoll_ctl add: ") + ::strerror(errno));
  h.registered = true;
  return {};
}

void EventLoop::close(IoHandle& h) {
  if (h.closed) return;
  h.closed = true;
  if (h.fd >= 0) {
    // Deregister explicitly: close() alone would not if the fd had been dup'ed.
    if (h.registered) (void)::epoll_ctl(epfd_, EPOLL_CTL_DEL, h.fd, nullptr);
    h.registered = false;
    ::close(h.fd);
    h.fd = -1;
  }
  if (h.reader) tasks_.unpark(h.reader, Wake::notified);
  if (h.writer) tasks_.unpark(h.writer, Wake::notified);
}

Status EventLoop::wait(IoHandle& h, IoDirection d, Deadline deadline) {
  if (h.closed) return Errc::closed;
  TaskRef self = tasks_.current();
  TERN_ASSERT(self != nullptr, "socket call outside a task");
  TaskRef& slot = d == IoDirection::read ? h.reader : h.writer;
  TERN_ASSERT(slot == nullptr, "two tasks wait to {} on one socket",
              d == IoDirection::read ? "read" : "write");
  slot = self;
  // Clears the slot also when the fiber is force-unwound while parked.
  struct ClearSlot {
    TaskRef& s;
    ~ClearSlot() { s = nullptr; }
  } clear{slot};
  const Wake w = tasks_.park(deadline);
  if (h.closed) return Errc::closed;
  if (w == Wake::cancelled) return Errc::cancelled;
  if (w == Wake::timed_out) return Errc::timed_out;
  return {};
}

int EventLoop::poll(int timeout_ms) {
  TERN_ASSERT(tasks_.current() == nullptr, "poll from inside a task");
  constexpr int kMaxEvents = 256;
  struct epoll_event events[kMaxEvents];
  ++polls_;
  const int n = ::epoll_wait(epfd_, events, kMaxEvents, timeout_ms);
  if (n < 0) {
    TERN_ASSERT(errno == EINTR, "epoll_wait: {}", ::strerror(errno));
    return 0;
  }
  // Only unparks here: no fiber runs until the whole batch is dispatched, so no IoHandle in
  // the batch can be freed under us.
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<IoHandle*>(events[i].data.ptr);
    const uint32_t e = events[i].events;
    if (h == nullptr) {
      uint64_t count;
      while (::read(wake_fd_, &count, sizeof count) > 0) {
      }
      continue;
    }
    if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
      h->maybe_readable = true;
      if (e & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) h->sticky = true;
      if (h->reader) tasks_.unpark(h->reader, Wake::notified);
    }
    if ((e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && h->writer)
      tasks_.unpark(h->writer, Wake::notified);
  }
  return n;
}

void EventLoop::wake() const {
  const uint64_t one = 1;
  // Nothing to do on failure: EAGAIN means the counter is already non-zero (a wake pending).
  [[maybe_unused]] ssize_t rc = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace tern::real
