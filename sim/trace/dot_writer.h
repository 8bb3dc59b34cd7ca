#pragma once
// Renders a trace as a Graphviz picture: one lane (column) per node, events top to bottom in
// simulated-time order, messages as arrows from the sender's lane to the receiver's, faults
// in red, the violated invariant marked at the end. `dot -Tsvg` turns it into an SVG.
#include <string>
#include <vector>

#include "sim/runtime/trace.h"

namespace tern {

struct DotOptions {
  size_t max_events = 600;  // a picture beyond this is unreadable; the newest events are kept
  bool include_debug = false;  // debug events (every chunk delivered, every task spawned)
  std::vector<std::string> violations;  // drawn as red notes at the end
  std::string title;
};

std::string render_dot(const std::vector<TraceEvent>& events, const DotOptions& options);

}  // namespace tern
