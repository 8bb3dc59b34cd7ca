#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string_view>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

namespace {

// Keys that name strings of the history instead of copying them per op.
struct PartitionRef {
  std::string_view topic;
  int32_t partition;
  auto operator<=>(const PartitionRef&) const = default;
};
struct ConsumerPartition {
  std::string_view process;
  PartitionRef tp;
  auto operator<=>(const ConsumerPartition&) const = default;
};

}  // namespace

std::vector<Violation> check_consumer_monotonic(const CheckContext& ctx) {
  std::vector<Violation> out;
  // Offsets known to exist: skipping one of these is a poll skip. Sorted and unique per
  // partition once gathered (a set per partition cost a node per record).
  std::map<PartitionRef, std::vector<int64_t>> exists;
  for (const auto& [tp, recs] : ctx.final_state) {
    auto& ex = exists[{tp.topic, tp.partition}];
    for (const auto& r : recs) ex.push_back(r.offset);
  }
  for (const Op& op : ctx.history.ops())
    if (op.kind == OpKind::ack && op.acks_all)
      exists[{op.topic, op.partition}].push_back(op.offset);
  for (auto& [tp, ex] : exists) {
    std::sort(ex.begin(), ex.end());
    ex.erase(std::unique(ex.begin(), ex.end()), ex.end());
  }

  // Per consumer and partition: the next offset it should see (after a poll or a seek).
  std::map<ConsumerPartition, int64_t> expect;
  for (const Op& op : ctx.history.ops()) {
    if (op.kind != OpKind::poll && op.kind != OpKind::seek) continue;
    const ConsumerPartition key{op.process, {op.topic, op.partition}};
    auto [it, inserted] = expect.try_emplace(key, 0);
    if (op.kind == OpKind::seek) {
      it->second = op.offset;
      continue;
    }
    if (!inserted) {
      const int64_t want = it->second;
      if (op.offset < want) {
        const TopicPartition tp{op.topic, op.partition};
        out.push_back({"consumer_monotonic",
                       fmt::format("{} went backwards on {}: offset {} after {} without a seek",
                                   op.process, tp.to_string(), op.offset, want - 1),
                       op.time_ns});
      } else if (op.offset > want) {
        auto ex = exists.find(key.tp);
        if (ex != exists.end()) {
          auto skipped = std::lower_bound(ex->second.begin(), ex->second.end(), want);
          // Records retention deleted below the final log start were skipped legally (the
          // consumer's position fell off the log and auto.offset.reset moved it).
          while (skipped != ex->second.end() && *skipped < op.offset &&
                 ctx.deleted_by_retention(op.topic, op.partition, *skipped))
            ++skipped;
          if (skipped != ex->second.end() && *skipped < op.offset) {
            const TopicPartition tp{op.topic, op.partition};
            out.push_back({"consumer_monotonic",
                           fmt::format("{} skipped {}@{} (read {} after expecting {})",
                                       op.process, tp.to_string(), *skipped, op.offset, want),
                           op.time_ns});
          }
        }
      }
    }
    it->second = op.offset + 1;
  }
  return out;
}

}  // namespace tern::scenarios
