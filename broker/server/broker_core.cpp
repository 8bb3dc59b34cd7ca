#include "broker/server/broker_core.h"

#include <fmt/format.h>

#include "broker/controller/topic_validation.h"
#include "broker/server/connection.h"
#include "broker/server/meta_properties.h"

namespace tern::server {

namespace {

partition::ReplicaManagerOptions replica_options(const BrokerConfig& config) {
  partition::ReplicaManagerOptions o;
  o.data_dir = config.data_dir();
  o.durability =
      config.tern_flush_durable ? partition::Durability::fsync : partition::Durability::os;
  o.log_config = [config](const std::map<std::string, std::string>& overrides) {
    return topic_log_config(config, overrides);
  };
  o.retention_check_interval_ms = config.log_retention_check_interval_ms;
  return o;
}

}  // namespace

BrokerCore::BrokerCore(Runtime& rt, BrokerConfig config)
    : rt_(rt),
      config_(std::move(config)),
      advertised_(config_.advertised()),
      metadata_(rt),
      controller_(rt, config_, metadata_),
      routed_controller_(&controller_),
      replicas_(std::make_shared<partition::ReplicaManager>(rt, replica_options(config_))),
      producer_ids_(rt, routed_controller_),
      services_{rt_,          config_,        config_.node_id, advertised_, *replicas_,
                metadata_,    routed_controller_, producer_ids_, nullptr,   {}},
      connections_changed_(rt) {
  TERN_ASSERT(!config_.data_dir().empty());
  TERN_ASSERT(!config_.listeners.empty());
  const int32_t self = config_.node_id;
  partition::ReplicaManager* replicas = replicas_.get();
  // The ReplicaManager learns what partitions exist from every published image.
  metadata_.subscribe([replicas, self](const controller::MetadataImage& prev,
                                       const controller::MetadataImage& next) {
    replicas->apply(prev, next, self);
  });
  controller_.set_partition_check([replicas](const std::string& topic, int32_t index) {
    auto p = replicas->get(topic, index);
    return p != nullptr && p->usable();
  });
}

BrokerCore::~BrokerCore() = default;

void BrokerCore::unregister_connection(uint64_t id) {
  connections_.erase(id);
  connections_changed_.notify_all();
}

std::optional<Address> BrokerCore::bound_address() const {
  if (!serving_ || listener_ == nullptr) return std::nullopt;
  return listener_->local();
}

controller::KRaftSettings BrokerCore::kraft_settings(const std::string& cluster_id) const {
  const BrokerConfig& c = config_;
  controller::KRaftSettings k;
  k.node_id = c.node_id;
  k.broker_role = c.has_broker_role();
  k.controller_role = c.has_controller_role();
  k.cluster_id = cluster_id;
  for (const QuorumVoter& v : c.quorum_voters) {
    k.raft.voters.push_back({v.id, Address{v.host, v.port}});
  }
  k.raft.data_dir = c.metadata_dir();
  k.raft.election_timeout = Duration::millis(c.controller_quorum_election_timeout_ms);
  k.raft.election_backoff_max = Duration::millis(c.controller_quorum_election_backoff_max_ms);
  k.raft.fetch_timeout = Duration::millis(c.controller_quorum_fetch_timeout_ms);
  k.raft.request_timeout = Duration::millis(c.controller_quorum_request_timeout_ms);
  k.controller.session_timeout = Duration::millis(c.broker_session_timeout_ms);
  k.controller.heartbeat_interval = Duration::millis(c.broker_heartbeat_interval_ms);
  k.controller.default_partitions = c.num_partitions;
  k.controller.default_replication_factor = c.default_replication_factor;
  k.controller.delete_topic_enable = c.delete_topic_enable;
  k.controller.validate_topic_config = [](std::string_view n, std::string_view v) {
    return validate_topic_config(n, v);
  };
  k.controller.topic_name_problem = [](std::string_view n) {
    return controller::topic_name_problem(n);
  };
  k.lifecycle.endpoints.push_back({advertised_.name, advertised_.host, advertised_.port});
  k.lifecycle.rack = c.broker_rack;
  k.lifecycle.heartbeat_interval = Duration::millis(c.broker_heartbeat_interval_ms);
  k.lifecycle.request_timeout = Duration::millis(c.controller_quorum_request_timeout_ms);
  k.snapshot_bytes = c.metadata_log_max_record_bytes_between_snapshots;
  return k;
}

Result<std::unique_ptr<tern::Listener>> BrokerCore::listen(const Listener& l) {
  auto listener = rt_.net().listen(Address{l.host, l.port});
  if (!listener.ok()) {
    rt_.trace(Severity::error, "broker.listen_failed",
              {{"listener", l.to_string()}, {"error", listener.error().message()}});
  }
  return listener;
}

Status BrokerCore::start_kraft() {
  std::string cluster_id;
  // A formatted node must find its own cluster's storage: never silently start a new one.
  TERN_TRY(check_storage(rt_.disk(), rt_.rng(), config_, cluster_id));
  if (auto cl = config_.controller_listener()) {
    auto l = listen(*cl);
    if (!l.ok()) return l.error();
    controller_listener_ = std::move(l.value());
  }
  if (config_.has_broker_role()) {
    auto l = listen(*config_.broker_listener());
    if (!l.ok()) return l.error();
    listener_ = std::move(l.value());
    if (advertised_.port == 0) advertised_.port = listener_->local().port;
  }
  kraft_ = std::make_unique<controller::KRaftNode>(rt_, kraft_settings(cluster_id), metadata_);
  std::weak_ptr<BrokerCore> weak = weak_from_this();
  kraft_->set_fatal_handler([weak](const Error& e) {
    if (auto self = weak.lock()) self->fatal(e);
  });
  if (kraft_->controller_client() != nullptr) {
    routed_controller_.route_to(kraft_->controller_client());
  }
  services_.kraft = kraft_.get();
  std::weak_ptr<BrokerCore> weak_replicas = weak_from_this();
  replicas_->set_failure_handler([weak_replicas](const Error& e) {
    if (auto self = weak_replicas.lock()) self->fatal(e);
  });
  TERN_TRY(kraft_->start());
  rt_.trace(Severity::info, "broker.kraft_started",
            {{"node_id", config_.node_id}, {"cluster_id", cluster_id},
             {"broker", config_.has_broker_role()}, {"controller", config_.has_controller_role()},
             {"voters", static_cast<int64_t>(config_.quorum_voters.size())}});
  return {};
}

Status BrokerCore::recover() {
  std::weak_ptr<BrokerCore> weak = weak_from_this();
  replicas_->set_failure_handler([weak](const Error& e) {
    if (auto self = weak.lock()) self->fatal(e);
  });
  // Publishes the recovered image: the ReplicaManager opens (recovers) every partition.
  TERN_TRY(controller_.recover());
  if (fatal_) return *fatal_;  // a log could not be opened
  // Directories of deleted topics (a crash between the metadata update and the removal).
  return replicas_->remove_strays(*metadata_.current(), config_.node_id);
}

// ---- serving -----------------------------------------------------------------------------

Status BrokerCore::run() {
  TERN_ASSERT(!ran_, "Broker::run called twice");
  ran_ = true;
  services_.owner = weak_from_this();
  if (config_.process_roles_configured()) {
    Status s = start_kraft();
    if (!s.ok()) {
      shutdown();
      return s;
    }
    serving_ = !stopping_;
    if (listener_ == nullptr) {  // a controller-only node
      replicas_->start();
      auto self = shared_from_this();
      const bool cancelled = accept_loop(*controller_listener_, true);
      serving_ = false;
      auto done = rt_.spawn("broker.shutdown", [self] { self->shutdown(); });
      if (!cancelled) (void)done.join();
      if (fatal_) return *fatal_;
      return {};
    }
  } else {
    Status s = recover();
    if (!s.ok()) {
      shutdown();
      return s;
    }
    const Listener& l = config_.listeners.front();
    auto listener = listen(l);
    if (!listener.ok()) {
      shutdown();
      return listener.error();
    }
    listener_ = std::move(listener.value());
    if (advertised_.port == 0) advertised_.port = listener_->local().port;
    controller_.register_broker(advertised_);
    serving_ = !stopping_;
  }
  const controller::MetadataImagePtr image = metadata_.current();
  rt_.trace(Severity::info, "broker.listening",
            {{"bound", listener_->local().to_string()},
             {"advertised", advertised_.to_string()}, {"node_id", config_.node_id},
             {"cluster_id", image->cluster_id},
             {"topics", static_cast<int64_t>(image->topics.size())}});
  replicas_->start();
  auto self = shared_from_this();
  if (controller_listener_ != nullptr) {
    controller_accept_ = rt_.spawn("broker.accept_controller", [self] {
      (void)self->accept_loop(*self->controller_listener_, true);
    });
  }
  // KRaft: clients are served once this broker is registered and unfenced (Kafka enables
  // request processing at the end of broker startup). Before that, its image may be empty
  // (Metadata without brokers confused librdkafka for good) and a second process with the
  // same node.id, whose registration is refused, would accept writes for partitions it
  // does not own. Connections wait in the listen backlog meanwhile.
  if (kraft_ != nullptr && !wait_until_unfenced()) {
    serving_ = false;
    auto done = rt_.spawn("broker.shutdown", [self] { self->shutdown(); });
    (void)done.join();
    if (fatal_) return *fatal_;
    return {};
  }
  const bool cancelled = accept_loop(*listener_, false);
  serving_ = false;
  // Shutdown suspends (joins, log flushes); a cancelled task cannot park any more, so then it
  // runs in a task of its own that keeps the core alive until it is done.
  auto done = rt_.spawn("broker.shutdown", [self] { self->shutdown(); });
  if (!cancelled) (void)done.join();
  if (fatal_) return *fatal_;
  return {};
}

bool BrokerCore::wait_until_unfenced() {
  controller::BrokerLifecycle* lifecycle = kraft_->lifecycle();
  TERN_ASSERT(lifecycle != nullptr, "a node with a broker listener has the broker role");
  const int32_t self = config_.node_id;
  auto ready = [&] {
    const controller::MetadataImagePtr image = metadata_.current();
    auto it = image->brokers.find(self);
    return it != image->brokers.end() && !it->second.fenced &&
           it->second.epoch == lifecycle->broker_epoch();
  };
  bool waited = false;
  while (!stopping_ && !ready()) {
    if (!waited) rt_.trace("broker.waiting_for_unfence", {{"node_id", self}});
    waited = true;
    // Woken by every published image; the deadline notices stop() (which does not publish).
    Status st = metadata_.changed().wait_until(ready, rt_.now() + Duration::millis(100));
    if (st.code() == Errc::cancelled) return false;
  }
  if (stopping_) return false;
  if (waited) rt_.trace("broker.serving", {{"node_id", self}});
  return true;
}

bool BrokerCore::accept_loop(tern::Listener& listener, bool controller_listener) {
  auto self = shared_from_this();
  bool cancelled = false;
  while (!stopping_) {
    auto stream = listener.accept(Instant::never());
    if (!stream.ok()) {
      if (stream.code() == Errc::cancelled) cancelled = true;
      if (stream.code() == Errc::cancelled || stream.code() == Errc::closed) break;
      rt_.trace(Severity::warn, "broker.accept_failed", {{"error", stream.error().message()}});
      if (!rt_.sleep_until(rt_.now() + Duration::millis(10)).ok()) {
        cancelled = true;
        break;
      }
      continue;
    }
    // BUGGIFY: a slow accept (a busy acceptor thread); the client's handshake waits.
    if (rt_.buggify("broker.accept.slow")) {
      if (!rt_.sleep_for(Duration::millis(5)).ok()) {
        cancelled = true;
        break;
      }
      if (stopping_) {
        stream.value()->close();
        break;
      }
    }
    if (static_cast<int64_t>(connections_.size()) >= config_.max_connections) {
      rt_.trace(Severity::warn, "broker.max_connections",
                {{"max", config_.max_connections}, {"peer", stream.value()->peer().to_string()}});
      stream.value()->close();
      continue;
    }
    const uint64_t id = next_connection_id_++;
    rt_.spawn(fmt::format("conn{}", id),
              [self, id, controller_listener, st = std::move(stream.value())]() mutable {
      Connection c(self, std::move(st), id, controller_listener);
      c.serve();
    });
  }
  return cancelled;
}

void BrokerCore::fatal(const Error& e) {
  if (fatal_) return;
  fatal_ = e;
  rt_.trace(Severity::warn, "broker.fatal",
            {{"error", e.message()}, {"action", "shutting down (Kafka: log directory failure)"}});
  stop();
}

void BrokerCore::stop() {
  stopping_ = true;
  serving_ = false;
  controller_.stop();
  if (listener_ != nullptr) listener_->close();
  if (controller_listener_ != nullptr) controller_listener_->close();
  // Copy: closing does not unregister synchronously, but be safe against it.
  std::vector<Connection*> conns;
  for (auto& [id, c] : connections_) conns.push_back(c);
  for (Connection* c : conns) c->close();
}

void BrokerCore::shutdown() {
  stop();
  replicas_->stop();
  // KRaft: a controlled shutdown (the controller fences us first), then Raft resigns.
  if (kraft_ != nullptr) kraft_->stop();
  if (controller_accept_.valid()) controller_accept_.cancel();
  (void)connections_changed_.wait_until([&] { return connections_.empty(); });
  replicas_->close_all();
  rt_.trace(Severity::info, "broker.stopped", {});
}

}  // namespace tern::server
