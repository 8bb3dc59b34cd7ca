#include <fmt/format.h>

#include <algorithm>
#include <string_view>
#include <tuple>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

namespace {
// An acks=1 write may be lost to a crash and its offset reused: its acknowledged offset
// says something about order only if the final log still holds it there.
bool survived(const CheckContext& ctx, const Op& op) {
  auto it = ctx.final_state.find(TopicPartition{op.topic, op.partition});
  if (it == ctx.final_state.end()) return false;
  const auto& recs = it->second;
  auto r = std::lower_bound(recs.begin(), recs.end(), op.offset,
                            [](const StoredRecord& s, int64_t o) { return s.offset < o; });
  return r != recs.end() && r->offset == op.offset && r->value == op.value;
}
}  // namespace

std::vector<Violation> check_partition_order(const CheckContext& ctx) {
  std::vector<Violation> out;
  // Acks grouped by (producer, partition), in the order of their sends (send ids grow with
  // send order per producer): one sorted vector instead of a map of maps, which cost two tree
  // nodes and a string copy per ack.
  struct Ack {
    std::string_view process;
    std::string_view topic;
    int32_t partition;
    uint64_t send_id;
    const Op* op;
    auto key() const { return std::tie(process, topic, partition, send_id); }
  };
  std::vector<Ack> acks;
  for (const Op& op : ctx.history.ops())
    // A producer that did not promise order (max.in.flight > 1 without idempotence) may see
    // a retried batch land behind a later one: Kafka allows it.
    if (op.kind == OpKind::ack && op.ordered && (op.acks_all || survived(ctx, op)))
      acks.push_back({op.process, op.topic, op.partition, op.send_id, &op});
  // Stable: of two acks of one send, the later one counts (as the map's overwrite did).
  std::stable_sort(acks.begin(), acks.end(),
                   [](const Ack& a, const Ack& b) { return a.key() < b.key(); });
  const Ack* prev = nullptr;  // the previous send of the same (producer, partition)
  for (size_t i = 0; i < acks.size(); ++i) {
    const Ack& a = acks[i];
    if (i + 1 < acks.size() && acks[i + 1].key() == a.key()) continue;
    if (prev && (prev->process != a.process || prev->topic != a.topic ||
                 prev->partition != a.partition))
      prev = nullptr;
    const Op* op = a.op;
    if (prev && op->offset <= prev->op->offset) {
      const TopicPartition tp{std::string(a.topic), a.partition};
      out.push_back({"partition_order",
                     fmt::format("{} sent {} before {} but they were stored at {}@{} and @{}",
                                 a.process, prev->op->value, op->value, tp.to_string(),
                                 prev->op->offset, op->offset),
                     op->time_ns});
    }
    prev = &a;
  }
  return out;
}

}  // namespace tern::scenarios
