#pragma once
// The broker addresses its storage through a Disk whose paths are relative to a root. The
// storage tools (and a broker with several log dirs or a separate metadata.log.dir) use a
// PosixDisk rooted at "/" and rewrite every configured dir to its absolute path without the
// leading '/': "./tern-data" in /home/u becomes "home/u/tern-data".
#include <climits>
#include <string>

#include <unistd.h>

#include <fmt/format.h>

#include "broker/server/config.h"
#include "sim/runtime/result.h"

namespace tern::tools {

// "dir" (relative to the working directory, or absolute) -> the path below "/".
inline Result<std::string> root_relative_dir(const std::string& dir) {
  std::string abs = dir;
  if (abs.empty()) return Error(Errc::invalid_argument, "an empty directory name");
  if (abs.front() != '/') {
    char cwd[PATH_MAX];
    if (::getcwd(cwd, sizeof cwd) == nullptr) {
      return Error(Errc::io_error, "cannot read the working directory");
    }
    abs = std::string(cwd) + "/" + abs;
  }
  // Drop "." components and duplicate slashes; ".." is refused (the Disk refuses it too).
  std::string out;
  size_t start = 0;
  while (start <= abs.size()) {
    size_t slash = abs.find('/', start);
    if (slash == std::string::npos) slash = abs.size();
    const std::string part = abs.substr(start, slash - start);
    start = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      return Error(Errc::invalid_argument, fmt::format("'{}': '..' is not supported", dir));
    }
    out += (out.empty() ? "" : "/") + part;
  }
  if (out.empty()) return Error(Errc::invalid_argument, fmt::format("'{}' is the root", dir));
  return out;
}

// Rewrites log.dirs and metadata.log.dir of `config` with root_relative_dir.
inline Status make_dirs_root_relative(server::BrokerConfig& config) {
  for (std::string& d : config.log_dirs) {
    auto r = root_relative_dir(d);
    if (!r.ok()) return Error(r.error().code(), "log.dirs: " + r.error().context());
    d = r.value();
  }
  if (!config.metadata_log_dir.empty()) {
    auto r = root_relative_dir(config.metadata_log_dir);
    if (!r.ok()) return Error(r.error().code(), "metadata.log.dir: " + r.error().context());
    config.metadata_log_dir = r.value();
  }
  return {};
}

}  // namespace tern::tools
