#include "broker/inspect.h"

#include "broker/base/crc32c.h"
#include "broker/controller/image_apply.h"

#include "broker/protocol/records/record_batch.h"
#include "broker/server/broker_core.h"

namespace tern::inspect {

using partition::Partition;
using server::BrokerCore;

namespace {

PartitionView view_of(const Partition& p) {
  PartitionView v;
  v.topic = p.topic();
  v.partition = p.index();
  v.role = partition::role_name(p.role());
  v.leader_epoch = p.leader_epoch().value();
  if (!p.usable()) return v;
  v.log_start_offset = p.log_start_offset().value();
  v.log_end_offset = p.log_end_offset().value();
  v.high_watermark = p.high_watermark().value();
  v.durable_offset = p.durable_offset().value();
  TERN_ASSERT(v.log_start_offset <= v.high_watermark);
  TERN_ASSERT(v.high_watermark <= v.log_end_offset);
  return v;
}

}  // namespace

std::vector<std::string> topics(const server::Broker& broker) {
  std::vector<std::string> out;
  for (const auto& [name, t] : broker.core().metadata().current()->topics) out.push_back(name);
  return out;
}

std::optional<int32_t> partition_count(const server::Broker& broker, const std::string& topic) {
  const controller::TopicImage* t = broker.core().metadata().current()->find_topic(topic);
  if (t == nullptr) return std::nullopt;
  return static_cast<int32_t>(t->partitions.size());
}

std::optional<PartitionView> partition(const server::Broker& broker, const std::string& topic,
                                       int32_t partition) {
  auto p = broker.core().replicas().get(topic, partition);
  if (p == nullptr) return std::nullopt;
  return view_of(*p);
}

std::vector<PartitionView> partitions(const server::Broker& broker) {
  std::vector<PartitionView> out;
  for (const auto& [key, p] : broker.core().replicas().partitions()) out.push_back(view_of(*p));
  return out;
}

std::string cluster_id(const server::Broker& broker) {
  return broker.core().metadata().current()->cluster_id;
}

uint32_t image_fingerprint(const controller::MetadataImage& image) {
  controller::MetadataImage copy = image;
  copy.epoch = 0;
  return crc32c(controller::encode_snapshot(copy));
}

const raft::RaftNode* raft_node(const server::Broker& broker) {
  const controller::KRaftNode* k = broker.core().kraft();
  return k == nullptr ? nullptr : &k->raft();
}

controller::MetadataImagePtr metadata_image(const server::Broker& broker) {
  return broker.core().metadata().current();
}

Result<Bytes> partition_records(server::Broker& broker, const std::string& topic,
                                int32_t partition, int64_t from, uint64_t max_bytes,
                                bool include_unstable) {
  auto p = broker.core().replicas().get(topic, partition);
  if (p == nullptr || !p->usable()) return Error(Errc::not_found, "no such partition");
  const Offset limit = include_unstable ? p->log_end_offset() : p->high_watermark();
  if (Offset(from) >= limit) return Bytes{};
  auto bytes = p->read(Offset(from), max_bytes);
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
