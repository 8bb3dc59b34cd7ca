#include "sim/runtime/assert.h"

#include <cstdio>
#include <cstdlib>

namespace tern::detail {

void assert_failed(const char* expr, const char* file, int line, const std::string& message) {
  // stderr directly: an assertion must be seen even when the trace is lost with the process.
  std::fprintf(stderr, "%s:%d: assertion failed: %s%s%s\n", file, line, expr,
               message.empty() ? "" : ": ", message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace tern::detail
