#pragma once
// Always-on assertions. Invariants are checked in release builds too (TigerBeetle's habit):
// a broken invariant caught at its source is a one-line bug report; one caught later by a
// checker is an afternoon of reading traces.
#include <fmt/format.h>

namespace tern::detail {
[[noreturn]] void assert_failed(const char* expr, const char* file, int line,
                                const std::string& message);
}  // namespace tern::detail

#define TERN_ASSERT(cond, ...)                                                           \
  do {                                                                                   \
    if (!(cond)) [[unlikely]] {                                                          \
      ::tern::detail::assert_failed(#cond, __FILE__, __LINE__,                           \
                                    ::fmt::format("" __VA_ARGS__));                      \
    }                                                                                    \
  } while (0)

// Marks a condition that may legally go either way; documents the negative space.
#define TERN_MAYBE(cond) ((void)(cond))

#define TERN_UNREACHABLE(...)                                                            \
  ::tern::detail::assert_failed("unreachable", __FILE__, __LINE__,                       \
                                ::fmt::format("" __VA_ARGS__))
