#pragma once
// Outbound quorum RPCs. RaftNode talks to its peers only through this interface, so tests can
// put anything behind it; KafkaRaftTransport is the real one (Kafka's wire protocol through
// broker/client's Connection to each voter's CONTROLLER listener).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "broker/client/client_error.h"
#include "broker/client/connection.h"
#include "broker/protocol/messages.h"
#include "broker/raft/raft_config.h"
#include "sim/runtime/runtime.h"

namespace tern::raft {

// Errors are values: a peer that is down, partitioned or slow is a ClientError.
class RaftTransport {
 public:
  virtual ~RaftTransport() = default;
  virtual client::ClientResult<protocol::VoteResponse> vote(
      int32_t to, const protocol::VoteRequest& req, Deadline deadline) = 0;
  virtual client::ClientResult<protocol::BeginQuorumEpochResponse> begin_quorum_epoch(
      int32_t to, const protocol::BeginQuorumEpochRequest& req, Deadline deadline) = 0;
  virtual client::ClientResult<protocol::EndQuorumEpochResponse> end_quorum_epoch(
      int32_t to, const protocol::EndQuorumEpochRequest& req, Deadline deadline) = 0;
  // Fetch v12 (a long poll: the deadline must exceed the request's max_wait).
  virtual client::ClientResult<protocol::FetchResponse> fetch(
      int32_t to, const protocol::FetchRequest& req, Deadline deadline) = 0;
  virtual client::ClientResult<protocol::FetchSnapshotResponse> fetch_snapshot(
      int32_t to, const protocol::FetchSnapshotRequest& req, Deadline deadline) = 0;
};

// One cached connection per (peer, lane): Fetch and FetchSnapshot use their own lane, so a
// long-polling fetch never holds a Vote behind it (Kafka answers a connection's requests in
// order). A broken connection is dropped and reopened on the next call.
class KafkaRaftTransport final : public RaftTransport {
 public:
  KafkaRaftTransport(Runtime& rt, const RaftConfig& config);
  ~KafkaRaftTransport() override;

  client::ClientResult<protocol::VoteResponse> vote(int32_t to, const protocol::VoteRequest& req,
                                                    Deadline deadline) override;
  client::ClientResult<protocol::BeginQuorumEpochResponse> begin_quorum_epoch(
      int32_t to, const protocol::BeginQuorumEpochRequest& req, Deadline deadline) override;
  client::ClientResult<protocol::EndQuorumEpochResponse> end_quorum_epoch(
      int32_t to, const protocol::EndQuorumEpochRequest& req, Deadline deadline) override;
  client::ClientResult<protocol::FetchResponse> fetch(int32_t to, const protocol::FetchRequest& req,
                                                      Deadline deadline) override;
  client::ClientResult<protocol::FetchSnapshotResponse> fetch_snapshot(
      int32_t to, const protocol::FetchSnapshotRequest& req, Deadline deadline) override;

  // Closes every cached connection.
  void close();

 private:
  enum class Lane : uint8_t { control, fetch };
  client::ClientResult<client::Connection*> connection(int32_t to, Lane lane, Deadline deadline);
  template <class Req>
  client::ClientResult<typename client::ResponseOf<Req>::type> call(int32_t to, Lane lane,
                                                                    const Req& req,
                                                                    Deadline deadline);

  Runtime& rt_;
  RaftConfig config_;
  std::map<std::pair<int32_t, Lane>, std::unique_ptr<client::Connection>> conns_;
};

}  // namespace tern::raft
