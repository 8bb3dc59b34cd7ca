#include <fmt/format.h>

#include <map>
#include <string_view>
#include <unordered_map>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

namespace {

// Where a value was first seen at an offset. The text ("ack to p1") is built only for a
// violation: building it for every op was most of this checker's time on long histories.
struct Sighting {
  const std::string* value;
  const char* what;              // "final log", "ack to ", "poll by "
  const std::string* process;    // nullptr for the final log
  std::string where() const { return process ? what + *process : std::string(what); }
};

// A partition named without copying its topic, for looking up the partition of an op.
struct PartitionRef {
  std::string_view topic;
  int32_t partition;
  bool operator<(const PartitionRef& o) const {
    return topic != o.topic ? topic < o.topic : partition < o.partition;
  }
};

}  // namespace

std::vector<Violation> check_offset_consistency(const CheckContext& ctx) {
  std::vector<Violation> out;
  // partition -> offset -> the first sighting. Only looked up, never iterated: the hash map's
  // order cannot leak into the violations, which follow the final log's and history's order.
  std::map<PartitionRef, std::unordered_map<int64_t, Sighting>> seen;
  auto observe = [&](std::string_view topic, int32_t partition, int64_t offset,
                     const Sighting& s, int64_t t) {
    auto& by_offset = seen[PartitionRef{topic, partition}];
    auto [it, inserted] = by_offset.try_emplace(offset, s);
    if (!inserted && *it->second.value != *s.value) {
      const TopicPartition tp{std::string(topic), partition};
      out.push_back({"offset_consistency",
                     fmt::format("{}@{} holds {} ({}) and {} ({})", tp.to_string(), offset,
                                 *it->second.value, it->second.where(), *s.value, s.where()),
                     t});
    }
  };
  for (const auto& [tp, recs] : ctx.final_state) {
    seen[PartitionRef{tp.topic, tp.partition}].reserve(recs.size());
    for (size_t i = 0; i < recs.size(); ++i) {
      observe(tp.topic, tp.partition, recs[i].offset, {&recs[i].value, "final log", nullptr},
              ctx.end_ns);
      // A gap is legal only where retention may have deleted it (all of it below the final
      // log start: the final read raced a deletion).
      if (i > 0 && recs[i].offset != recs[i - 1].offset + 1 &&
          !ctx.deleted_by_retention(tp.topic, tp.partition, recs[i].offset - 1))
        out.push_back({"offset_consistency",
                       fmt::format("final log of {} jumps from offset {} to {}", tp.to_string(),
                                   recs[i - 1].offset, recs[i].offset),
                       ctx.end_ns});
    }
  }
  for (const Op& op : ctx.history.ops()) {
    // An acks=1/0 acknowledgement promises nothing about what the log keeps: a crash may
    // lose the write and a later one take its offset. Only acks=all acks name the log.
    if (op.kind == OpKind::ack && op.acks_all)
      observe(op.topic, op.partition, op.offset, {&op.value, "ack to ", &op.process},
              op.time_ns);
    if (op.kind == OpKind::poll)
      observe(op.topic, op.partition, op.offset, {&op.value, "poll by ", &op.process},
              op.time_ns);
  }
  return out;
}

}  // namespace tern::scenarios
