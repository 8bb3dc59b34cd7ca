#include "broker/raft/raft_transport.h"

#include <algorithm>

namespace tern::raft {

using client::ClientError;
using client::ClientResult;

KafkaRaftTransport::KafkaRaftTransport(Runtime& rt, const RaftConfig& config)
    : rt_(rt), config_(config) {}

KafkaRaftTransport::~KafkaRaftTransport() { close(); }

void KafkaRaftTransport::close() {
  for (auto& [k, c] : conns_)
    if (c) c->close();
  conns_.clear();
}

ClientResult<client::Connection*> KafkaRaftTransport::connection(int32_t to, Lane lane,
                                                                 Deadline deadline) {
  auto key = std::pair{to, lane};
  auto it = conns_.find(key);
  if (it != conns_.end() && it->second && !it->second->broken()) return it->second.get();
  if (it != conns_.end()) conns_.erase(it);
  auto address = config_.address_of(to);
  if (!address) return ClientError::runtime(Errc::invalid_argument, fmt::format("no voter {}", to));
  client::ConnectionOptions opts;
  opts.client_id = fmt::format("raft-{}", config_.node_id);
  const Duration left = deadline - rt_.now();
  opts.connect_timeout = std::max(Duration::millis(1), std::min(left, config_.request_timeout));
  opts.request_timeout = config_.request_timeout;
  auto conn = client::Connection::open(rt_, *address, opts);
  if (!conn.ok()) return conn.error();
  // Another task may have opened one meanwhile: keep the first, it may carry requests.
  auto& slot = conns_[key];
  if (slot && !slot->broken()) {
    conn.value()->close();
    return slot.get();
  }
  slot = std::move(conn.value());
  return slot.get();
}

template <class Req>
ClientResult<typename client::ResponseOf<Req>::type> KafkaRaftTransport::call(
    int32_t to, Lane lane, const Req& req, Deadline deadline) {
  auto conn = connection(to, lane, deadline);
  if (!conn.ok()) return conn.error();
  // Always the newest version both sides know: the quorum's fields (pre_vote, Fetch v12's
  // epochs) exist only there.
  auto version = conn.value()->version_for<Req>();
  if (!version.ok()) return version.error();
  // Keep the connection alive while we wait: a concurrent reopen must not free it.
  auto pending = conn.value()->send(req, version.value());
  if (!pending.ok()) return pending.error();
  return pending->get(std::min(deadline, rt_.now() + config_.request_timeout));
}

ClientResult<protocol::VoteResponse> KafkaRaftTransport::vote(int32_t to,
                                                              const protocol::VoteRequest& req,
                                                              Deadline deadline) {
  return call(to, Lane::control, req, deadline);
}
ClientResult<protocol::BeginQuorumEpochResponse> KafkaRaftTransport::begin_quorum_epoch(
    int32_t to, const protocol::BeginQuorumEpochRequest& req, Deadline deadline) {
  return call(to, Lane::control, req, deadline);
}
ClientResult<protocol::EndQuorumEpochResponse> KafkaRaftTransport::end_quorum_epoch(
    int32_t to, const protocol::EndQuorumEpochRequest& req, Deadline deadline) {
  return call(to, Lane::control, req, deadline);
}
ClientResult<protocol::FetchResponse> KafkaRaftTransport::fetch(int32_t to,
                                                                const protocol::FetchRequest& req,
                                                                Deadline deadline) {
  return call(to, Lane::fetch, req, deadline);
}
ClientResult<protocol::FetchSnapshotResponse> KafkaRaftTransport::fetch_snapshot(
    int32_t to, const protocol::FetchSnapshotRequest& req, Deadline deadline) {
  return call(to, Lane::fetch, req, deadline);
}

}  // namespace tern::raft
