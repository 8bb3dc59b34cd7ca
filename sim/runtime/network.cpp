#include "sim/runtime/network.h"

namespace tern {

Status Stream::read_exact(std::span<uint8_t> buf, Deadline deadline) {
  size_t got = 0;
  while (got < buf.size()) {
    Result<size_t> n = read_some(buf.subspan(got), deadline);
    if (!n.ok()) return n.error();
    TERN_ASSERT(n.value() > 0 && n.value() <= buf.size() - got);
    got += n.value();
  }
  return {};
}

}  // namespace tern
