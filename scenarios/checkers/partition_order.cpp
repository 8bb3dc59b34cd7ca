#include <fmt/format.h>

#include <map>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

std::vector<Violation> check_partition_order(const CheckContext& ctx) {
  std::vector<Violation> out;
  // Acks in the order of their sends (send ids grow with send order per producer).
  std::map<std::pair<std::string, TopicPartition>, std::map<uint64_t, const Op*>> acks;
  for (const Op& op : ctx.history.ops())
    if (op.kind == OpKind::ack) acks[{op.process, {op.topic, op.partition}}][op.send_id] = &op;
  for (const auto& [who, by_send] : acks) {
    const Op* prev = nullptr;
    for (const auto& [id, op] : by_send) {
      if (prev && op->offset <= prev->offset)
        out.push_back({"partition_order",
                       fmt::format("{} sent {} before {} but they were stored at {}@{} and @{}",
                                   who.first, prev->value, op->value, who.second.to_string(),
                                   prev->offset, op->offset),
                       op->time_ns});
      prev = op;
    }
  }
  return out;
}

}  // namespace tern::scenarios
