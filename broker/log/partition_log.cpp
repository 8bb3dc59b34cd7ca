#include "broker/log/partition_log.h"

#include <algorithm>
#include <fmt/format.h>

namespace tern {

namespace {
constexpr size_t kRewriteSegmentsOnOpen = 2;
}  // namespace

PartitionLog::PartitionLog(Runtime& rt, std::string dir, std::string topic, int32_t partition,
                           const LogConfig& config)
    : rt_(rt), dir_(std::move(dir)), topic_(std::move(topic)), partition_(partition),
      config_(config), write_mutex_(rt), flusher_wake_(rt), durable_changed_(rt),
      alive_(std::make_shared<bool>(true)) {
  // BUGGIFY knobs (README): an index entry per batch, or almost none (lookups then scan the
  // segment from its start); time-based rolls every quarter second.
  config_.index_interval_bytes =
      rt_.buggify_value<int64_t>("log.index.dense", config_.index_interval_bytes, 0);
  config_.index_interval_bytes =
      rt_.buggify_value<int64_t>("log.index.sparse", config_.index_interval_bytes, INT32_MAX);
  config_.segment_ms = rt_.buggify_value<int64_t>("log.roll.short_ms", config_.segment_ms, 250);
  TERN_ASSERT(config_.segment_bytes > 0 && config_.segment_bytes <= kSegmentBytesMax,
              "segment.bytes {}", config_.segment_bytes);
  TERN_ASSERT(config_.index_interval_bytes >= 0 && config_.flush_messages > 0 &&
              config_.flush_ms >= 0);
}

PartitionLog::~PartitionLog() {
  // Normally close() stopped the flusher. When a crash unwinds the node, the flusher (newer)
  // was unwound first; otherwise it must never touch this object again.
  *alive_ = false;
  if (flusher_.valid() && !flusher_.done()) flusher_.cancel();
}

Result<std::unique_ptr<PartitionLog>> PartitionLog::open(Runtime& rt,
                                                         const std::string& log_dir,
                                                         const std::string& topic,
                                                         int32_t partition,
                                                         const LogConfig& config) {
  if (topic.empty() || topic.find('/') != std::string::npos || partition < 0)
    return Error(Errc::invalid_argument, fmt::format("bad partition {}-{}", topic, partition));
  const std::string dir =
      (log_dir.empty() ? std::string() : log_dir + "/") + fmt::format("{}-{}", topic, partition);
  std::unique_ptr<PartitionLog> log(new PartitionLog(rt, dir, topic, partition, config));
  TERN_TRY(log->make_dir_durable());
  TERN_TRY(log->recover());
  PartitionLog* self = log.get();
  log->flusher_ = rt.spawn("log-flusher " + dir, [self, alive = log->alive_] {
    self->flusher_loop(alive);
  });
  return log;
}

Status PartitionLog::make_dir_durable() {
  Disk& disk = rt_.disk();
  TERN_TRY(disk.make_dirs(dir_));
  // Each new directory name is durable only after its parent is fsynced: walk from the root.
  std::string parent;
  size_t start = 0;
  while (true) {
    TERN_TRY(disk.fsync_dir(parent));
    const size_t slash = dir_.find('/', start);
    if (slash == std::string::npos) break;
    parent = dir_.substr(0, slash);
    start = slash + 1;
  }
  return {};
}

Status PartitionLog::recover() {
  Disk& disk = rt_.disk();
  auto names = disk.list(dir_);
  if (!names.ok()) return names.error();
  std::vector<Offset> bases;  // sorted: names are sorted and zero-padded
  for (const auto& n : names.value())
    if (auto b = parse_segment_file_name(n, kLogSuffix)) bases.push_back(*b);
  TERN_ASSERT(std::is_sorted(bases.begin(), bases.end()));

  bool dir_changed = false;
  bool cut = false;  // a segment lost its tail: everything after it goes
  for (const Offset base : bases) {
    if (cut || (!segments_.empty() && base != active()->next_offset())) {
      // After a torn or lost tail (or a gap: an older segment's unsynced tail vanished while
      // a newer one's survived) later data is not a prefix of what was written.
      recovery_.reasons.push_back(fmt::format("segment {} dropped: follows a gap", base));
      for (auto suffix : {kLogSuffix, kIndexSuffix, kTimeIndexSuffix}) {
        Status st = disk.remove(dir_ + "/" + segment_file_name(base, suffix));
        if (!st.ok() && st.code() != Errc::not_found) return st;
      }
      ++recovery_.removed_segments;
      dir_changed = true;
      cut = true;
      continue;
    }
    SegmentRecovery r;
    auto seg = Segment::open_and_recover(disk, dir_, base, config_, rt_.now(), r);
    if (!seg.ok()) return seg.error();
    ++recovery_.segments;
    recovery_.batches += r.batches;
    if (r.truncated_bytes > 0) {
      recovery_.truncated_bytes += r.truncated_bytes;
      recovery_.reasons.push_back(fmt::format("segment {}: cut {} bytes at {}: {}", base,
                                              r.truncated_bytes, r.valid_bytes, r.stop_reason));
      rt_.trace(Severity::warn, "log.recovery_truncated",
                {{"dir", dir_}, {"segment", base.value()}, {"at", r.valid_bytes},
                 {"bytes", r.truncated_bytes}, {"reason", r.stop_reason}});
      cut = true;
    }
    segments_[base] = std::move(seg.value());
  }
  // Index files without a segment (left by a deletion cut short) are stale.
  for (const auto& n : names.value()) {
    for (auto suffix : {kIndexSuffix, kTimeIndexSuffix}) {
      auto b = parse_segment_file_name(n, suffix);
      if (b && !segments_.count(*b)) {
        Status st = disk.remove(dir_ + "/" + n);
        if (!st.ok() && st.code() != Errc::not_found) return st;  // dropped segments' are gone
        dir_changed = true;
      }
    }
  }
  if (segments_.empty()) {
    auto seg = Segment::create(disk, dir_, Offset(0), config_, rt_.now());
    if (!seg.ok()) return seg.error();
    segments_[Offset(0)] = std::move(seg.value());
  }
  // What survived may still sit only in the page cache (a process crash, not a power loss):
  // make it durable before acknowledging anything built on it. An fsync alone is not enough
  // after a failed one: Linux marks the pages whose writeback failed clean ("fsyncgate"), so
  // they are readable yet never reach the disk, and a later fsync skips them. Rewriting the
  // bytes dirties them again. Only the newest segments can hold such pages (older ones were
  // fsynced when they rolled, and a failed roll fsync fails the log), so the last two are
  // rewritten; older segments only get the fsync.
  size_t from_end = segments_.size();
  for (auto& [base, seg] : segments_) {
    const bool newest = from_end-- <= kRewriteSegmentsOnOpen;
    if (newest || rt_.buggify("log.recovery.rewrite_all")) TERN_TRY(seg->rewrite_in_place());
    TERN_TRY(seg->fsync());
    TERN_TRY(seg->write_indexes());
  }
  (void)dir_changed;  // index files may have been created: fsync the directory regardless
  TERN_TRY(disk.fsync_dir(dir_));
  end_ = active()->next_offset();
  durable_ = end_;
  rt_.trace("log.open", {{"dir", dir_},
                         {"start", log_start_offset().value()},
                         {"end", end_.value()},
                         {"segments", segments_.size()},
                         {"truncated_bytes", recovery_.truncated_bytes}});
  return {};
}

Offset PartitionLog::log_start_offset() const {
  TERN_ASSERT(!segments_.empty());
  return segments_.begin()->first;
}

uint64_t PartitionLog::size_bytes() const {
  uint64_t total = 0;
  for (const auto& [b, s] : segments_) total += s->size_bytes();
  return total;
}

std::vector<Offset> PartitionLog::segment_bases() const {
  std::vector<Offset> out;
  for (const auto& [b, s] : segments_) out.push_back(b);
  return out;
}

const Segment* PartitionLog::segment(Offset base) const {
  auto it = segments_.find(base);
  return it == segments_.end() ? nullptr : it->second.get();
}

void PartitionLog::fail(const Error& e) {
  if (failed_) return;
  failed_ = true;
  rt_.trace(Severity::warn, "log.failed", {{"dir", dir_}, {"error", e.message()}});
  flusher_wake_.notify_all();
  durable_changed_.notify_all();
  if (on_failure_) on_failure_(e);
}

bool PartitionLog::should_roll(uint64_t batch_bytes, Offset last_offset, Instant now) const {
  const auto& seg = *active();
  if (seg.empty()) return false;
  if (seg.size_bytes() + batch_bytes > static_cast<uint64_t>(config_.segment_bytes)) return true;
  if ((now - seg.created_at()).to_millis() >= config_.segment_ms) return true;
  // Index entries hold offsets relative to the segment's base as u32 (int32 in Kafka).
  return last_offset - seg.base_offset() > INT32_MAX;
}

Status PartitionLog::roll(Instant now) {
  auto old = active();
  TERN_ASSERT(!old->empty() && old->next_offset() == end_);
  TERN_TRY(old->write_indexes());
  auto seg = Segment::create(rt_.disk(), dir_, end_, config_, now);
  if (!seg.ok()) return seg.error();
  // The new name must be durable before any data in it can be acknowledged.
  Status st = rt_.disk().fsync_dir(dir_);
  if (!st.ok()) {
    fail(st.error());
    return st;
  }
  segments_[end_] = std::move(seg.value());
  rt_.trace(Severity::debug, "log.roll", {{"dir", dir_}, {"base", end_.value()}});
  // Kafka flushes the finished segment in the background at roll time.
  flush_wanted_ = true;
  flusher_wake_.notify_all();
  return {};
}

Result<AppendResult> PartitionLog::append(Bytes batch, std::optional<LeaderEpoch> epoch) {
  {
    auto h = parse_batch_header(batch, {.batch_bytes_max = config_.batch_bytes_max});
    if (!h.ok()) return Error(Errc::invalid_argument, "append: " + h.error().message());
    if (h->size_bytes() != batch.size())
      return Error(Errc::invalid_argument, "append: not exactly one batch");
  }
  MutexLock lock(write_mutex_);
  if (!lock.owns()) return Errc::cancelled;
  if (closed_) return Error(Errc::closed, dir_);
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  const Instant now = rt_.now();
  const Offset base = end_;
  AppendResult result;
  set_base_offset(batch, base);
  if (epoch) set_partition_leader_epoch(batch, *epoch);
  if (config_.message_timestamp_type == MessageTimestampType::log_append_time) {
    result.log_append_time = rt_.wall_now().unix_ms;
    set_max_timestamp(batch, TimestampType::log_append_time, result.log_append_time);
  }
  auto h = parse_batch_header(batch, {.batch_bytes_max = config_.batch_bytes_max});
  TERN_ASSERT(h.ok() && h->base_offset == base);
  // BUGGIFY: a roll before segment.bytes is reached (any size is a legal segment).
  if (should_roll(batch.size(), h->last_offset(), now) ||
      (!active()->empty() && rt_.buggify("log.roll.early")))
    TERN_TRY(roll(now));
  Status st = active()->append(batch, h.value());
  if (!st.ok()) {
    if (st.code() != Errc::no_space) fail(st.error());
    return st.error();
  }
  end_ = h->next_offset();
  TERN_ASSERT(end_ == active()->next_offset() && end_ > durable_);
  result.base_offset = base;
  result.last_offset = h->last_offset();
  unflushed_records_ += std::max<int32_t>(h->record_count, 1);
  if (first_unflushed_at_.is_never()) {
    first_unflushed_at_ = now;
    if (config_.flush_ms != INT64_MAX) flusher_rearm_ = true;
  }
  if (unflushed_records_ >= config_.flush_messages) flush_wanted_ = true;
  // BUGGIFY: an fsync right behind this append (flush.messages=1 for a moment).
  if (rt_.buggify("log.append.flush_now")) flush_wanted_ = true;
  if (flush_wanted_ || flusher_rearm_) flusher_wake_.notify_all();
  return result;
}

Result<Bytes> PartitionLog::read(Offset offset, uint64_t max_bytes) {
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  const Offset start = log_start_offset();
  if (offset < start || offset > end_)
    return Error(Errc::not_found, fmt::format("offset {} out of range [{}, {}] of {}", offset,
                                              start, end_, dir_));
  if (offset == end_) return Bytes{};
  // BUGGIFY: a short read, only the first batch (the contract promises at least one).
  if (rt_.buggify("log.read.short")) max_bytes = 1;
  // The segment holding `offset`, then later ones if it fell into a gap. Copies of the
  // pointers keep segments alive if retention drops them meanwhile.
  std::vector<std::shared_ptr<Segment>> segs;
  for (auto it = std::prev(segments_.upper_bound(offset)); it != segments_.end(); ++it)
    segs.push_back(it->second);
  for (auto& seg : segs) {
    const uint64_t limit = seg->size_bytes();
    auto loc = seg->find_batch(offset, limit);
    if (!loc.ok()) return loc.error();
    if (loc->has_value()) {
      auto bytes = seg->read_batches(loc->value().position, limit, max_bytes,
                                     /*at_least_one=*/true);
      if (!bytes.ok()) return bytes;
      TERN_TRY(verify_read(offset, bytes.value()));
      return bytes;
    }
  }
  // offset < end_, so some batch holds it: not finding one means the scan read bad bytes.
  return Error(Errc::corrupt, fmt::format("{}: no batch found for offset {} below end {}", dir_,
                                          offset, end_));
}

Status PartitionLog::verify_read(Offset offset, const Bytes& bytes) const {
  // Bytes read back are checked before anyone is served them: a bit flipped on the way from
  // the disk is caught by the CRC, and one in the header fields the CRC does not cover (base
  // offset, length) by the offsets no longer lining up. The caller answers with a retriable
  // storage error; the next read usually comes back clean.
  const BatchSplit split = split_batches(ByteView(bytes.data(), bytes.size()));
  if (split.error || split.batches.empty())
    return Error(Errc::corrupt, fmt::format("{}: corrupt batch read at offset {}", dir_, offset));
  Offset expect = split.batches.front().base_offset;
  if (expect > offset || split.batches.front().last_offset() < offset)
    return Error(Errc::corrupt, fmt::format("{}: batch read for offset {} starts at {}", dir_,
                                            offset, expect));
  for (const auto& b : split.batches) {
    if (b.base_offset != expect || b.last_offset() >= end_)
      return Error(Errc::corrupt,
                   fmt::format("{}: batch at {} where {} was expected", dir_, b.base_offset,
                               expect));
    expect = b.next_offset();
  }
  return {};
}

Result<std::optional<TimestampOffset>> PartitionLog::offset_for_timestamp(int64_t ts) {
  std::vector<std::shared_ptr<Segment>> segs;
  for (auto& [b, s] : segments_)
    if (s->max_timestamp() >= ts && !s->empty()) segs.push_back(s);
  for (auto& seg : segs) {
    auto loc = seg->find_timestamp(ts, seg->size_bytes());
    if (!loc.ok()) return loc.error();
    if (loc->has_value())
      return std::optional<TimestampOffset>(
          TimestampOffset{loc->value().base_offset, loc->value().max_timestamp});
  }
  return std::optional<TimestampOffset>();
}

Status PartitionLog::wait_durable(Offset offset, Deadline deadline) {
  if (offset < durable_) return {};
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  if (closed_) return Error(Errc::closed, dir_);
  if (offset >= end_)
    return Error(Errc::invalid_argument, fmt::format("wait_durable({}) past end {}", offset, end_));
  flush_wanted_ = true;
  flusher_wake_.notify_all();
  TERN_TRY(durable_changed_.wait_until(
      [&] { return durable_ > offset || failed_ || closed_ || offset >= end_; }, deadline));
  if (durable_ > offset) return {};
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  if (offset >= end_) return Error(Errc::not_found, fmt::format("offset {} truncated", offset));
  return Error(Errc::closed, dir_);
}

void PartitionLog::flusher_loop(std::shared_ptr<bool> alive) {
  while (true) {
    // The log may already be gone: the task can first run after its owner freed the log.
    if (!*alive) return;
    flusher_rearm_ = false;
    Deadline deadline = Instant::never();
    if (config_.flush_ms != INT64_MAX && !first_unflushed_at_.is_never())
      deadline = first_unflushed_at_ + Duration::millis(config_.flush_ms);
    // `alive` first: the log may have been destroyed while this task was runnable but not yet
    // running (close() woke it, then the owner freed the log); then no member may be read.
    Status st = flusher_wake_.wait_until(
        [&] { return !*alive || flush_wanted_ || flusher_rearm_ || closed_ || failed_; },
        deadline);
    if (!*alive || st.code() == Errc::cancelled) return;
    if (closed_ || failed_) return;
    if (flusher_rearm_ && !flush_wanted_) continue;  // a new flush.ms deadline
    flush_wanted_ = false;
    if (end_ <= durable_) continue;
    // BUGGIFY: a group commit that starts a little late gathers more appends (and keeps
    // acks=all producers waiting longer).
    if (rt_.buggify("log.flush.delay")) {
      Status d = rt_.sleep_for(Duration::micros(2000));
      if (!*alive || !d.ok()) return;
      if (closed_ || failed_) return;
      if (end_ <= durable_) continue;
    }
    Status f = flush_round();
    if (!*alive) return;
    if (!f.ok()) {
      fail(f.error());
      return;
    }
  }
}

Status PartitionLog::flush_round() {
  const Offset target = end_;
  const uint64_t truncations = truncations_;
  unflushed_records_ = 0;
  first_unflushed_at_ = Instant::never();
  // Oldest first, so a crash in the middle never leaves durable data after a lost gap.
  std::vector<std::shared_ptr<Segment>> segs;
  for (auto& [b, s] : segments_)
    if (s->next_offset() > durable_) segs.push_back(s);
  TERN_ASSERT(!segs.empty(), "flush with end {} > durable {} found no segment", target,
              durable_);
  rt_.trace(Severity::debug, "log.fsync.start",
            {{"topic", topic_}, {"partition", partition_}, {"end", target.value()}});
  Status st;
  for (auto& s : segs) {
    st = s->fsync();
    if (!st.ok()) break;
  }
  rt_.trace(Severity::debug, "log.fsync.done", {{"topic", topic_},
                                                {"partition", partition_},
                                                {"end", target.value()},
                                                {"ok", st.ok() ? 1 : 0}});
  TERN_TRY(st);
  ++flush_rounds_;
  // A truncation while we were in fsync may have replaced what we flushed.
  if (truncations_ == truncations && target > durable_) durable_ = std::min(target, end_);
  durable_changed_.notify_all();
  return {};
}

Result<Offset> PartitionLog::truncate_to(Offset offset) {
  MutexLock lock(write_mutex_);
  if (!lock.owns()) return Errc::cancelled;
  if (closed_) return Error(Errc::closed, dir_);
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  if (offset >= end_) return end_;
  offset = std::max(offset, log_start_offset());
  ++truncations_;
  auto holder = std::prev(segments_.upper_bound(offset))->second;
  auto cut = holder->truncate_to(offset);
  if (!cut.ok()) {
    fail(cut.error());
    return cut.error();
  }
  // Durable before anyone builds on it: a crash must not bring the cut batches back.
  if (Status st = holder->fsync(); !st.ok()) {
    fail(st.error());
    return st.error();
  }
  std::vector<Offset> doomed;
  for (auto it = segments_.upper_bound(offset); it != segments_.end(); ++it)
    doomed.push_back(it->first);
  for (const Offset b : doomed) {
    if (Status st = segments_[b]->remove_files(); !st.ok()) {
      fail(st.error());
      return st.error();
    }
    segments_.erase(b);
  }
  if (!doomed.empty()) {
    if (Status st = rt_.disk().fsync_dir(dir_); !st.ok()) {
      fail(st.error());
      return st.error();
    }
  }
  end_ = cut.value();
  TERN_ASSERT(end_ <= offset && end_ == active()->next_offset());
  durable_ = std::min(durable_, end_);
  unflushed_records_ = 0;
  first_unflushed_at_ = Instant::never();
  durable_changed_.notify_all();
  rt_.trace("log.truncate", {{"dir", dir_}, {"end", end_.value()}});
  return end_;
}

Result<uint32_t> PartitionLog::enforce_retention() {
  MutexLock lock(write_mutex_);
  if (!lock.owns()) return Errc::cancelled;
  if (closed_) return Error(Errc::closed, dir_);
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  const int64_t now_ms = rt_.wall_now().unix_ms;
  auto expired = [&](const Segment& s) {
    return config_.retention_ms >= 0 && !s.empty() &&
           now_ms - s.max_timestamp() > config_.retention_ms;
  };
  // Kafka rolls an expired active segment so that it can be deleted too.
  if (expired(*active())) TERN_TRY(roll(rt_.now()));
  uint32_t deleted = 0;
  while (segments_.size() > 1) {
    auto& first = *segments_.begin()->second;
    const uint64_t total = size_bytes();
    const bool by_size =
        config_.retention_bytes >= 0 &&
        total - first.size_bytes() >= static_cast<uint64_t>(config_.retention_bytes);
    if (!by_size && !expired(first) && !first.empty()) break;
    const Offset base = first.base_offset();
    if (Status st = first.remove_files(); !st.ok()) {
      fail(st.error());
      return st.error();
    }
    segments_.erase(segments_.begin());
    rt_.trace("log.retention.delete",
              {{"topic", topic_}, {"partition", partition_}, {"base", base.value()}});
    ++deleted;
  }
  if (deleted > 0) {
    if (Status st = rt_.disk().fsync_dir(dir_); !st.ok()) {
      fail(st.error());
      return st.error();
    }
    rt_.trace("log.retention", {{"dir", dir_},
                                {"deleted", deleted},
                                {"start", log_start_offset().value()}});
  }
  TERN_ASSERT(!segments_.empty() && log_start_offset() <= end_);
  return deleted;
}

Result<uint32_t> PartitionLog::delete_segments_below(Offset offset) {
  MutexLock lock(write_mutex_);
  if (!lock.owns()) return Errc::cancelled;
  if (closed_) return Error(Errc::closed, dir_);
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  uint32_t deleted = 0;
  // A segment lies below `offset` when the next one starts at or before it.
  while (segments_.size() > 1 && std::next(segments_.begin())->first <= offset) {
    auto& first = *segments_.begin()->second;
    if (Status st = first.remove_files(); !st.ok()) {
      fail(st.error());
      return st.error();
    }
    segments_.erase(segments_.begin());
    ++deleted;
  }
  if (deleted > 0) {
    if (Status st = rt_.disk().fsync_dir(dir_); !st.ok()) {
      fail(st.error());
      return st.error();
    }
    rt_.trace("log.prefix_delete", {{"dir", dir_},
                                    {"deleted", deleted},
                                    {"start", log_start_offset().value()}});
  }
  TERN_ASSERT(log_start_offset() <= offset || deleted == 0);
  return deleted;
}

Status PartitionLog::reset_to(Offset offset) {
  MutexLock lock(write_mutex_);
  if (!lock.owns()) return Errc::cancelled;
  if (closed_) return Error(Errc::closed, dir_);
  if (failed_) return Error(Errc::io_error, dir_ + " failed");
  ++truncations_;
  // Old segments go first (and durably): a crash then leaves no segment at all, which
  // recovery opens as an empty log at 0 (the owner re-applies the reset), never a gap.
  for (auto& [b, seg] : segments_) {
    if (Status st = seg->remove_files(); !st.ok()) {
      fail(st.error());
      return st;
    }
  }
  segments_.clear();
  if (Status st = rt_.disk().fsync_dir(dir_); !st.ok()) {
    fail(st.error());
    return st;
  }
  auto seg = Segment::create(rt_.disk(), dir_, offset, config_, rt_.now());
  if (!seg.ok()) {
    fail(seg.error());
    return seg.error();
  }
  if (Status st = rt_.disk().fsync_dir(dir_); !st.ok()) {
    fail(st.error());
    return st;
  }
  segments_[offset] = std::move(seg.value());
  end_ = offset;
  durable_ = offset;
  unflushed_records_ = 0;
  first_unflushed_at_ = Instant::never();
  durable_changed_.notify_all();
  rt_.trace("log.reset", {{"dir", dir_}, {"start", offset.value()}});
  TERN_ASSERT(log_start_offset() == offset && end_ == offset);
  return {};
}

Status PartitionLog::close() {
  if (closed_) return {};
  MutexLock lock(write_mutex_);
  if (!lock.owns()) return Errc::cancelled;
  Status result;
  if (!failed_ && end_ > durable_) result = wait_durable(end_ - 1);
  closed_ = true;
  flusher_wake_.notify_all();
  durable_changed_.notify_all();
  if (flusher_.valid()) TERN_TRY(flusher_.join());
  // BUGGIFY: close without writing the index files (recovery never trusts them anyway).
  if (result.ok() && !failed_) {
    if (!rt_.buggify("log.close.skip_indexes")) result = active()->write_indexes();
    if (result.ok()) result = rt_.disk().fsync_dir(dir_);
  }
  return result;
}

}  // namespace tern
