// RaftNode's log replication (KIP-595 Fetch, KIP-630 FetchSnapshot): the follower's fetch
// loop and the leader's answers, plus BeginQuorumEpoch / EndQuorumEpoch / DescribeQuorum.
#include <algorithm>

#include "broker/protocol/error_code.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/raft/raft_node.h"

namespace tern::raft {

using protocol::ErrorCode;
using protocol::to_wire;

namespace {

constexpr Duration kRetryBackoff = Duration::millis(50);

bool is_metadata_partition(const std::string& topic, int32_t partition) {
  return topic == kMetadataTopic && partition == kMetadataPartition;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Follower side

void RaftNode::fetch_loop() {
  size_t next_voter = 0;  // observers without a leader ask the voters in turn
  while (!stopping_) {
    if (role_ == Role::follower && leader_) {
      fetch_once(*leader_);
      continue;
    }
    if (!voter_ && !leader_) {
      const int32_t to = config_.voters[next_voter++ % config_.voters.size()].id;
      fetch_once(to);
      if (!leader_ && rt_.sleep_for(kRetryBackoff).code() == Errc::cancelled) return;
      continue;
    }
    const uint64_t gen = generation_;
    Status st = changed_.wait_until([&] { return stopping_ || generation_ != gen; });
    if (!st.ok()) return;
  }
}

void RaftNode::set_follower_hw(Offset leader_hw) {
  // What the leader has committed, as far as our (verified) log reaches.
  const Offset hw = std::min(leader_hw, log_->end_offset());
  if (hw <= hw_) return;
  hw_ = hw;
  rt_.trace("raft.hw",
            {{"hw", hw_.value()}, {"epoch", state_.epoch}, {"role", role_name(role_)}});
  changed_.notify_all();
}

void RaftNode::fetch_once(int32_t from) {
  const uint64_t gen = generation_;
  const int32_t epoch = state_.epoch;
  protocol::FetchRequest req;
  req.cluster_id = config_.cluster_id;
  req.replica_id = config_.node_id;
  const Duration max_wait =
      std::min(Duration::millis(500), Duration::nanos(config_.fetch_timeout.ns / 2));
  req.max_wait_ms = static_cast<int32_t>(max_wait.to_millis());
  req.min_bytes = 1;
  req.max_bytes = config_.fetch_max_bytes;
  auto& t = req.topics.emplace_back();
  t.topic = kMetadataTopic;
  auto& p = t.partitions.emplace_back();
  p.partition = kMetadataPartition;
  p.current_leader_epoch = epoch;
  p.fetch_offset = log_->end_offset().value();
  p.last_fetched_epoch = log_->last_epoch();
  p.log_start_offset = log_->log_start().value();
  p.partition_max_bytes = config_.fetch_max_bytes;
  auto resp = transport_.fetch(from, req, rt_.now() + max_wait + config_.request_timeout);
  auto retry_later = [&] { (void)rt_.sleep_for(kRetryBackoff); };
  if (!resp.ok()) return retry_later();
  if (resp->error_code != 0) {
    if (resp->error_code == to_wire(ErrorCode::inconsistent_cluster_id))
      rt_.trace(Severity::warn, "raft.cluster_id_mismatch", {{"peer", from}});
    return retry_later();
  }
  if (resp->responses.size() != 1 || resp->responses[0].partitions.size() != 1)
    return retry_later();
  const auto& rp = resp->responses[0].partitions[0];
  const auto& cl = rp.current_leader;
  if (cl.leader_epoch > state_.epoch ||
      (cl.leader_epoch == state_.epoch && cl.leader_id >= 0 && leader_ != cl.leader_id)) {
    step_down(cl.leader_epoch, cl.leader_id >= 0 ? std::optional(cl.leader_id) : std::nullopt);
    return;
  }
  if (rp.error_code != 0) return retry_later();
  // An answer from another era (we moved on while it was in flight) teaches nothing.
  if (generation_ != gen || epoch != state_.epoch || leader_ != from) return;
  last_leader_contact_ = rt_.now();
  leader_heard_ = last_leader_contact_;
  const int64_t fetched_at = p.fetch_offset;

  if (rp.diverging_epoch.end_offset >= 0 || rp.diverging_epoch.epoch >= 0) {
    MutexLock w(write_mutex_);
    if (!w.owns() || generation_ != gen || log_->end_offset().value() != fetched_at) return;
    // Cut where the leader's history and ours agree: the end of the diverging epoch on the
    // leader, or sooner if our own copy of that epoch ends sooner.
    const EpochEnd mine = log_->end_offset_for_epoch(rp.diverging_epoch.epoch);
    Offset cut = Offset(std::min(rp.diverging_epoch.end_offset, mine.end_offset.value()));
    cut = std::max(cut, log_->log_start());
    TERN_ASSERT(cut >= hw_, "node {} told to truncate to {} below its high watermark {}",
                config_.node_id, cut, hw_);
    const Offset before = log_->end_offset();
    Status st = log_->truncate_to(cut);
    if (!st.ok()) return log_failed() ? void() : retry_later();
    rt_.trace("raft.truncate", {{"from", before.value()}, {"to", log_->end_offset().value()},
                                {"diverging_epoch", rp.diverging_epoch.epoch}});
    changed_.notify_all();
    return;
  }
  if (rp.snapshot_id.end_offset >= 0) {
    Status st = fetch_snapshot_from(
        from, SnapshotId{Offset(rp.snapshot_id.end_offset), rp.snapshot_id.epoch}, epoch);
    if (!st.ok()) return log_failed() ? void() : retry_later();
    return;
  }
  if (rp.records && !rp.records->empty()) {
    MutexLock w(write_mutex_);
    if (!w.owns() || generation_ != gen || log_->end_offset().value() != fetched_at) return;
    // A fetch answer may end with a partial batch (max bytes): keep the whole ones.
    BatchSplit split = split_batches(*rp.records);
    if (split.error) return retry_later();
    ByteView whole(rp.records->data(), split.valid_bytes);
    if (!split.batches.empty() && split.batches.front().base_offset != log_->end_offset())
      return retry_later();
    auto r = log_->append_as_follower(whole);
    if (!r.ok()) return log_failed() ? void() : retry_later();
    // Fetch again only with the data on disk: our fetch offset is what the leader counts.
    Status d = log_->wait_durable(log_->end_offset() - 1, rt_.now() + config_.request_timeout);
    if (!d.ok()) return log_failed() ? void() : retry_later();
    changed_.notify_all();
  }
  if (generation_ == gen) set_follower_hw(Offset(rp.high_watermark));
}

Status RaftNode::fetch_snapshot_from(int32_t from, SnapshotId id, int32_t epoch) {
  const uint64_t gen = generation_;
  Bytes file;
  int64_t size = -1;
  while (size < 0 || static_cast<int64_t>(file.size()) < size) {
    protocol::FetchSnapshotRequest req;
    req.cluster_id = config_.cluster_id;
    req.replica_id = config_.node_id;
    req.max_bytes = config_.fetch_max_bytes;
    auto& t = req.topics.emplace_back();
    t.name = kMetadataTopic;
    auto& p = t.partitions.emplace_back();
    p.partition = kMetadataPartition;
    p.current_leader_epoch = epoch;
    p.snapshot_id.end_offset = id.end_offset.value();
    p.snapshot_id.epoch = id.epoch;
    p.position = static_cast<int64_t>(file.size());
    auto resp = transport_.fetch_snapshot(from, req, rt_.now() + config_.request_timeout);
    if (!resp.ok()) return Error(Errc::reset, "fetch snapshot");
    if (resp->error_code != 0 || resp->topics.size() != 1 ||
        resp->topics[0].partitions.size() != 1)
      return Error(Errc::io_error, "fetch snapshot answer");
    const auto& rp = resp->topics[0].partitions[0];
    if (rp.current_leader.leader_epoch > state_.epoch) {
      step_down(rp.current_leader.leader_epoch,
                rp.current_leader.leader_id >= 0 ? std::optional(rp.current_leader.leader_id)
                                                 : std::nullopt);
      return Error(Errc::invalid_argument, "epoch moved");
    }
    if (rp.error_code != 0 || generation_ != gen) return Error(Errc::io_error, "snapshot gone");
    if (rp.position != static_cast<int64_t>(file.size()) ||
        (rp.unaligned_records.empty() && rp.size != static_cast<int64_t>(file.size())))
      return Error(Errc::corrupt, "snapshot chunk out of place");
    size = rp.size;
    file.insert(file.end(), rp.unaligned_records.begin(), rp.unaligned_records.end());
    last_leader_contact_ = rt_.now();
  }
  MutexLock w(write_mutex_);
  if (!w.owns() || generation_ != gen) return Errc::cancelled;
  if (log_->log_start() >= id.end_offset) return {};
  const Offset before = log_->end_offset();
  TERN_TRY(log_->install_snapshot(file));
  TERN_ASSERT(log_->log_start() == id.end_offset);
  rt_.trace("raft.snapshot_fetched", {{"end", id.end_offset.value()}, {"epoch", id.epoch},
                                      {"log_end_before", before.value()}});
  // A snapshot only ever holds committed entries.
  if (id.end_offset > hw_) {
    hw_ = id.end_offset;
    rt_.trace("raft.hw", {{"hw", hw_.value()}, {"epoch", state_.epoch}, {"role", "snapshot"}});
  }
  changed_.notify_all();
  return {};
}

// ---------------------------------------------------------------------------------------
// Leader side

protocol::FetchResponse RaftNode::handle_fetch(const protocol::FetchRequest& req) {
  protocol::FetchResponse resp;
  if (!running_ || log_failure_reported_) {
    resp.error_code = to_wire(ErrorCode::broker_not_available);
    return resp;
  }
  if (!cluster_ok(req.cluster_id)) {
    resp.error_code = to_wire(ErrorCode::inconsistent_cluster_id);
    return resp;
  }
  auto& out_topic = resp.responses.emplace_back();
  out_topic.topic = req.topics.empty() ? std::string(kMetadataTopic) : req.topics[0].topic;
  const bool shape_ok = req.topics.size() == 1 && req.topics[0].partitions.size() == 1 &&
                        is_metadata_partition(req.topics[0].topic,
                                              req.topics[0].partitions[0].partition);
  if (!shape_ok) {
    for (const auto& t : req.topics)
      for (const auto& p : t.partitions) {
        auto& o = out_topic.partitions.emplace_back();
        o.partition_index = p.partition;
        o.error_code = to_wire(ErrorCode::unknown_topic_or_partition);
      }
    return resp;
  }
  const auto& p = req.topics[0].partitions[0];
  if (p.current_leader_epoch > state_.epoch) step_down(p.current_leader_epoch, std::nullopt);
  auto& o = out_topic.partitions.emplace_back();
  o.partition_index = kMetadataPartition;
  o.high_watermark = hw_.value();
  o.log_start_offset = log_->log_start().value();
  o.current_leader.leader_id = leader_.value_or(-1);
  o.current_leader.leader_epoch = state_.epoch;
  if (role_ != Role::leader) {
    o.error_code = to_wire(ErrorCode::not_leader_or_follower);
    return resp;
  }
  if (p.current_leader_epoch >= 0 && p.current_leader_epoch < state_.epoch) {
    o.error_code = to_wire(ErrorCode::fenced_leader_epoch);
    return resp;
  }
  uint64_t max_bytes = static_cast<uint64_t>(std::max(1, std::min(req.max_bytes,
                                                                   p.partition_max_bytes)));
  if (rt_.buggify("raft.fetch.short_answer")) max_bytes = 1;  // still one whole batch
  resp = fetch_answer(req, req.replica_id, p.fetch_offset, p.last_fetched_epoch, max_bytes);
  return resp;
}

protocol::FetchResponse RaftNode::fetch_answer(const protocol::FetchRequest& req,
                                               int32_t replica, int64_t fetch_offset,
                                               int32_t last_fetched_epoch, uint64_t max_bytes) {
  protocol::FetchResponse resp;
  auto& out_topic = resp.responses.emplace_back();
  out_topic.topic = kMetadataTopic;
  auto& o = out_topic.partitions.emplace_back();
  o.partition_index = kMetadataPartition;
  auto finish = [&]() -> protocol::FetchResponse& {
    o.high_watermark = hw_.value();
    if (replica >= 0 && role_ == Role::leader) progress_[replica].hw_sent = hw_;
    o.log_start_offset = log_->log_start().value();
    o.current_leader.leader_id = leader_.value_or(-1);
    o.current_leader.leader_epoch = state_.epoch;
    if (role_ != Role::leader) o.error_code = to_wire(ErrorCode::not_leader_or_follower);
    return resp;
  };
  const Offset offset(fetch_offset);
  const Offset start = log_->log_start();
  const auto snap = log_->latest_snapshot();
  auto send_snapshot = [&]() -> protocol::FetchResponse& {
    TERN_ASSERT(snap.has_value());
    o.snapshot_id.end_offset = snap->end_offset.value();
    o.snapshot_id.epoch = snap->epoch;
    return finish();
  };
  if (offset < Offset(0)) {
    o.error_code = to_wire(ErrorCode::offset_out_of_range);
    return finish();
  }
  if (offset < start) return send_snapshot();
  if (offset > Offset(0)) {
    // Does the follower's last entry (last_fetched_epoch at fetch_offset - 1) exist here?
    const EpochEnd ee = log_->end_offset_for_epoch(last_fetched_epoch);
    if (ee.epoch != last_fetched_epoch || offset > ee.end_offset) {
      if (ee.epoch < 0 || ee.end_offset < start) {
        if (snap) return send_snapshot();
        o.diverging_epoch.epoch = -1;
        o.diverging_epoch.end_offset = start.value();
        return finish();
      }
      o.diverging_epoch.epoch = ee.epoch;
      o.diverging_epoch.end_offset = ee.end_offset.value();
      return finish();
    }
  }
  // A valid position: the follower holds (durably) everything below it.
  const Offset hw_before = hw_;
  if (replica >= 0) {
    update_progress(replica, offset);
    maybe_advance_hw();
  }
  const bool knows_hw = replica < 0 || progress_[replica].hw_sent >= hw_;
  if (offset >= log_->end_offset() && hw_ == hw_before && knows_hw && req.max_wait_ms > 0) {
    // Long poll: wait for new entries, a high watermark move, or a role change.
    const uint64_t gen = generation_;
    (void)changed_.wait_until(
        [&] {
          return stopping_ || generation_ != gen || log_->end_offset() > offset ||
                 hw_ != hw_before;
        },
        rt_.now() + Duration::millis(req.max_wait_ms));
    if (role_ != Role::leader) return finish();
    if (offset < log_->log_start()) return send_snapshot();
  }
  if (offset < log_->end_offset()) {
    auto bytes = log_->read(offset, max_bytes);
    if (bytes.ok()) o.records = std::move(bytes.value());
  }
  if (!o.records) o.records = Bytes{};
  return finish();
}

protocol::FetchSnapshotResponse RaftNode::handle_fetch_snapshot(
    const protocol::FetchSnapshotRequest& req) {
  protocol::FetchSnapshotResponse resp;
  if (!running_ || log_failure_reported_) {
    resp.error_code = to_wire(ErrorCode::broker_not_available);
    return resp;
  }
  if (!cluster_ok(req.cluster_id)) {
    resp.error_code = to_wire(ErrorCode::inconsistent_cluster_id);
    return resp;
  }
  auto& t = resp.topics.emplace_back();
  t.name = req.topics.empty() ? std::string(kMetadataTopic) : req.topics[0].name;
  auto& o = t.partitions.emplace_back();
  o.index = kMetadataPartition;
  o.current_leader.leader_id = leader_.value_or(-1);
  o.current_leader.leader_epoch = state_.epoch;
  o.unaligned_records = Bytes{};
  if (req.topics.size() != 1 || req.topics[0].partitions.size() != 1 ||
      !is_metadata_partition(req.topics[0].name, req.topics[0].partitions[0].partition)) {
    o.error_code = to_wire(ErrorCode::unknown_topic_or_partition);
    return resp;
  }
  const auto& p = req.topics[0].partitions[0];
  if (p.current_leader_epoch > state_.epoch) step_down(p.current_leader_epoch, std::nullopt);
  o.current_leader.leader_id = leader_.value_or(-1);
  o.current_leader.leader_epoch = state_.epoch;
  if (role_ != Role::leader) {
    o.error_code = to_wire(ErrorCode::not_leader_or_follower);
    return resp;
  }
  if (p.current_leader_epoch < state_.epoch) {
    o.error_code = to_wire(ErrorCode::fenced_leader_epoch);
    return resp;
  }
  const auto snap = log_->latest_snapshot();
  if (!snap || snap->end_offset.value() != p.snapshot_id.end_offset ||
      snap->epoch != p.snapshot_id.epoch) {
    o.error_code = to_wire(ErrorCode::snapshot_not_found);
    return resp;
  }
  const Bytes& file = log_->snapshot_file();
  o.snapshot_id.end_offset = snap->end_offset.value();
  o.snapshot_id.epoch = snap->epoch;
  o.size = static_cast<int64_t>(file.size());
  if (p.position < 0 || p.position > o.size) {
    o.error_code = to_wire(ErrorCode::position_out_of_range);
    return resp;
  }
  int64_t chunk = std::min<int64_t>(std::max(1, req.max_bytes), config_.fetch_max_bytes);
  if (rt_.buggify("raft.fetch_snapshot.small_chunk")) chunk = std::min<int64_t>(chunk, 7);
  const int64_t n = std::min(chunk, o.size - p.position);
  o.position = p.position;
  o.unaligned_records = Bytes(file.begin() + p.position, file.begin() + p.position + n);
  return resp;
}

// ---------------------------------------------------------------------------------------
// BeginQuorumEpoch / EndQuorumEpoch / DescribeQuorum

protocol::BeginQuorumEpochResponse RaftNode::handle_begin_quorum_epoch(
    const protocol::BeginQuorumEpochRequest& req) {
  protocol::BeginQuorumEpochResponse resp;
  if (!running_ || log_failure_reported_) {
    resp.error_code = to_wire(ErrorCode::broker_not_available);
    return resp;
  }
  if (!cluster_ok(req.cluster_id)) {
    resp.error_code = to_wire(ErrorCode::inconsistent_cluster_id);
    return resp;
  }
  auto& t = resp.topics.emplace_back();
  t.topic_name = kMetadataTopic;
  auto& o = t.partitions.emplace_back();
  o.partition_index = kMetadataPartition;
  int16_t err = 0;
  if (req.topics.size() != 1 || req.topics[0].partitions.size() != 1 ||
      !is_metadata_partition(req.topics[0].topic_name,
                             req.topics[0].partitions[0].partition_index)) {
    err = to_wire(ErrorCode::unknown_topic_or_partition);
  } else {
    const auto& p = req.topics[0].partitions[0];
    if (!config_.is_voter(p.leader_id)) {
      err = to_wire(ErrorCode::inconsistent_voter_set);
    } else if (p.leader_epoch < state_.epoch) {
      err = to_wire(ErrorCode::fenced_leader_epoch);
    } else {
      step_down(p.leader_epoch, p.leader_id);
      if (leader_ == p.leader_id && state_.epoch == p.leader_epoch) {
        last_leader_contact_ = rt_.now();
        leader_heard_ = last_leader_contact_;
      }
    }
  }
  o.error_code = err;
  o.leader_id = leader_.value_or(-1);
  o.leader_epoch = state_.epoch;
  return resp;
}

protocol::EndQuorumEpochResponse RaftNode::handle_end_quorum_epoch(
    const protocol::EndQuorumEpochRequest& req) {
  protocol::EndQuorumEpochResponse resp;
  if (!running_ || log_failure_reported_) {
    resp.error_code = to_wire(ErrorCode::broker_not_available);
    return resp;
  }
  if (!cluster_ok(req.cluster_id)) {
    resp.error_code = to_wire(ErrorCode::inconsistent_cluster_id);
    return resp;
  }
  auto& t = resp.topics.emplace_back();
  t.topic_name = kMetadataTopic;
  auto& o = t.partitions.emplace_back();
  o.partition_index = kMetadataPartition;
  if (req.topics.size() != 1 || req.topics[0].partitions.size() != 1 ||
      !is_metadata_partition(req.topics[0].topic_name,
                             req.topics[0].partitions[0].partition_index)) {
    o.error_code = to_wire(ErrorCode::unknown_topic_or_partition);
  } else {
    const auto& p = req.topics[0].partitions[0];
    if (p.leader_epoch < state_.epoch) {
      o.error_code = to_wire(ErrorCode::fenced_leader_epoch);
    } else {
      if (p.leader_epoch > state_.epoch) step_down(p.leader_epoch, std::nullopt);
      MutexLock lock(state_mutex_);
      if (lock.owns() && p.leader_epoch == state_.epoch && leader_ == p.leader_id &&
          role_ == Role::follower) {
        if (transition(Role::unattached,
                       ElectionState{state_.epoch, state_.voted_id, std::nullopt},
                       std::nullopt)
                .ok()) {
          trace_role("leader resigned");
          // The most caught-up successors (listed first) try first; the others back off.
          std::vector<int32_t> order = p.preferred_successors;
          if (order.empty())
            for (const auto& c : p.preferred_candidates) order.push_back(c.candidate_id);
          auto pos = std::find(order.begin(), order.end(), config_.node_id);
          if (voter_ && pos == order.begin()) {
            reset_election_timer(Duration::millis(1));
          } else if (voter_) {
            reset_election_timer(backoff() + Duration::millis(50));
          }
        }
      }
    }
  }
  o.leader_id = leader_.value_or(-1);
  o.leader_epoch = state_.epoch;
  return resp;
}

protocol::DescribeQuorumResponse RaftNode::handle_describe_quorum(
    const protocol::DescribeQuorumRequest& req) {
  protocol::DescribeQuorumResponse resp;
  auto& t = resp.topics.emplace_back();
  t.topic_name = kMetadataTopic;
  auto& o = t.partitions.emplace_back();
  o.partition_index = kMetadataPartition;
  o.leader_id = leader_.value_or(-1);
  o.leader_epoch = state_.epoch;
  o.high_watermark = hw_.value();
  const bool shape_ok = req.topics.size() == 1 && req.topics[0].partitions.size() == 1 &&
                        is_metadata_partition(req.topics[0].topic_name,
                                              req.topics[0].partitions[0].partition_index);
  if (!shape_ok) {
    o.error_code = to_wire(ErrorCode::unknown_topic_or_partition);
    return resp;
  }
  if (!running_ || role_ != Role::leader) {
    o.error_code = to_wire(ErrorCode::not_leader_or_follower);
    return resp;
  }
  const int64_t now_ms = rt_.wall_now().unix_ms;
  for (const Voter& v : config_.voters) {
    auto& r = o.current_voters.emplace_back();
    r.replica_id = v.id;
    if (v.id == config_.node_id) {
      r.log_end_offset = log_->end_offset().value();
      r.last_fetch_timestamp = now_ms;
      r.last_caught_up_timestamp = now_ms;
      continue;
    }
    auto it = progress_.find(v.id);
    if (it == progress_.end()) {
      r.log_end_offset = -1;
      continue;
    }
    r.log_end_offset = it->second.end_offset.value();
    r.last_fetch_timestamp = it->second.last_fetch_wall_ms;
    r.last_caught_up_timestamp = it->second.last_caught_up_wall_ms;
  }
  for (const auto& [id, p] : progress_) {
    if (config_.is_voter(id)) continue;
    auto& r = o.observers.emplace_back();
    r.replica_id = id;
    r.log_end_offset = p.end_offset.value();
    r.last_fetch_timestamp = p.last_fetch_wall_ms;
    r.last_caught_up_timestamp = p.last_caught_up_wall_ms;
  }
  return resp;
}

}  // namespace tern::raft
