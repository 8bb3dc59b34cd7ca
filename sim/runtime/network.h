#pragma once
// The network at the boundary: TCP-like, connection-oriented byte streams. Every blocking
// call takes an explicit deadline; failures (refused, reset, timed_out, closed) are values.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "sim/runtime/address.h"
#include "sim/runtime/result.h"
#include "sim/runtime/time.h"

namespace tern {

// A bidirectional byte stream. One reader fiber and one writer fiber may use it at once.
class Stream {
 public:
  virtual ~Stream() = default;
  // Reads at least one byte, at most buf.size(). Errc::closed at the end of the stream.
  virtual Result<size_t> read_some(std::span<uint8_t> buf, Deadline deadline) = 0;
  // Writes every byte or fails; on failure the stream is broken.
  virtual Status write_all(std::span<const uint8_t> data, Deadline deadline) = 0;
  // Closes both directions; a parked reader or writer wakes with Errc::closed. Idempotent.
  virtual void close() = 0;
  virtual const Address& peer() const = 0;
  virtual const Address& local() const = 0;

  // Reads exactly buf.size() bytes (a convenience on read_some).
  Status read_exact(std::span<uint8_t> buf, Deadline deadline);
};

class Listener {
 public:
  virtual ~Listener() = default;
  virtual Result<std::unique_ptr<Stream>> accept(Deadline deadline) = 0;
  virtual void close() = 0;
  virtual const Address& local() const = 0;
};

class Network {
 public:
  virtual ~Network() = default;
  // Port 0 picks a free port; local() tells which.
  virtual Result<std::unique_ptr<Listener>> listen(const Address& address) = 0;
  virtual Result<std::unique_ptr<Stream>> connect(const Address& address, Deadline deadline) = 0;
};

}  // namespace tern
