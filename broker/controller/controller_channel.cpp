#include "broker/controller/controller_channel.h"

#include <algorithm>

#include "broker/protocol/error_code.h"

namespace tern::controller {

using namespace protocol;

namespace {

constexpr Duration kRetryBackoff = Duration::millis(50);
const int16_t kNotController = to_wire(ErrorCode::not_controller);

// Whether a controller's answer says "not me": the request must go elsewhere.
template <class Resp>
bool not_controller(const Resp& r) {
  return r.error_code == kNotController;
}
bool not_controller(const CreateTopicsResponse& r) {
  return !r.topics.empty() && std::all_of(r.topics.begin(), r.topics.end(), [](const auto& t) {
    return t.error_code == kNotController;
  });
}
bool not_controller(const DeleteTopicsResponse& r) {
  return !r.responses.empty() &&
         std::all_of(r.responses.begin(), r.responses.end(),
                     [](const auto& t) { return t.error_code == kNotController; });
}
bool not_controller(const CreatePartitionsResponse& r) {
  return !r.results.empty() && std::all_of(r.results.begin(), r.results.end(), [](const auto& t) {
    return t.error_code == kNotController;
  });
}
bool not_controller(const AlterConfigsResponse& r) {
  return !r.responses.empty() &&
         std::all_of(r.responses.begin(), r.responses.end(),
                     [](const auto& t) { return t.error_code == kNotController; });
}

}  // namespace

ControllerChannel::ControllerChannel(Runtime& rt, std::map<int32_t, Address> voters,
                                     LeaderFn leader, QuorumController* local,
                                     Duration request_timeout)
    : rt_(rt),
      voters_(std::move(voters)),
      leader_(std::move(leader)),
      local_(local),
      request_timeout_(request_timeout) {
  TERN_ASSERT(!voters_.empty(), "a controller channel needs the quorum's voters");
}

ControllerChannel::~ControllerChannel() { close(); }

void ControllerChannel::close() {
  closed_ = true;
  // Closed but kept: a call suspended in one of them returns through it.
  for (auto& [id, c] : connections_) c->close();
}

int32_t ControllerChannel::target() {
  if (auto l = leader_ ? leader_() : std::nullopt; l && voters_.count(*l)) return *l;
  auto it = voters_.begin();
  std::advance(it, static_cast<long>(next_voter_++ % voters_.size()));
  return it->first;
}

client::ClientResult<client::Connection*> ControllerChannel::connection(int32_t node) {
  auto it = connections_.find(node);
  if (it != connections_.end() && !it->second->broken()) return it->second.get();
  if (it != connections_.end()) connections_.erase(it);
  client::ConnectionOptions opts;
  opts.client_id = "tern-controller-channel";
  opts.connect_timeout = request_timeout_;
  opts.request_timeout = request_timeout_;
  auto c = client::Connection::open(rt_, voters_.at(node), opts);
  if (!c.ok()) return c.error();
  client::Connection* raw = c.value().get();
  connections_[node] = std::move(c.value());
  return raw;
}

template <class Req, class Local>
client::ClientResult<typename client::ResponseOf<Req>::type> ControllerChannel::route(
    const Req& req, int16_t version, Deadline deadline, Local&& local) {
  using Resp = typename client::ResponseOf<Req>::type;
  std::string last_problem = "no controller answered";
  // A closed channel (its node is stopping) forwards nothing more: the node's raft no longer
  // learns who leads, so it would ask a stale leader every 50 ms until the caller's deadline
  // (quorum-3-combined seed 58: a forwarded AlterConfigs held a broker's shutdown for 30 s).
  while (!closed_ && rt_.now() < deadline) {
    if (local_ != nullptr && local_->active()) {
      Resp r = local(req);
      if (!not_controller(r)) return r;
      last_problem = "the local controller stepped down";
    } else {
      const int32_t node = target();
      auto conn = connection(node);
      if (conn.ok()) {
        auto v = version >= 0 ? client::ClientResult<int16_t>(version)
                              : conn.value()->template version_for<Req>();
        if (v.ok()) {
          auto r = conn.value()->call(req, v.value());
          // Only NOT_CONTROLLER (or no connection) says the request was not carried out. A
          // request that went out and got no answer may have been: retrying it could apply
          // it twice, so the caller gets the indeterminate error.
          if (!r.ok() || !not_controller(r.value())) return r;
          last_problem = "NOT_CONTROLLER";
        } else {
          last_problem = v.error().message();
        }
      } else {
        last_problem = conn.error().message();
      }
    }
    if (!rt_.sleep_until(std::min(deadline, rt_.now() + kRetryBackoff)).ok()) break;
  }
  if (closed_) return client::ClientError::runtime(Errc::closed, "the node is stopping");
  return client::ClientError::runtime(Errc::timed_out, last_problem);
}

client::ClientResult<BrokerRegistrationResponse> ControllerChannel::call(
    const BrokerRegistrationRequest& req, Deadline deadline) {
  return route(req, -1, deadline, [this](const auto& r) { return local_->register_broker(r); });
}

client::ClientResult<BrokerHeartbeatResponse> ControllerChannel::call(
    const BrokerHeartbeatRequest& req, Deadline deadline) {
  return route(req, -1, deadline, [this](const auto& r) { return local_->heartbeat(r); });
}

client::ClientResult<AllocateProducerIdsResponse> ControllerChannel::call(
    const AllocateProducerIdsRequest& req, Deadline deadline) {
  return route(req, -1, deadline,
               [this](const auto& r) { return local_->allocate_producer_ids(r); });
}

client::ClientResult<CreateTopicsResponse> ControllerChannel::call(
    const CreateTopicsRequest& req, int16_t version, Deadline deadline) {
  return route(req, version, deadline,
               [this, version](const auto& r) { return local_->create_topics(r, version); });
}

client::ClientResult<DeleteTopicsResponse> ControllerChannel::call(
    const DeleteTopicsRequest& req, int16_t version, Deadline deadline) {
  return route(req, version, deadline,
               [this, version](const auto& r) { return local_->delete_topics(r, version); });
}

client::ClientResult<CreatePartitionsResponse> ControllerChannel::call(
    const CreatePartitionsRequest& req, int16_t version, Deadline deadline) {
  return route(req, version, deadline, [this, version](const auto& r) {
    return local_->create_partitions(r, version);
  });
}

client::ClientResult<AlterConfigsResponse> ControllerChannel::call(
    const AlterConfigsRequest& req, int16_t version, Deadline deadline) {
  return route(req, version, deadline,
               [this, version](const auto& r) { return local_->alter_configs(r, version); });
}

client::ClientResult<DescribeQuorumResponse> ControllerChannel::call(
    const DescribeQuorumRequest& req, Deadline deadline) {
  return route(req, -1, deadline, [this](const auto& r) {
    if (describe_quorum_local_) return describe_quorum_local_(r);
    DescribeQuorumResponse resp;
    resp.error_code = kNotController;
    return resp;
  });
}

}  // namespace tern::controller
