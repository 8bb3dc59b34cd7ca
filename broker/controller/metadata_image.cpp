#include "broker/controller/metadata_image.h"

#include "broker/controller/metadata_cache.h"
#include "sim/runtime/assert.h"

namespace tern::controller {

const BrokerEndpoint* BrokerInfo::endpoint(std::string_view listener) const {
  for (const auto& e : endpoints) {
    if (e.listener == listener) return &e;
  }
  return nullptr;
}

const TopicImage* MetadataImage::find_topic(std::string_view name) const {
  auto it = topics.find(std::string(name));
  return it == topics.end() ? nullptr : &it->second;
}

const TopicImage* MetadataImage::find_topic(const protocol::Uuid& id) const {
  // Linear: ids are looked up rarely (DeleteTopics by id) and clusters hold few topics.
  for (const auto& [name, t] : topics) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

const PartitionInfo* MetadataImage::find_partition(std::string_view topic, int32_t index) const {
  const TopicImage* t = find_topic(topic);
  if (t == nullptr || index < 0 || static_cast<size_t>(index) >= t->partitions.size()) {
    return nullptr;
  }
  return &t->partitions[static_cast<size_t>(index)];
}

std::vector<int32_t> MetadataImage::live_brokers() const {
  std::vector<int32_t> out;
  for (const auto& [id, b] : brokers) {
    if (!b.fenced) out.push_back(id);
  }
  return out;
}

void MetadataCache::publish(MetadataImagePtr next) {
  TERN_ASSERT(next != nullptr);
  TERN_ASSERT(next->offset >= current_->offset, "metadata image published out of order");
  MetadataImagePtr prev = std::move(current_);
  current_ = std::move(next);
  // Subscribers may suspend (the ReplicaManager opens logs): both images are held here, so
  // a later publish meanwhile cannot free them under a subscriber; by index, so a subscribe
  // meanwhile cannot invalidate the walk.
  const MetadataImagePtr now = current_;
  for (size_t i = 0; i < subscribers_.size(); ++i) subscribers_[i](*prev, *now);
  changed_.notify_all();
}

Status MetadataCache::wait_for(int64_t offset, Deadline deadline) {
  return changed_.wait_until([&] { return current_->offset >= offset; }, deadline);
}

}  // namespace tern::controller
