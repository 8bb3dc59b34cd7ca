#include <fmt/format.h>

#include <map>
#include <set>
#include <string_view>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

namespace {
// Keys that name the history's strings instead of copying them per op.
struct PartitionRef {
  std::string_view topic;
  int32_t partition;
  auto operator<=>(const PartitionRef&) const = default;
};
}  // namespace

std::vector<Violation> check_liveness(const CheckContext& ctx) {
  std::vector<Violation> out;
  bool sent_after_heal = false, acked_after_heal = false;
  // Highest acknowledged offset per partition among acks old enough to have been consumed.
  std::map<PartitionRef, int64_t> must_reach;
  std::map<std::pair<std::string_view, PartitionRef>, int64_t> reached;
  std::set<std::string_view> consumers;
  for (const Op& op : ctx.history.ops()) {
    if (op.kind == OpKind::send && op.time_ns >= ctx.heal_ns) sent_after_heal = true;
    if (op.kind == OpKind::ack && op.time_ns >= ctx.heal_ns) acked_after_heal = true;
    if (op.kind == OpKind::ack && op.time_ns <= ctx.end_ns - ctx.liveness_bound_ns) {
      auto& m = must_reach[{op.topic, op.partition}];
      m = std::max(m, op.offset);
    }
    if (op.kind == OpKind::poll) {
      consumers.insert(op.process);
      auto& r = reached[{op.process, {op.topic, op.partition}}];
      r = std::max(r, op.offset);
    }
  }
  if (sent_after_heal && !acked_after_heal)
    out.push_back({"liveness", "no write was acknowledged after the faults healed", ctx.end_ns});
  for (const auto& c : consumers)
    for (const auto& [tp, offset] : must_reach) {
      auto it = reached.find({c, tp});
      const int64_t got = it == reached.end() ? -1 : it->second;
      if (got < offset) {
        const TopicPartition named{std::string(tp.topic), tp.partition};
        out.push_back({"liveness",
                       fmt::format("{} read {} only up to offset {}, not to acknowledged {} "
                                   "within {} ms of the heal",
                                   c, named.to_string(), got, offset,
                                   ctx.liveness_bound_ns / 1000'000),
                       ctx.end_ns});
      }
    }
  return out;
}

}  // namespace tern::scenarios
