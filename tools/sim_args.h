#pragma once
// Argument values the `tern sim` subcommands share: numbers and seed ranges.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tern::tools {

inline std::optional<uint64_t> parse_u64(std::string_view s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

struct SeedRange {
  uint64_t first = 1, last = 0;  // inclusive; empty when last < first
};

// "N" (seeds 1..N, N > 0) or "A..B" (A <= B).
inline std::optional<SeedRange> parse_seeds(std::string_view s) {
  const size_t dots = s.find("..");
  if (dots == std::string_view::npos) {
    auto n = parse_u64(s);
    if (!n || *n == 0) return std::nullopt;
    return SeedRange{1, *n};
  }
  auto a = parse_u64(s.substr(0, dots));
  auto b = parse_u64(s.substr(dots + 2));
  if (!a || !b || *b < *a) return std::nullopt;
  return SeedRange{*a, *b};
}

}  // namespace tern::tools
