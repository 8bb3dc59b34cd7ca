#include "broker/controller/broker_lifecycle.h"

#include "broker/protocol/error_code.h"

namespace tern::controller {

using namespace protocol;

BrokerLifecycle::BrokerLifecycle(Runtime& rt, LifecycleSettings settings,
                                 ControllerChannel& channel, MetadataCache& cache)
    : rt_(rt), settings_(std::move(settings)), channel_(channel), cache_(cache) {
  for (size_t i = 0; i < 16; i += 8) {
    const uint64_t v = rt_.rng().next_u64();
    for (size_t k = 0; k < 8; ++k) incarnation_.bytes[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
}

BrokerLifecycle::~BrokerLifecycle() {
  if (task_.valid()) task_.cancel();
}

void BrokerLifecycle::start() {
  task_ = rt_.spawn("broker-lifecycle", [this] { run(); });
}

bool BrokerLifecycle::register_once() {
  BrokerRegistrationRequest req;
  req.broker_id = settings_.node_id;
  req.cluster_id = settings_.cluster_id;
  req.incarnation_id = incarnation_;
  for (const auto& e : settings_.endpoints) {
    auto& l = req.listeners.emplace_back();
    l.name = e.listener;
    l.host = e.host;
    l.port = e.port;
    l.security_protocol = 0;  // PLAINTEXT
  }
  req.rack = settings_.rack;
  auto r = channel_.call(req, rt_.now() + settings_.request_timeout);
  if (!r.ok()) return false;
  const auto code = static_cast<ErrorCode>(r.value().error_code);
  if (code == ErrorCode::inconsistent_cluster_id) {
    fatal_ = Error(Errc::invalid_argument, "the controller quorum belongs to another cluster id");
    rt_.trace(Severity::error, "broker.registration_refused",
              {{"broker", settings_.node_id}, {"reason", fatal_->message()}});
    return false;
  }
  if (code == ErrorCode::duplicate_broker_registration) {
    // Another live process holds this node id (or our own previous incarnation, whose
    // session has not expired yet): never serve beside it. Keep asking; the controller
    // accepts us once the other one's session expires (a restart) and never while it lives
    // (a misconfigured second node, which stays fenced and says so).
    if (++duplicate_refusals_ % 20 == 1) {
      rt_.trace(Severity::warn, "broker.registration_refused",
                {{"broker", settings_.node_id},
                 {"reason", fmt::format("another live broker is registered with node.id {}",
                                        settings_.node_id)}});
    }
    return false;
  }
  if (code != ErrorCode::none) return false;
  broker_epoch_ = r.value().broker_epoch;
  fenced_ = true;
  rt_.trace("broker.registered", {{"broker", settings_.node_id}, {"epoch", broker_epoch_}});
  return true;
}

void BrokerLifecycle::heartbeat_once(bool want_shut_down) {
  BrokerHeartbeatRequest req;
  req.broker_id = settings_.node_id;
  req.broker_epoch = broker_epoch_;
  req.current_metadata_offset = cache_.current()->offset;
  req.want_fence = false;
  req.want_shut_down = want_shut_down;
  auto r = channel_.call(req, rt_.now() + settings_.request_timeout);
  if (!r.ok()) return;
  const auto code = static_cast<ErrorCode>(r.value().error_code);
  if (code == ErrorCode::stale_broker_epoch || code == ErrorCode::broker_id_not_registered) {
    // The controller lost our registration (a snapshot from before it, or we were
    // replaced): register again.
    broker_epoch_ = -1;
    return;
  }
  if (code != ErrorCode::none) return;
  if (fenced_ != r.value().is_fenced) {
    rt_.trace("broker.fencing", {{"broker", settings_.node_id}, {"fenced", r.value().is_fenced}});
  }
  fenced_ = r.value().is_fenced;
}

void BrokerLifecycle::run() {
  while (!stopping_ && !fatal_) {
    if (broker_epoch_ < 0) {
      if (!register_once()) {
        if (fatal_ || !rt_.sleep_for(Duration::millis(100)).ok()) return;
        continue;
      }
    }
    heartbeat_once(false);
    // Heartbeat sooner while fenced: unfencing is what makes the broker useful.
    const Duration wait = fenced_ ? std::min(settings_.heartbeat_interval, Duration::millis(200))
                                  : settings_.heartbeat_interval;
    if (!rt_.sleep_for(wait).ok()) return;
  }
}

void BrokerLifecycle::stop(Duration bound) {
  if (stopping_) return;
  stopping_ = true;
  // Joined, not only cancelled: the task uses this object, which may be freed right after.
  if (task_.valid()) {
    task_.cancel();
    (void)task_.join();
  }
  if (broker_epoch_ >= 0 && !fatal_) {
    const Instant until = rt_.now() + bound;
    while (rt_.now() < until) {
      heartbeat_once(true);
      if (fenced_) break;
      if (!rt_.sleep_for(Duration::millis(50)).ok()) break;
    }
  }
}

}  // namespace tern::controller
