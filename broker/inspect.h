#pragma once
// Read-only hooks for invariant checkers and tests (scenarios may include this and
// broker/server/broker.h, never other broker internals). Nothing here changes broker state.
//
// Suspension: partition_records() reads the log from disk, so it must run in a task of the
// broker's own node (the same Runtime). The other calls do not suspend.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/controller/metadata_image.h"
#include "broker/raft/raft_node.h"
#include "broker/server/broker.h"
#include "sim/runtime/result.h"

namespace tern::inspect {

struct PartitionView {
  std::string topic;
  int32_t partition = 0;
  int64_t log_start_offset = 0;
  int64_t log_end_offset = 0;   // next offset to be assigned
  int64_t high_watermark = 0;   // what consumers may read (== durable offset when
                                // tern.flush.durable, else the log end offset)
  int64_t durable_offset = 0;   // everything below is fsynced
  std::string role;             // "leader", "follower" or "none" (this node's replica)
  int32_t leader_epoch = 0;
};

// Cluster state comes from the broker's applied MetadataImage; partitions (logs, HW) from its
// ReplicaManager: only the replicas this node holds.

// Topic names, sorted. Empty before run() has recovered the metadata.
std::vector<std::string> topics(const server::Broker& broker);
// Partition count, or nullopt for an unknown topic.
std::optional<int32_t> partition_count(const server::Broker& broker, const std::string& topic);
// nullopt for an unknown topic/partition.
std::optional<PartitionView> partition(const server::Broker& broker, const std::string& topic,
                                       int32_t partition);
// Every partition replica on this node, ordered by (topic, partition).
std::vector<PartitionView> partitions(const server::Broker& broker);
// The cluster id (stable across restarts); empty before recovery.
std::string cluster_id(const server::Broker& broker);
// The node's applied metadata (an immutable version: safe to hold across suspensions).
controller::MetadataImagePtr metadata_image(const server::Broker& broker);
// A fingerprint of an image's content (its epoch left out: a snapshot records its own), for
// checkers comparing two nodes' images at one offset.
uint32_t image_fingerprint(const controller::MetadataImage& image);
// The node's replica of the metadata quorum (Raft state, log entries for invariant
// checkers); nullptr in the implicit one-node mode or before run() started it.
const raft::RaftNode* raft_node(const server::Broker& broker);

// Concatenated RecordBatch v2 bytes (offsets assigned) from `from` up to the high watermark
// (or the log end when `include_unstable`), at most `max_bytes` past the first batch.
// Errors: not_found for an unknown partition or an offset outside the log.
Result<Bytes> partition_records(server::Broker& broker, const std::string& topic,
                                int32_t partition, int64_t from, uint64_t max_bytes,
                                bool include_unstable = false);

}  // namespace tern::inspect
