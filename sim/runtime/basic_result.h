#pragma once
// A value or an error, for any error type: the one implementation behind Result (runtime
// errors), client::ClientResult (Kafka or runtime errors) and RecordResult (record-layer
// errors). Each of those adds only its own conversions (Result from an Errc, ClientResult
// from a runtime Error) on top.
#include <optional>
#include <utility>
#include <variant>

#include "sim/runtime/assert.h"

namespace tern {

template <class T, class E>
class [[nodiscard]] BasicResult {
 public:
  BasicResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  BasicResult(E error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & {
    TERN_ASSERT(ok(), "value() of an error result: {}", std::get<1>(v_).message());
    return std::get<0>(v_);
  }
  const T& value() const& {
    TERN_ASSERT(ok(), "value() of an error result: {}", std::get<1>(v_).message());
    return std::get<0>(v_);
  }
  T&& value() && {
    TERN_ASSERT(ok(), "value() of an error result: {}", std::get<1>(v_).message());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const E& error() const {
    TERN_ASSERT(!ok(), "error() of an ok result");
    return std::get<1>(v_);
  }

 private:
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] BasicResult<void, E> {
 public:
  BasicResult() = default;
  BasicResult(E error) : err_(std::move(error)) {}

  bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  const E& error() const {
    TERN_ASSERT(err_.has_value(), "error() of an ok result");
    return *err_;
  }

 private:
  std::optional<E> err_;
};

}  // namespace tern

// Propagates an error result (any BasicResult, including Status) out of the current function.
#define TERN_TRY(expr)                                   \
  do {                                                   \
    auto&& tern_try_r_ = (expr);                         \
    if (!tern_try_r_.ok()) return tern_try_r_.error();   \
  } while (0)
