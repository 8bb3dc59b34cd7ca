#include "broker/raft/quorum_state.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

#include "broker/base/bytes.h"
#include "broker/base/crc32c.h"
#include "sim/runtime/durable_file.h"

namespace tern::raft {

namespace {

constexpr const char* kFile = "quorum-state";
constexpr const char* kTempFile = "quorum-state.tmp";

bool parse_i64(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::string QuorumStateStore::encode(const ElectionState& st) {
  std::string out = "version 1\n";
  out += fmt::format("epoch {}\n", st.epoch);
  out += fmt::format("voted {}\n", st.voted_id.value_or(-1));
  out += fmt::format("leader {}\n", st.leader_id.value_or(-1));
  out += fmt::format("crc {}\n", crc32c(as_bytes(out)));
  return out;
}

Result<ElectionState> QuorumStateStore::decode(std::string_view text) {
  const size_t crc_pos = text.rfind("crc ");
  if (crc_pos == std::string_view::npos || (crc_pos > 0 && text[crc_pos - 1] != '\n'))
    return Error(Errc::corrupt, "quorum-state: no crc line");
  std::string_view crc_text = text.substr(crc_pos + 4);
  if (!crc_text.empty() && crc_text.back() == '\n') crc_text.remove_suffix(1);
  int64_t stored = 0;
  if (!parse_i64(crc_text, stored) || stored != crc32c(as_bytes(text.substr(0, crc_pos))))
    return Error(Errc::corrupt, "quorum-state: crc mismatch");
  std::vector<std::pair<std::string_view, int64_t>> lines;
  size_t start = 0;
  while (start < crc_pos) {
    const size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl - start);
    start = nl + 1;
    const size_t sp = line.find(' ');
    int64_t v = 0;
    if (sp == std::string_view::npos || !parse_i64(line.substr(sp + 1), v))
      return Error(Errc::corrupt, fmt::format("quorum-state: bad line '{}'", line));
    lines.emplace_back(line.substr(0, sp), v);
  }
  if (lines.size() != 4 || lines[0] != std::pair<std::string_view, int64_t>{"version", 1} ||
      lines[1].first != "epoch" || lines[2].first != "voted" || lines[3].first != "leader")
    return Error(Errc::corrupt, "quorum-state: unexpected fields");
  ElectionState st;
  if (lines[1].second < 0 || lines[1].second > INT32_MAX)
    return Error(Errc::corrupt, "quorum-state: bad epoch");
  st.epoch = static_cast<int32_t>(lines[1].second);
  if (lines[2].second >= 0) st.voted_id = static_cast<int32_t>(lines[2].second);
  if (lines[3].second >= 0) st.leader_id = static_cast<int32_t>(lines[3].second);
  return st;
}

Result<ElectionState> QuorumStateStore::read() {
  const std::string path = dir_ + "/" + kFile;
  if (!disk_.exists(path)) return ElectionState{};
  auto file = disk_.open(path, OpenMode::read_write);
  if (!file.ok()) return file.error();
  auto size = file.value()->size();
  if (!size.ok()) return size.error();
  if (size.value() > 4096) return Error(Errc::corrupt, "quorum-state: too large");
  Bytes buf(size.value());
  auto n = file.value()->pread(0, buf);
  if (!n.ok()) return n.error();
  buf.resize(n.value());
  return decode(as_chars(buf));
}

Status QuorumStateStore::write(const ElectionState& st) {
  const std::string text = encode(st);
  return replace_file_durably(disk_, dir_, kFile, kTempFile, as_bytes(text));
}

}  // namespace tern::raft
