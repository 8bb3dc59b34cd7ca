#include "broker/raft/raft_log.h"

#include <charconv>

#include <fmt/format.h>

#include "broker/base/crc32c.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "sim/runtime/durable_file.h"

namespace tern::raft {

namespace {

constexpr std::string_view kSnapshotMagic = "TERNSNAP";
constexpr uint32_t kSnapshotVersion = 1;
constexpr size_t kSnapshotHeaderBytes = 8 + 4 + 8 + 4 + 8;  // magic version end epoch length
constexpr std::string_view kSnapshotSuffix = ".checkpoint";
constexpr std::string_view kPartSuffix = ".part";

void put_be(Bytes& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t get_be(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

Bytes encode_snapshot_file(SnapshotId id, ByteView data) {
  Bytes out(kSnapshotMagic.begin(), kSnapshotMagic.end());
  put_be(out, kSnapshotVersion, 4);
  put_be(out, static_cast<uint64_t>(id.end_offset.value()), 8);
  put_be(out, static_cast<uint32_t>(id.epoch), 4);
  put_be(out, data.size(), 8);
  out.insert(out.end(), data.begin(), data.end());
  put_be(out, crc32c(out), 4);
  TERN_ASSERT(out.size() == kSnapshotHeaderBytes + data.size() + 4);
  return out;
}

Result<std::pair<SnapshotId, Bytes>> decode_snapshot_file(ByteView f) {
  if (f.size() < kSnapshotHeaderBytes + 4) return Error(Errc::corrupt, "snapshot: too short");
  if (as_chars(f.subspan(0, 8)) != kSnapshotMagic) return Error(Errc::corrupt, "snapshot: magic");
  if (get_be(f.data() + 8, 4) != kSnapshotVersion) return Error(Errc::corrupt, "snapshot: version");
  SnapshotId id{Offset(static_cast<int64_t>(get_be(f.data() + 12, 8))),
                static_cast<int32_t>(get_be(f.data() + 20, 4))};
  const uint64_t len = get_be(f.data() + 24, 8);
  if (len != f.size() - kSnapshotHeaderBytes - 4) return Error(Errc::corrupt, "snapshot: length");
  const uint32_t stored = static_cast<uint32_t>(get_be(f.data() + f.size() - 4, 4));
  if (stored != crc32c(f.subspan(0, f.size() - 4))) return Error(Errc::corrupt, "snapshot: crc");
  if (id.end_offset.value() < 0 || id.epoch < 0) return Error(Errc::corrupt, "snapshot: id");
  return std::pair{id, to_bytes(f.subspan(kSnapshotHeaderBytes, len))};
}

std::string snapshot_file_name(SnapshotId id) {
  return fmt::format("{:020}-{:010}{}", id.end_offset.value(), id.epoch, kSnapshotSuffix);
}

std::optional<SnapshotId> parse_snapshot_file_name(std::string_view name) {
  if (name.size() != 20 + 1 + 10 + kSnapshotSuffix.size() || name[20] != '-' ||
      name.substr(31) != kSnapshotSuffix)
    return std::nullopt;
  int64_t end = 0;
  int32_t epoch = 0;
  auto a = std::from_chars(name.data(), name.data() + 20, end);
  auto b = std::from_chars(name.data() + 21, name.data() + 31, epoch);
  if (a.ec != std::errc() || a.ptr != name.data() + 20 || b.ec != std::errc() ||
      b.ptr != name.data() + 31)
    return std::nullopt;
  return SnapshotId{Offset(end), epoch};
}

Result<std::unique_ptr<RaftLog>> RaftLog::open(Runtime& rt, const RaftConfig& config) {
  LogConfig lc;
  lc.segment_bytes = config.segment_bytes;
  lc.retention_ms = -1;
  lc.retention_bytes = -1;
  auto log = PartitionLog::open(rt, config.data_dir, kMetadataTopic, kMetadataPartition, lc);
  if (!log.ok()) return log.error();
  std::unique_ptr<RaftLog> r(new RaftLog(rt, log.value()->dir()));
  r->log_ = std::move(log.value());
  TERN_TRY(r->load_snapshot());
  if (r->snapshot_) {
    const SnapshotId s = *r->snapshot_;
    TERN_TRY(r->rebuild_index());
    // The log must continue the snapshot: it reaches end_offset - 1 with the same epoch.
    const bool continues = s.end_offset == Offset(0) ||
                           (r->log_->log_start_offset() < s.end_offset &&
                            r->end_offset() >= s.end_offset &&
                            r->log_epoch_of(s.end_offset - 1) == s.epoch);
    if (!continues && !(r->log_->log_start_offset() == s.end_offset)) {
      TERN_TRY(r->log_->reset_to(s.end_offset));
    }
    r->start_ = s.end_offset;
  }
  TERN_TRY(r->rebuild_index());
  TERN_TRY(r->trim_prefix());
  rt.trace("raft.log.open", {{"start", r->start_.value()},
                             {"end", r->end_offset().value()},
                             {"snapshot", r->snapshot_ ? r->snapshot_->end_offset.value() : -1}});
  return r;
}

RaftLog::~RaftLog() = default;

Status RaftLog::close() { return log_ ? log_->close() : Status{}; }

Status RaftLog::load_snapshot() {
  auto names = rt_.disk().list(dir_);
  if (!names.ok()) return names.error();
  std::vector<SnapshotId> ids;
  for (const auto& n : names.value()) {
    if (n.size() > kPartSuffix.size() && n.substr(n.size() - kPartSuffix.size()) == kPartSuffix) {
      (void)rt_.disk().remove(dir_ + "/" + n);  // an interrupted write
      continue;
    }
    if (auto id = parse_snapshot_file_name(n)) ids.push_back(*id);
  }
  std::sort(ids.begin(), ids.end());
  // Newest valid one wins; a corrupt one is reported and skipped (an older one, or the log,
  // still holds that history: snapshots only ever cover committed entries).
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    const std::string path = dir_ + "/" + snapshot_file_name(*it);
    auto f = rt_.disk().open(path, OpenMode::read_write);
    if (!f.ok()) return f.error();
    auto size = f.value()->size();
    if (!size.ok()) return size.error();
    Bytes buf(size.value());
    auto n = f.value()->pread(0, buf);
    if (!n.ok()) return n.error();
    buf.resize(n.value());
    auto decoded = decode_snapshot_file(buf);
    if (!decoded.ok() || decoded->first != *it) {
      rt_.trace(Severity::warn, "raft.snapshot.corrupt", {{"file", snapshot_file_name(*it)}});
      continue;
    }
    snapshot_ = *it;
    snapshot_file_ = std::move(buf);
    return {};
  }
  return {};
}

void RaftLog::index_batches(ByteView batches) {
  BatchSplit split = split_batches(batches, SplitOptions{.parse = {}, .crc = CrcCheck::skip});
  TERN_ASSERT(!split.error && split.partial_bytes == 0, "log batches must parse");
  for (const BatchHeader& h : split.batches) {
    const int32_t epoch = h.partition_leader_epoch.value();
    TERN_ASSERT(entries_.empty() || entries_.back().last.next() == h.base_offset,
                "raft log offsets contiguous: {} then {}", entries_.back().last,
                h.base_offset);
    TERN_ASSERT(entries_.empty() || entries_.back().epoch <= epoch,
                "raft log epochs monotonic: {} then {}", entries_.back().epoch, epoch);
    if (entries_.empty() || entries_.back().epoch != epoch) epoch_starts_[epoch] = h.base_offset;
    entries_.push_back(EntryInfo{h.base_offset, h.last_offset(), epoch, crc32c(h.bytes),
                                 h.is_control()});
  }
}

Status RaftLog::rebuild_index() {
  // The index is what later reads are checked against (read()), so it must not come from a
  // read with a flipped bit: the log is read twice and both copies must agree (a bit flip on
  // a read is rare and independent; the same flip twice is not a read error but the data).
  for (int attempt = 0;; ++attempt) {
    Bytes first, second;
    TERN_TRY(read_all(first));
    TERN_TRY(read_all(second));
    if (first == second) {
      entries_.clear();
      epoch_starts_.clear();
      if (!first.empty()) index_batches(first);
      return {};
    }
    if (attempt == 4) {
      return Error(Errc::corrupt, "metadata log " + dir_ + " reads differently every time");
    }
  }
}

Status RaftLog::read_all(Bytes& out) {
  Offset at = log_->log_start_offset();
  while (at < end_offset()) {
    auto bytes = log_->read(at, 1 << 20);
    if (!bytes.ok()) return bytes.error();
    TERN_ASSERT(!bytes->empty());
    BatchSplit split =
        split_batches(bytes.value(), SplitOptions{.parse = {}, .crc = CrcCheck::skip});
    if (split.error || split.batches.empty()) {
      return Error(Errc::corrupt, fmt::format("metadata log {} unreadable at {}", dir_, at));
    }
    const Offset next = split.batches.back().next_offset();
    if (next <= at) return Error(Errc::corrupt, fmt::format("metadata log {} at {}", dir_, at));
    out.insert(out.end(), bytes->begin(), bytes->end());
    at = next;
  }
  return {};
}

Status RaftLog::trim_prefix() {
  while (!entries_.empty() && entries_.front().base < start_) {
    TERN_ASSERT(entries_.front().last < start_, "snapshot ends inside a batch");
    entries_.pop_front();
  }
  // The epoch cache starts at the log start: earlier epochs are the snapshot's business.
  epoch_starts_.clear();
  for (const EntryInfo& e : entries_)
    if (epoch_starts_.empty() || epoch_starts_.rbegin()->first != e.epoch)
      epoch_starts_[e.epoch] = e.base;
  auto deleted = log_->delete_segments_below(start_);
  if (!deleted.ok()) return deleted.error();
  return {};
}

int32_t RaftLog::last_epoch() const {
  if (!entries_.empty()) return entries_.back().epoch;
  return snapshot_ ? snapshot_->epoch : 0;
}

std::optional<int32_t> RaftLog::epoch_of(Offset offset) const {
  if (auto e = log_epoch_of(offset)) return e;
  if (snapshot_ && offset == snapshot_->end_offset - 1) return snapshot_->epoch;
  return std::nullopt;
}

std::optional<int32_t> RaftLog::log_epoch_of(Offset offset) const {
  if (entries_.empty() || offset < entries_.front().base || offset > entries_.back().last)
    return std::nullopt;
  // Binary search on the batch index (ordered by base).
  size_t lo = 0, hi = entries_.size();
  while (hi - lo > 1) {
    const size_t mid = (lo + hi) / 2;
    if (entries_[mid].base <= offset) lo = mid; else hi = mid;
  }
  TERN_ASSERT(entries_[lo].base <= offset && offset <= entries_[lo].last);
  return entries_[lo].epoch;
}

EpochEnd RaftLog::end_offset_for_epoch(int32_t epoch) const {
  auto it = epoch_starts_.upper_bound(epoch);
  if (it != epoch_starts_.begin()) {
    auto found = std::prev(it);
    const Offset end = it == epoch_starts_.end() ? end_offset() : it->second;
    return EpochEnd{found->first, end};
  }
  // Nothing in the log at or below `epoch`: the snapshot may know.
  if (snapshot_ && snapshot_->epoch <= epoch) {
    const Offset end = epoch_starts_.empty() ? end_offset() : epoch_starts_.begin()->second;
    return EpochEnd{snapshot_->epoch, end};
  }
  if (!snapshot_ && entries_.empty() && epoch >= 0) return EpochEnd{0, Offset(0)};
  return EpochEnd{};
}

Result<Offset> RaftLog::append_as_leader(const std::vector<Bytes>& values, int32_t epoch,
                                         bool control, const Bytes& control_key) {
  TERN_ASSERT(epoch >= last_epoch(), "leader epoch {} below the log's {}", epoch, last_epoch());
  TERN_ASSERT(!values.empty());
  BatchOptions opts;
  opts.base_offset = end_offset();
  opts.partition_leader_epoch = LeaderEpoch(epoch);
  opts.control = control;
  RecordBatchBuilder b(opts);
  const int64_t ts = rt_.wall_now().unix_ms;
  for (const Bytes& v : values) {
    b.add(ts, control ? std::optional<ByteView>(control_key) : std::nullopt, ByteView(v));
  }
  auto batch = std::move(b).build();
  if (!batch.ok()) return Error(Errc::invalid_argument, "raft batch too large");
  // Index the batch as built (its base offset and epoch are the ones the log keeps), not
  // as read back: a read can fail (a flipped bit) after the append succeeded, and the index
  // would then miss an entry the log holds.
  const Bytes built = batch.value();
  auto r = log_->append(std::move(batch.value()), LeaderEpoch(epoch));
  if (!r.ok()) return r.error();
  TERN_ASSERT(r->base_offset == opts.base_offset, "raft append at {}, expected {}",
              r->base_offset, opts.base_offset);
  index_batches(built);
  TERN_ASSERT(entries_.back().last == r->last_offset && entries_.back().epoch == epoch);
  return r->last_offset;
}

Result<Offset> RaftLog::append_as_follower(ByteView batches) {
  BatchSplit split = split_batches(batches);
  if (split.error) return Error(Errc::corrupt, "fetched batch: " + split.error->message());
  for (const BatchHeader& h : split.batches) {
    TERN_ASSERT(h.base_offset == end_offset(), "follower append at {}, log end {}",
                h.base_offset, end_offset());
    if (h.partition_leader_epoch.value() < last_epoch())
      return Error(Errc::corrupt, "fetched batch epoch goes backwards");
    auto r = log_->append(to_bytes(h.bytes), h.partition_leader_epoch);
    if (!r.ok()) return r.error();
    TERN_ASSERT(r->base_offset == h.base_offset && r->last_offset == h.last_offset());
    index_batches(h.bytes);
  }
  return end_offset();
}

Status RaftLog::truncate_to(Offset offset) {
  TERN_ASSERT(offset >= start_, "truncate to {} below log start {}", offset, start_);
  if (offset >= end_offset()) return {};
  auto r = log_->truncate_to(offset);
  if (!r.ok()) return r.error();
  TERN_ASSERT(r.value() == offset, "raft truncation not at a batch boundary: {} -> {}", offset,
              r.value());
  while (!entries_.empty() && entries_.back().base >= offset) entries_.pop_back();
  while (!epoch_starts_.empty() && epoch_starts_.rbegin()->second >= offset)
    epoch_starts_.erase(std::prev(epoch_starts_.end()));
  return {};
}

Result<Bytes> RaftLog::read(Offset offset, uint64_t max_bytes) {
  TERN_ASSERT(offset >= start_);
  auto bytes = log_->read(offset, max_bytes);
  if (!bytes.ok()) return bytes;
  // Each batch must be the one indexed at append: the CRC a batch carries leaves out its
  // base offset and leader epoch, and a bit flipped there on a read (a disk fault) would
  // hand a follower or the applier a wrong epoch (quorum-3-combined seed 592: a follower
  // told to truncate below its high watermark). A mismatch is a failed read; callers retry.
  BatchSplit split = split_batches(bytes.value(), SplitOptions{.parse = {}, .crc = CrcCheck::skip});
  auto it = std::lower_bound(entries_.begin(), entries_.end(), offset,
                             [](const EntryInfo& e, Offset o) { return e.last < o; });
  for (const BatchHeader& h : split.batches) {
    if (it == entries_.end() || it->base != h.base_offset ||
        it->epoch != h.partition_leader_epoch.value() || it->hash != crc32c(h.bytes)) {
      return Error(Errc::corrupt, fmt::format("metadata log batch at {} differs from what was "
                                              "appended (read error)", h.base_offset));
    }
    ++it;
  }
  return bytes;
}

Result<Bytes> RaftLog::snapshot_data() const {
  if (!snapshot_) return Error(Errc::not_found, "no snapshot");
  auto d = decode_snapshot_file(snapshot_file_);
  if (!d.ok()) return d.error();
  return std::move(d->second);
}

Status RaftLog::write_snapshot_file(SnapshotId id, const Bytes& file) {
  const std::string name = snapshot_file_name(id);
  TERN_TRY(replace_file_durably(rt_.disk(), dir_, name, name + std::string(kPartSuffix), file));
  snapshot_ = id;
  snapshot_file_ = file;
  return {};
}

Status RaftLog::remove_older_snapshots() {
  auto names = rt_.disk().list(dir_);
  if (!names.ok()) return names.error();
  for (const auto& n : names.value()) {
    auto id = parse_snapshot_file_name(n);
    if (id && snapshot_ && *id < *snapshot_) TERN_TRY(rt_.disk().remove(dir_ + "/" + n));
  }
  return {};
}

Status RaftLog::write_snapshot(SnapshotId id, ByteView data) {
  TERN_ASSERT(!snapshot_ || id.end_offset >= snapshot_->end_offset);
  TERN_ASSERT(id.end_offset <= end_offset());
  TERN_ASSERT(id.end_offset == Offset(0) || epoch_of(id.end_offset - 1) == id.epoch,
              "snapshot {} epoch {} disagrees with the log", id.end_offset, id.epoch);
  if (snapshot_ && *snapshot_ == id) return {};
  TERN_TRY(write_snapshot_file(id, encode_snapshot_file(id, data)));
  start_ = std::max(start_, id.end_offset);
  TERN_TRY(trim_prefix());
  TERN_TRY(remove_older_snapshots());
  rt_.trace("raft.snapshot.taken", {{"end", id.end_offset.value()}, {"epoch", id.epoch},
                                    {"bytes", data.size()}});
  return {};
}

Status RaftLog::install_snapshot(ByteView file) {
  auto decoded = decode_snapshot_file(file);
  if (!decoded.ok()) return decoded.error();
  const SnapshotId id = decoded->first;
  TERN_ASSERT(!snapshot_ || id.end_offset >= snapshot_->end_offset);
  const bool log_agrees =
      id.end_offset <= end_offset() && id.end_offset > start_ &&
      epoch_of(id.end_offset - 1) == id.epoch;
  TERN_TRY(write_snapshot_file(id, to_bytes(file)));
  if (log_agrees) {
    start_ = id.end_offset;
    TERN_TRY(trim_prefix());
  } else {
    // The log does not continue this snapshot: KIP-630 says start over right after it.
    TERN_TRY(log_->reset_to(id.end_offset));
    start_ = id.end_offset;
    entries_.clear();
    epoch_starts_.clear();
  }
  TERN_TRY(remove_older_snapshots());
  rt_.trace("raft.snapshot.installed", {{"end", id.end_offset.value()}, {"epoch", id.epoch},
                                        {"kept_log", log_agrees ? 1 : 0}});
  return {};
}

}  // namespace tern::raft
