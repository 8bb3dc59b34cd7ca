#include <fmt/format.h>

#include <algorithm>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

std::vector<Violation> check_lost_writes(const CheckContext& ctx) {
  std::vector<Violation> out;
  // The partition of the previous ack: most acks hit the same one, and looking it up anew
  // copied the topic name for every ack.
  const Op* last = nullptr;
  auto it = ctx.final_state.end();
  for (const Op& op : ctx.history.ops()) {
    if (op.kind != OpKind::ack || !op.acks_all) continue;
    if (!last || last->partition != op.partition || last->topic != op.topic)
      it = ctx.final_state.find(TopicPartition{op.topic, op.partition});
    last = &op;
    const StoredRecord* found = nullptr;
    if (it != ctx.final_state.end()) {
      // Final records are sorted by offset.
      auto& recs = it->second;
      auto r = std::lower_bound(recs.begin(), recs.end(), op.offset,
                                [](const StoredRecord& s, int64_t o) { return s.offset < o; });
      if (r != recs.end() && r->offset == op.offset) found = &*r;
    }
    if (found != nullptr && found->value == op.value) continue;
    const TopicPartition tp{op.topic, op.partition};
    if (found == nullptr && ctx.deleted_by_retention(op.topic, op.partition, op.offset)) continue;
    if (found == nullptr) {
      out.push_back({"lost_writes",
                     fmt::format("acknowledged write {} at {}@{} is missing from the final log",
                                 op.value, tp.to_string(), op.offset),
                     op.time_ns});
    } else if (found->value != op.value) {
      out.push_back({"lost_writes",
                     fmt::format("acknowledged write {} at {}@{} was replaced by {}", op.value,
                                 tp.to_string(), op.offset, found->value),
                     op.time_ns});
    }
  }
  // Without retention nothing may move a log's start: records below it vanished.
  if (ctx.log_start)
    for (const auto& [tp, start] : *ctx.log_start)
      if (start > 0 && !ctx.retention_topics.count(tp.topic))
        out.push_back({"lost_writes",
                       fmt::format("{} starts at offset {} although no retention may delete "
                                   "its records",
                                   tp.to_string(), start),
                       ctx.end_ns});
  return out;
}

}  // namespace tern::scenarios
