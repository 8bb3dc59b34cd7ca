#include <fmt/format.h>

#include <map>

#include "scenarios/checkers/checker.h"

namespace tern::scenarios {

std::vector<Violation> check_no_duplicates(const CheckContext& ctx) {
  std::vector<Violation> out;
  // Without idempotence Kafka legally stores a retried record twice (at-least-once).
  if (!ctx.idempotent) return out;
  std::map<std::string, std::string> where;
  for (const auto& [tp, recs] : ctx.final_state)
    for (const auto& r : recs) {
      auto place = fmt::format("{}@{}", tp.to_string(), r.offset);
      auto [it, inserted] = where.try_emplace(r.value, place);
      if (!inserted)
        out.push_back({"no_duplicates",
                       fmt::format("{} is stored twice: {} and {}", r.value, it->second, place),
                       ctx.end_ns});
    }
  return out;
}

}  // namespace tern::scenarios
