#include "broker/server/meta_properties.h"

#include <charconv>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "broker/base/bytes.h"
#include "broker/server/config.h"
#include "broker/server/metadata_store.h"
#include "sim/runtime/durable_file.h"

namespace tern::server {
namespace {

constexpr std::string_view kTempFile = "meta.properties.tmp";
// A meta.properties is a few hundred bytes; anything far larger is not one.
constexpr uint64_t kFileBytesMax = 64 * 1024;
constexpr std::string_view kFormatHint =
    "run `tern storage format --cluster-id ID --config server.properties`";

std::string join_path(const std::string& dir, std::string_view name) {
  return dir + "/" + std::string(name);
}

int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

Error corrupt(std::string why) { return Error(Errc::corrupt, std::move(why)); }

// Durably creates `dir`: make_dirs, then fsync of every ancestor, so each new name survives.
Status make_dir_durable(Disk& disk, const std::string& dir) {
  if (disk.exists(dir)) return {};
  TERN_TRY(disk.make_dirs(dir));
  std::string parent;
  size_t start = 0;
  while (true) {
    TERN_TRY(disk.fsync_dir(parent));
    const size_t slash = dir.find('/', start);
    if (slash == std::string::npos) break;
    parent = dir.substr(0, slash);
    start = slash + 1;
  }
  return {};
}

Result<StorageDirInfo> inspect_dir(Disk& disk, const std::string& dir) {
  StorageDirInfo info;
  info.dir = dir;
  if (!disk.exists(dir)) {
    info.state = DirState::missing;
    return info;
  }
  auto meta = read_meta_properties(disk, dir);
  if (meta.ok()) {
    info.state = DirState::formatted;
    info.meta = std::move(meta.value());
    return info;
  }
  if (meta.code() == Errc::corrupt) {
    info.state = DirState::corrupt;
    info.problem = meta.error().context();
    return info;
  }
  if (meta.code() != Errc::not_found) return meta.error();
  auto legacy = load_metadata(disk, dir);
  if (legacy.ok()) {
    info.state = DirState::legacy;
    info.legacy_cluster_id = legacy.value().cluster_id;
    return info;
  }
  if (legacy.code() == Errc::corrupt) {
    info.state = DirState::corrupt;
    info.problem = fmt::format("{} in {} is corrupt: {}", kMetadataFile, dir,
                               legacy.error().context());
    return info;
  }
  if (legacy.code() != Errc::not_found) return legacy.error();
  info.state = DirState::unformatted;
  return info;
}

std::string new_directory_id(Rng& rng) { return uuid_to_base64(random_kafka_uuid(rng)); }

// The checks shared by check_storage and auto_format_if_unformatted, once every dir has an
// identity: one cluster, this node, distinct directory ids.
Status check_identities(const std::vector<StorageDirInfo>& dirs, const BrokerConfig& config,
                        std::string& cluster_id_out) {
  const StorageDirInfo* first = nullptr;
  std::map<std::string, std::string> directory_ids;  // id -> dir
  for (const StorageDirInfo& d : dirs) {
    if (d.state == DirState::corrupt) return corrupt(d.problem);
    TERN_ASSERT(d.state == DirState::formatted || d.state == DirState::legacy);
    const std::string& id = d.state == DirState::formatted ? d.meta.cluster_id
                                                           : d.legacy_cluster_id;
    if (first == nullptr) {
      first = &d;
      cluster_id_out = id;
    } else if (id != cluster_id_out) {
      return Error(Errc::invalid_argument,
                   fmt::format("meta.properties cluster.id {} in {} does not match cluster.id "
                               "{} in {}", id, d.dir, cluster_id_out, first->dir));
    }
    if (d.state != DirState::formatted) continue;
    if (d.meta.node_id != config.node_id) {
      return Error(Errc::invalid_argument,
                   fmt::format("node.id mismatch in {} (meta.properties says {}, config says "
                               "{})", d.dir, d.meta.node_id, config.node_id));
    }
    if (d.meta.directory_id.empty()) continue;
    auto [it, fresh] = directory_ids.emplace(d.meta.directory_id, d.dir);
    if (!fresh) {
      return Error(Errc::invalid_argument,
                   fmt::format("directory.id {} is in both {} and {} (a copied log dir?)",
                               d.meta.directory_id, it->second, d.dir));
    }
  }
  TERN_ASSERT(first != nullptr);
  TERN_ASSERT(!cluster_id_out.empty());
  return {};
}

// Writes meta.properties where it is missing (legacy, missing and unformatted dirs) or lacks
// a directory.id; the others are left alone. The callers decided that each may be written.
Status complete_storage(Disk& disk, Rng& rng, const BrokerConfig& config,
                        std::vector<StorageDirInfo>& dirs, const std::string& cluster_id) {
  for (StorageDirInfo& d : dirs) {
    if (d.state == DirState::formatted && !d.meta.directory_id.empty()) continue;
    MetaProperties meta;
    if (d.state == DirState::formatted) meta = d.meta;
    meta.version = 1;
    meta.cluster_id = cluster_id;
    meta.node_id = config.node_id;
    meta.directory_id = new_directory_id(rng);
    TERN_TRY(write_meta_properties(disk, d.dir, meta));
    d.state = DirState::formatted;
    d.meta = std::move(meta);
  }
  return {};
}

}  // namespace

// ---- uuids ---------------------------------------------------------------------------

Result<protocol::Uuid> uuid_from_base64(std::string_view text) {
  if (text.size() != 22) {
    return Error(Errc::invalid_argument,
                 fmt::format("'{}' has {} characters, a uuid has 22", text, text.size()));
  }
  protocol::Uuid id;
  uint32_t acc = 0;
  int bits = 0;
  size_t out = 0;
  for (char c : text) {
    const int v = base64url_value(c);
    if (v < 0) {
      return Error(Errc::invalid_argument,
                   fmt::format("'{}' has '{}', which is not base64url (A-Z a-z 0-9 - _)", text,
                               c));
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      TERN_ASSERT(out < 16);
      id.bytes[out++] = static_cast<uint8_t>(acc >> bits);
      acc &= (1u << bits) - 1;
    }
  }
  TERN_ASSERT(out == 16 && bits == 4, "22 base64 chars are 16 bytes and 4 bits");
  if (acc != 0) {
    return Error(Errc::invalid_argument,
                 fmt::format("'{}' is not canonical base64url of 16 bytes (last character)",
                             text));
  }
  TERN_ASSERT(uuid_to_base64(id) == text);
  return id;
}

Status validate_cluster_id(std::string_view id) {
  auto r = uuid_from_base64(id);
  if (!r.ok()) {
    return Error(Errc::invalid_argument,
                 fmt::format("cluster id {} is not a valid uuid: {} (make one with `tern storage "
                             "random-uuid`)", id, r.error().context()));
  }
  if (r.value().is_zero()) {
    return Error(Errc::invalid_argument, fmt::format("cluster id {} is the zero uuid", id));
  }
  return {};
}

bool is_usable_random_uuid(const protocol::Uuid& id) {
  protocol::Uuid metadata_topic_id;
  metadata_topic_id.bytes[15] = 1;
  // The first base64 character holds the top 6 bits: 62 is '-'.
  const bool dash = (id.bytes[0] >> 2) == 62;
  return !id.is_zero() && !(id == metadata_topic_id) && !dash;
}

protocol::Uuid random_kafka_uuid(Rng& rng) {
  while (true) {
    protocol::Uuid id;
    for (size_t i = 0; i < 16; i += 8) {
      const uint64_t v = rng.next_u64();
      for (size_t k = 0; k < 8; ++k) id.bytes[i + k] = static_cast<uint8_t>(v >> (8 * k));
    }
    if (is_usable_random_uuid(id)) return id;
  }
}

// ---- the file ------------------------------------------------------------------------

std::string encode_meta_properties(const MetaProperties& meta) {
  TERN_ASSERT(meta.version == 1, "tern writes meta.properties version 1, not {}", meta.version);
  TERN_ASSERT(!meta.cluster_id.empty());
  TERN_ASSERT(meta.node_id >= 0);
  // java.util.Properties.store writes a comment line and a date line first; the keys sorted
  // (Kafka's order varies with its hash map; readers do not care).
  std::string out = "#\n#Written by tern storage format\n";
  out += fmt::format("cluster.id={}\n", meta.cluster_id);
  if (!meta.directory_id.empty()) out += fmt::format("directory.id={}\n", meta.directory_id);
  out += fmt::format("node.id={}\n", meta.node_id);
  out += fmt::format("version={}\n", meta.version);
  return out;
}

Result<MetaProperties> decode_meta_properties(std::string_view text) {
  std::map<std::string, std::string, std::less<>> props;
  int line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    const std::string_view line = trim_blanks(text.substr(start, nl - start));
    start = nl + 1;
    ++line_no;
    if (line.empty() || line.front() == '#' || line.front() == '!') continue;
    const size_t sep = line.find_first_of("=:");
    if (sep == std::string_view::npos) {
      return corrupt(fmt::format("line {} is not key=value", line_no));
    }
    props[std::string(trim_blanks(line.substr(0, sep)))] =
        std::string(trim_blanks(line.substr(sep + 1)));
  }
  auto get = [&](std::string_view key) -> std::optional<std::string> {
    auto it = props.find(key);
    if (it == props.end()) return std::nullopt;
    return it->second;
  };
  MetaProperties meta;
  const auto version = get("version");
  if (!version) return corrupt("no version");
  if (!parse_int(*version, meta.version)) return corrupt("version is not a number");
  if (meta.version != 1) {
    return corrupt(fmt::format("version {} is not supported (tern reads KRaft's version 1; "
                               "version 0 is a ZooKeeper-mode broker's)", meta.version));
  }
  const auto cluster_id = get("cluster.id");
  if (!cluster_id || cluster_id->empty()) return corrupt("no cluster.id");
  meta.cluster_id = *cluster_id;
  const auto node_id = get("node.id");
  if (!node_id) return corrupt("no node.id");
  if (!parse_int(*node_id, meta.node_id) || meta.node_id < 0) {
    return corrupt(fmt::format("node.id '{}' is not a node id", *node_id));
  }
  if (const auto dir_id = get("directory.id")) {
    if (!uuid_from_base64(*dir_id).ok()) {
      return corrupt(fmt::format("directory.id '{}' is not a uuid", *dir_id));
    }
    meta.directory_id = *dir_id;
  }
  return meta;
}

Result<MetaProperties> read_meta_properties(Disk& disk, const std::string& dir) {
  const std::string path = join_path(dir, kMetaPropertiesFile);
  if (!disk.exists(path)) return Error(Errc::not_found, path);
  auto file = disk.open(path, OpenMode::read_write);
  if (!file.ok()) return file.error();
  auto size = file.value()->size();
  if (!size.ok()) return size.error();
  if (size.value() > kFileBytesMax) {
    return corrupt(fmt::format("meta.properties in {} is corrupt: {} bytes", dir, size.value()));
  }
  std::vector<uint8_t> buf(size.value());
  auto n = file.value()->pread(0, buf);
  if (!n.ok()) return n.error();
  if (n.value() != buf.size()) return corrupt(fmt::format("{}: short read", path));
  auto meta = decode_meta_properties(as_chars(buf));
  if (!meta.ok()) {
    return corrupt(fmt::format("meta.properties in {} is corrupt: {}", dir,
                               meta.error().context()));
  }
  return meta;
}

Status write_meta_properties(Disk& disk, const std::string& dir, const MetaProperties& meta) {
  const std::string text = encode_meta_properties(meta);
  TERN_ASSERT(decode_meta_properties(text).ok());
  TERN_TRY(make_dir_durable(disk, dir));
  return replace_file_durably(disk, dir, std::string(kMetaPropertiesFile),
                              std::string(kTempFile), as_bytes(text));
}

// ---- a node's storage ----------------------------------------------------------------

std::string_view dir_state_name(DirState state) {
  switch (state) {
    case DirState::missing: return "missing";
    case DirState::unformatted: return "unformatted";
    case DirState::formatted: return "formatted";
    case DirState::legacy: return "legacy";
    case DirState::corrupt: return "corrupt";
  }
  TERN_ASSERT(false, "unknown DirState {}", static_cast<int>(state));
  return "";
}

Result<std::vector<StorageDirInfo>> inspect_storage(Disk& disk, const BrokerConfig& config) {
  std::vector<StorageDirInfo> out;
  for (const std::string& dir : config.storage_dirs()) {
    auto info = inspect_dir(disk, dir);
    if (!info.ok()) return info.error();
    out.push_back(std::move(info.value()));
  }
  TERN_ASSERT(!out.empty());
  return out;
}

Result<FormatResult> format_storage(Disk& disk, Rng& rng, const BrokerConfig& config,
                                    std::string_view cluster_id, IgnoreFormatted ignore) {
  TERN_TRY(validate_cluster_id(cluster_id));
  auto dirs = inspect_storage(disk, config);
  if (!dirs.ok()) return dirs.error();
  // Check every dir before writing any, so a refused format leaves the disk as it was.
  for (const StorageDirInfo& d : dirs.value()) {
    switch (d.state) {
      case DirState::missing:
      case DirState::unformatted:
        break;
      case DirState::corrupt:
        return corrupt(d.problem);
      case DirState::legacy:
        return Error(Errc::exists,
                     fmt::format("log directory {} holds an older tern's data (cluster.id {}); "
                                 "`tern broker` adopts it on start, no format needed",
                                 d.dir, d.legacy_cluster_id));
      case DirState::formatted:
        if (ignore == IgnoreFormatted::no) {
          return Error(Errc::exists,
                       fmt::format("log directory {} is already formatted. Use "
                                   "--ignore-formatted to ignore this directory and format the "
                                   "others.", d.dir));
        }
        if (d.meta.cluster_id != cluster_id) {
          return Error(Errc::invalid_argument,
                       fmt::format("log directory {} is formatted for cluster.id {}, not {}",
                                   d.dir, d.meta.cluster_id, cluster_id));
        }
        if (d.meta.node_id != config.node_id) {
          return Error(Errc::invalid_argument,
                       fmt::format("node.id mismatch in {} (meta.properties says {}, config "
                                   "says {})", d.dir, d.meta.node_id, config.node_id));
        }
        break;
    }
  }
  FormatResult result;
  for (const StorageDirInfo& d : dirs.value()) {
    if (d.state == DirState::formatted) {
      result.skipped.push_back(d.dir);
      continue;
    }
    MetaProperties meta;
    meta.cluster_id = std::string(cluster_id);
    meta.node_id = config.node_id;
    meta.directory_id = new_directory_id(rng);
    TERN_TRY(write_meta_properties(disk, d.dir, meta));
    result.formatted.push_back(d.dir);
  }
  TERN_ASSERT(result.formatted.size() + result.skipped.size() == dirs.value().size());
  return result;
}

Status check_storage(Disk& disk, Rng& rng, const BrokerConfig& config,
                     std::string& cluster_id_out) {
  auto dirs = inspect_storage(disk, config);
  if (!dirs.ok()) return dirs.error();
  bool legacy = false;
  for (const StorageDirInfo& d : dirs.value()) legacy = legacy || d.state == DirState::legacy;
  for (StorageDirInfo& d : dirs.value()) {
    if (d.state != DirState::missing && d.state != DirState::unformatted) continue;
    // An older tern used only its first log dir: the rest of an adopted node is new.
    if (legacy) continue;
    return Error(Errc::not_found, fmt::format("{} is not formatted: {}", d.dir, kFormatHint));
  }
  if (legacy) {
    // Adopt the older tern's cluster: its id must be the only one, then every dir gets it.
    std::vector<StorageDirInfo> known;
    for (const StorageDirInfo& d : dirs.value()) {
      if (d.state != DirState::missing && d.state != DirState::unformatted) known.push_back(d);
    }
    TERN_TRY(check_identities(known, config, cluster_id_out));
  } else {
    TERN_TRY(check_identities(dirs.value(), config, cluster_id_out));
  }
  TERN_TRY(complete_storage(disk, rng, config, dirs.value(), cluster_id_out));
  return check_identities(dirs.value(), config, cluster_id_out);
}

Status auto_format_if_unformatted(Disk& disk, Rng& rng, const BrokerConfig& config,
                                  std::string& cluster_id_out) {
  auto dirs = inspect_storage(disk, config);
  if (!dirs.ok()) return dirs.error();
  std::vector<StorageDirInfo> known;
  for (const StorageDirInfo& d : dirs.value()) {
    if (d.state != DirState::missing && d.state != DirState::unformatted) known.push_back(d);
  }
  if (known.empty()) {
    cluster_id_out = uuid_to_base64(random_kafka_uuid(rng));
    TERN_ASSERT(validate_cluster_id(cluster_id_out).ok());
  } else {
    TERN_TRY(check_identities(known, config, cluster_id_out));
  }
  TERN_TRY(complete_storage(disk, rng, config, dirs.value(), cluster_id_out));
  return check_identities(dirs.value(), config, cluster_id_out);
}

}  // namespace tern::server
