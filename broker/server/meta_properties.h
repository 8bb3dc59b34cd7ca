#pragma once
// Storage identity, as Kafka's KRaft mode keeps it: every log dir (and the metadata log dir)
// holds a `meta.properties` naming the cluster and the node it belongs to, written once by
// `tern storage format` (kafka-storage.sh format) and checked at every start, so a node never
// serves a directory of another cluster or another node.
//
// The file is Kafka's, byte-compatible in content (java.util.Properties text, version 1):
//   #
//   #Written by tern storage format
//   cluster.id=MkU3OEVBNTcwNTJENDM2Qg
//   directory.id=2Qk8S9M5S0y1B2oSfDh2_g
//   node.id=1
//   version=1
// It is replaced by write-temp + fsync + rename + fsync-dir on the runtime Disk: after a
// write returns the new content survives a crash; a crash during it leaves the old file.
//
// Data dirs of older tern versions hold `tern-metadata` (with a cluster id) and no
// meta.properties: they count as formatted with that cluster id, and check_storage writes
// their meta.properties on the first start.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "broker/protocol/wire.h"
#include "broker/server/config.h"
#include "sim/runtime/disk.h"
#include "sim/runtime/result.h"
#include "sim/runtime/rng.h"

namespace tern::server {

inline constexpr std::string_view kMetaPropertiesFile = "meta.properties";
// What `tern storage format` reports per dir, where kafka-storage.sh prints its feature level
// ("with metadata.version 3.7-IV4"): tern's metadata records have one version so far.
inline constexpr std::string_view kMetadataVersion = "tern-1";

struct MetaProperties {
  int32_t version = 1;
  std::string cluster_id;
  int32_t node_id = -1;
  std::string directory_id;  // base64url uuid; "" when absent (Kafka before 3.7 wrote none)
  bool operator==(const MetaProperties&) const = default;
};

// ---- Kafka uuids (cluster.id, directory.id): 22 characters of base64url of 16 bytes ------

// The 16 bytes of a canonical Kafka uuid string; Errc::invalid_argument otherwise.
Result<protocol::Uuid> uuid_from_base64(std::string_view text);
// One line saying why `id` is not a valid cluster id, or ok.
Status validate_cluster_id(std::string_view id);
// A fresh uuid from `rng` as Kafka's Uuid.randomUuid makes them: never the zero or the
// metadata-topic uuid, and its text never starts with '-' (it would read as a CLI flag).
protocol::Uuid random_kafka_uuid(Rng& rng);
// The rule random_kafka_uuid draws until: not zero, not the metadata-topic uuid, no '-' first.
bool is_usable_random_uuid(const protocol::Uuid& id);

// ---- the file ------------------------------------------------------------------------

std::string encode_meta_properties(const MetaProperties& meta);
// Errc::corrupt with the reason: a line without '=', a missing or bad version/node.id/
// cluster.id, a directory.id that is not a uuid. Comments and unknown keys are skipped.
Result<MetaProperties> decode_meta_properties(std::string_view text);

// Errc::not_found when `dir` has no meta.properties; Errc::corrupt (naming the dir) when it
// does not decode.
Result<MetaProperties> read_meta_properties(Disk& disk, const std::string& dir);
// Creates `dir` (durably) if missing, then replaces its meta.properties atomically.
Status write_meta_properties(Disk& disk, const std::string& dir, const MetaProperties& meta);

// ---- what a node's storage holds -----------------------------------------------------

enum class DirState : uint8_t {
  missing,      // the directory does not exist
  unformatted,  // it exists, with neither meta.properties nor tern-metadata
  formatted,    // meta.properties decoded (in `meta`)
  legacy,       // an older tern's data dir: tern-metadata with `legacy_cluster_id`
  corrupt,      // meta.properties (or tern-metadata) does not decode (`problem`)
};
std::string_view dir_state_name(DirState state);

struct StorageDirInfo {
  std::string dir;
  DirState state = DirState::missing;
  MetaProperties meta;            // formatted
  std::string legacy_cluster_id;  // legacy
  std::string problem;            // corrupt
};

// Every dir of config.storage_dirs(), in order. Fails only on a disk error.
Result<std::vector<StorageDirInfo>> inspect_storage(Disk& disk, const BrokerConfig& config);

enum class IgnoreFormatted : bool { no, yes };

struct FormatResult {
  std::vector<std::string> formatted;  // dirs that got a meta.properties now
  std::vector<std::string> skipped;    // already formatted for this cluster and node
};

// kafka-storage.sh format: writes meta.properties (this cluster id, config.node_id, a fresh
// directory.id from `rng`) into every storage dir, creating the dirs. Errors: the cluster id
// is not a valid uuid; a dir is already formatted (unless IgnoreFormatted::yes, which skips
// dirs formatted for the same cluster and node and still refuses a foreign one); a corrupt
// meta.properties; a disk error. Nothing is written unless every dir passes the checks.
Result<FormatResult> format_storage(Disk& disk, Rng& rng, const BrokerConfig& config,
                                    std::string_view cluster_id,
                                    IgnoreFormatted ignore = IgnoreFormatted::no);

// At startup of a formatted (KRaft) node: every storage dir must be formatted for one
// cluster and for config.node_id. Sets cluster_id_out. One-line errors:
//   "<dir> is not formatted: run `tern storage format --cluster-id ID --config
//    server.properties`"
//   "meta.properties cluster.id X in <dir> does not match cluster.id Y in <dir0>"
//   "node.id mismatch in <dir> (meta.properties says 2, config says 3)"
//   "meta.properties in <dir> is corrupt: <why>"
// Older tern data dirs (tern-metadata, no meta.properties) pass with their cluster id; their
// meta.properties is written then (so are missing directory.ids), with ids from `rng`.
Status check_storage(Disk& disk, Rng& rng, const BrokerConfig& config,
                     std::string& cluster_id_out);

// For tern's implicit one-node cluster (no process.roles; `tern broker` without arguments):
// storage nobody formatted formats itself with a random cluster id from `rng`; dirs missing
// beside formatted ones are formatted with that cluster's id; then the same checks as
// check_storage. Sets cluster_id_out.
Status auto_format_if_unformatted(Disk& disk, Rng& rng, const BrokerConfig& config,
                                  std::string& cluster_id_out);

}  // namespace tern::server
