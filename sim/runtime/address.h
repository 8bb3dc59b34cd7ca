#pragma once
// A network address: a host (an IPv4 literal for real sockets, a node's host name or address
// in the simulated world) and a port.
#include <cstdint>
#include <fmt/format.h>
#include <string>

#include "sim/runtime/result.h"

namespace tern {

struct Address {
  std::string host;
  uint16_t port = 0;
  auto operator<=>(const Address&) const = default;
  std::string to_string() const { return fmt::format("{}:{}", host, port); }
  // Parses "host:port"; the port must be 0..65535.
  static Result<Address> parse(std::string_view text);
};

}  // namespace tern
