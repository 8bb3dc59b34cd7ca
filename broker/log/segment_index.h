#pragma once
// The two sparse indexes of a segment, kept in memory and mirrored to the .index and
// .timeindex files (layouts in FORMAT.md). Entries are appended in increasing order, so
// lookups are binary searches. Rebuilt from the segment's data whenever it is recovered.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "broker/base/bytes.h"

namespace tern {

// Kafka's OffsetIndex entry: the last offset of a batch (relative to the segment's base
// offset) and the byte position of that batch in the .log file.
struct OffsetIndexEntry {
  uint32_t relative_offset = 0;
  uint32_t position = 0;
  friend bool operator==(const OffsetIndexEntry&, const OffsetIndexEntry&) = default;
};

// Kafka's TimeIndex entry: the largest timestamp seen so far in the segment and the
// relative offset of the first batch that carried it.
struct TimeIndexEntry {
  int64_t timestamp = 0;
  uint32_t relative_offset = 0;
  friend bool operator==(const TimeIndexEntry&, const TimeIndexEntry&) = default;
};

inline constexpr size_t kOffsetIndexEntryBytes = 8;
inline constexpr size_t kTimeIndexEntryBytes = 12;

class OffsetIndex {
 public:
  void append(OffsetIndexEntry e) {
    TERN_ASSERT(entries_.empty() || (e.relative_offset > entries_.back().relative_offset &&
                                     e.position > entries_.back().position),
                "offset index out of order: ({}, {})", e.relative_offset, e.position);
    entries_.push_back(e);
  }
  // The last entry with relative_offset <= target: the batch holding `target` starts at or
  // after its position. nullopt: start from the segment's first byte.
  std::optional<OffsetIndexEntry> lookup(uint32_t target) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), target,
                               [](uint32_t t, const OffsetIndexEntry& e) {
                                 return t < e.relative_offset;
                               });
    if (it == entries_.begin()) return std::nullopt;
    return *std::prev(it);
  }
  void truncate_to_position(uint32_t position) {
    while (!entries_.empty() && entries_.back().position >= position) entries_.pop_back();
  }
  const std::vector<OffsetIndexEntry>& entries() const { return entries_; }
  void clear() { entries_.clear(); }
  static Bytes encode(const OffsetIndexEntry& e) {
    Bytes out;
    append_be32(out, e.relative_offset);
    append_be32(out, e.position);
    return out;
  }

 private:
  std::vector<OffsetIndexEntry> entries_;
};

class TimeIndex {
 public:
  // Appends only if the timestamp grew (Kafka's TimeIndex.maybeAppend).
  bool maybe_append(TimeIndexEntry e) {
    if (!entries_.empty() && e.timestamp <= entries_.back().timestamp) return false;
    TERN_ASSERT(entries_.empty() || e.relative_offset >= entries_.back().relative_offset);
    entries_.push_back(e);
    return true;
  }
  // The last entry with timestamp <= target: every batch before its offset has a smaller
  // or equal max timestamp. nullopt: search from the segment's start.
  std::optional<TimeIndexEntry> lookup(int64_t target) const {
    auto it = std::upper_bound(entries_.begin(), entries_.end(), target,
                               [](int64_t t, const TimeIndexEntry& e) { return t < e.timestamp; });
    if (it == entries_.begin()) return std::nullopt;
    return *std::prev(it);
  }
  void truncate_to_offset(uint32_t relative_offset) {
    while (!entries_.empty() && entries_.back().relative_offset >= relative_offset)
      entries_.pop_back();
  }
  const std::vector<TimeIndexEntry>& entries() const { return entries_; }
  void clear() { entries_.clear(); }
  static Bytes encode(const TimeIndexEntry& e) {
    Bytes out;
    append_be64(out, static_cast<uint64_t>(e.timestamp));
    append_be32(out, e.relative_offset);
    return out;
  }

 private:
  std::vector<TimeIndexEntry> entries_;
};

}  // namespace tern
