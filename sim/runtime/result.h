#pragma once
// Errors at the runtime boundary are values. A refused connection, a reset, a timeout, an
// fsync failure or a full disk reaches the caller as an Error it must handle; exceptions are
// kept for programming errors and for unwinding a crashed node's fibers.
// (std::expected is out: clang 14 cannot compile libstdc++ 12's <expected>.)
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "sim/runtime/assert.h"
#include "sim/runtime/basic_result.h"

namespace tern {

enum class Errc : uint8_t {
  ok = 0,
  // network
  refused,          // nobody listens at the address
  reset,            // the peer (or the path to it) broke the connection
  closed,           // orderly end of stream, or use after close()
  timed_out,        // the deadline passed first
  unreachable,      // no such host
  address_in_use,   // listen on a taken address
  // tasks
  cancelled,        // the task was cancelled while parked
  // disk
  io_error,         // the device failed (e.g. an fsync error)
  no_space,         // the disk is full
  not_found,        // no such file or directory
  exists,           // create-exclusive on an existing path
  corrupt,          // data failed a checksum
  // generic
  invalid_argument,
};

std::string_view errc_name(Errc e);

// An error code plus a short, human-readable context ("connect 10.0.0.2:9092").
class Error {
 public:
  Error() = default;
  Error(Errc code, std::string context = {}) : code_(code), context_(std::move(context)) {
    TERN_ASSERT(code != Errc::ok);
  }
  Errc code() const { return code_; }
  const std::string& context() const { return context_; }
  std::string message() const;
  bool operator==(Errc c) const { return code_ == c; }

 private:
  Errc code_ = Errc::io_error;
  std::string context_;
};

template <class T>
class [[nodiscard]] Result : public BasicResult<T, Error> {
 public:
  using BasicResult<T, Error>::BasicResult;
  Result(Errc code) : BasicResult<T, Error>(Error(code)) {}
  Errc code() const { return this->ok() ? Errc::ok : this->error().code(); }
};

template <>
class [[nodiscard]] Result<void> : public BasicResult<void, Error> {
 public:
  using BasicResult<void, Error>::BasicResult;
  Result() = default;
  Result(Errc code) {
    if (code != Errc::ok) *this = Result(Error(code));
  }
  Errc code() const { return ok() ? Errc::ok : error().code(); }
};

using Status = Result<void>;

}  // namespace tern

