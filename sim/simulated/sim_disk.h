#pragma once
// A node's simulated disk, owned by the world so it outlives the node's crashes.
// Two images: the volatile one every read sees (page cache + namespace as the process sees
// it) and the durable one (what survives power loss). File::fsync makes a file's data
// durable; fsync_dir makes the names in a directory durable (creates, renames, removes).
// A crash keeps a seeded prefix of each file's unsynced writes (optionally tearing the next
// one) and throws the rest away, like LevelDB's FaultInjectionTestEnv and FoundationDB's
// AsyncFileNonDurable.
//
// Fault hooks: fsync errors, slow I/O, bit flips on read, a capacity limit (no_space).
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/runtime/disk.h"
#include "sim/runtime/rng.h"
#include "sim/runtime/time.h"

namespace tern::sim {

class World;

struct CrashOptions {
  // Keep a seeded prefix of each file's unsynced writes (the OS may have written some back
  // before the power went). Off: every unsynced write is lost.
  bool keep_unsynced_prefix = false;
  // Also keep a partial copy of the next unsynced write (a torn write).
  bool tear_last_write = false;
  // Half-open connections: the dead machine sends no reset. Its peers' connections stay open
  // and silent (writes queue, reads wait) until their own timeouts give up or the node
  // restarts, when its fresh network stack answers anything on an old connection with a reset.
  // Off: peers see a reset at once (a process crash on a live machine: the kernel closes the
  // sockets).
  bool half_open = false;
};

struct DiskFaults {
  uint32_t fsync_error_ppm = 0;     // chance that an fsync fails with io_error
  uint32_t read_bitflip_ppm = 0;    // chance that a pread returns one flipped bit
  Duration op_latency{0};           // added to every operation (slow I/O)
  Duration fsync_latency = Duration::micros(200);
  uint64_t capacity_bytes = UINT64_MAX;
};

class SimDisk {
 public:
  SimDisk(World& world, uint32_t node, Rng rng);
  ~SimDisk();

  // The Disk a node's runtime hands out. Operations may sleep (latency), so they run in tasks.
  std::unique_ptr<Disk> node_disk();
  // Power loss: volatile state reverts to the durable image (plus, if asked, a seeded prefix
  // of the unsynced writes). Invalidates every open file handle (they belong to the dead process).
  void crash(CrashOptions options);

  DiskFaults& faults() { return faults_; }
  uint64_t used_bytes() const { return used_bytes_; }
  uint64_t fsyncs() const { return fsyncs_; }
  // For checkers: the volatile content of a file (empty if missing).
  std::vector<uint8_t> read_all(const std::string& path) const;

 private:
  friend class SimFile;
  friend class NodeDisk;
  struct Write {
    uint64_t offset;
    std::vector<uint8_t> bytes;
    bool truncate;  // a truncate to `offset`
  };
  struct Inode {
    std::vector<uint8_t> data;     // volatile content
    std::vector<uint8_t> durable;  // content after the last successful fsync
    std::vector<Write> unsynced;   // writes since, in order
    bool lost_writes = false;      // a failed fsync dropped writes that reads still see
  };
  using InodePtr = std::shared_ptr<Inode>;
  static void apply(std::vector<uint8_t>& data, const Write& w);
  Status charge_latency(Duration d);
  void trace_op(std::string_view op, const std::string& path, int64_t n);

  World& world_;
  uint32_t node_;
  Rng rng_;
  DiskFaults faults_;
  uint64_t generation_ = 0;  // bumped by a crash: older file handles are dead
  std::map<std::string, InodePtr> names_;          // volatile namespace
  std::map<std::string, InodePtr> durable_names_;  // durable namespace
  std::set<std::string> dirs_;
  std::set<std::string> durable_dirs_;
  uint64_t used_bytes_ = 0;
  uint64_t fsyncs_ = 0;
};

}  // namespace tern::sim
