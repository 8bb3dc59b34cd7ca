#include "broker/server/broker_core.h"

#include <fmt/format.h>

#include "broker/server/connection.h"

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
      replicas_(std::make_shared<partition::ReplicaManager>(rt, replica_options(config_))),
      producer_ids_(rt, controller_),
      services_{rt_, config_, config_.node_id, advertised_, *replicas_, metadata_, controller_,
                producer_ids_, {}},
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
  Status s = recover();
  if (!s.ok()) {
    shutdown();
    return s;
  }
  const Listener& l = config_.listeners.front();
  auto listener = rt_.net().listen(Address{l.host, l.port});
  if (!listener.ok()) {
    rt_.trace(Severity::error, "broker.listen_failed",
              {{"listener", l.to_string()}, {"error", listener.error().message()}});
    shutdown();
    return listener.error();
  }
  listener_ = std::move(listener.value());
  if (advertised_.port == 0) advertised_.port = listener_->local().port;
  controller_.register_broker(advertised_);
  serving_ = !stopping_;
  const controller::MetadataImagePtr image = metadata_.current();
  rt_.trace(Severity::info, "broker.listening",
            {{"listener", l.to_string()}, {"bound", listener_->local().to_string()},
             {"advertised", advertised_.to_string()}, {"node_id", config_.node_id},
             {"cluster_id", image->cluster_id},
             {"topics", static_cast<int64_t>(image->topics.size())}});
  replicas_->start();
  auto self = shared_from_this();
  bool cancelled = false;
  while (!stopping_) {
    auto stream = listener_->accept(Instant::never());
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
    rt_.spawn(fmt::format("conn{}", id), [self, id, st = std::move(stream.value())]() mutable {
      Connection c(self, std::move(st), id);
      c.serve();
    });
  }
  serving_ = false;
  // Shutdown suspends (joins, log flushes); a cancelled task cannot park any more, so then it
  // runs in a task of its own that keeps the core alive until it is done.
  auto done = rt_.spawn("broker.shutdown", [self] { self->shutdown(); });
  if (!cancelled) (void)done.join();
  if (fatal_) return *fatal_;
  return {};
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
  // Copy: closing does not unregister synchronously, but be safe against it.
  std::vector<Connection*> conns;
  for (auto& [id, c] : connections_) conns.push_back(c);
  for (Connection* c : conns) c->close();
}

void BrokerCore::shutdown() {
  stop();
  replicas_->stop();
  (void)connections_changed_.wait_until([&] { return connections_.empty(); });
  replicas_->close_all();
  rt_.trace(Severity::info, "broker.stopped", {});
}

}  // namespace tern::server
