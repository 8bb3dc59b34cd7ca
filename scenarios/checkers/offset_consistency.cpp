#include <fmt/format.h>

#include <map>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

std::vector<Violation> check_offset_consistency(const CheckContext& ctx) {
  std::vector<Violation> out;
  // (partition, offset) -> (value, where it was first seen)
  std::map<std::pair<TopicPartition, int64_t>, std::pair<std::string, std::string>> seen;
  auto observe = [&](const TopicPartition& tp, int64_t offset, const std::string& value,
                     const std::string& where, int64_t t) {
    auto [it, inserted] = seen.try_emplace({tp, offset}, value, where);
    if (!inserted && it->second.first != value)
      out.push_back({"offset_consistency",
                     fmt::format("{}@{} holds {} ({}) and {} ({})", tp.to_string(), offset,
                                 it->second.first, it->second.second, value, where),
                     t});
  };
  for (const auto& [tp, recs] : ctx.final_state) {
    for (size_t i = 0; i < recs.size(); ++i) {
      observe(tp, recs[i].offset, recs[i].value, "final log", ctx.end_ns);
      if (i > 0 && recs[i].offset != recs[i - 1].offset + 1)
        out.push_back({"offset_consistency",
                       fmt::format("final log of {} jumps from offset {} to {}", tp.to_string(),
                                   recs[i - 1].offset, recs[i].offset),
                       ctx.end_ns});
    }
  }
  for (const Op& op : ctx.history.ops()) {
    if (op.kind == OpKind::ack)
      observe({op.topic, op.partition}, op.offset, op.value, "ack to " + op.process, op.time_ns);
    if (op.kind == OpKind::poll)
      observe({op.topic, op.partition}, op.offset, op.value, "poll by " + op.process, op.time_ns);
  }
  return out;
}

}  // namespace tern::scenarios
