#pragma once
// The persisted election state of a node (Kafka's quorum-state file): the largest epoch it has
// seen, whom it voted for in that epoch, and the leader it knows of. Raft's safety rests on
// two facts this file keeps across crashes: the epoch never goes backwards, and a vote cast in
// an epoch is on disk before the candidate hears of it (else a restarted node could vote
// twice in one epoch and elect two leaders).
//
// File: <data_dir>/__cluster_metadata-0/quorum-state, replaced atomically (write a temp
// file, fsync, rename, fsync the directory). Text lines, the last one a CRC-32C of the rest;
// a file that fails its CRC is an error (Errc::corrupt), never silently reset.
#include <cstdint>
#include <optional>
#include <string>

#include "sim/runtime/disk.h"
#include "sim/runtime/result.h"

namespace tern::raft {

struct ElectionState {
  int32_t epoch = 0;
  std::optional<int32_t> voted_id;   // the vote cast in `epoch`, if any
  std::optional<int32_t> leader_id;  // the leader of `epoch`, if known
  bool operator==(const ElectionState&) const = default;
};

class QuorumStateStore {
 public:
  // `dir` is the metadata partition's directory (created by the caller).
  QuorumStateStore(Disk& disk, std::string dir) : disk_(disk), dir_(std::move(dir)) {}

  // The stored state; the default (epoch 0, nobody) when no file exists yet.
  // Errors: corrupt (bad CRC or syntax), io_error.
  Result<ElectionState> read();
  // Durable when it returns ok.
  Status write(const ElectionState& state);

  static std::string encode(const ElectionState& state);
  static Result<ElectionState> decode(std::string_view text);

 private:
  Disk& disk_;
  std::string dir_;
};

}  // namespace tern::raft
