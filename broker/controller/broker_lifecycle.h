#pragma once
// BrokerLifecycle: a broker's registration with the controller and its heartbeats (Kafka's
// BrokerLifecycleManager). On start it registers with a fresh incarnation id (retrying until
// a controller answers); then it heartbeats every broker.heartbeat.interval.ms with the
// offset of the metadata it has applied. The controller unfences it once that offset
// reaches its registration; a broker that stops heartbeating is fenced after
// broker.session.timeout.ms. stop() asks to be fenced first (controlled shutdown), best
// effort within a bound.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "broker/controller/controller_channel.h"
#include "broker/controller/metadata_cache.h"

namespace tern::controller {

struct LifecycleSettings {
  int32_t node_id = 1;
  std::string cluster_id;
  std::vector<BrokerEndpoint> endpoints;  // the broker's client listeners, advertised
  std::optional<std::string> rack;
  Duration heartbeat_interval = Duration::millis(2000);
  Duration request_timeout = Duration::millis(2000);
};

class BrokerLifecycle {
 public:
  BrokerLifecycle(Runtime& rt, LifecycleSettings settings, ControllerChannel& channel,
                  MetadataCache& cache);
  ~BrokerLifecycle();

  void start();
  // Controlled shutdown (want_shut_down), then stops heartbeating.
  void stop(Duration bound);

  // -1 until registered.
  int64_t broker_epoch() const { return broker_epoch_; }
  bool fenced() const { return fenced_; }
  // A registration refused for good (INCONSISTENT_CLUSTER_ID): the broker must not serve.
  // Empty while fine. (DUPLICATE_BROKER_REGISTRATION is retried: see register_once.)
  const std::optional<Error>& fatal() const { return fatal_; }

 private:
  void run();
  bool register_once();
  void heartbeat_once(bool want_shut_down);

  Runtime& rt_;
  LifecycleSettings settings_;
  ControllerChannel& channel_;
  MetadataCache& cache_;
  protocol::Uuid incarnation_;
  int64_t broker_epoch_ = -1;
  bool fenced_ = true;
  std::optional<Error> fatal_;
  TaskHandle task_;
  bool stopping_ = false;
  uint64_t duplicate_refusals_ = 0;
};

}  // namespace tern::controller
