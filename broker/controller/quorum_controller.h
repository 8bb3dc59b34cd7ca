#pragma once
// QuorumController: the active controller of a KRaft cluster (Kafka's QuorumController).
// It lives on every node with the controller role; it is *active* on the node that leads
// the Raft quorum, and answers NOT_CONTROLLER everywhere else.
//
// Every change is a list of metadata records appended to the Raft log in the controller's
// epoch; the answer goes back only when those records are committed and applied to this
// node's MetadataImage (the same apply path as every other node). Writes are serialised:
// one batch in flight, each validated against the image that already holds every earlier
// write — simple and obviously consistent; metadata changes are rare.
//
// A new active controller first writes a NoOp and waits for it to apply: then its image
// holds everything the previous leader committed (Raft commits earlier-epoch entries only
// together with one of the new epoch), and it may validate against it.
//
// Broker liveness: registered brokers heartbeat; the active controller fences a broker
// whose last heartbeat is older than broker.session.timeout.ms (its partitions lose their
// leader) and unfences it when it heartbeats again caught up to its own registration. Every
// broker gets a full session timeout from the moment a controller becomes active (it cannot
// know when the previous one last heard from them).
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/controller/metadata_cache.h"
#include "broker/controller/metadata_records.h"
#include "broker/protocol/msg_allocate_producer_ids.h"
#include "broker/protocol/msg_alter_configs.h"
#include "broker/protocol/msg_broker_heartbeat.h"
#include "broker/protocol/msg_broker_registration.h"
#include "broker/protocol/msg_create_partitions.h"
#include "broker/protocol/msg_create_topics.h"
#include "broker/protocol/msg_delete_topics.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::controller {

// The controller's view of the replicated log (RaftNode behind it; a fake in unit tests).
class MetadataLog {
 public:
  virtual ~MetadataLog() = default;
  // Appends the records as one batch if this node still leads `epoch`; the last offset.
  virtual Result<int64_t> append(const std::vector<Bytes>& records, int32_t epoch) = 0;
};

struct ControllerSettings {
  int32_t node_id = 1;
  std::string cluster_id;
  Duration session_timeout = Duration::millis(9000);   // broker.session.timeout.ms
  Duration heartbeat_interval = Duration::millis(2000);  // broker.heartbeat.interval.ms
  Duration max_idle = Duration::millis(500);           // metadata.max.idle.interval.ms
  Duration write_timeout = Duration::millis(30000);    // a write not committed by then fails
  int32_t default_partitions = 1;                      // num.partitions
  int16_t default_replication_factor = 1;              // default.replication.factor
  int32_t partitions_per_topic_max = 10'000;  // kPartitionsPerTopicMax (topic_validation.h)
  bool delete_topic_enable = true;
  int32_t producer_id_block = 1000;
  // Topic config validation (server owns the table of Kafka's topic configs).
  std::function<Status(std::string_view name, std::string_view value)> validate_topic_config;
  std::function<std::string(std::string_view topic)> topic_name_problem;
};

class QuorumController {
 public:
  QuorumController(Runtime& rt, ControllerSettings settings, MetadataLog& log,
                   MetadataCache& cache);
  ~QuorumController();
  QuorumController(const QuorumController&) = delete;
  QuorumController& operator=(const QuorumController&) = delete;

  // From the Raft listener: the quorum's leader changed. Activates this controller when
  // the leader is this node, deactivates it otherwise.
  void on_leader_change(std::optional<int32_t> leader, int32_t epoch);
  bool active() const { return active_epoch_.has_value(); }
  std::optional<int32_t> active_epoch() const { return active_epoch_; }
  // Deactivates and joins this controller's tasks (call from a task before destroying it).
  void stop();

  // CONTROLLER-listener requests. Each answers NOT_CONTROLLER when this node is not (or
  // stops being) the active controller.
  protocol::BrokerRegistrationResponse register_broker(
      const protocol::BrokerRegistrationRequest& req);
  protocol::BrokerHeartbeatResponse heartbeat(const protocol::BrokerHeartbeatRequest& req);
  protocol::AllocateProducerIdsResponse allocate_producer_ids(
      const protocol::AllocateProducerIdsRequest& req);
  protocol::CreateTopicsResponse create_topics(const protocol::CreateTopicsRequest& req,
                                               int16_t version);
  protocol::DeleteTopicsResponse delete_topics(const protocol::DeleteTopicsRequest& req,
                                               int16_t version);
  protocol::CreatePartitionsResponse create_partitions(
      const protocol::CreatePartitionsRequest& req, int16_t version);
  protocol::AlterConfigsResponse alter_configs(const protocol::AlterConfigsRequest& req,
                                               int16_t version);

  // For tests and inspection: records appended by this controller (all epochs).
  uint64_t writes() const { return writes_; }

 private:
  enum class WriteResult : uint8_t { committed, not_controller, timed_out, failed };
  // Appends `records` in the active epoch and waits until they are applied here.
  WriteResult write(const std::vector<MetadataRecord>& records);
  // Runs `fn(image)` under the write lock against the latest image; fn returns records to
  // write (possibly none). Returns not_controller when inactive.
  template <class Fn>
  WriteResult locked_write(Fn&& fn);
  bool caught_up_locked();
  void liveness_loop(int32_t epoch);
  std::vector<MetadataRecord> fence_records(const MetadataImage& image, int32_t broker);
  std::vector<MetadataRecord> unfence_records(const MetadataImage& image, int32_t broker);
  // Replica placement for `count` new partitions starting at index `first` (Kafka's
  // striped placer: round robin over the live brokers from a random start).
  std::vector<std::vector<int32_t>> place(const MetadataImage& image, int32_t count,
                                          int16_t replication_factor);

  Runtime& rt_;
  ControllerSettings settings_;
  MetadataLog& log_;
  MetadataCache& cache_;
  Mutex write_mutex_;
  std::optional<int32_t> active_epoch_;
  bool caught_up_ = false;  // the activation NoOp of active_epoch_ applied
  int64_t last_write_offset_ = -1;
  Instant last_write_at_;
  std::map<int32_t, Instant> last_heartbeat_;  // by broker id; active controller only
  TaskHandle liveness_;
  std::vector<TaskHandle> old_liveness_;  // cancelled ones, joined by stop()
  bool stopped_ = false;
  uint64_t writes_ = 0;
};

}  // namespace tern::controller
