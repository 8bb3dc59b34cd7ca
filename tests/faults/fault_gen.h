#pragma once
// RapidCheck generators for faults and plans, shared by the faults tests.
#include <rapidcheck.h>

#include <string>
#include <vector>

#include "faults/fault.h"
#include "faults/fault_plan.h"

namespace tern::faults::test {

inline const std::vector<std::string>& names() {
  static const std::vector<std::string> n = {"b1", "b2", "b3", "c1", "c-2.x"};
  return n;
}

inline Duration gen_duration(int64_t lo, int64_t hi) {
  return Duration{*rc::gen::inRange<int64_t>(lo, hi)};
}

// A valid fault of any kind: every key of the kind set to a random legal value.
inline rc::Gen<Fault> gen_fault() {
  return rc::gen::exec([] {
    const auto kinds = all_kinds();
    Fault f;
    f.kind = kinds[*rc::gen::inRange<size_t>(0, kinds.size())];
    f.at = Instant{*rc::gen::inRange<int64_t>(0, 3'600'000'000'000)};
    const auto& n = names();
    for (Key k : kind_keys(f.kind)) {
      switch (k) {
        case Key::node: f.node = *rc::gen::elementOf(n); break;
        case Key::from: f.from = *rc::gen::elementOf(n); break;
        case Key::to: f.to = *rc::gen::elementOf(n); break;
        case Key::a: {
          const int mask_a = *rc::gen::inRange(1, 31);  // never all five: b needs one
          int mask_b = *rc::gen::inRange(0, 32) & ~mask_a;
          if (mask_b == 0) mask_b = 31 & ~mask_a;
          for (int i = 0; i < 5; ++i) {
            if (mask_a & (1 << i)) f.a.push_back(n[static_cast<size_t>(i)]);
            if (mask_b & (1 << i)) f.b.push_back(n[static_cast<size_t>(i)]);
          }
          if (f.kind == FaultKind::break_connection) {
            f.a.resize(1);
            f.b.resize(1);
          }
          break;
        }
        case Key::b: break;  // drawn with a
        case Key::min: f.min = gen_duration(0, 1'000'000'000); break;
        case Key::max: f.max = f.min + gen_duration(0, 1'000'000'000); break;
        case Key::extra: f.extra = gen_duration(0, 5'000'000'000); break;
        case Key::latency: f.latency = gen_duration(0, 5'000'000'000); break;
        case Key::duration: {
          const bool positive = f.kind == FaultKind::clog || f.kind == FaultKind::latency_spike;
          f.duration = gen_duration(positive ? 1 : 0, 100'000'000'000);
          break;
        }
        case Key::one_way: f.one_way = *rc::gen::arbitrary<bool>(); break;
        case Key::keep_unsynced: f.keep_unsynced = *rc::gen::arbitrary<bool>(); break;
        case Key::tear: f.tear = *rc::gen::arbitrary<bool>(); break;
        case Key::ppm: f.ppm = *rc::gen::inRange<uint32_t>(0, 1'000'001); break;
        case Key::capacity: f.capacity = *rc::gen::arbitrary<uint64_t>(); break;
        case Key::amount: f.amount = gen_duration(-600'000'000'000, 600'000'000'000); break;
      }
    }
    RC_ASSERT(validate(f).ok());
    return f;
  });
}

inline rc::Gen<FaultPlan> gen_plan() {
  return rc::gen::map(rc::gen::container<std::vector<Fault>>(gen_fault()),
                      [](std::vector<Fault> v) { return FaultPlan(std::move(v)); });
}

}  // namespace tern::faults::test
