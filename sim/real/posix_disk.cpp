#include "sim/real/posix_disk.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>

#include "sim/real/io_pool.h"
#include "sim/runtime/assert.h"

namespace tern::real {

namespace {

Errc disk_errc(int e) {
  switch (e) {
    case ENOSPC:
    case EDQUOT: return Errc::no_space;
    case ENOENT:
    case ENOTDIR: return Errc::not_found;
    case EEXIST: return Errc::exists;
    default: return Errc::io_error;
  }
}

Error disk_error(int e, std::string_view what, std::string_view path) {
  return Error(disk_errc(e), fmt::format("{} {}: {}", what, path, ::strerror(e)));
}

// Writes all of data at offset, looping over short writes and EINTR.
Status pwrite_all(int fd, uint64_t offset, std::span<const uint8_t> data,
                  const std::string& path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done,
                               static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return disk_error(errno, "write", path);
    }
    TERN_ASSERT(n > 0, "pwrite returned 0 for {} bytes", data.size() - done);
    done += static_cast<size_t>(n);
  }
  return {};
}

}  // namespace

// ---- PosixFile ---------------------------------------------------------------------------

PosixFile::~PosixFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status PosixFile::append(std::span<const uint8_t> data) {
  // Not O_APPEND: on Linux it would make pwrite() append too, ignoring its offset.
  auto end = size();
  if (!end.ok()) return end.error();
  return pwrite(end.value(), data);
}

Status PosixFile::pwrite(uint64_t offset, std::span<const uint8_t> data) {
  Status st = pwrite_all(fd_, offset, data, path_);
  if (!st.ok()) {
    size_ = -1;  // a short write may have grown the file: ask fstat next time
    return st;
  }
  size_ = std::max<int64_t>(size_, static_cast<int64_t>(offset + data.size()));
  return st;
}

Result<size_t> PosixFile::pread(uint64_t offset, std::span<uint8_t> buf) {
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::pread(fd_, buf.data() + done, buf.size() - done,
                              static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return disk_error(errno, "read", path_);
    }
    if (n == 0) break;  // end of file
    done += static_cast<size_t>(n);
  }
  TERN_ASSERT(done <= buf.size());
  return done;
}

Result<uint64_t> PosixFile::size() {
  if (size_ >= 0) return static_cast<uint64_t>(size_);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return disk_error(errno, "stat", path_);
  size_ = st.st_size;
  return static_cast<uint64_t>(st.st_size);
}

Status PosixFile::truncate(uint64_t size) {
  size_ = -1;
  while (::ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    if (errno != EINTR) return disk_error(errno, "truncate", path_);
  }
  size_ = static_cast<int64_t>(size);
  return {};
}

namespace {

// fsync(2) or fdatasync(2) on fd, retrying EINTR only. After a failed fsync the page cache
// may have dropped the dirty pages (the 2018 "fsyncgate"): report it, never retry into a
// false success. Returns 0 or the errno.
int sync_fd(int fd, bool data_only) {
  while ((data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

// Syncs fd on the pool (or inline without one). The pool job gets its own dup()ed
// descriptor: the File may be closed while the job still runs.
int sync_on(IoPool* pool, int fd, bool data_only) {
  if (pool == nullptr) return sync_fd(fd, data_only);
  const int own = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return sync_fd(fd, data_only);  // out of descriptors: block the loop instead
  return pool->run([own, data_only] {
    const int e = sync_fd(own, data_only);
    ::close(own);
    return e;
  });
}

}  // namespace

Status PosixFile::fsync() {
  const int e = sync_on(pool_, fd_, true);
  if (e != 0) return disk_error(e, "fsync", path_);
  return {};
}

// ---- PosixDisk ---------------------------------------------------------------------------

PosixDisk::PosixDisk(std::string root, IoPool* pool) : root_(std::move(root)), pool_(pool) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  TERN_ASSERT(!root_.empty(), "PosixDisk needs a root directory");
}

Result<std::string> PosixDisk::full(const std::string& path) const {
  if (!path.empty() && path.front() == '/')
    return Error(Errc::invalid_argument, "absolute path " + path);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (path.compare(start, end - start, "..") == 0)
      return Error(Errc::invalid_argument, "path leaves the root: " + path);
    start = end + 1;
  }
  if (path.empty()) return root_;
  return root_ + "/" + path;
}

static Status mkdir_p(const std::string& full_path) {
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = full_path.find('/', pos + 1);
    const std::string prefix = full_path.substr(0, pos);
    if (prefix.empty()) continue;
    if (::mkdir(prefix.c_str(), 0755) == 0) continue;
    const int e = errno;
    if (e != EEXIST) return disk_error(e, "mkdir", prefix);
    struct stat st;
    if (::stat(prefix.c_str(), &st) != 0) return disk_error(errno, "stat", prefix);
    if (!S_ISDIR(st.st_mode))
      return Error(Errc::exists, fmt::format("mkdir {}: a file is in the way", prefix));
  }
  return {};
}

Status PosixDisk::ensure_root() { return mkdir_p(root_); }

Result<std::unique_ptr<File>> PosixDisk::open(const std::string& path, OpenMode mode) {
  auto p = full(path);
  if (!p.ok()) return p.error();
  int flags = O_RDWR | O_CLOEXEC;
  switch (mode) {
    case OpenMode::read_write: break;
    case OpenMode::create: flags |= O_CREAT; break;
    case OpenMode::create_exclusive: flags |= O_CREAT | O_EXCL; break;
  }
  int fd;
  do {
    fd = ::open(p.value().c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return disk_error(errno, "open", path);
  return std::unique_ptr<File>(std::make_unique<PosixFile>(fd, path, pool_));
}

Status PosixDisk::make_dirs(const std::string& path) {
  auto p = full(path);
  if (!p.ok()) return p.error();
  return mkdir_p(p.value());
}

Status PosixDisk::fsync_dir(const std::string& path) {
  auto p = full(path);
  if (!p.ok()) return p.error();
  const int fd = ::open(p.value().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return disk_error(errno, "open dir", path);
  const int e = sync_on(pool_, fd, false);
  ::close(fd);
  if (e != 0) return disk_error(e, "fsync dir", path);
  return {};
}

Status PosixDisk::rename(const std::string& from, const std::string& to) {
  auto f = full(from);
  if (!f.ok()) return f.error();
  auto t = full(to);
  if (!t.ok()) return t.error();
  if (::rename(f.value().c_str(), t.value().c_str()) != 0)
    return disk_error(errno, "rename " + from + " to", to);
  return {};
}

Status PosixDisk::remove(const std::string& path) {
  auto p = full(path);
  if (!p.ok()) return p.error();
  if (path.empty()) return Error(Errc::invalid_argument, "remove the root");
  if (::unlink(p.value().c_str()) == 0) return {};
  const int e = errno;
  if (e == EISDIR || e == EPERM) {
    if (::rmdir(p.value().c_str()) == 0) return {};
    return disk_error(errno, "rmdir", path);
  }
  return disk_error(e, "remove", path);
}

Result<std::vector<std::string>> PosixDisk::list(const std::string& dir) {
  auto p = full(dir);
  if (!p.ok()) return p.error();
  DIR* d = ::opendir(p.value().c_str());
  if (d == nullptr) return disk_error(errno, "list", dir);
  std::vector<std::string> names;
  errno = 0;
  while (struct dirent* ent = ::readdir(d)) {
    const std::string_view name(ent->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int e = errno;
  ::closedir(d);
  if (e != 0) return disk_error(e, "list", dir);
  std::sort(names.begin(), names.end());
  return names;
}

bool PosixDisk::exists(const std::string& path) {
  auto p = full(path);
  if (!p.ok()) return false;
  struct stat st;
  return ::stat(p.value().c_str(), &st) == 0;
}

}  // namespace tern::real
