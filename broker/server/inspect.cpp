#include "broker/inspect.h"

#include "broker/protocol/records/record_batch.h"
#include "broker/server/broker_core.h"

namespace tern::inspect {

using server::BrokerCore;
using server::PartitionState;

namespace {

PartitionView view_of(const BrokerCore& core, const PartitionState& p) {
  PartitionView v;
  v.topic = p.topic;
  v.partition = p.index;
  if (p.log == nullptr) return v;
  v.log_start_offset = p.log->log_start_offset().value();
  v.log_end_offset = p.log->log_end_offset().value();
  v.high_watermark = core.high_watermark(p).value();
  v.durable_offset = p.log->durable_offset().value();
  TERN_ASSERT(v.log_start_offset <= v.high_watermark);
  TERN_ASSERT(v.high_watermark <= v.log_end_offset);
  return v;
}

}  // namespace

std::vector<std::string> topics(const server::Broker& broker) {
  std::vector<std::string> out;
  for (const auto& [name, t] : broker.core().topics()) out.push_back(name);
  return out;
}

std::optional<int32_t> partition_count(const server::Broker& broker, const std::string& topic) {
  const server::TopicState* t = broker.core().find_topic(topic);
  if (t == nullptr) return std::nullopt;
  return t->meta.partitions;
}

std::optional<PartitionView> partition(const server::Broker& broker, const std::string& topic,
                                       int32_t partition) {
  auto p = broker.core().find_partition(topic, partition);
  if (p == nullptr) return std::nullopt;
  return view_of(broker.core(), *p);
}

std::vector<PartitionView> partitions(const server::Broker& broker) {
  std::vector<PartitionView> out;
  for (const auto& [name, t] : broker.core().topics()) {
    for (const auto& p : t.partitions) {
      if (p != nullptr) out.push_back(view_of(broker.core(), *p));
    }
  }
  return out;
}

std::string cluster_id(const server::Broker& broker) { return broker.core().cluster_id(); }

Result<Bytes> partition_records(server::Broker& broker, const std::string& topic,
                                int32_t partition, int64_t from, uint64_t max_bytes,
                                bool include_unstable) {
  BrokerCore& core = broker.core();
  auto p = core.find_partition(topic, partition);
  if (p == nullptr || p->log == nullptr) return Error(Errc::not_found, "no such partition");
  const Offset limit = include_unstable ? p->log->log_end_offset() : core.high_watermark(*p);
  if (Offset(from) >= limit) return Bytes{};
  auto bytes = p->log->read(Offset(from), max_bytes);
  if (!bytes.ok()) return bytes.error();
  SplitOptions opts;
  opts.crc = CrcCheck::verify;
  BatchSplit split = split_batches(bytes.value(), opts);
  size_t keep = 0;
  for (const BatchHeader& b : split.batches) {
    if (b.last_offset() >= limit) break;
    keep += b.size_bytes();
  }
  bytes.value().resize(keep);
  return std::move(bytes.value());
}

}  // namespace tern::inspect
