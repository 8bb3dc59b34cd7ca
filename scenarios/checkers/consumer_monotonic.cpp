#include <fmt/format.h>

#include <map>
#include <set>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

std::vector<Violation> check_consumer_monotonic(const CheckContext& ctx) {
  std::vector<Violation> out;
  // Offsets known to exist: skipping one of these is a poll skip.
  std::map<TopicPartition, std::set<int64_t>> exists;
  for (const auto& [tp, recs] : ctx.final_state)
    for (const auto& r : recs) exists[tp].insert(r.offset);
  for (const Op& op : ctx.history.ops())
    if (op.kind == OpKind::ack && op.acks_all) exists[{op.topic, op.partition}].insert(op.offset);

  // Per consumer and partition: the next offset it should see (after a poll or a seek).
  std::map<std::pair<std::string, TopicPartition>, int64_t> expect;
  for (const Op& op : ctx.history.ops()) {
    if (op.kind != OpKind::poll && op.kind != OpKind::seek) continue;
    const TopicPartition tp{op.topic, op.partition};
    const auto key = std::make_pair(op.process, tp);
    if (op.kind == OpKind::seek) {
      expect[key] = op.offset;
      continue;
    }
    auto it = expect.find(key);
    if (it != expect.end()) {
      const int64_t want = it->second;
      if (op.offset < want) {
        out.push_back({"consumer_monotonic",
                       fmt::format("{} went backwards on {}: offset {} after {} without a seek",
                                   op.process, tp.to_string(), op.offset, want - 1),
                       op.time_ns});
      } else if (op.offset > want) {
        auto& ex = exists[tp];
        auto skipped = ex.lower_bound(want);
        if (skipped != ex.end() && *skipped < op.offset)
          out.push_back({"consumer_monotonic",
                         fmt::format("{} skipped {}@{} (read {} after expecting {})", op.process,
                                     tp.to_string(), *skipped, op.offset, want),
                         op.time_ns});
      }
    }
    expect[key] = op.offset + 1;
  }
  return out;
}

}  // namespace tern::scenarios
