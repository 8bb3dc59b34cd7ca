#include "broker/log/segment.h"

#include <algorithm>
#include <fmt/format.h>

namespace tern {

namespace L = batch_layout;

namespace {

constexpr uint64_t kRecoveryReadBytes = 1 << 20;
// Recovery passes before an early stop is believed (see Segment::recover).
constexpr int kRecoveryPassesMax = 8;

// Reads exactly buf.size() bytes; a short read means the file shrank under us: corrupt.
Status read_exact(File& f, uint64_t offset, std::span<uint8_t> buf) {
  size_t done = 0;
  while (done < buf.size()) {
    auto n = f.pread(offset + done, buf.subspan(done));
    if (!n.ok()) return n.error();
    if (n.value() == 0)
      return Error(Errc::corrupt, fmt::format("{}: short read at {}", f.path(), offset + done));
    done += n.value();
  }
  return {};
}

uint32_t relative(Offset base, Offset o) {
  const int64_t d = o - base;
  TERN_ASSERT(d >= 0 && d <= INT32_MAX, "offset {} relative to segment {}", o, base);
  return static_cast<uint32_t>(d);
}

}  // namespace

std::string segment_file_name(Offset base, std::string_view suffix) {
  TERN_ASSERT(base.value() >= 0);
  return fmt::format("{:020d}{}", base.value(), suffix);
}

std::optional<Offset> parse_segment_file_name(std::string_view name, std::string_view suffix) {
  if (name.size() != 20 + suffix.size() || name.substr(20) != suffix) return std::nullopt;
  int64_t v = 0;
  for (size_t i = 0; i < 20; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (v > (INT64_MAX - (c - '0')) / 10) return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return Offset(v);
}

std::string Segment::path(std::string_view suffix) const {
  return dir_ + "/" + segment_file_name(base_, suffix);
}
std::string Segment::log_path() const { return path(kLogSuffix); }

Result<std::shared_ptr<Segment>> Segment::create(Disk& disk, const std::string& dir, Offset base,
                                                 const LogConfig& config, Instant now) {
  std::shared_ptr<Segment> s(new Segment(disk, dir, base, config, now));
  auto f = disk.open(s->path(kLogSuffix), OpenMode::create);
  if (!f.ok()) return f.error();
  s->log_ = std::move(f.value());
  // A leftover file of that name (a roll that failed half-way) holds nothing we keep.
  auto size = s->log_->size();
  if (!size.ok()) return size.error();
  if (size.value() != 0) TERN_TRY(s->log_->truncate(0));
  TERN_ASSERT(s->empty() && s->next_offset() == base);
  return s;
}

Result<std::shared_ptr<Segment>> Segment::open_and_recover(Disk& disk, const std::string& dir,
                                                           Offset base,
                                                           const LogConfig& config, Instant now,
                                                           SegmentRecovery& out) {
  std::shared_ptr<Segment> s(new Segment(disk, dir, base, config, now));
  auto f = disk.open(s->path(kLogSuffix), OpenMode::read_write);
  if (!f.ok()) return f.error();
  s->log_ = std::move(f.value());
  TERN_TRY(s->recover(out));
  return s;
}

void Segment::index_batch(const BatchHeader& h, uint64_t position) {
  TERN_ASSERT(h.base_offset == next_, "batch at {} appended to segment ending at {}",
              h.base_offset, next_);
  TERN_ASSERT(position == size_);
  // Kafka's LogSegment.append order: the max timestamp first, then maybe an index entry
  // pointing at this batch, then count its bytes.
  if (h.max_timestamp > max_timestamp_ || max_timestamp_ == kNoTimestamp) {
    max_timestamp_ = h.max_timestamp;
    offset_of_max_timestamp_ = h.last_offset();
  }
  if (bytes_since_index_ > static_cast<uint64_t>(config_.index_interval_bytes)) {
    offset_index_.append({relative(base_, h.last_offset()), static_cast<uint32_t>(position)});
    time_index_.maybe_append({max_timestamp_, relative(base_, offset_of_max_timestamp_)});
    bytes_since_index_ = 0;
  }
  bytes_since_index_ += h.size_bytes();
  size_ += h.size_bytes();
  next_ = h.next_offset();
}

Status Segment::append(ByteView batch, const BatchHeader& header) {
  TERN_ASSERT(header.base_offset == next_ && header.size_bytes() == batch.size());
  TERN_ASSERT(size_ + batch.size() <= static_cast<uint64_t>(kSegmentBytesMax),
              "segment {} would grow past int32 positions", base_);
  Status st = log_->append(batch);
  if (!st.ok()) {
    // The write may have landed partly (a real disk filling up mid-write): cut it off so
    // the file ends at a batch boundary again, and make the cut durable before anything
    // else is written. A flush may have made the partial bytes durable meanwhile; left
    // there, recovery after a power loss finds a torn batch inside the log and ends the log
    // at it, dropping later acknowledged segments (found by the simulator's short writes on
    // a full disk, produce-consume-2p seed 12).
    auto sz = log_->size();
    if (sz.ok() && sz.value() == size_) return st;
    if (sz.ok() && log_->truncate(size_).ok() && log_->fsync().ok()) return st;
    return Error(Errc::io_error, fmt::format("{}: cannot undo a failed append ({})",
                                             log_path(), st.error().message()));
  }
  index_batch(header, size_);
  return {};
}

Result<BatchLocation> Segment::read_location(uint64_t position) {
  uint8_t hdr[L::kMaxTimestamp + 8];
  TERN_TRY(read_exact(*log_, position, hdr));
  const int32_t length = load_be_i32(hdr + L::kBatchLength);
  const int32_t delta = load_be_i32(hdr + L::kLastOffsetDelta);
  // The bytes were validated when written or recovered; this guards against a bug or a
  // disk that changed them since.
  if (length < kBatchLengthMin || length > config_.batch_bytes_max || delta < 0)
    return Error(Errc::corrupt, fmt::format("{}: bad batch header at {}", log_path(), position));
  BatchLocation loc;
  loc.position = position;
  loc.size_bytes = static_cast<uint32_t>(L::kLogOverhead) + static_cast<uint32_t>(length);
  loc.base_offset = Offset(load_be_i64(hdr + L::kBaseOffset));
  loc.last_offset = loc.base_offset + delta;
  loc.max_timestamp = load_be_i64(hdr + L::kMaxTimestamp);
  return loc;
}

Result<std::optional<BatchLocation>> Segment::find_batch(Offset target, uint64_t size_limit) {
  // A truncation may have shrunk the segment while the caller was suspended.
  size_limit = std::min(size_limit, size_);
  uint64_t pos = 0;
  if (target > base_) {
    const int64_t rel = std::min<int64_t>(target - base_, UINT32_MAX);
    if (auto e = offset_index_.lookup(static_cast<uint32_t>(rel))) pos = e->position;
  }
  // The hint is a batch start at or below the target, past the index entry: scanning from it
  // finds the same batch. A stale hint (its batch is gone or moved) is simply not used.
  const ReadHint hint = read_hint_;
  if (hint.position != UINT64_MAX && hint.next <= target && hint.position > pos &&
      hint.position < size_limit) {
    auto at = read_location(hint.position);
    if (at.ok() && at->base_offset == hint.next) pos = hint.position;
  }
  while (pos < size_limit) {
    auto loc = read_location(pos);
    if (!loc.ok()) return loc.error();
    if (loc->last_offset >= target) {
      read_hint_ = {loc->last_offset + 1, pos + loc->size_bytes};
      return std::optional<BatchLocation>(loc.value());
    }
    pos += loc->size_bytes;
  }
  return std::optional<BatchLocation>();
}

Result<std::optional<BatchLocation>> Segment::find_timestamp(int64_t ts, uint64_t size_limit) {
  size_limit = std::min(size_limit, size_);
  uint64_t pos = 0;
  if (auto e = time_index_.lookup(ts)) {
    // Batches before the entry's batch all have smaller timestamps (it is the first batch
    // that reached e->timestamp), so the answer is at or after it.
    if (auto o = offset_index_.lookup(e->relative_offset)) pos = o->position;
  }
  while (pos < size_limit) {
    auto loc = read_location(pos);
    if (!loc.ok()) return loc.error();
    if (loc->max_timestamp >= ts) return std::optional<BatchLocation>(loc.value());
    pos += loc->size_bytes;
  }
  return std::optional<BatchLocation>();
}

Result<Bytes> Segment::read_batches(uint64_t position, uint64_t size_limit, uint64_t max_bytes,
                                    bool at_least_one) {
  size_limit = std::min(size_limit, size_);
  if (position >= size_limit) return Bytes{};
  const uint64_t avail = size_limit - position;
  uint64_t want = std::min(avail, max_bytes);
  if (at_least_one && avail > 0) {
    auto first = read_location(position);
    if (!first.ok()) return first.error();
    want = std::max<uint64_t>(want, std::min<uint64_t>(first->size_bytes, avail));
  }
  Bytes buf(want);
  TERN_TRY(read_exact(*log_, position, buf));
  // Cut at the last whole batch; the CRC was checked when the bytes were written or
  // recovered, and consumers check it again.
  BatchSplit split = split_batches(buf, {.parse = {.batch_bytes_max = config_.batch_bytes_max},
                                         .crc = CrcCheck::skip});
  if (split.error)
    return Error(Errc::corrupt,
                 fmt::format("{} at {}: {}", log_path(), position, split.error->message()));
  // Whole batches within max_bytes, the first one always: the first batch's length was read
  // twice (above and now), and a bit flipped in the first read must not stretch the answer
  // past the caller's bound (found by the consumer's KIP-74 check, admin-churn seed 66).
  size_t keep = 0;
  for (size_t i = 0; i < split.batches.size(); ++i) {
    const size_t size = split.batches[i].size_bytes();
    if (i > 0 && keep + size > max_bytes) break;
    keep += size;
  }
  TERN_ASSERT(keep <= split.valid_bytes, "kept {} of {} valid bytes", keep, split.valid_bytes);
  buf.resize(keep);
  // Two reads of the same bytes disagreed about the first batch's length: the disk returned
  // bad data once (a bit flip on read). An error, never an assertion: bad input is a value.
  if (at_least_one && avail > 0 && buf.empty())
    return Error(Errc::corrupt,
                 fmt::format("{} at {}: batch length changed between reads", log_path(), position));
  return buf;
}

Status Segment::recover(SegmentRecovery& out) {
  auto file_size = log_->size();
  if (!file_size.ok()) return file_size.error();
  const uint64_t end = file_size.value();
  // One pass over the file, validating batch by batch. A pass can stop early because the
  // bytes are bad on disk (a torn tail, real corruption) or because one read came back with
  // a flipped bit. The second kind must not truncate acknowledged data, so passes repeat
  // until two in a row stop at the same place (or the end): only a stable stop is trusted.
  uint64_t pos = 0;
  auto scan = [&]() -> Status {
    read_hint_ = {};
    size_ = 0;
    next_ = base_;
    max_timestamp_ = kNoTimestamp;
    bytes_since_index_ = 0;
    offset_index_.clear();
    time_index_.clear();
    out = {};

    Bytes window;
    uint64_t window_start = 0;
    // Makes [pos, pos + n) readable from `window`. REQUIRES: pos + n <= end.
    auto ensure = [&](uint64_t pos, uint64_t n) -> Status {
      if (pos >= window_start && pos + n <= window_start + window.size()) return {};
      window_start = pos;
      window.resize(std::min<uint64_t>(std::max<uint64_t>(n, kRecoveryReadBytes), end - pos));
      return read_exact(*log_, pos, window);
    };

    pos = 0;
    while (pos < end) {
      if (end - pos < L::kLogOverhead) {
        out.stop_reason = "torn batch header at the end";
        break;
      }
      TERN_TRY(ensure(pos, L::kLogOverhead));
      const int32_t length = load_be_i32(window.data() + (pos - window_start) + L::kBatchLength);
      if (length < kBatchLengthMin ||
          static_cast<int64_t>(L::kLogOverhead) + length > config_.batch_bytes_max) {
        out.stop_reason = fmt::format("bad batch length {}", length);
        break;
      }
      const uint64_t total = L::kLogOverhead + static_cast<uint64_t>(length);
      if (pos + total > end) {
        out.stop_reason = "torn batch at the end";
        break;
      }
      TERN_TRY(ensure(pos, total));
      ByteView bytes(window.data() + (pos - window_start), total);
      auto h = parse_batch_header(bytes, {.batch_bytes_max = config_.batch_bytes_max});
      if (!h.ok()) {
        out.stop_reason = h.error().message();
        break;
      }
      if (auto crc = verify_crc(h.value()); !crc.ok()) {
        out.stop_reason = crc.error().message();
        break;
      }
      // baseOffset is outside the CRC, so contiguity is its only check. (Compaction will
      // leave gaps; then this becomes "increasing".)
      if (h->base_offset != next_ || h->last_offset_delta < 0 ||
          h->last_offset() - base_ > INT32_MAX) {
        out.stop_reason = fmt::format("batch offsets {}..{} where {} was expected",
                                      h->base_offset, h->last_offset(), next_);
        break;
      }
      index_batch(h.value(), pos);
      ++out.batches;
      pos += total;
    }

    return {};
  };
  // Two passes agree when they stop at the same place for the same reason: a flipped bit
  // read twice in a row would otherwise look stable whenever it lands in the same batch (in
  // a one-batch segment, always), and truncate acknowledged data.
  uint64_t previous_stop = UINT64_MAX;
  std::string previous_reason;
  for (int pass = 0; pass < kRecoveryPassesMax; ++pass) {
    TERN_TRY(scan());
    if (pos == end || (pos == previous_stop && out.stop_reason == previous_reason)) break;
    previous_stop = pos;
    previous_reason = out.stop_reason;
  }
  TERN_ASSERT(pos == size_, "recovery position {} != size {}", pos, size_);
  out.valid_bytes = size_;
  out.truncated_bytes = end - size_;
  if (size_ < end) TERN_TRY(log_->truncate(size_));
  return {};
}

Result<Offset> Segment::truncate_to(Offset offset) {
  if (offset >= next_) return next_;
  uint64_t cut = 0;
  if (offset > base_) {
    auto loc = find_batch(offset, size_);
    if (!loc.ok()) return loc.error();
    TERN_ASSERT(loc->has_value(), "offset {} below next {} not found", offset, next_);
    cut = loc->value().position;
  }
  read_hint_ = {};
  TERN_TRY(log_->truncate(cut));
  // Rescanning rebuilds the indexes and the max timestamp of what is left exactly.
  SegmentRecovery r;
  TERN_TRY(recover(r));
  TERN_ASSERT(size_ == cut && next_ <= offset, "truncate to {} left {} bytes, next {}", offset,
              size_, next_);
  return next_;
}

Status Segment::fsync() { return log_->fsync(); }

Status Segment::rewrite_in_place() {
  // Batch-aligned windows, each verified before it is written back: copying a read that
  // came back with a flipped bit would turn a transient error into lasting corruption.
  Bytes window;
  uint64_t pos = 0;
  Offset expect = base_;  // base offsets are outside the CRC: contiguity is their check
  while (pos < size_) {
    const uint64_t want = std::min<uint64_t>(
        std::max<uint64_t>(kRecoveryReadBytes, static_cast<uint64_t>(config_.batch_bytes_max)),
        size_ - pos);
    size_t valid = 0;
    for (int attempt = 0; attempt < kRecoveryPassesMax && valid == 0; ++attempt) {
      window.resize(want);
      TERN_TRY(read_exact(*log_, pos, window));
      BatchSplit split =
          split_batches(window, {.parse = {.batch_bytes_max = config_.batch_bytes_max},
                                 .crc = CrcCheck::verify});
      if (split.error) continue;
      Offset next = expect;
      bool lined_up = true;
      for (const auto& b : split.batches) {
        lined_up &= b.base_offset == next;
        next = b.next_offset();
      }
      if (!lined_up) continue;
      valid = split.valid_bytes;
      expect = next;
    }
    if (valid == 0)
      return Error(Errc::corrupt,
                   fmt::format("{} at {}: unreadable while rewriting", log_path(), pos));
    TERN_TRY(log_->pwrite(pos, std::span<const uint8_t>(window.data(), valid)));
    pos += valid;
  }
  return {};
}

Status Segment::write_indexes() {
  Bytes idx, tidx;
  for (const auto& e : offset_index_.entries()) append_bytes(idx, OffsetIndex::encode(e));
  for (const auto& e : time_index_.entries()) append_bytes(tidx, TimeIndex::encode(e));
  for (auto [suffix, bytes] : {std::pair{kIndexSuffix, &idx}, std::pair{kTimeIndexSuffix, &tidx}}) {
    auto f = disk_.open(path(suffix), OpenMode::create);
    if (!f.ok()) return f.error();
    TERN_TRY(f.value()->truncate(0));
    if (!bytes->empty()) TERN_TRY(f.value()->append(*bytes));
    TERN_TRY(f.value()->fsync());
  }
  return {};
}

Status Segment::remove_files() {
  TERN_TRY(disk_.remove(path(kLogSuffix)));
  for (auto suffix : {kIndexSuffix, kTimeIndexSuffix}) {
    Status st = disk_.remove(path(suffix));
    if (!st.ok() && st.code() != Errc::not_found) return st;
  }
  return {};
}

}  // namespace tern
