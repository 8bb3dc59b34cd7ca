#include "scenarios/cluster_watch.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>

#include "broker/inspect.h"

namespace tern::scenarios {

void ClusterWatch::set_broker(int32_t node_id, server::Broker* b) {
  Node& n = nodes_[node_id];
  n.broker = b;
  if (b != nullptr) ++n.incarnation;
  n.image_offset_checked = -2;
}

void ClusterWatch::violate(std::string invariant, std::string message, int64_t now_ns) {
  if (violations_.size() >= 8) return;  // the first few tell the story
  violations_.push_back({std::move(invariant), std::move(message), now_ns});
}

void ClusterWatch::check(int64_t now_ns, bool full) {
  std::vector<raft::test::RaftInvariants::NodeView> views;
  bool all_up = true;
  for (auto& [id, n] : nodes_) {
    const raft::RaftNode* r = n.broker ? inspect::raft_node(*n.broker) : nullptr;
    if (r != nullptr && !r->running()) r = nullptr;
    all_up = all_up && r != nullptr;
    views.push_back({id, r, n.incarnation});
    if (r != nullptr && r->role() == raft::Role::leader && r->epoch() > leader_epoch_seen_) {
      leader_epoch_seen_ = r->epoch();
      leader_ = id;
      elections_.emplace_back(now_ns, r->epoch());
    }
    if (r == nullptr && leader_ == id && !leader_lost_ns_) leader_lost_ns_ = now_ns;
  }
  if (auto v = raft_.check(views, full)) violate("raft", *v, now_ns);
  const int64_t committed = raft_.committed_end().value();
  if (committed > committed_end_) {
    committed_end_ = committed;
    last_commit_ns_ = now_ns;
    if (leader_lost_ns_) failovers_ns_.push_back(now_ns - *leader_lost_ns_);
    leader_lost_ns_.reset();
    if (all_up) unpropagated_.emplace_back(committed, now_ns);
  }
  measure_propagation(now_ns);
  // Identical images at identical offsets (epoch aside: a snapshot records its own).
  for (auto& [id, n] : nodes_) {
    if (n.broker == nullptr) continue;
    const controller::MetadataImagePtr image = inspect::metadata_image(*n.broker);
    if (image == nullptr || image->offset < 0 || image->offset == n.image_offset_checked) {
      continue;
    }
    n.image_offset_checked = image->offset;
    const uint32_t hash = inspect::image_fingerprint(*image);
    auto [it, fresh] = image_hash_at_.emplace(image->offset, hash);
    if (!fresh && it->second != hash) {
      violate("metadata_image",
              fmt::format("node {} applied a different metadata image at offset {} than "
                          "another node did",
                          id, image->offset),
              now_ns);
    }
  }
}

void ClusterWatch::measure_propagation(int64_t now_ns) {
  if (unpropagated_.empty()) return;
  int64_t everywhere = INT64_MAX;  // the offset every live node's image has applied
  for (auto& [id, n] : nodes_) {
    if (n.broker == nullptr) {
      // A node went down meanwhile: what is pending would time its restart.
      unpropagated_.clear();
      return;
    }
    const controller::MetadataImagePtr image = inspect::metadata_image(*n.broker);
    everywhere = std::min(everywhere, image == nullptr ? -1 : image->offset + 1);
  }
  size_t done = 0;
  while (done < unpropagated_.size() && unpropagated_[done].first <= everywhere) {
    propagation_ns_.push_back(now_ns - unpropagated_[done].second);
    ++done;
  }
  unpropagated_.erase(unpropagated_.begin(), unpropagated_.begin() + static_cast<long>(done));
}

void ClusterWatch::check_liveness(int64_t heal_ns, int64_t now_ns) {
  if (last_commit_ns_ <= heal_ns) {
    violate("quorum_liveness",
            fmt::format("no metadata committed after the heal at {} ms (by {} ms)",
                        heal_ns / 1'000'000, now_ns / 1'000'000),
            now_ns);
  }
}

}  // namespace tern::scenarios
