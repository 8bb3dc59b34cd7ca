#include "broker/partition/replica_manager.h"

#include <algorithm>

#include <fmt/format.h>

namespace tern::partition {

namespace {

// "<topic>-<index>": the directory of a partition's log (PartitionLog's naming).
bool is_partition_dir(std::string_view name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return false;
  for (size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

// Kafka's metadata log directory looks like a partition's and is not one of ours.
constexpr std::string_view kMetadataLogPrefix = "__cluster_metadata";

bool replicates(const controller::PartitionInfo& info, int32_t self_id) {
  return std::find(info.replicas.begin(), info.replicas.end(), self_id) != info.replicas.end();
}

}  // namespace

ReplicaManager::ReplicaManager(Runtime& rt, ReplicaManagerOptions options)
    : rt_(rt), options_(std::move(options)), apply_mutex_(rt) {
  TERN_ASSERT(!options_.data_dir.empty());
  TERN_ASSERT(options_.log_config != nullptr);
}

ReplicaManager::~ReplicaManager() = default;

std::shared_ptr<Partition> ReplicaManager::get(std::string_view topic, int32_t index) const {
  auto it = partitions_.find(Key(std::string(topic), index));
  return it == partitions_.end() ? nullptr : it->second;
}

void ReplicaManager::log_failed(const Error& e) {
  if (on_failure_) on_failure_(e);
}

void ReplicaManager::apply(const controller::MetadataImage& prev,
                           const controller::MetadataImage& next, int32_t self_id) {
  MutexLock lock(apply_mutex_);
  if (!lock.owns() || stopping_) return;
  // Removals first: a topic deleted and created again under the same name (a new id) loses
  // its old partitions and directories before the new ones are created.
  std::vector<Key> gone;
  for (const auto& [key, p] : partitions_) {
    const controller::TopicImage* t = next.find_topic(key.first);
    const controller::PartitionInfo* info = next.find_partition(key.first, key.second);
    const bool keep = t != nullptr && t->id == p->topic_id() && info != nullptr &&
                      replicates(*info, self_id);
    if (!keep) gone.push_back(key);
  }
  for (const Key& key : gone) remove_partition(key);
  for (const auto& [name, t] : next.topics) {
    const controller::TopicImage* before = prev.find_topic(name);
    if (before != nullptr && *before == t && gone.empty()) continue;  // nothing to do
    for (int32_t i = 0; i < static_cast<int32_t>(t.partitions.size()); ++i) {
      const controller::PartitionInfo& info = t.partitions[static_cast<size_t>(i)];
      if (!replicates(info, self_id)) continue;
      if (stopping_) return;
      auto it = partitions_.find(Key(name, i));
      if (it == partitions_.end()) {
        open_partition(t, i);
        it = partitions_.find(Key(name, i));
      }
      TERN_ASSERT(it != partitions_.end());
      const Role role = info.leader == self_id ? Role::leader : Role::follower;
      it->second->set_role(role, LeaderEpoch(info.leader_epoch));
    }
  }
}

void ReplicaManager::open_partition(const controller::TopicImage& topic, int32_t index) {
  TERN_ASSERT(index >= 0 && static_cast<size_t>(index) < topic.partitions.size());
  auto p = std::make_shared<Partition>(rt_, topic.name, topic.id, index, options_.durability);
  // In the map before the log is open: lookups meanwhile see an unusable partition.
  partitions_[Key(topic.name, index)] = p;
  LogConfig cfg = options_.log_config(topic.configs);
  // Small segments in simulation exercise rolling, indexes across segments and retention.
  cfg.segment_bytes = rt_.buggify_value<int64_t>("log.tiny_segments", cfg.segment_bytes, 4096);
  std::weak_ptr<ReplicaManager> weak = weak_from_this();
  // A failure is reported through the handler (the broker stops); the partition stays in the
  // map, unusable, and answers errors until a restart opens it again.
  (void)p->open(options_.data_dir, cfg, [weak](const Error& e) {
    if (auto self = weak.lock()) self->log_failed(e);
  });
}

void ReplicaManager::remove_partition(const Key& key) {
  auto it = partitions_.find(key);
  TERN_ASSERT(it != partitions_.end());
  std::shared_ptr<Partition> p = std::move(it->second);
  partitions_.erase(it);
  (void)p->remove();  // fetches waiting on it wake and answer UNKNOWN_TOPIC_OR_PARTITION
  Status s = remove_dir(fmt::format("{}-{}", key.first, key.second));
  if (!s.ok()) {
    // The metadata no longer lists it: the next start removes what is left.
    rt_.trace(Severity::warn, "broker.delete_dir_failed",
              {{"topic", key.first}, {"partition", key.second}, {"error", s.error().message()}});
  }
}

Status ReplicaManager::remove_dir(const std::string& name) {
  const std::string dir = options_.data_dir + "/" + name;
  auto files = rt_.disk().list(dir);
  if (files.ok()) {
    for (const std::string& f : files.value()) TERN_TRY(rt_.disk().remove(dir + "/" + f));
  }
  if (rt_.disk().exists(dir)) TERN_TRY(rt_.disk().remove(dir));
  return rt_.disk().fsync_dir(options_.data_dir);
}

Status ReplicaManager::remove_strays(const controller::MetadataImage& image, int32_t self_id) {
  auto names = rt_.disk().list(options_.data_dir);
  if (!names.ok()) return names.error();
  for (const std::string& n : names.value()) {
    if (!is_partition_dir(n) || n.rfind(kMetadataLogPrefix, 0) == 0) continue;
    const size_t dash = n.rfind('-');
    const std::string topic = n.substr(0, dash);
    const int32_t index = static_cast<int32_t>(std::stol(n.substr(dash + 1)));
    const controller::PartitionInfo* info = image.find_partition(topic, index);
    if (info != nullptr && replicates(*info, self_id)) continue;
    TERN_ASSERT(get(topic, index) == nullptr, "stray {} is open", n);
    rt_.trace(Severity::info, "broker.remove_orphan", {{"dir", n}});
    TERN_TRY(remove_dir(n));
  }
  return {};
}

void ReplicaManager::start() {
  TERN_ASSERT(!retention_.valid(), "started twice");
  auto self = shared_from_this();
  retention_ = rt_.spawn("broker.retention", [self] { self->retention_loop(); });
}

void ReplicaManager::stop() {
  stopping_ = true;
  if (!retention_.valid()) return;
  retention_.cancel();
  (void)retention_.join();
}

void ReplicaManager::close_all() {
  TERN_ASSERT(stopping_, "close_all before stop");
  for (auto& [key, p] : partitions_) {
    Status s = p->close();
    if (!s.ok()) {
      rt_.trace(Severity::warn, "broker.log_close_failed",
                {{"topic", key.first}, {"partition", key.second}, {"error", s.error().message()}});
    }
  }
  for (auto& [key, p] : partitions_) (void)p->wait_pump_idle();
}

void ReplicaManager::retention_loop() {
  while (!stopping_) {
    int64_t interval_ms = options_.retention_check_interval_ms;
    interval_ms = rt_.buggify_value<int64_t>("broker.fast_retention", interval_ms, 1000);
    if (!rt_.sleep_until(rt_.now() + Duration::millis(interval_ms)).ok()) return;
    std::vector<std::shared_ptr<Partition>> all;
    for (auto& [key, p] : partitions_) {
      if (p->usable()) all.push_back(p);
    }
    for (auto& p : all) {
      if (stopping_) return;
      if (!p->usable()) continue;
      auto r = p->enforce_retention();
      if (r.ok() && r.value() > 0) {
        rt_.trace(Severity::info, "broker.retention",
                  {{"topic", p->topic()}, {"partition", p->index()},
                   {"segments_deleted", static_cast<int64_t>(r.value())},
                   {"log_start", p->log_start_offset().value()}});
      }
    }
  }
}

}  // namespace tern::partition
