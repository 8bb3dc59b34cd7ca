#pragma once
// BrokerCore: the state behind Broker (private to broker/server; inspect.cpp uses it). It
// does lifecycle, connections and wiring only; the work is in the parts it wires:
//   MetadataCache     the applied MetadataImage (broker/controller/metadata_cache.h)
//   LocalController   the single-node ControllerClient: admin changes, persisted, published
//   ReplicaManager    this node's partitions, fed by the cache (broker/partition/)
//   ProducerIdPool    producer ids from controller-granted blocks
//   Services          what handlers see of all this (services.h)
// Held by shared_ptr: every task the broker spawns keeps it alive.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "broker/controller/metadata_cache.h"
#include "broker/partition/replica_manager.h"
#include "broker/server/config.h"
#include "broker/server/local_controller.h"
#include "broker/server/producer_id_pool.h"
#include "broker/server/routed_controller_client.h"
#include "broker/server/services.h"
#include "sim/runtime/network.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/event.h"

namespace tern::server {

class Connection;

class BrokerCore : public std::enable_shared_from_this<BrokerCore> {
 public:
  BrokerCore(Runtime& rt, BrokerConfig config);
  ~BrokerCore();

  Runtime& rt() { return rt_; }
  const BrokerConfig& config() const { return config_; }
  Services& services() { return services_; }
  const partition::ReplicaManager& replicas() const { return *replicas_; }
  const controller::MetadataCache& metadata() const { return metadata_; }
  // The KRaft node (nullptr in the implicit one-node mode, and before run() started it).
  const controller::KRaftNode* kraft() const { return kraft_.get(); }

  // run(): recover, listen, serve until stop; then shut down. See Broker.
  Status run();
  void stop();
  bool serving() const { return serving_; }
  std::optional<Address> bound_address() const;
  // Stops the broker because it can no longer keep its promises (a log failed); run()
  // returns this error after shutting down.
  void fatal(const Error& e);

  void register_connection(uint64_t id, Connection* c) { connections_[id] = c; }
  void unregister_connection(uint64_t id);
  size_t connection_count() const { return connections_.size(); }

 private:
  Status recover();
  void shutdown();
  // KRaft mode (process.roles set): storage check, listeners, the quorum node.
  Status start_kraft();
  controller::KRaftSettings kraft_settings(const std::string& cluster_id) const;
  Result<std::unique_ptr<tern::Listener>> listen(const Listener& l);
  // Accepts on `listener` until stop; connections of the CONTROLLER listener dispatch to
  // the quorum's APIs.
  // KRaft: waits until this broker is registered and unfenced in the published image;
  // false when the broker stops first.
  bool wait_until_unfenced();
  bool accept_loop(tern::Listener& listener, bool controller_listener);

  Runtime& rt_;
  BrokerConfig config_;
  Listener advertised_;
  controller::MetadataCache metadata_;
  LocalController controller_;
  RoutedControllerClient routed_controller_;
  std::unique_ptr<controller::KRaftNode> kraft_;
  std::shared_ptr<partition::ReplicaManager> replicas_;
  ProducerIdPool producer_ids_;
  Services services_;

  std::unique_ptr<tern::Listener> listener_;             // the broker (client) listener
  std::unique_ptr<tern::Listener> controller_listener_;  // KRaft: the CONTROLLER listener
  TaskHandle controller_accept_;
  std::map<uint64_t, Connection*> connections_;  // by id: deterministic order
  Condition connections_changed_;
  uint64_t next_connection_id_ = 1;
  bool stopping_ = false;
  std::optional<Error> fatal_;  // why the broker stopped itself (a failed log)
  bool serving_ = false;
  bool ran_ = false;
};

}  // namespace tern::server
