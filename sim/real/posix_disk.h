#pragma once
// tern::Disk on POSIX files under a root directory. Paths are relative and '/'-separated;
// absolute paths and ".." components are refused (Errc::invalid_argument) so a node never
// escapes its root. Reads, writes and metadata calls run on the event-loop thread (they only
// touch the page cache); fsync and fsync_dir run on an IoPool thread when the disk has one,
// parking just the calling task. errno maps to Errc: ENOSPC/EDQUOT -> no_space, ENOENT/ENOTDIR ->
// not_found, EEXIST -> exists, anything else -> io_error (with the path and strerror).
#include <string>

#include "sim/runtime/disk.h"

namespace tern::real {
class IoPool;
}

namespace tern::real {

class PosixFile final : public File {
 public:
  // pool: where fsync runs (nullptr: inline).
  PosixFile(int fd, std::string path, IoPool* pool = nullptr)
      : fd_(fd), path_(std::move(path)), pool_(pool) {}
  ~PosixFile() override;
  PosixFile(const PosixFile&) = delete;
  PosixFile& operator=(const PosixFile&) = delete;

  Status append(std::span<const uint8_t> data) override;
  Status pwrite(uint64_t offset, std::span<const uint8_t> data) override;
  Result<size_t> pread(uint64_t offset, std::span<uint8_t> buf) override;
  Result<uint64_t> size() override;
  Status truncate(uint64_t size) override;
  // fdatasync: the data and the size needed to read it back (the metadata that matters).
  Status fsync() override;
  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
  IoPool* pool_;
  // The file's size as this process last wrote it; -1 = ask fstat. Only this process writes
  // a tern data file, so appends need no fstat each (it showed in the produce profile).
  int64_t size_ = -1;
};

class PosixDisk final : public Disk {
 public:
  // root: an existing or creatable directory; created (mkdir -p) lazily by make_dirs and
  // eagerly by ensure_root().
  explicit PosixDisk(std::string root, IoPool* pool = nullptr);
  Status ensure_root();
  const std::string& root() const { return root_; }

  Result<std::unique_ptr<File>> open(const std::string& path, OpenMode mode) override;
  Status make_dirs(const std::string& path) override;
  // fsync of the directory itself (O_RDONLY | O_DIRECTORY): makes names in it durable.
  Status fsync_dir(const std::string& path) override;
  Status rename(const std::string& from, const std::string& to) override;
  // Removes a file, or an empty directory.
  Status remove(const std::string& path) override;
  Result<std::vector<std::string>> list(const std::string& dir) override;
  bool exists(const std::string& path) override;

 private:
  // root_/path, or an error for a path that would leave the root.
  Result<std::string> full(const std::string& path) const;
  std::string root_;
  IoPool* pool_;
};

}  // namespace tern::real
