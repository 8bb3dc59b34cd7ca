#include "sim/runtime/result.h"

#include <fmt/format.h>

namespace tern {

std::string_view errc_name(Errc e) {
  switch (e) {
    case Errc::ok: return "ok";
    case Errc::refused: return "connection refused";
    case Errc::reset: return "connection reset";
    case Errc::closed: return "closed";
    case Errc::timed_out: return "timed out";
    case Errc::unreachable: return "host unreachable";
    case Errc::address_in_use: return "address in use";
    case Errc::cancelled: return "cancelled";
    case Errc::io_error: return "I/O error";
    case Errc::no_space: return "no space left on device";
    case Errc::not_found: return "not found";
    case Errc::exists: return "already exists";
    case Errc::corrupt: return "corrupt data";
    case Errc::invalid_argument: return "invalid argument";
  }
  return "unknown error";
}

std::string Error::message() const {
  if (context_.empty()) return std::string(errc_name(code_));
  return fmt::format("{}: {}", context_, errc_name(code_));
}

}  // namespace tern
