#pragma once
// The include rules of DESIGN.md ("Include rules") and of each folder's README ("May
// include"), as data: for every folder, the project folders its files may include. A
// README's rule is a fact only if this table says the same (determinism_lint_test.cpp runs
// it over the tree).
#include <string>
#include <vector>

#include "tests/lint/determinism_lint.h"

namespace tern::lint {

struct IncludeRule {
  std::string folder;                // path prefix of the including file ("broker/log/")
  std::vector<std::string> allowed;  // path prefixes (or exact files) it may include
};

// Most specific folder first; the first rule whose folder prefixes a path applies. Folders
// without a rule (tools/, tests/) may include anything.
const std::vector<IncludeRule>& include_rules();

// Checks the project includes (#include "broker/...", "sim/...", "faults/", "scenarios/",
// "tools/", "tests/") of one file against its folder's rule.
void check_includes(const std::string& path, const std::vector<std::string>& lines,
                    std::vector<Finding>& out);

}  // namespace tern::lint
