#pragma once
// A growing output buffer with a hard cap, shared by the streaming decompressors.
// Growth is geometric from a guess, so a 1 KiB payload that claims to expand to 1 GiB costs
// nothing until the codec actually produces the bytes, and never more than cap + 1 bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "broker/base/bytes.h"

namespace tern::detail {

class CappedOutput {
 public:
  CappedOutput(size_t input_bytes, size_t cap) : cap_(cap) {
    // One byte past the cap lets "produced more than the cap" be seen, not guessed. The first
    // guess is small: the buffer is zero-filled when it grows, and a 64 KiB floor cost a
    // 64 KiB memset per small batch (41% of a simulated run that drew lz4).
    buf_.resize(std::min(limit(), std::max<size_t>(input_bytes * 4, kFirstGuess)));
  }

  // Free space at the end of the written region; grows the buffer if it is full.
  // Returns false when the buffer is already at cap + 1 and full: output exceeds the cap.
  bool reserve_space() {
    if (used_ < buf_.size()) return true;
    if (buf_.size() >= limit()) return false;
    buf_.resize(std::min(limit(), std::max<size_t>(buf_.size() * 2, kFirstGuess)));
    return true;
  }
  uint8_t* free_begin() { return buf_.data() + used_; }
  size_t free_bytes() const { return buf_.size() - used_; }
  void commit(size_t n) {
    TERN_ASSERT(n <= free_bytes(), "commit {} > free {}", n, free_bytes());
    used_ += n;
  }
  size_t used() const { return used_; }
  bool over_cap() const { return used_ > cap_; }
  Bytes take() && {
    buf_.resize(used_);
    return std::move(buf_);
  }

 private:
  size_t limit() const { return cap_ == SIZE_MAX ? cap_ : cap_ + 1; }
  static constexpr size_t kFirstGuess = 1024;

  Bytes buf_;
  size_t used_ = 0;
  size_t cap_;
};

}  // namespace tern::detail
