#include "scenarios/run_counters.h"

#include <fmt/format.h>

namespace tern::scenarios {

namespace {

const TraceValue* field(std::initializer_list<TraceField> fields, std::string_view key) {
  for (const auto& f : fields)
    if (f.key == key) return &f.value;
  return nullptr;
}

std::string partition_key(std::initializer_list<TraceField> fields) {
  const TraceValue* topic = field(fields, "topic");
  const TraceValue* partition = field(fields, "partition");
  std::string out;
  if (topic) append_trace_value(out, *topic);
  out += '/';
  if (partition) append_trace_value(out, *partition);
  return out;
}

}  // namespace

RunCounters::RunCounters(sim::World& world, std::set<std::string> brokers)
    : brokers_(brokers.begin(), brokers.end()) {
  world.observe_trace([this](std::string_view node, std::string_view kind,
                             std::initializer_list<TraceField> fields) {
    on_event(node, kind, fields);
  });
}

void RunCounters::on_event(std::string_view node, std::string_view kind,
                           std::initializer_list<TraceField> fields) {
  if (!brokers_.count(node)) return;
  if (kind == "produce.ack") {
    auto& n = nodes_[std::string(node)];
    ++n.acks_since_start;
    ++n.unsynced_acks[partition_key(fields)];
    ++broker_acks_;
  } else if (kind == "log.fsync.done") {
    const TraceValue* ok = field(fields, "ok");
    const int64_t* v = ok ? std::get_if<int64_t>(&ok->v) : nullptr;
    if (v && *v == 1) nodes_[std::string(node)].unsynced_acks.erase(partition_key(fields));
  } else if (kind == "node.crash") {
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return;
    if (it->second.acks_since_start > 0) ++crashes_after_ack_;
    for (const auto& [p, n] : it->second.unsynced_acks) acks_crashed_before_fsync_ += n;
    nodes_.erase(it);
  } else if (kind == "node.start") {
    nodes_.erase(std::string(node));
  }
}

}  // namespace tern::scenarios
