#pragma once
// The cluster metadata of a one-node cluster (cluster id, topics, their partition counts,
// ids and config overrides, the producer-id counter), persisted in one small file
// `<data dir>/tern-metadata`. Saved by write-to-temp, fsync, rename, fsync of the directory:
// after save() returns the new content survives a crash, and a crash during save() leaves
// the old content (never a mix). A CRC-32C line at the end catches a damaged file.
//
// When the controller issue lands this becomes the applied state of the metadata log.
#include <cstdint>
#include <map>
#include <string>

#include "broker/protocol/wire.h"
#include "sim/runtime/disk.h"
#include "sim/runtime/result.h"

namespace tern::server {

struct TopicMetadata {
  std::string name;
  protocol::Uuid id;
  int32_t partitions = 0;
  std::map<std::string, std::string> configs;  // topic-level overrides only
  bool operator==(const TopicMetadata&) const = default;
};

struct ClusterMetadata {
  std::string cluster_id;
  int64_t next_producer_id = 0;
  std::map<std::string, TopicMetadata> topics;  // by name
  bool operator==(const ClusterMetadata&) const = default;
};

inline constexpr std::string_view kMetadataFile = "tern-metadata";

// Text form (one record per line, values hex-escaped where they may hold anything).
std::string encode_metadata(const ClusterMetadata& m);
Result<ClusterMetadata> decode_metadata(std::string_view text);

// nullopt-like: Errc::not_found when the file does not exist (a fresh data dir).
Result<ClusterMetadata> load_metadata(Disk& disk, const std::string& dir);
Status save_metadata(Disk& disk, const std::string& dir, const ClusterMetadata& m);

// Kafka-style ids: 22 characters of URL-safe base64 (no padding) of 16 bytes.
std::string uuid_to_base64(const protocol::Uuid& id);
std::string uuid_to_hex(const protocol::Uuid& id);
Result<protocol::Uuid> uuid_from_hex(std::string_view hex);

}  // namespace tern::server
