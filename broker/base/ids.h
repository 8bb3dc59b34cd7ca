#pragma once
// Strong types for Kafka's integer identities. An Offset passed where a LeaderEpoch is expected
// is a compile error, not a replication bug found three weeks later by a checker (Redpanda's
// named_type, model/fundamental.h). Each is a one-field struct: free to copy, totally ordered,
// hashable for lookups, printable with fmt.
#include <compare>
#include <cstdint>
#include <functional>

#include <fmt/format.h>

namespace tern {

template <class Tag, class Rep>
class StrongId {
 public:
  using rep = Rep;
  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep v) : v_(v) {}
  constexpr Rep value() const { return v_; }
  friend constexpr auto operator<=>(StrongId, StrongId) = default;
  friend constexpr bool operator==(StrongId, StrongId) = default;

 private:
  Rep v_{};
};

using NodeId = StrongId<struct NodeIdTag, int32_t>;
using PartitionId = StrongId<struct PartitionIdTag, int32_t>;
using LeaderEpoch = StrongId<struct LeaderEpochTag, int32_t>;
using ProducerId = StrongId<struct ProducerIdTag, int64_t>;
using ProducerEpoch = StrongId<struct ProducerEpochTag, int16_t>;

// Offsets get arithmetic: the log moves along them (next offset, lag, deltas in a batch).
class Offset {
 public:
  using rep = int64_t;
  constexpr Offset() = default;
  constexpr explicit Offset(int64_t v) : v_(v) {}
  constexpr int64_t value() const { return v_; }
  friend constexpr auto operator<=>(Offset, Offset) = default;
  friend constexpr bool operator==(Offset, Offset) = default;
  friend constexpr Offset operator+(Offset o, int64_t delta) { return Offset(o.v_ + delta); }
  friend constexpr Offset operator-(Offset o, int64_t delta) { return Offset(o.v_ - delta); }
  friend constexpr int64_t operator-(Offset a, Offset b) { return a.v_ - b.v_; }
  constexpr Offset next() const { return Offset(v_ + 1); }

 private:
  int64_t v_ = 0;
};

// Kafka's "none" sentinels (-1 on the wire).
inline constexpr NodeId kNoNodeId{-1};
inline constexpr LeaderEpoch kNoLeaderEpoch{-1};
inline constexpr ProducerId kNoProducerId{-1};
inline constexpr ProducerEpoch kNoProducerEpoch{-1};
inline constexpr Offset kNoOffset{-1};
inline constexpr int32_t kNoSequence = -1;

static_assert(sizeof(Offset) == 8 && sizeof(NodeId) == 4 && sizeof(ProducerEpoch) == 2);
static_assert(Offset(3) - Offset(1) == 2 && Offset(1).next() == Offset(2));

}  // namespace tern

template <class Tag, class Rep>
struct std::hash<tern::StrongId<Tag, Rep>> {
  size_t operator()(tern::StrongId<Tag, Rep> id) const noexcept {
    return std::hash<Rep>{}(id.value());
  }
};
template <>
struct std::hash<tern::Offset> {
  size_t operator()(tern::Offset o) const noexcept { return std::hash<int64_t>{}(o.value()); }
};

template <class Tag, class Rep>
struct fmt::formatter<tern::StrongId<Tag, Rep>> : fmt::formatter<Rep> {
  template <class Ctx>
  auto format(tern::StrongId<Tag, Rep> id, Ctx& ctx) const {
    return fmt::formatter<Rep>::format(id.value(), ctx);
  }
};
template <>
struct fmt::formatter<tern::Offset> : fmt::formatter<int64_t> {
  template <class Ctx>
  auto format(tern::Offset o, Ctx& ctx) const {
    return fmt::formatter<int64_t>::format(o.value(), ctx);
  }
};
