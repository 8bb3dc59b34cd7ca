#pragma once
// The settings of one node of the KRaft metadata quorum, named after Kafka's controller.quorum.*
// configs. A node whose id is not among the voters is an observer (a broker-only node): it
// fetches the log from the leader but never votes and never counts for the high watermark.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/runtime/address.h"
#include "sim/runtime/time.h"

namespace tern::raft {

struct Voter {
  int32_t id = -1;
  Address address;  // the voter's CONTROLLER listener
};

struct RaftConfig {
  int32_t node_id = -1;
  std::vector<Voter> voters;  // controller.quorum.voters
  std::string cluster_id;
  std::string data_dir;  // metadata.log.dir: holds __cluster_metadata-0/
  // controller.quorum.election.timeout.ms: a follower without a leader for this long (and a
  // candidate without a result) starts an election; drawn in [T, 2T) each time.
  Duration election_timeout = Duration::millis(1000);
  // controller.quorum.election.backoff.max.ms: the cap of the exponential backoff after a
  // lost election.
  Duration election_backoff_max = Duration::millis(1000);
  // controller.quorum.fetch.timeout.ms: a follower that has not heard from its leader for
  // this long looks for a new one; a leader that has not been fetched from by a majority for
  // this long resigns (check quorum).
  Duration fetch_timeout = Duration::millis(2000);
  // controller.quorum.request.timeout.ms: the bound of one outbound RPC.
  Duration request_timeout = Duration::millis(2000);
  // How much a Fetch answer may carry, and the chunk of a FetchSnapshot answer.
  int32_t fetch_max_bytes = 1024 * 1024;
  // Segment size of the metadata log (small segments let snapshots free space early).
  int64_t segment_bytes = 8 * 1024 * 1024;

  bool is_voter(int32_t id) const {
    for (const Voter& v : voters)
      if (v.id == id) return true;
    return false;
  }
  std::optional<Address> address_of(int32_t id) const {
    for (const Voter& v : voters)
      if (v.id == id) return v.address;
    return std::nullopt;
  }
  // A strict majority of the voters.
  size_t majority() const { return voters.size() / 2 + 1; }
};

// The single partition of the metadata log.
inline constexpr const char* kMetadataTopic = "__cluster_metadata";
inline constexpr int32_t kMetadataPartition = 0;

}  // namespace tern::raft
