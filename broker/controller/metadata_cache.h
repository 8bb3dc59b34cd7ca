#pragma once
// MetadataCache: the latest published MetadataImage of this node and the wake-up of those
// waiting for a newer one. Handlers read current() (a shared, immutable version); the
// applier publishes images in offset order; ReplicaManager and coordinators subscribe to
// hear every published image with the one before it (to act on the difference).
#include <functional>
#include <memory>
#include <vector>

#include "broker/controller/metadata_image.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/event.h"

namespace tern::controller {

class MetadataCache {
 public:
  using Subscriber = std::function<void(const MetadataImage& prev, const MetadataImage& next)>;

  explicit MetadataCache(Runtime& rt)
      : changed_(rt), current_(std::make_shared<const MetadataImage>()) {}

  MetadataImagePtr current() const { return current_; }
  // Publishes `next` (its offset must not be below the current one), then tells the
  // subscribers in subscription order, then wakes the waiters.
  void publish(MetadataImagePtr next);
  void subscribe(Subscriber s) { subscribers_.push_back(std::move(s)); }
  // Waits until the published image's offset is at least `offset`.
  Status wait_for(int64_t offset, Deadline deadline);
  Condition& changed() { return changed_; }

 private:
  Condition changed_;
  MetadataImagePtr current_;
  std::vector<Subscriber> subscribers_;
};

}  // namespace tern::controller
