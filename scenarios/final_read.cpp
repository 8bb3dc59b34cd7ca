#include "scenarios/final_read.h"

#include <fmt/format.h>

#include "broker/client/consumer.h"
#include "scenarios/workloads/client_helpers.h"

namespace tern::scenarios {

namespace {

// Reads one topic: every partition from its log start to the end offset seen at the start.
void read_topic(Runtime& rt, const std::vector<Address>& bootstrap, const ExpectedTopic& t,
                Instant deadline, FinalRead& out) {
  const client::ClientOptions copts = client_options(bootstrap);
  client::ConsumerOptions co;
  co.auto_offset_reset = client::OffsetReset::earliest;
  co.fetch_max_wait_ms = 100;
  client::Consumer consumer(rt, copts, co);
  if (!consumer.assign_topic(t.topic, deadline).ok()) {
    out.problems.push_back(fmt::format("the final read found no topic {}", t.topic));
    return;
  }
  std::vector<client::TopicPartition> tps;
  for (const auto& tp : consumer.assignment())
    if (tp.partition < t.partitions) tps.push_back(tp);
  if (static_cast<int32_t>(tps.size()) < t.partitions) {
    out.problems.push_back(fmt::format("the final read found {} of {}'s {} partitions", tps.size(),
                                       t.topic, t.partitions));
  }
  consumer.assign(tps);
  std::map<client::TopicPartition, int64_t> starts, ends;
  while (rt.now() < deadline && (starts.empty() || ends.empty())) {
    if (starts.empty())
      if (auto e = consumer.list_offsets(tps, client::kEarliestTimestamp); e.ok())
        starts = e.value();
    if (ends.empty())
      if (auto e = consumer.list_offsets(tps, client::kLatestTimestamp); e.ok()) ends = e.value();
    if ((starts.empty() || ends.empty()) && !rt.sleep_for(Duration::millis(200)).ok()) return;
  }
  if (starts.empty() || ends.empty()) {
    out.problems.push_back(fmt::format("the final read could not list {}'s offsets", t.topic));
    return;
  }
  for (const auto& tp : tps) {
    const TopicPartition key{tp.topic, tp.partition};
    out.state[key];  // present even when empty
    out.log_start[key] = starts[tp];
    consumer.seek(tp, starts[tp]);
  }
  auto next_of = [&](const client::TopicPartition& tp) {
    const auto& recs = out.state[{tp.topic, tp.partition}];
    return recs.empty() ? starts[tp] : recs.back().offset + 1;
  };
  auto done = [&] {
    for (const auto& tp : tps)
      if (next_of(tp) < ends[tp]) return false;
    return true;
  };
  while (!done() && rt.now() < deadline) {
    auto recs = consumer.poll(Duration::millis(200));
    if (!recs.ok()) {
      if (!rt.sleep_for(Duration::millis(100)).ok()) return;
      continue;
    }
    for (const auto& r : recs.value())
      out.state[{r.topic, r.partition}].push_back({r.offset, to_string(r.key), to_string(r.value)});
  }
  // Retention may delete segments while the read runs (the broker restarted from its power
  // loss with files whose deletion was not yet durable): records below the log start at the
  // END of the read are the ones that may legally be missing.
  for (int attempt = 0; attempt < 10 && rt.now() < deadline; ++attempt) {
    if (auto e = consumer.list_offsets(tps, client::kEarliestTimestamp); e.ok()) {
      for (const auto& [tp, start] : e.value()) {
        auto& ls = out.log_start[{tp.topic, tp.partition}];
        ls = std::max(ls, start);
      }
      break;
    }
    if (!rt.sleep_for(Duration::millis(200)).ok()) return;
  }
  for (const auto& tp : tps)
    if (next_of(tp) < ends[tp])
      out.problems.push_back(fmt::format("the final read of {}-{} stopped at offset {} of {}",
                                         tp.topic, tp.partition, next_of(tp), ends[tp]));
}

}  // namespace

void read_final_state(Runtime& rt, const std::vector<Address>& bootstrap,
                      const std::vector<ExpectedTopic>& topics, Instant deadline, FinalRead& out) {
  for (const auto& t : topics) read_topic(rt, bootstrap, t, deadline, out);
  out.done = true;
}

}  // namespace tern::scenarios
