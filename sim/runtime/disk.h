#pragma once
// A node's disk: a directory tree under the node's root. Paths are relative, '/'-separated.
// Durability follows POSIX as ext4 and XFS give it: data is durable after File::fsync, and a
// created, renamed or removed name is durable after fsync_dir of its directory. The simulated
// disk enforces exactly that on a crash; code that forgets a fsync loses data there.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/runtime/result.h"

namespace tern {

class File {
 public:
  virtual ~File() = default;
  virtual Status append(std::span<const uint8_t> data) = 0;
  virtual Status pwrite(uint64_t offset, std::span<const uint8_t> data) = 0;
  // Reads up to buf.size() bytes at offset; fewer only at the end of the file.
  virtual Result<size_t> pread(uint64_t offset, std::span<uint8_t> buf) = 0;
  virtual Result<uint64_t> size() = 0;
  virtual Status truncate(uint64_t size) = 0;
  virtual Status fsync() = 0;
  virtual const std::string& path() const = 0;
};

enum class OpenMode : uint8_t {
  read_write,        // the file must exist
  create,            // open, creating it if missing
  create_exclusive,  // create; Errc::exists if it is there
};

class Disk {
 public:
  virtual ~Disk() = default;
  virtual Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) = 0;
  // Creates a directory and its parents (like mkdir -p); durable after fsync_dir of the parent.
  virtual Status make_dirs(const std::string& path) = 0;
  virtual Status fsync_dir(const std::string& path) = 0;
  virtual Status rename(const std::string& from, const std::string& to) = 0;
  virtual Status remove(const std::string& path) = 0;
  // Names (not paths) in a directory, sorted, so callers never see an unstable order.
  virtual Result<std::vector<std::string>> list(const std::string& dir) = 0;
  virtual bool exists(const std::string& path) = 0;
};

}  // namespace tern
