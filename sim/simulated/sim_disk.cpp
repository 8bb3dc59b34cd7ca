#include "sim/simulated/sim_disk.h"

#include <algorithm>
#include <cstring>

#include "sim/simulated/world.h"

namespace tern::sim {

namespace {
std::string parent_of(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}
std::string normalize(const std::string& path) {
  std::string p = path;
  while (!p.empty() && p.back() == '/') p.pop_back();
  while (p.rfind("./", 0) == 0) p = p.substr(2);
  return p;
}
}  // namespace

class SimFile final : public File {
 public:
  SimFile(SimDisk& disk, SimDisk::InodePtr inode, std::string path)
      : disk_(disk), inode_(std::move(inode)), path_(std::move(path)),
        generation_(disk.generation_) {}

  Status append(std::span<const uint8_t> data) override {
    TERN_TRY(check());
    return write_at(inode_->data.size(), data);
  }
  Status pwrite(uint64_t offset, std::span<const uint8_t> data) override {
    TERN_TRY(check());
    return write_at(offset, data);
  }
  Result<size_t> pread(uint64_t offset, std::span<uint8_t> buf) override {
    TERN_TRY(check());
    TERN_TRY(disk_.charge_latency(disk_.faults_.op_latency));
    const auto& d = inode_->data;
    if (offset >= d.size()) return size_t{0};
    const size_t n = std::min<uint64_t>(buf.size(), d.size() - offset);
    std::memcpy(buf.data(), d.data() + offset, n);
    if (n > 0 && disk_.faults_.read_bitflip_ppm > 0 &&
        disk_.rng_.chance_ppm(disk_.faults_.read_bitflip_ppm)) {
      const uint64_t bit = disk_.rng_.below(n * 8);
      buf[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      disk_.trace_op("disk.bitflip", path_, static_cast<int64_t>(offset + bit / 8));
    }
    return n;
  }
  Result<uint64_t> size() override {
    TERN_TRY(check());
    return uint64_t{inode_->data.size()};
  }
  Status truncate(uint64_t size) override {
    TERN_TRY(check());
    TERN_TRY(disk_.charge_latency(disk_.faults_.op_latency));
    SimDisk::Write w{size, {}, true};
    const uint64_t before = inode_->data.size();
    SimDisk::apply(inode_->data, w);
    disk_.used_bytes_ = disk_.used_bytes_ - before + inode_->data.size();
    inode_->unsynced.push_back(std::move(w));
    return {};
  }
  Status fsync() override {
    TERN_TRY(check());
    TERN_TRY(disk_.charge_latency(disk_.faults_.fsync_latency + disk_.faults_.op_latency));
    TERN_TRY(check());
    ++disk_.fsyncs_;
    if (disk_.faults_.fsync_error_ppm > 0 && disk_.rng_.chance_ppm(disk_.faults_.fsync_error_ppm)) {
      // Linux "fsyncgate": the failed pages are marked clean, so these writes will never
      // reach the disk although reads still see them. Only a crash reveals the loss.
      inode_->unsynced.clear();
      inode_->lost_writes = true;
      disk_.trace_op("disk.fsync_error", path_, 0);
      return Error(Errc::io_error, "fsync " + path_);
    }
    for (const auto& w : inode_->unsynced) SimDisk::apply(inode_->durable, w);
    inode_->unsynced.clear();
    // Pair check: after a clean history the durable image equals what reads see.
    TERN_ASSERT(inode_->lost_writes || inode_->durable.size() == inode_->data.size());
    return {};
  }
  const std::string& path() const override { return path_; }

 private:
  Status check() const {
    if (generation_ != disk_.generation_) return Error(Errc::io_error, "stale handle " + path_);
    return {};
  }
  Status write_at(uint64_t offset, std::span<const uint8_t> data) {
    TERN_TRY(disk_.charge_latency(disk_.faults_.op_latency));
    TERN_TRY(check());
    const uint64_t end = offset + data.size();
    const uint64_t before = inode_->data.size();
    const uint64_t grow = end > before ? end - before : 0;
    if (disk_.used_bytes_ + grow > disk_.faults_.capacity_bytes) {
      // A full disk takes what fits and then fails, as write(2) does (a short write, then
      // ENOSPC): the caller must undo the partial write itself.
      const uint64_t room = disk_.faults_.capacity_bytes > disk_.used_bytes_
                                ? disk_.faults_.capacity_bytes - disk_.used_bytes_
                                : 0;
      const uint64_t fits = before > offset ? before - offset + room : room;
      if (offset <= before && fits > 0 && fits < data.size()) {
        SimDisk::Write part{offset, std::vector<uint8_t>(data.begin(), data.begin() + fits),
                            false};
        SimDisk::apply(inode_->data, part);
        disk_.used_bytes_ = disk_.used_bytes_ - before + inode_->data.size();
        inode_->unsynced.push_back(std::move(part));
        disk_.trace_op("disk.short_write", path_, static_cast<int64_t>(fits));
      }
      return Error(Errc::no_space, "write " + path_);
    }
    SimDisk::Write w{offset, std::vector<uint8_t>(data.begin(), data.end()), false};
    SimDisk::apply(inode_->data, w);
    disk_.used_bytes_ += grow;
    inode_->unsynced.push_back(std::move(w));
    return {};
  }

  SimDisk& disk_;
  SimDisk::InodePtr inode_;
  std::string path_;
  uint64_t generation_;
};

class NodeDisk final : public Disk {
 public:
  explicit NodeDisk(SimDisk& d) : d_(d) {}

  Result<std::unique_ptr<File>> open(const std::string& raw, OpenMode mode) override {
    TERN_TRY(d_.charge_latency(d_.faults_.op_latency));
    const std::string path = normalize(raw);
    if (path.empty()) return Error(Errc::invalid_argument, "open of an empty path");
    if (d_.dirs_.count(path)) return Error(Errc::invalid_argument, path + " is a directory");
    auto it = d_.names_.find(path);
    if (it == d_.names_.end()) {
      if (mode == OpenMode::read_write) return Error(Errc::not_found, path);
      const std::string parent = parent_of(path);
      if (!parent.empty() && !d_.dirs_.count(parent))
        return Error(Errc::not_found, "directory " + parent);
      it = d_.names_.emplace(path, std::make_shared<SimDisk::Inode>()).first;
      d_.trace_op("disk.create", path, 0);
    } else if (mode == OpenMode::create_exclusive) {
      return Error(Errc::exists, path);
    }
    return std::unique_ptr<File>(new SimFile(d_, it->second, path));
  }

  Status make_dirs(const std::string& raw) override {
    const std::string path = normalize(raw);
    std::string cur;
    size_t start = 0;
    while (start <= path.size() && !path.empty()) {
      const size_t slash = path.find('/', start);
      cur = path.substr(0, slash == std::string::npos ? path.size() : slash);
      if (d_.names_.count(cur)) return Error(Errc::exists, cur + " is a file");
      d_.dirs_.insert(cur);
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    return {};
  }

  Status fsync_dir(const std::string& raw) override {
    const std::string dir = normalize(raw);
    if (!dir.empty() && !d_.dirs_.count(dir)) return Error(Errc::not_found, dir);
    TERN_TRY(d_.charge_latency(d_.faults_.fsync_latency + d_.faults_.op_latency));
    // The durable namespace of `dir` becomes the volatile one: files and subdirectories.
    std::erase_if(d_.durable_names_, [&](const auto& e) { return parent_of(e.first) == dir; });
    for (const auto& [p, inode] : d_.names_)
      if (parent_of(p) == dir) d_.durable_names_[p] = inode;
    std::erase_if(d_.durable_dirs_, [&](const std::string& p) { return parent_of(p) == dir; });
    for (const auto& p : d_.dirs_)
      if (parent_of(p) == dir) d_.durable_dirs_.insert(p);
    return {};
  }

  Status rename(const std::string& raw_from, const std::string& raw_to) override {
    TERN_TRY(d_.charge_latency(d_.faults_.op_latency));
    const std::string from = normalize(raw_from), to = normalize(raw_to);
    auto it = d_.names_.find(from);
    if (it == d_.names_.end()) return Error(Errc::not_found, from);
    const std::string parent = parent_of(to);
    if (!parent.empty() && !d_.dirs_.count(parent)) return Error(Errc::not_found, parent);
    auto inode = it->second;
    d_.names_.erase(it);
    if (auto old = d_.names_.find(to); old != d_.names_.end())
      d_.used_bytes_ -= old->second->data.size();
    d_.names_[to] = inode;
    d_.trace_op("disk.rename", from + " -> " + to, 0);
    return {};
  }

  Status remove(const std::string& raw) override {
    TERN_TRY(d_.charge_latency(d_.faults_.op_latency));
    const std::string path = normalize(raw);
    if (auto it = d_.names_.find(path); it != d_.names_.end()) {
      d_.used_bytes_ -= it->second->data.size();
      d_.names_.erase(it);
      return {};
    }
    if (d_.dirs_.count(path)) {
      for (const auto& [p, i] : d_.names_)
        if (parent_of(p) == path) return Error(Errc::invalid_argument, path + " not empty");
      for (const auto& p : d_.dirs_)
        if (parent_of(p) == path) return Error(Errc::invalid_argument, path + " not empty");
      d_.dirs_.erase(path);
      return {};
    }
    return Error(Errc::not_found, path);
  }

  Result<std::vector<std::string>> list(const std::string& raw) override {
    const std::string dir = normalize(raw);
    if (!dir.empty() && !d_.dirs_.count(dir)) return Error(Errc::not_found, dir);
    std::vector<std::string> out;
    const size_t skip = dir.empty() ? 0 : dir.size() + 1;
    for (const auto& [p, i] : d_.names_)
      if (parent_of(p) == dir) out.push_back(p.substr(skip));
    for (const auto& p : d_.dirs_)
      if (parent_of(p) == dir) out.push_back(p.substr(skip));
    std::sort(out.begin(), out.end());
    return out;
  }

  bool exists(const std::string& raw) override {
    const std::string path = normalize(raw);
    return path.empty() || d_.names_.count(path) || d_.dirs_.count(path);
  }

 private:
  SimDisk& d_;
};

// ---------------------------------------------------------------------------------------
SimDisk::SimDisk(World& world, uint32_t node, Rng rng) : world_(world), node_(node), rng_(rng) {}
SimDisk::~SimDisk() = default;

std::unique_ptr<Disk> SimDisk::node_disk() { return std::make_unique<NodeDisk>(*this); }

void SimDisk::apply(std::vector<uint8_t>& data, const Write& w) {
  if (w.truncate) {
    data.resize(w.offset);
    return;
  }
  const uint64_t end = w.offset + w.bytes.size();
  if (data.size() < end) data.resize(end);
  std::memcpy(data.data() + w.offset, w.bytes.data(), w.bytes.size());
}

Status SimDisk::charge_latency(Duration d) {
  if (d.ns <= 0) return {};
  // Disk operations run in the calling task: slow I/O parks it, the rest of the world goes on.
  return world_.scheduler().facade().sleep_until(world_.now() + d);
}

void SimDisk::trace_op(std::string_view op, const std::string& path, int64_t n) {
  world_.trace_event(Severity::debug, world_.node_name(node_), op, {{"path", path}, {"n", n}});
}

void SimDisk::crash(CrashOptions options) {
  ++generation_;
  uint64_t kept_writes = 0, torn = 0;
  std::set<Inode*> done;
  for (auto& [path, inode] : durable_names_) {
    if (!done.insert(inode.get()).second) continue;
    // A seeded prefix of the unsynced writes made it to the platter before the power went.
    const size_t n = inode->unsynced.size();
    const size_t keep =
        n == 0 || !options.keep_unsynced_prefix ? 0 : static_cast<size_t>(rng_.below(n + 1));
    for (size_t i = 0; i < keep; ++i) apply(inode->durable, inode->unsynced[i]);
    kept_writes += keep;
    if (options.tear_last_write && keep < n && !inode->unsynced[keep].truncate &&
        !inode->unsynced[keep].bytes.empty()) {
      Write partial = inode->unsynced[keep];
      partial.bytes.resize(rng_.below(partial.bytes.size()));
      apply(inode->durable, partial);
      ++torn;
    }
    inode->unsynced.clear();
    inode->data = inode->durable;
  }
  names_ = durable_names_;
  dirs_ = durable_dirs_;
  used_bytes_ = 0;
  done.clear();
  for (auto& [p, inode] : names_)
    if (done.insert(inode.get()).second) used_bytes_ += inode->data.size();
  world_.trace_event(Severity::info, world_.node_name(node_), "disk.crash",
                     {{"files", names_.size()}, {"kept_unsynced", kept_writes}, {"torn", torn}});
}

std::vector<uint8_t> SimDisk::read_all(const std::string& path) const {
  auto it = names_.find(normalize(path));
  return it == names_.end() ? std::vector<uint8_t>{} : it->second->data;
}

}  // namespace tern::sim
