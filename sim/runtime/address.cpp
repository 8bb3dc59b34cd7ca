#include "sim/runtime/address.h"

#include <charconv>

namespace tern {

Result<Address> Address::parse(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return Error(Errc::invalid_argument, fmt::format("address '{}' is not host:port", text));
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
    return Error(Errc::invalid_argument, fmt::format("bad port in address '{}'", text));
  return Address{std::string(text.substr(0, colon)), static_cast<uint16_t>(port)};
}

}  // namespace tern
