#pragma once
// The determinism lint (modelled on TigerBeetle's tidy test): code under broker/, faults/ and
// scenarios/ reaches the world only through sim/runtime, so that a seed decides everything.
// Each rule is a pattern, the folders it applies to, and what to use instead. A line can opt
// out with a comment "// allowed: <why>".
#include <string>
#include <vector>

namespace tern::lint {

struct Finding {
  std::string path;
  int line;
  std::string message;
  std::string to_string() const { return path + ":" + std::to_string(line) + ": error: " + message; }
};

// Checks one file's text; `path` is relative to the source root (it selects the rules).
std::vector<Finding> check_file(const std::string& path, const std::string& text);
// Walks broker/, faults/, scenarios/ (every rule) and sim/ (include rules) under root.
std::vector<Finding> check_tree(const std::string& root);

}  // namespace tern::lint
