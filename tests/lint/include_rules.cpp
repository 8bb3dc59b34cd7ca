#include "tests/lint/include_rules.h"

#include <regex>

namespace tern::lint {

const std::vector<IncludeRule>& include_rules() {
  // Inside broker/: base <- protocol <- log <- partition <- {group, txn} <- server, with
  // controller (Raft metadata quorum) beside partition: partition reads the controller's
  // MetadataImage value type only, controller needs nothing of partition. client needs only
  // protocol and base. Every broker folder may include sim/runtime, nothing else of sim/.
  static const std::vector<IncludeRule> rules = {
      {"broker/base/", {"broker/base/", "sim/runtime/"}},
      {"broker/protocol/records/",
       {"broker/base/", "broker/protocol/records/", "broker/protocol/compression/",
        "sim/runtime/"}},
      {"broker/protocol/compression/",
       {"broker/base/", "broker/protocol/compression/",
        "broker/protocol/records/record_error.h", "sim/runtime/"}},
      {"broker/protocol/", {"broker/base/", "broker/protocol/", "sim/runtime/"}},
      {"broker/log/", {"broker/base/", "broker/protocol/records/", "broker/log/", "sim/runtime/"}},
      {"broker/partition/",
       {"broker/base/", "broker/protocol/", "broker/log/", "broker/partition/",
        "broker/controller/metadata_image.h", "sim/runtime/"}},
      {"broker/raft/",
       {"broker/base/", "broker/protocol/", "broker/log/", "broker/client/", "broker/raft/",
        "sim/runtime/"}},
      {"broker/controller/",
       {"broker/base/", "broker/protocol/", "broker/log/", "broker/raft/", "broker/client/",
        "broker/controller/", "sim/runtime/"}},
      {"broker/group/",
       {"broker/base/", "broker/protocol/", "broker/log/", "broker/partition/",
        "broker/controller/metadata_image.h", "broker/group/", "sim/runtime/"}},
      {"broker/txn/",
       {"broker/base/", "broker/protocol/", "broker/log/", "broker/partition/",
        "broker/controller/metadata_image.h", "broker/txn/", "sim/runtime/"}},
      {"broker/client/", {"broker/base/", "broker/protocol/", "broker/client/", "sim/runtime/"}},
      {"broker/server/",
       {"broker/base/", "broker/protocol/", "broker/log/", "broker/partition/",
        "broker/controller/", "broker/raft/", "broker/group/", "broker/txn/", "broker/client/",
        "broker/server/", "broker/inspect.h", "sim/runtime/"}},
      {"broker/inspect.h",
       {"broker/base/", "broker/server/broker.h", "broker/controller/metadata_image.h",
        "broker/raft/raft_node.h", "sim/runtime/"}},
      {"broker/", {"broker/", "sim/runtime/"}},  // a new folder: at least the world boundary
      // sim/runtime and sim/trace have no README: their rules are STYLE.md section 5's.
      {"sim/runtime/", {"sim/runtime/"}},
      {"sim/fiber/", {"sim/runtime/", "sim/fiber/"}},
      {"sim/trace/", {"sim/runtime/", "sim/trace/"}},
      {"sim/simulated/", {"sim/runtime/", "sim/fiber/", "sim/trace/", "sim/simulated/"}},
      {"sim/real/", {"sim/runtime/", "sim/fiber/", "sim/real/"}},
      {"faults/", {"faults/", "sim/simulated/", "sim/runtime/"}},
      {"scenarios/",
       {"scenarios/", "faults/", "sim/simulated/", "sim/runtime/", "broker/client/",
        "broker/base/", "broker/server/broker.h", "broker/server/config.h",
        "broker/server/meta_properties.h", "broker/server/metadata_store.h",
        "broker/inspect.h"}},
  };
  return rules;
}

namespace {

const IncludeRule* rule_for(const std::string& path) {
  for (const IncludeRule& r : include_rules()) {
    if (path.rfind(r.folder, 0) == 0) return &r;
  }
  return nullptr;
}

bool allowed(const IncludeRule& r, const std::string& target) {
  for (const std::string& a : r.allowed) {
    if (target.rfind(a, 0) == 0) return true;
  }
  return false;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

void check_includes(const std::string& path, const std::vector<std::string>& lines,
                    std::vector<Finding>& out) {
  const IncludeRule* rule = rule_for(path);
  if (rule == nullptr) return;
  static const std::regex include(
      R"re(^\s*#\s*include\s*"((broker|sim|faults|scenarios|tools|tests)/[^"]+)")re");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(lines[i], m, include)) continue;
    const std::string target = m[1].str();
    if (allowed(*rule, target)) continue;
    out.push_back({path, static_cast<int>(i + 1),
                   "including " + target + " is banned in " + rule->folder +
                       ", which may include only " + join(rule->allowed) +
                       " (its README's \"May include\")"});
  }
}

}  // namespace tern::lint
