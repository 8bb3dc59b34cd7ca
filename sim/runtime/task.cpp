#include "sim/runtime/task.h"

namespace tern {

Status Tasks::sleep_until(Deadline deadline) {
  // Nobody unparks a sleeper; a wake before the deadline is a cancel (or spurious, then loop).
  while (now() < deadline) {
    Wake w = park(deadline);
    if (w == Wake::cancelled) return Errc::cancelled;
  }
  return {};
}

}  // namespace tern
