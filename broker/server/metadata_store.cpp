#include "broker/server/metadata_store.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "broker/base/bytes.h"
#include "broker/base/crc32c.h"
#include "sim/runtime/durable_file.h"

namespace tern::server {
namespace {

constexpr std::string_view kHeaderLine = "tern-metadata v1";
constexpr std::string_view kTempFile = "tern-metadata.tmp";

std::string hex_of(std::string_view s) {
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) out += fmt::format("{:02x}", c);
  return out;
}

Result<std::string> unhex(std::string_view hex) {
  if (hex.size() % 2 != 0) return Error(Errc::corrupt, "odd hex length");
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) return Error(Errc::corrupt, "bad hex");
    out += static_cast<char>(v);
  }
  return out;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < line.size()) {
    size_t sp = line.find(' ', start);
    if (sp == std::string_view::npos) sp = line.size();
    out.push_back(line.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

template <class T>
bool parse_int(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string join(const std::string& dir, std::string_view name) {
  return dir + "/" + std::string(name);
}

}  // namespace

std::string uuid_to_hex(const protocol::Uuid& id) {
  return hex_of(std::string_view(reinterpret_cast<const char*>(id.bytes.data()), 16));
}

Result<protocol::Uuid> uuid_from_hex(std::string_view hex) {
  auto raw = unhex(hex);
  if (!raw.ok() || raw.value().size() != 16) return Error(Errc::corrupt, "bad uuid");
  protocol::Uuid id;
  for (size_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<uint8_t>(raw.value()[i]);
  return id;
}

std::string uuid_to_base64(const protocol::Uuid& id) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (uint8_t b : id.bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 0x3f];
  TERN_ASSERT(out.size() == 22, "base64 of 16 bytes has 22 chars, got {}", out.size());
  return out;
}

std::string encode_metadata(const ClusterMetadata& m) {
  std::string out;
  out += fmt::format("{}\n", kHeaderLine);
  out += fmt::format("cluster_id {}\n", hex_of(m.cluster_id));
  out += fmt::format("next_producer_id {}\n", m.next_producer_id);
  for (const auto& [name, t] : m.topics) {
    TERN_ASSERT(name == t.name);
    out += fmt::format("topic {} {} {}\n", hex_of(t.name), uuid_to_hex(t.id), t.partitions);
    for (const auto& [k, v] : t.configs) {
      out += fmt::format("config {} {} {}\n", hex_of(t.name), hex_of(k), hex_of(v));
    }
  }
  out += fmt::format("crc {}\n", crc32c(as_bytes(out)));
  return out;
}

Result<ClusterMetadata> decode_metadata(std::string_view text) {
  // The crc line covers every byte before it.
  const size_t crc_pos = text.rfind("crc ");
  if (crc_pos == std::string_view::npos || (crc_pos > 0 && text[crc_pos - 1] != '\n')) {
    return Error(Errc::corrupt, "metadata: no crc line");
  }
  uint32_t stored = 0;
  std::string_view crc_text = text.substr(crc_pos + 4);
  if (!crc_text.empty() && crc_text.back() == '\n') crc_text.remove_suffix(1);
  if (!parse_int(crc_text, stored) || stored != crc32c(as_bytes(text.substr(0, crc_pos)))) {
    return Error(Errc::corrupt, "metadata: crc mismatch");
  }
  ClusterMetadata m;
  size_t start = 0;
  bool header = false;
  while (start < crc_pos) {
    size_t nl = text.find('\n', start);
    TERN_ASSERT(nl != std::string_view::npos && nl < crc_pos + 1);
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    if (!header) {
      if (line != kHeaderLine) return Error(Errc::corrupt, "metadata: bad header");
      header = true;
      continue;
    }
    auto w = words(line);
    if (w.empty()) return Error(Errc::corrupt, "metadata: empty line");
    if (w[0] == "cluster_id" && w.size() == 2) {
      auto id = unhex(w[1]);
      if (!id.ok()) return id.error();
      m.cluster_id = id.value();
    } else if (w[0] == "next_producer_id" && w.size() == 2) {
      if (!parse_int(w[1], m.next_producer_id)) return Error(Errc::corrupt, "bad producer id");
    } else if (w[0] == "topic" && w.size() == 4) {
      TopicMetadata t;
      auto name = unhex(w[1]);
      auto id = uuid_from_hex(w[2]);
      if (!name.ok() || !id.ok() || !parse_int(w[3], t.partitions) || t.partitions < 1) {
        return Error(Errc::corrupt, "metadata: bad topic line");
      }
      t.name = name.value();
      t.id = id.value();
      m.topics[t.name] = std::move(t);
    } else if (w[0] == "config" && w.size() == 4) {
      auto name = unhex(w[1]);
      auto key = unhex(w[2]);
      auto value = unhex(w[3]);
      if (!name.ok() || !key.ok() || !value.ok() || !m.topics.count(name.value())) {
        return Error(Errc::corrupt, "metadata: bad config line");
      }
      m.topics[name.value()].configs[key.value()] = value.value();
    } else {
      return Error(Errc::corrupt, fmt::format("metadata: unknown line '{}'", line));
    }
  }
  if (!header) return Error(Errc::corrupt, "metadata: empty");
  return m;
}

Result<ClusterMetadata> load_metadata(Disk& disk, const std::string& dir) {
  const std::string path = join(dir, kMetadataFile);
  if (!disk.exists(path)) return Error(Errc::not_found, path);
  auto file = disk.open(path, OpenMode::read_write);
  if (!file.ok()) return file.error();
  auto size = file.value()->size();
  if (!size.ok()) return size.error();
  if (size.value() > 64 * 1024 * 1024) return Error(Errc::corrupt, "metadata file too large");
  std::vector<uint8_t> buf(size.value());
  // A checksum failure may be one bad read (a bit flipped on the way from the disk), not bad
  // data on it: read again before declaring the metadata corrupt and refusing to start.
  Result<ClusterMetadata> decoded = Error(Errc::corrupt, "metadata: not read");
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto n = file.value()->pread(0, buf);
    if (!n.ok()) return n.error();
    if (n.value() != buf.size()) return Error(Errc::corrupt, "metadata: short read");
    decoded = decode_metadata(as_chars(buf));
    if (decoded.ok() || decoded.code() != Errc::corrupt) return decoded;
  }
  return decoded;
}

Status save_metadata(Disk& disk, const std::string& dir, const ClusterMetadata& m) {
  const std::string text = encode_metadata(m);
  TERN_TRY(disk.make_dirs(dir));
  return replace_file_durably(disk, dir, std::string(kMetadataFile), std::string(kTempFile),
                              as_bytes(text));
}

}  // namespace tern::server
