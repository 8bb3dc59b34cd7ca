#pragma once
// RapidCheck value sources used by the generated randomize() functions (tests only).
// Sizes are kept small on purpose: messages nest arrays three deep, and a property runs a
// hundred times per (message, version).
#include <rapidcheck.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/protocol/wire.h"

namespace tern::protocol::testing {

template <class T>
T gen_int() {
  return *rc::gen::arbitrary<T>();
}

inline bool gen_bool() { return *rc::gen::arbitrary<bool>(); }

// Exactly representable values only: the round trip compares with ==.
inline double gen_float64() { return static_cast<double>(*rc::gen::arbitrary<int32_t>()) / 8.0; }

inline Uuid gen_uuid() {
  Uuid u;
  for (auto& b : u.bytes) b = *rc::gen::arbitrary<uint8_t>();
  return u;
}

inline bool gen_null() { return *rc::gen::inRange(0, 4) == 0; }

inline size_t gen_count() { return *rc::gen::inRange<size_t>(0, 4); }

inline std::string gen_string() {
  return *rc::gen::resize(24, rc::gen::container<std::string>(rc::gen::arbitrary<char>()));
}

inline std::optional<std::string> gen_nullable_string(bool nullable) {
  if (nullable && gen_null()) return std::nullopt;
  return gen_string();
}

inline Bytes gen_bytes() {
  return *rc::gen::resize(32, rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>()));
}

inline std::optional<Bytes> gen_nullable_bytes(bool nullable) {
  if (nullable && gen_null()) return std::nullopt;
  return gen_bytes();
}

// Unknown tagged fields with tags above every known one, ascending, as a peer newer than us
// would send them.
inline std::vector<RawTaggedField> gen_unknown_tagged_fields(uint32_t first_free_tag) {
  std::vector<RawTaggedField> out(*rc::gen::inRange<size_t>(0, 3));
  uint32_t tag = first_free_tag;
  for (auto& f : out) {
    tag += *rc::gen::inRange<uint32_t>(0, 200);
    f.tag = tag++;
    f.data = *rc::gen::resize(8, rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>()));
  }
  return out;
}

}  // namespace tern::protocol::testing
