#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

LeaderLookup find_leader(const Services& services, std::string_view topic, int32_t index) {
  using protocol::ErrorCode;
  std::shared_ptr<partition::Partition> p = services.replicas.get(topic, index);
  if (p != nullptr && p->usable() && p->role() == partition::Role::leader) return {p};
  if (p != nullptr && !p->usable()) return {nullptr, ErrorCode::unknown_topic_or_partition};
  // Not here (or a follower here): does the cluster know it? Between an image's publication
  // and its application a new partition is known but not yet open: retriable either way.
  if (services.metadata.current()->find_partition(topic, index) == nullptr) {
    return {nullptr, ErrorCode::unknown_topic_or_partition};
  }
  return {nullptr, ErrorCode::not_leader_or_follower};
}

}  // namespace tern::server
