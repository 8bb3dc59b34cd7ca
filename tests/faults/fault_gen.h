#pragma once
// RapidCheck generators for faults and plans, shared by the faults tests.
#include <rapidcheck.h>

#include <algorithm>
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
        case Key::via: {
          // A node on neither side (there is always one when a and b leave it out).
          std::vector<std::string> free;
          for (const auto& x : n)
            if (std::find(f.a.begin(), f.a.end(), x) == f.a.end() &&
                std::find(f.b.begin(), f.b.end(), x) == f.b.end())
              free.push_back(x);
          if (free.empty()) {
            free.push_back(f.b.back());
            f.b.pop_back();
            if (f.b.empty()) {
              f.b.push_back(f.a.back());
              f.a.pop_back();
            }
          }
          f.via = *rc::gen::elementOf(free);
          break;
        }
        case Key::links: {
          const auto k = *rc::gen::inRange<size_t>(1, 5);
          for (size_t i = 0; i < k; ++i) {
            const auto x = *rc::gen::elementOf(n);
            const auto y = *rc::gen::elementOf(n);
            std::pair<std::string, std::string> link{x, y};
            if (x != y && std::find(f.links.begin(), f.links.end(), link) == f.links.end())
              f.links.push_back(std::move(link));
          }
          if (f.links.empty()) f.links.emplace_back(n[0], n[1]);
          break;
        }
        case Key::half_open: f.half_open = *rc::gen::arbitrary<bool>(); break;
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
        default: break;  // optional keys: below
      }
    }
    if (f.kind == FaultKind::crash && *rc::gen::arbitrary<bool>())
      f.restart_after = gen_duration(1, 10'000'000'000);
    if (f.kind != FaultKind::heal_all && *rc::gen::arbitrary<bool>()) {
      Trigger t;
      t.on = *rc::gen::elementOf(n);
      t.event = *rc::gen::elementOf(std::vector<std::string>{
          "log.fsync.start", "produce.ack", "fetch.respond", "x.y", "fault.crash"});
      t.nth = *rc::gen::inRange<uint32_t>(1, 100);
      t.delay = gen_duration(0, 1'000'000'000);
      t.within = gen_duration(0, 10'000'000'000);
      if (*rc::gen::arbitrary<bool>()) {
        t.match_field = *rc::gen::elementOf(std::vector<std::string>{"client", "topic", "p"});
        t.match_value = *rc::gen::elementOf(std::vector<std::string>{"c1", "events", "3", "a:b"});
      }
      f.trigger = std::move(t);
    }
    RC_ASSERT(validate(f).ok());
    return f;
  });
}

// A plan with a few random settings (`set <key> <value>` lines).
inline rc::Gen<FaultPlan> gen_plan() {
  return rc::gen::exec([] {
    FaultPlan p(*rc::gen::container<std::vector<Fault>>(gen_fault()));
    const auto k = *rc::gen::inRange(0, 4);
    for (int i = 0; i < k; ++i)
      p.set(*rc::gen::elementOf(std::vector<std::string>{"duration", "drop-workload", "clients",
                                                         "x.y_z"}),
            *rc::gen::elementOf(std::vector<std::string>{"12.000000000", "0,2", "1:3", "on"}));
    return p;
  });
}

}  // namespace tern::faults::test
