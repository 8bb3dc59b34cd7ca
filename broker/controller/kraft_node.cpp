#include "broker/controller/kraft_node.h"

namespace tern::controller {

// The controller's MetadataLog is the Raft log.
class KRaftNode::RaftLogAdapter final : public MetadataLog {
 public:
  explicit RaftLogAdapter(raft::RaftNode& raft) : raft_(raft) {}
  Result<int64_t> append(const std::vector<Bytes>& records, int32_t epoch) override {
    auto r = raft_.append(records, epoch);
    if (!r.ok()) return r.error();
    return r.value().value();
  }

 private:
  raft::RaftNode& raft_;
};

KRaftNode::KRaftNode(Runtime& rt, KRaftSettings settings, MetadataCache& cache)
    : rt_(rt), settings_(std::move(settings)), cache_(cache) {
  settings_.raft.node_id = settings_.node_id;
  settings_.raft.cluster_id = settings_.cluster_id;
  TERN_ASSERT(!settings_.controller_role || settings_.raft.is_voter(settings_.node_id),
              "a controller must be a voter (config validation checks this)");
  transport_ = std::make_unique<raft::KafkaRaftTransport>(rt_, settings_.raft);
  raft_ = std::make_unique<raft::RaftNode>(rt_, settings_.raft, *transport_, *this);
  applier_ = std::make_unique<MetadataApplier>(
      rt_, cache_, settings_.cluster_id, settings_.snapshot_bytes,
      [this](int64_t end_offset, int32_t, Bytes data) {
        // Raft writes the snapshot file; not from inside its own apply callback.
        if (snapshot_in_flight_) return;
        snapshot_in_flight_ = true;
        auto take = [this, end_offset, data = std::move(data)]() mutable {
          Status s = raft_->snapshot(Offset(end_offset), std::move(data));
          if (!s.ok()) {
            rt_.trace(Severity::warn, "metadata.snapshot_failed",
                      {{"end_offset", end_offset}, {"error", s.error().message()}});
          }
          snapshot_in_flight_ = false;
        };
        snapshot_task_ = rt_.spawn("metadata-snapshot", std::move(take));
      });
  if (settings_.controller_role) {
    log_adapter_ = std::make_unique<RaftLogAdapter>(*raft_);
    ControllerSettings cs = settings_.controller;
    cs.node_id = settings_.node_id;
    cs.cluster_id = settings_.cluster_id;
    controller_ = std::make_unique<QuorumController>(rt_, std::move(cs), *log_adapter_, cache_);
  }
  if (settings_.broker_role) {
    std::map<int32_t, Address> voters;
    for (const auto& v : settings_.raft.voters) voters[v.id] = v.address;
    channel_ = std::make_unique<ControllerChannel>(
        rt_, std::move(voters), [this] { return raft_->leader(); }, controller_.get(),
        settings_.raft.request_timeout);
    channel_->set_describe_quorum_local(
        [this](const protocol::DescribeQuorumRequest& r) {
          return raft_->handle_describe_quorum(r);
        });
    LifecycleSettings ls = settings_.lifecycle;
    ls.node_id = settings_.node_id;
    ls.cluster_id = settings_.cluster_id;
    lifecycle_ = std::make_unique<BrokerLifecycle>(rt_, std::move(ls), *channel_, cache_);
    client_ = std::make_unique<QuorumControllerClient>(rt_, *channel_, cache_, *lifecycle_,
                                                       settings_.node_id,
                                                       settings_.admin_timeout);
  }
}

KRaftNode::~KRaftNode() = default;

Status KRaftNode::start() {
  if (Status s = raft_->start(); !s.ok()) return s;
  if (lifecycle_) lifecycle_->start();
  return {};
}

void KRaftNode::stop() {
  if (lifecycle_) lifecycle_->stop(settings_.raft.request_timeout);
  if (controller_) controller_->stop();
  if (snapshot_task_.valid()) (void)snapshot_task_.join();
  raft_->stop();
  // The peers' connections (their reader fibers) would keep a stopping process's runtime
  // alive: a SIGTERM'd node waited for its leader to die.
  if (transport_) transport_->close();
  if (channel_) channel_->close();
}

void KRaftNode::fail(const Error& e) {
  if (failed_) return;
  failed_ = true;
  rt_.trace(Severity::error, "metadata.apply_failed", {{"error", e.message()}});
  if (on_fatal_) on_fatal_(e);
}

// A disk fault or a configuration error, not a bug (hence not an error event): the process
// stops (and a supervisor restarts it), as Kafka does on a metadata log dir failure.
void KRaftNode::handle_fatal(const Error& e) {
  if (failed_) return;
  failed_ = true;
  if (on_fatal_) on_fatal_(e);
}

void KRaftNode::handle_commit(const raft::CommittedBatch& batch) {
  if (failed_) return;
  Status s = applier_->apply_batch(batch.base.value(), batch.last.value(), batch.epoch,
                                   batch.control, batch.records);
  if (!s.ok()) fail(s.error());
}

void KRaftNode::handle_load_snapshot(Offset end_offset, int32_t epoch, const Bytes& data) {
  if (failed_) return;
  Status s = applier_->load_snapshot(end_offset.value(), epoch, data);
  if (!s.ok()) fail(s.error());
}

void KRaftNode::handle_leader_change(const raft::LeaderAndEpoch& leader) {
  rt_.trace("metadata.leader", {{"leader", leader.leader ? *leader.leader : -1},
                                {"epoch", leader.epoch}});
  if (controller_) controller_->on_leader_change(leader.leader, leader.epoch);
}

}  // namespace tern::controller
