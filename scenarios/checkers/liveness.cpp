#include <fmt/format.h>

#include <algorithm>
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

// The record at (tp, offset) in the final read, if any.
const StoredRecord* stored(const CheckContext& ctx, std::string_view topic, int32_t partition,
                           int64_t offset) {
  auto it = ctx.final_state.find(TopicPartition{std::string(topic), partition});
  if (it == ctx.final_state.end()) return nullptr;
  const auto& recs = it->second;
  auto r = std::lower_bound(recs.begin(), recs.end(), offset,
                            [](const StoredRecord& s, int64_t o) { return s.offset < o; });
  return r != recs.end() && r->offset == offset ? &*r : nullptr;
}
}  // namespace

std::vector<Violation> check_liveness(const CheckContext& ctx) {
  std::vector<Violation> out;
  bool sent_after_heal = false, acked_after_heal = false;
  // Highest acknowledged offset per partition among acks old enough to have been consumed
  // whose record survived (an acks=1 or acks=0 write may legally be lost to a crash, and then
  // its offset may never exist again).
  std::map<PartitionRef, int64_t> must_reach;
  std::map<std::pair<std::string_view, PartitionRef>, int64_t> reached;
  std::set<std::string_view> polled;
  const int64_t grace_end = ctx.heal_ns + ctx.liveness_grace_ns;
  size_t late_failures = 0;
  // Acks made before the liveness phase, and acks of the healthy phase old enough to have
  // been read by the end: a record left invisible at the tail (a flush that stopped early)
  // counts as much as one lost in the faults.
  const int64_t must_read_by =
      std::max(ctx.end_ns - ctx.liveness_bound_ns, ctx.end_ns - ctx.catch_up_ns);
  for (const Op& op : ctx.history.ops()) {
    // acks=0 sends are never acknowledged with an offset: they prove nothing either way.
    if (op.kind == OpKind::send && op.acks != 0 && op.time_ns >= ctx.heal_ns)
      sent_after_heal = true;
    if (op.kind == OpKind::ack && op.time_ns >= ctx.heal_ns) acked_after_heal = true;
    if (op.kind == OpKind::ack && op.time_ns <= must_read_by) {
      const StoredRecord* r = stored(ctx, op.topic, op.partition, op.offset);
      if (r && r->value == op.value) {
        auto& m = must_reach[{op.topic, op.partition}];
        m = std::max(m, op.offset);
      }
    }
    if (op.kind == OpKind::fail) {
      // Failures after the heal count: a send made once the cluster had time to recover
      // must succeed. (Its send time is the history's send op.)
      const Op* s = ctx.history.find_send(op.send_id);
      if (s && s->time_ns >= grace_end && late_failures++ < 3)
        out.push_back({"liveness",
                       fmt::format("{}'s send of {} at {}.{:03}s, after the heal, failed: {}",
                                   op.process, op.value, s->time_ns / 1000'000'000,
                                   s->time_ns / 1000'000 % 1000, op.error),
                       op.time_ns});
    }
    if (op.kind == OpKind::poll) {
      polled.insert(op.process);
      auto& r = reached[{op.process, {op.topic, op.partition}}];
      r = std::max(r, op.offset);
    }
  }
  if (late_failures > 3)
    out.push_back({"liveness", fmt::format("... and {} more sends failed after the heal",
                                           late_failures - 3),
                   ctx.end_ns});
  if (sent_after_heal && !acked_after_heal)
    out.push_back({"liveness", "no write was acknowledged after the faults healed", ctx.end_ns});
  // Every declared consumer, every partition of its topic that has acknowledged writes; with
  // none declared (unit tests), every process that polled and every partition.
  std::vector<std::pair<std::string_view, std::string_view>> consumers;
  for (const auto& [c, t] : ctx.consumers) consumers.emplace_back(c, t);
  if (consumers.empty())
    for (auto c : polled) consumers.emplace_back(c, std::string_view());
  for (const auto& [c, topic] : consumers)
    for (const auto& [tp, offset] : must_reach) {
      if (!topic.empty() && tp.topic != topic) continue;
      auto it = reached.find({c, tp});
      const int64_t got = it == reached.end() ? -1 : it->second;
      if (got < offset) {
        const TopicPartition named{std::string(tp.topic), tp.partition};
        out.push_back({"liveness",
                       fmt::format("{} read {} only up to offset {}, not to acknowledged {} "
                                   "by the end of the run",
                                   c, named.to_string(), got, offset),
                       ctx.end_ns});
      }
    }
  return out;
}

}  // namespace tern::scenarios
