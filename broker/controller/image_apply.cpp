#include "broker/controller/image_apply.h"

#include <algorithm>

#include <fmt/format.h>

#include "broker/base/crc32c.h"

namespace tern::controller {

namespace {

Error contradiction(const std::string& what) {
  return Error(Errc::corrupt, "metadata log contradicts the image: " + what);
}

TopicImage* topic_by_id(MetadataImage& image, const protocol::Uuid& id) {
  for (auto& [name, t] : image.topics) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

BrokerInfo* broker_with_epoch(MetadataImage& image, int32_t id, int64_t epoch) {
  auto it = image.brokers.find(id);
  if (it == image.brokers.end() || it->second.epoch != epoch) return nullptr;
  return &it->second;
}

Status apply_one(MetadataImage& im, const RegisterBrokerRecord& r, int64_t offset) {
  BrokerInfo b;
  b.id = r.broker_id;
  b.incarnation_id = r.incarnation_id;
  b.epoch = r.broker_epoch >= 0 ? r.broker_epoch : offset;
  b.endpoints = r.endpoints;
  b.rack = r.rack;
  b.fenced = r.fenced;
  im.brokers[r.broker_id] = std::move(b);  // a re-registration replaces the old one
  return {};
}

Status apply_one(MetadataImage& im, const UnregisterBrokerRecord& r, int64_t) {
  if (broker_with_epoch(im, r.broker_id, r.broker_epoch) == nullptr) {
    return contradiction(fmt::format("unregister of broker {} epoch {}", r.broker_id,
                                     r.broker_epoch));
  }
  im.brokers.erase(r.broker_id);
  return {};
}

template <class R>
Status set_fenced(MetadataImage& im, const R& r, bool fenced) {
  BrokerInfo* b = broker_with_epoch(im, r.broker_id, r.broker_epoch);
  if (b == nullptr) {
    return contradiction(fmt::format("{} of broker {} epoch {}", fenced ? "fence" : "unfence",
                                     r.broker_id, r.broker_epoch));
  }
  b->fenced = fenced;
  return {};
}
Status apply_one(MetadataImage& im, const FenceBrokerRecord& r, int64_t) {
  return set_fenced(im, r, true);
}
Status apply_one(MetadataImage& im, const UnfenceBrokerRecord& r, int64_t) {
  return set_fenced(im, r, false);
}

Status apply_one(MetadataImage& im, const TopicRecord& r, int64_t) {
  if (im.topics.count(r.name) != 0 || topic_by_id(im, r.topic_id) != nullptr) {
    return contradiction("topic " + r.name + " created twice");
  }
  TopicImage t;
  t.name = r.name;
  t.id = r.topic_id;
  im.topics.emplace(r.name, std::move(t));
  return {};
}

Status apply_one(MetadataImage& im, const PartitionRecord& r, int64_t) {
  TopicImage* t = topic_by_id(im, r.topic_id);
  if (t == nullptr) return contradiction(fmt::format("partition {} of no topic", r.partition));
  // Partitions arrive in index order (creation and CreatePartitions append at the end).
  if (r.partition != static_cast<int32_t>(t->partitions.size())) {
    return contradiction(fmt::format("partition {} of {} out of order (has {})", r.partition,
                                     t->name, t->partitions.size()));
  }
  PartitionInfo p;
  p.replicas = r.replicas;
  p.isr = r.isr;
  p.leader = r.leader;
  p.leader_epoch = r.leader_epoch;
  p.partition_epoch = r.partition_epoch;
  t->partitions.push_back(std::move(p));
  return {};
}

Status apply_one(MetadataImage& im, const PartitionChangeRecord& r, int64_t) {
  TopicImage* t = topic_by_id(im, r.topic_id);
  if (t == nullptr || r.partition < 0 ||
      static_cast<size_t>(r.partition) >= t->partitions.size()) {
    return contradiction(fmt::format("change of unknown partition {}", r.partition));
  }
  PartitionInfo& p = t->partitions[static_cast<size_t>(r.partition)];
  if (r.leader && *r.leader != p.leader) {
    p.leader = *r.leader;
    ++p.leader_epoch;  // every leader change is a new epoch (fencing zombies, KIP-101)
  }
  if (r.isr) p.isr = *r.isr;
  if (r.replicas) p.replicas = *r.replicas;
  ++p.partition_epoch;
  return {};
}

Status apply_one(MetadataImage& im, const ConfigRecord& r, int64_t) {
  if (r.resource_type != 2) return {};  // broker-level dynamic configs: not kept yet
  auto it = im.topics.find(r.resource_name);
  if (it == im.topics.end()) return contradiction("config of unknown topic " + r.resource_name);
  if (r.value) {
    it->second.configs[r.name] = *r.value;
  } else {
    it->second.configs.erase(r.name);
  }
  return {};
}

Status apply_one(MetadataImage& im, const RemoveTopicRecord& r, int64_t) {
  for (auto it = im.topics.begin(); it != im.topics.end(); ++it) {
    if (it->second.id == r.topic_id) {
      im.topics.erase(it);
      return {};
    }
  }
  return contradiction("removal of an unknown topic id");
}

Status apply_one(MetadataImage& im, const ProducerIdsRecord& r, int64_t) {
  if (r.next_producer_id < im.next_producer_id) {
    return contradiction("producer id block going backwards");
  }
  im.next_producer_id = r.next_producer_id;
  return {};
}

Status apply_one(MetadataImage&, const NoOpRecord&, int64_t) { return {}; }

constexpr std::string_view kSnapshotMagic = "tern-metadata-snapshot-v1";

}  // namespace

Status apply_record(MetadataImage& image, const MetadataRecord& record, int64_t offset) {
  TERN_ASSERT(offset > image.offset, "record at {} applied after {}", offset, image.offset);
  Status s = std::visit([&](const auto& r) { return apply_one(image, r, offset); }, record);
  if (s.ok()) image.offset = offset;
  return s;
}

std::vector<MetadataRecord> image_to_records(const MetadataImage& image) {
  std::vector<MetadataRecord> out;
  for (const auto& [id, b] : image.brokers) {
    RegisterBrokerRecord r;
    r.broker_id = id;
    r.incarnation_id = b.incarnation_id;
    r.broker_epoch = b.epoch;
    r.endpoints = b.endpoints;
    r.rack = b.rack;
    r.fenced = b.fenced;
    out.emplace_back(std::move(r));
  }
  for (const auto& [name, t] : image.topics) {
    out.emplace_back(TopicRecord{t.name, t.id});
    for (size_t i = 0; i < t.partitions.size(); ++i) {
      const PartitionInfo& p = t.partitions[i];
      out.emplace_back(PartitionRecord{t.id, static_cast<int32_t>(i), p.replicas, p.isr,
                                       p.leader, p.leader_epoch, p.partition_epoch});
    }
    for (const auto& [k, v] : t.configs) out.emplace_back(ConfigRecord{2, t.name, k, v});
  }
  if (image.next_producer_id != 0) {
    out.emplace_back(ProducerIdsRecord{-1, -1, image.next_producer_id});
  }
  return out;
}

// Layout: magic, offset (int64), epoch (int32), record count (int32), each record as
// length-prefixed bytes, then a CRC-32C of everything before it.
Bytes encode_snapshot(const MetadataImage& image) {
  protocol::Writer w(1024);
  w.write_raw({reinterpret_cast<const uint8_t*>(kSnapshotMagic.data()), kSnapshotMagic.size()});
  w.write_int64(image.offset);
  w.write_int32(image.epoch);
  const auto records = image_to_records(image);
  w.write_int32(static_cast<int32_t>(records.size()));
  for (const auto& r : records) w.write_bytes(encode_record(r), true);
  w.write_uint32(crc32c(w.data()));
  return w.take();
}

Result<MetadataImage> decode_snapshot(std::span<const uint8_t> bytes) {
  if (bytes.size() < kSnapshotMagic.size() + 4 ||
      !std::equal(kSnapshotMagic.begin(), kSnapshotMagic.end(), bytes.begin())) {
    return Error(Errc::corrupt, "metadata snapshot: bad magic");
  }
  const size_t body = bytes.size() - 4;
  protocol::Reader crc_reader(bytes.subspan(body));
  uint32_t crc = 0;
  if (!crc_reader.read_uint32(crc).ok() || crc != crc32c(bytes.subspan(0, body))) {
    return Error(Errc::corrupt, "metadata snapshot: CRC mismatch");
  }
  protocol::Reader r(bytes.subspan(kSnapshotMagic.size(), body - kSnapshotMagic.size()));
  int64_t offset = 0;
  int32_t epoch = 0, count = 0;
  if (!r.read_int64(offset).ok() || !r.read_int32(epoch).ok() || !r.read_int32(count).ok() ||
      count < 0) {
    return Error(Errc::corrupt, "metadata snapshot: bad header");
  }
  MetadataImage image;
  int64_t at = -1;  // records are applied at ascending pseudo-offsets below the snapshot's
  for (int32_t i = 0; i < count; ++i) {
    Bytes rec;
    if (auto s = r.read_bytes(rec, true); !s.ok()) return s.error();
    auto decoded = decode_record(rec);
    if (!decoded.ok()) return decoded.error();
    image.offset = at - 1;  // apply_record wants increasing offsets; the real one is set below
    if (auto s = apply_record(image, decoded.value(), at); !s.ok()) return s.error();
  }
  if (!r.at_end()) return Error(Errc::corrupt, "metadata snapshot: trailing bytes");
  image.offset = offset;
  image.epoch = epoch;
  return image;
}

}  // namespace tern::controller
