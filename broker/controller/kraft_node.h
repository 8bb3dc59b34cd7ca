#pragma once
// KRaftNode: one node's share of the KRaft metadata quorum, wired together — the Raft
// replica of `__cluster_metadata` (a voter, or an observer on a broker-only node), the
// applier that turns committed records into this node's MetadataImage, the QuorumController
// (controller role; active while this node leads), and the broker's registration, heartbeats
// and ControllerClient (broker role).
//
// The server owns one KRaftNode and routes the CONTROLLER listener's requests to raft() and
// controller(); handlers read metadata through cache() and write it through
// controller_client().
#include <functional>
#include <memory>
#include <optional>

#include "broker/controller/broker_lifecycle.h"
#include "broker/controller/controller_channel.h"
#include "broker/controller/metadata_applier.h"
#include "broker/controller/metadata_cache.h"
#include "broker/controller/quorum_controller.h"
#include "broker/controller/quorum_controller_client.h"
#include "broker/raft/raft_node.h"
#include "broker/raft/raft_transport.h"

namespace tern::controller {

struct KRaftSettings {
  int32_t node_id = 1;
  bool broker_role = true;
  bool controller_role = true;
  std::string cluster_id;
  raft::RaftConfig raft;
  ControllerSettings controller;  // controller role
  LifecycleSettings lifecycle;    // broker role
  // metadata.log.max.record.bytes.between.snapshots
  int64_t snapshot_bytes = 20 * 1024 * 1024;
  Duration admin_timeout = Duration::millis(30000);
};

class KRaftNode final : public raft::RaftListener {
 public:
  // `cache` is the node's MetadataCache (owned by the server, which subscribes its
  // ReplicaManager to it); the applier publishes into it.
  KRaftNode(Runtime& rt, KRaftSettings settings, MetadataCache& cache);
  ~KRaftNode() override;
  KRaftNode(const KRaftNode&) = delete;
  KRaftNode& operator=(const KRaftNode&) = delete;

  // Opens the metadata log, starts Raft and (broker role) registration. Errors: the log or
  // quorum state could not be read.
  Status start();
  // Controlled shutdown (bounded), then Raft resigns/stops.
  void stop();
  // Called once when the metadata log cannot be applied (a record that does not decode or
  // contradicts the image): the node must stop rather than serve a diverged image.
  void set_fatal_handler(std::function<void(const Error&)> fn) { on_fatal_ = std::move(fn); }

  MetadataCache& cache() { return cache_; }
  const MetadataCache& cache() const { return cache_; }
  raft::RaftNode& raft() { return *raft_; }
  const raft::RaftNode& raft() const { return *raft_; }
  QuorumController* controller() { return controller_.get(); }
  ControllerChannel* channel() { return channel_.get(); }
  ControllerClient* controller_client() { return client_.get(); }
  BrokerLifecycle* lifecycle() { return lifecycle_.get(); }
  const KRaftSettings& settings() const { return settings_; }
  // The Raft leader (the active controller's node id), if known here.
  std::optional<int32_t> leader() const { return raft_->leader(); }

 private:
  class RaftLogAdapter;
  void handle_commit(const raft::CommittedBatch& batch) override;
  void handle_load_snapshot(Offset end_offset, int32_t epoch, const Bytes& data) override;
  void handle_leader_change(const raft::LeaderAndEpoch& leader) override;
  void handle_fatal(const Error& error) override;
  void fail(const Error& e);

  Runtime& rt_;
  KRaftSettings settings_;
  MetadataCache& cache_;
  std::unique_ptr<raft::KafkaRaftTransport> transport_;
  std::unique_ptr<raft::RaftNode> raft_;
  std::unique_ptr<RaftLogAdapter> log_adapter_;
  std::unique_ptr<MetadataApplier> applier_;
  std::unique_ptr<QuorumController> controller_;
  std::unique_ptr<ControllerChannel> channel_;
  std::unique_ptr<BrokerLifecycle> lifecycle_;
  std::unique_ptr<QuorumControllerClient> client_;
  std::function<void(const Error&)> on_fatal_;
  bool failed_ = false;
  bool snapshot_in_flight_ = false;
  TaskHandle snapshot_task_;
};

}  // namespace tern::controller
