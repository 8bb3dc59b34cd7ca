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
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}
  Result(Errc code) : v_(std::in_place_index<1>, Error(code)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    TERN_ASSERT(ok(), "value() of an error result: {}", std::get<1>(v_).message());
    return std::get<0>(v_);
  }
  T&& value() && {
    TERN_ASSERT(ok(), "value() of an error result: {}", std::get<1>(v_).message());
    return std::get<0>(std::move(v_));
  }
  const T& value() const& {
    TERN_ASSERT(ok(), "value() of an error result: {}", std::get<1>(v_).message());
    return std::get<0>(v_);
  }
  T* operator->() { return &value(); }
  T& operator*() { return value(); }
  const Error& error() const {
    TERN_ASSERT(!ok(), "error() of an ok result");
    return std::get<1>(v_);
  }
  Errc code() const { return ok() ? Errc::ok : std::get<1>(v_).code(); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), has_err_(true) {}
  Result(Errc code) : has_err_(code != Errc::ok) {
    if (has_err_) err_ = Error(code);
  }
  bool ok() const { return !has_err_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    TERN_ASSERT(has_err_, "error() of an ok result");
    return err_;
  }
  Errc code() const { return has_err_ ? err_.code() : Errc::ok; }

 private:
  Error err_;
  bool has_err_ = false;
};

using Status = Result<void>;

}  // namespace tern

// Propagates an error result out of the current function.
#define TERN_TRY(expr)                                   \
  do {                                                   \
    auto&& tern_try_r_ = (expr);                         \
    if (!tern_try_r_.ok()) return tern_try_r_.error();   \
  } while (0)
