#include "sim/real/tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include "sim/runtime/assert.h"

namespace tern::real {

namespace {

Errc net_errc(int e) {
  switch (e) {
    case ECONNREFUSED: return Errc::refused;
    case ECONNRESET:
    case EPIPE:
    case ECONNABORTED: return Errc::reset;
    case ETIMEDOUT: return Errc::timed_out;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL: return Errc::unreachable;
    case EADDRINUSE: return Errc::address_in_use;
    default: return Errc::io_error;
  }
}

Error net_error(int e, std::string_view what, const Address& a) {
  return Error(net_errc(e), fmt::format("{} {}: {}", what, a.to_string(), ::strerror(e)));
}

Address to_address(const struct sockaddr_in& sa) {
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &sa.sin_addr, buf, sizeof buf);
  return Address{buf, ntohs(sa.sin_port)};
}

Address local_of(int fd) {
  struct sockaddr_in sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(fd, reinterpret_cast<struct sockaddr*>(&sa), &len) != 0) return {};
  return to_address(sa);
}

void set_nodelay(int fd) {
  const int one = 1;
  // Kafka traffic is request/response: Nagle would add up to 40 ms to small responses.
  (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace

// ---- TcpStream ---------------------------------------------------------------------------

TcpStream::TcpStream(EventLoop& loop, int fd, Address local, Address peer)
    : loop_(loop), local_(std::move(local)), peer_(std::move(peer)) {
  io_.fd = fd;
}

Result<std::unique_ptr<TcpStream>> TcpStream::adopt(EventLoop& loop, int fd, Address local,
                                                     Address peer) {
  TERN_ASSERT(fd >= 0);
  auto s = std::make_unique<TcpStream>(loop, fd, std::move(local), std::move(peer));
  TERN_TRY(loop.add(s->io_));  // on failure the destructor closes fd
  return s;
}

TcpStream::~TcpStream() { close(); }

void TcpStream::close() { loop_.close(io_); }

Result<size_t> TcpStream::read_some(std::span<uint8_t> buf, Deadline deadline) {
  if (buf.empty()) return Error(Errc::invalid_argument, "read_some into an empty buffer");
  while (true) {
    if (io_.closed) return Error(Errc::closed, "read on a closed stream");
    if (!io_.maybe_readable && !io_.sticky) {
      // The last read drained the socket and no edge came since: recv() would say EAGAIN.
      TERN_TRY(loop_.wait(io_, IoDirection::read, deadline));
      continue;
    }
    const ssize_t n = ::recv(io_.fd, buf.data(), buf.size(), 0);
    if (n > 0) {
      TERN_ASSERT(static_cast<size_t>(n) <= buf.size());
      if (static_cast<size_t>(n) < buf.size()) io_.maybe_readable = false;
      return static_cast<size_t>(n);
    }
    if (n == 0) return Error(Errc::closed, fmt::format("end of stream from {}", peer_.to_string()));
    const int e = errno;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      io_.maybe_readable = false;
      TERN_TRY(loop_.wait(io_, IoDirection::read, deadline));
      continue;
    }
    return net_error(e, "read from", peer_);
  }
}

Status TcpStream::write_all(std::span<const uint8_t> data, Deadline deadline) {
  if (broken_) return Error(Errc::reset, "write on a broken stream");
  size_t done = 0;
  while (done < data.size()) {
    if (io_.closed) return Error(Errc::closed, "write on a closed stream");
    const ssize_t n = ::send(io_.fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    const int e = n < 0 ? errno : EAGAIN;
    if (e == EINTR) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      Status s = loop_.wait(io_, IoDirection::write, deadline);
      if (!s.ok()) {
        broken_ = true;  // part of the data may have gone out: the framing is lost
        return s;
      }
      continue;
    }
    broken_ = true;
    return net_error(e, "write to", peer_);
  }
  TERN_ASSERT(done == data.size());
  return {};
}

// ---- TcpListener -------------------------------------------------------------------------

TcpListener::TcpListener(EventLoop& loop, int fd, Address local)
    : loop_(loop), local_(std::move(local)) {
  io_.fd = fd;
}

Result<std::unique_ptr<TcpListener>> TcpListener::adopt(EventLoop& loop, int fd,
                                                        Address local) {
  TERN_ASSERT(fd >= 0);
  auto l = std::make_unique<TcpListener>(loop, fd, std::move(local));
  TERN_TRY(loop.add(l->io_));
  return l;
}

TcpListener::~TcpListener() { close(); }

void TcpListener::close() { loop_.close(io_); }

Result<std::unique_ptr<Stream>> TcpListener::accept(Deadline deadline) {
  while (true) {
    if (io_.closed) return Error(Errc::closed, "accept on a closed listener");
    struct sockaddr_in sa{};
    socklen_t len = sizeof sa;
    const int fd = ::accept4(io_.fd, reinterpret_cast<struct sockaddr*>(&sa), &len,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      set_nodelay(fd);
      auto s = TcpStream::adopt(loop_, fd, local_of(fd), to_address(sa));
      if (!s.ok()) return s.error();
      return std::unique_ptr<Stream>(std::move(s).value());
    }
    const int e = errno;
    // A connection reset before we accepted it is the peer's problem, not the listener's.
    if (e == EINTR || e == ECONNABORTED || e == EPROTO) continue;
    if (e == EAGAIN || e == EWOULDBLOCK) {
      TERN_TRY(loop_.wait(io_, IoDirection::read, deadline));
      continue;
    }
    return net_error(e, "accept on", local_);
  }
}

// ---- TcpNetwork --------------------------------------------------------------------------

Result<struct sockaddr_in> TcpNetwork::resolve(const Address& address) {
  struct sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(address.port);
  if (address.host.empty()) {
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    return sa;
  }
  if (::inet_pton(AF_INET, address.host.c_str(), &sa.sin_addr) == 1) return sa;
  // A name: resolve it once, blocking (only at startup or reconnect; fine for a real node).
  struct addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo* res = nullptr;
  const int rc = ::getaddrinfo(address.host.c_str(), nullptr, &hints, &res);
  if (rc != 0 || res == nullptr)
    return Error(Errc::unreachable,
                 fmt::format("resolve {}: {}", address.host, ::gai_strerror(rc)));
  sa.sin_addr = reinterpret_cast<struct sockaddr_in*>(res->ai_addr)->sin_addr;
  ::freeaddrinfo(res);
  return sa;
}

Result<std::unique_ptr<Listener>> TcpNetwork::listen(const Address& address) {
  auto sa = resolve(address);
  if (!sa.ok()) return sa.error();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return net_error(errno, "socket for", address);
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<struct sockaddr*>(&sa.value()), sizeof sa.value()) != 0 ||
      ::listen(fd, kBacklog) != 0) {
    const int e = errno;
    ::close(fd);
    return net_error(e, "listen on", address);
  }
  auto l = TcpListener::adopt(loop_, fd, local_of(fd));
  if (!l.ok()) return l.error();
  TERN_ASSERT(address.port == 0 || l.value()->local().port == address.port);
  return std::unique_ptr<Listener>(std::move(l).value());
}

Result<std::unique_ptr<Stream>> TcpNetwork::connect(const Address& address, Deadline deadline) {
  auto sa = resolve(address);
  if (!sa.ok()) return sa.error();
  if (address.host.empty() || address.port == 0)
    return Error(Errc::invalid_argument, "connect to " + address.to_string());
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return net_error(errno, "socket for", address);
  set_nodelay(fd);
  // The stream owns the fd from here on, so any early return (or a crash unwinding this
  // fiber) closes it. It is registered only after connect(): an unconnected socket polls as
  // EPOLLHUP and would cost a spurious wake-up.
  auto s = std::make_unique<TcpStream>(loop_, fd, Address{}, address);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<struct sockaddr*>(&sa.value()), sizeof sa.value());
  } while (rc != 0 && errno == EINTR);
  if (rc != 0 && errno != EINPROGRESS) return net_error(errno, "connect to", address);
  TERN_TRY(loop_.add(s->io_));
  while (rc != 0) {
    // EPOLLOUT (or ERR/HUP) tells the handshake is over; SO_ERROR tells how it went.
    Status w = loop_.wait(s->io_, IoDirection::write, deadline);
    if (!w.ok()) {
      if (w.code() == Errc::timed_out)
        return Error(Errc::timed_out, "connect to " + address.to_string());
      return w.error();
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return net_error(err, "connect to", address);
    struct sockaddr_in peer{};
    socklen_t plen = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<struct sockaddr*>(&peer), &plen) == 0) rc = 0;
    // else ENOTCONN: a spurious wake-up, still connecting
  }
  s->local_ = local_of(fd);
  return std::unique_ptr<Stream>(std::move(s));
}

}  // namespace tern::real
