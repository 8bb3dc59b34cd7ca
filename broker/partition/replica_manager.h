#pragma once
// ReplicaManager: the partitions of this node (Kafka's ReplicaManager + LogManager). It
// learns what exists from the metadata: apply() reconciles the local partitions with each
// published MetadataImage — creates the logs of partitions this node replicates, sets the
// role (leader when the image names this node), removes the partitions of deleted topics
// (and their directories, as Kafka does) — and it runs retention and closes every log on
// shutdown. A log failure (write or fsync error) calls the failure handler: the broker
// stops, like Kafka on a log directory failure.
//
// Concurrency: apply() suspends (it opens and removes logs) and serialises itself with a
// mutex, so images published back to back are applied in order. Handlers look partitions
// up with get() and hold the shared_ptr across suspensions.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "broker/controller/metadata_image.h"
#include "broker/log/log_config.h"
#include "broker/partition/partition.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::partition {

struct ReplicaManagerOptions {
  std::string data_dir;  // on the runtime's Disk; one directory per partition below it
  Durability durability = Durability::fsync;
  // The log settings of a partition of a topic with these overrides (broker defaults with
  // the topic's configs applied).
  std::function<LogConfig(const std::map<std::string, std::string>& topic_configs)> log_config;
  // Retention pass interval (log.retention.check.interval.ms).
  int64_t retention_check_interval_ms = 300'000;
};

class ReplicaManager : public std::enable_shared_from_this<ReplicaManager> {
 public:
  using Key = std::pair<std::string, int32_t>;  // (topic, partition index)

  ReplicaManager(Runtime& rt, ReplicaManagerOptions options);
  ~ReplicaManager();
  ReplicaManager(const ReplicaManager&) = delete;
  ReplicaManager& operator=(const ReplicaManager&) = delete;

  // Called once with the first error of any log (open, write, fsync).
  void set_failure_handler(std::function<void(const Error&)> handler) {
    on_failure_ = std::move(handler);
  }

  // Reconciles the local partitions with `next` (see the file comment); `prev` is the image
  // applied before (unchanged topics are skipped). Suspends.
  void apply(const controller::MetadataImage& prev, const controller::MetadataImage& next,
             int32_t self_id);
  // Removes partition directories no partition of `image` on this node owns (a crash
  // between a topic's deletion in the metadata and the removal of its directories).
  Status remove_strays(const controller::MetadataImage& image, int32_t self_id);

  // nullptr when this node holds no such partition.
  std::shared_ptr<Partition> get(std::string_view topic, int32_t index) const;
  // By (topic, index): deterministic order.
  const std::map<Key, std::shared_ptr<Partition>>& partitions() const { return partitions_; }

  // Starts the retention task.
  void start();
  // Stops the retention task and refuses further applies (shutdown, step one).
  void stop();
  // Closes every log and waits for the durability pumps (shutdown, step two: after the
  // connections are gone). REQUIRES: stop() was called.
  void close_all();

 private:
  void open_partition(const controller::TopicImage& topic, int32_t index);
  void remove_partition(const Key& key);
  Status remove_dir(const std::string& dir_name);
  void retention_loop();
  void log_failed(const Error& e);

  Runtime& rt_;
  ReplicaManagerOptions options_;
  std::map<Key, std::shared_ptr<Partition>> partitions_;
  Mutex apply_mutex_;
  std::function<void(const Error&)> on_failure_;
  TaskHandle retention_;
  bool stopping_ = false;
};

}  // namespace tern::partition
