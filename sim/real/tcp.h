#pragma once
// TCP over non-blocking sockets for the real runtime. Every call first tries the syscall and
// parks the calling fiber on the EventLoop only on EAGAIN, so a socket with data ready costs
// exactly one syscall. Errors map to Errc: ECONNREFUSED -> refused, ECONNRESET/EPIPE ->
// reset, EOF -> closed, a deadline -> timed_out, a cancel while parked -> cancelled.
// Hosts are IPv4 literals; anything else goes through a (blocking) getaddrinfo once.
#include <netinet/in.h>

#include <memory>

#include "sim/real/event_loop.h"
#include "sim/runtime/network.h"

namespace tern::real {

class TcpStream final : public Stream {
 public:
  // Takes ownership of a non-blocking fd (closed on any failure) and registers it in `loop`.
  static Result<std::unique_ptr<TcpStream>> adopt(EventLoop& loop, int fd, Address local,
                                                   Address peer);
  TcpStream(EventLoop& loop, int fd, Address local, Address peer);
  ~TcpStream() override;
  Result<size_t> read_some(std::span<uint8_t> buf, Deadline deadline) override;
  Status write_all(std::span<const uint8_t> data, Deadline deadline) override;
  void close() override;
  const Address& peer() const override { return peer_; }
  const Address& local() const override { return local_; }
  // For the stream tests and tools: lets an echo server reply without an extra copy.
  int fd() const { return io_.fd; }

 private:
  friend class TcpNetwork;
  EventLoop& loop_;
  IoHandle io_;
  Address local_;
  Address peer_;
  bool broken_ = false;  // a write failed: the stream's state is unknown, refuse more writes
};

class TcpListener final : public Listener {
 public:
  // Takes ownership of a listening, non-blocking fd and registers it in `loop`.
  static Result<std::unique_ptr<TcpListener>> adopt(EventLoop& loop, int fd, Address local);
  TcpListener(EventLoop& loop, int fd, Address local);
  ~TcpListener() override;
  Result<std::unique_ptr<Stream>> accept(Deadline deadline) override;
  void close() override;
  const Address& local() const override { return local_; }

 private:
  EventLoop& loop_;
  IoHandle io_;
  Address local_;
};

class TcpNetwork final : public Network {
 public:
  explicit TcpNetwork(EventLoop& loop) : loop_(loop) {}
  Result<std::unique_ptr<Listener>> listen(const Address& address) override;
  Result<std::unique_ptr<Stream>> connect(const Address& address, Deadline deadline) override;

  static constexpr int kBacklog = 1024;
  // "host:port" -> sockaddr_in; IPv4 literals directly, other names via getaddrinfo.
  static Result<struct sockaddr_in> resolve(const Address& address);

 private:
  EventLoop& loop_;
};

}  // namespace tern::real
