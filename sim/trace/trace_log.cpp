#include "sim/trace/trace_log.h"

#include <bit>
#include <cstring>

namespace tern {

namespace {
// A word-at-a-time multiply-rotate mix: stable across platforms (bytes are assembled
// little-endian explicitly) and fast enough to hash every event of a long run.
inline uint64_t mix_word(uint64_t h, uint64_t w) {
  h ^= w;
  h *= 0xbf58476d1ce4e5b9ULL;
  return (h << 29) | (h >> 35);
}
// Little-endian loads: one load instruction on a little-endian host (every machine tern runs
// on so far); the byte swap keeps hashes identical on a big-endian one.
inline uint64_t load_le64(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap64(w);
  return w;
}
inline uint64_t load_le32(const unsigned char* p) {
  uint32_t w;
  std::memcpy(&w, p, 4);
  if constexpr (std::endian::native == std::endian::big) w = __builtin_bswap32(w);
  return w;
}
// The n < 8 trailing bytes as a little-endian number, without a loop per byte: two
// overlapping loads put each byte at its place (a byte read twice lands on itself).
inline uint64_t load_tail(const unsigned char* p, size_t n) {
  if (n >= 4) return load_le32(p) | (load_le32(p + n - 4) << (8 * (n - 4)));
  if (n == 0) return 0;
  return uint64_t{p[0]} | (uint64_t{p[n / 2]} << (8 * (n / 2))) |
         (uint64_t{p[n - 1]} << (8 * (n - 1)));
}
uint64_t mix_bytes(uint64_t h, const void* data, size_t n) {
  const auto* p = static_cast<const unsigned char*>(data);
  while (n >= 8) {
    h = mix_word(h, load_le64(p));
    p += 8;
    n -= 8;
  }
  return mix_word(h, load_tail(p, n) ^ (static_cast<uint64_t>(n) << 56));
}
uint64_t mix_u64(uint64_t h, uint64_t v) { return mix_word(h, v); }
uint64_t mix_str(uint64_t h, std::string_view s) {
  h = mix_u64(h, s.size());
  return mix_bytes(h, s.data(), s.size());
}
}  // namespace

uint64_t TraceLog::hash_event(uint64_t h, const TraceEvent& e) {
  h = mix_u64(h, static_cast<uint64_t>(e.time.ns));
  h = mix_str(h, e.node);
  h = mix_u64(h, static_cast<uint64_t>(e.severity));
  h = mix_str(h, e.kind);
  for (const auto& [k, v] : e.fields) {
    h = mix_str(h, k);
    if (const int64_t* i = std::get_if<int64_t>(&v.v)) h = mix_u64(h, static_cast<uint64_t>(*i));
    else h = mix_str(h, std::get<std::string>(v.v));
  }
  return h;
}

uint64_t TraceLog::hash_fields(uint64_t h, Instant time, std::string_view node, Severity severity,
                               std::string_view kind,
                               std::initializer_list<TraceField> fields) {
  // Must mix exactly what hash_event mixes: a run hashes the same with or without --trace.
  h = mix_u64(h, static_cast<uint64_t>(time.ns));
  h = mix_str(h, node);
  h = mix_u64(h, static_cast<uint64_t>(severity));
  h = mix_str(h, kind);
  for (const auto& f : fields) {
    h = mix_str(h, f.key);
    if (const int64_t* i = std::get_if<int64_t>(&f.value.v))
      h = mix_u64(h, static_cast<uint64_t>(*i));
    else
      h = mix_str(h, std::get<std::string>(f.value.v));
  }
  return h;
}

bool TraceLog::add_fast(Instant time, std::string_view node, Severity severity,
                        std::string_view kind, std::initializer_list<TraceField> fields) {
  // Only the hash is kept for ordinary events when nobody reads them: no strings, no vector.
  if (options_.keep_events || options_.keep_hashes || options_.echo ||
      severity == Severity::error)
    return false;
  hash_ = hash_fields(hash_, time, node, severity, kind, fields);
  ++count_;
  return true;
}

void TraceLog::add(TraceEvent event) {
  hash_ = hash_event(hash_, event);
  ++count_;
  if (event.severity == Severity::error) {
    if (errors_ == 0) {
      first_error_index_ = options_.keep_events ? events_.size() : SIZE_MAX;
      first_error_line_ = event.to_line();
    }
    ++errors_;
  }
  if (options_.echo && event.severity >= options_.echo_level) {
    std::string line = event.to_line();
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), options_.echo);
  }
  if (options_.keep_hashes) hashes_.push_back(hash_);
  if (options_.keep_events) events_.push_back(std::move(event));
}

void TraceLog::fold(uint64_t value) { hash_ = mix_u64(hash_, value); }

}  // namespace tern
