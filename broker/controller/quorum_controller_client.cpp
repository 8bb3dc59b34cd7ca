#include "broker/controller/quorum_controller_client.h"

#include "broker/controller/error_responses.h"
#include "broker/protocol/error_code.h"

namespace tern::controller {

using namespace protocol;

namespace {

// Kafka's answer when the controller could not be reached in time.
const int16_t kTimedOut = to_wire(ErrorCode::request_timed_out);
constexpr Duration kLocalApplyWait = Duration::millis(5000);

}  // namespace

QuorumControllerClient::QuorumControllerClient(Runtime& rt, ControllerChannel& channel,
                                               MetadataCache& cache,
                                               BrokerLifecycle& lifecycle, int32_t node_id,
                                               Duration timeout)
    : rt_(rt),
      channel_(channel),
      cache_(cache),
      lifecycle_(lifecycle),
      node_id_(node_id),
      timeout_(timeout) {}

Deadline QuorumControllerClient::deadline_for(int32_t timeout_ms) const {
  const Duration d = timeout_ms > 0 ? Duration::millis(timeout_ms) : timeout_;
  return rt_.now() + d;
}

template <class Pred>
void QuorumControllerClient::await_local(Pred pred) {
  (void)cache_.changed().wait_until([&] { return pred(*cache_.current()); },
                                    rt_.now() + kLocalApplyWait);
}

CreateTopicsResponse QuorumControllerClient::create_topics(const CreateTopicsRequest& req,
                                                           int16_t version) {
  auto r = channel_.call(req, version, deadline_for(req.timeout_ms));
  if (!r.ok()) return error_response(req, kTimedOut, r.error().message());
  if (!req.validate_only) {
    await_local([&](const MetadataImage& image) {
      for (const auto& t : r.value().topics) {
        if (t.error_code == 0 && image.find_topic(t.name) == nullptr) return false;
      }
      return true;
    });
  }
  return std::move(r.value());
}

DeleteTopicsResponse QuorumControllerClient::delete_topics(const DeleteTopicsRequest& req,
                                                           int16_t version) {
  auto r = channel_.call(req, version, deadline_for(req.timeout_ms));
  if (!r.ok()) return error_response(req, kTimedOut, r.error().message());
  await_local([&](const MetadataImage& image) {
    for (const auto& t : r.value().responses) {
      if (t.error_code == 0 && image.find_topic(t.name) != nullptr) return false;
    }
    return true;
  });
  return std::move(r.value());
}

CreatePartitionsResponse QuorumControllerClient::create_partitions(
    const CreatePartitionsRequest& req, int16_t version) {
  auto r = channel_.call(req, version, deadline_for(req.timeout_ms));
  if (!r.ok()) return error_response(req, kTimedOut, r.error().message());
  if (!req.validate_only) {
    await_local([&](const MetadataImage& image) {
      for (const auto& t : req.topics) {
        const TopicImage* ti = image.find_topic(t.name);
        if (ti != nullptr && static_cast<int32_t>(ti->partitions.size()) < t.count) return false;
      }
      return true;
    });
  }
  return std::move(r.value());
}

AlterConfigsResponse QuorumControllerClient::alter_configs(const AlterConfigsRequest& req,
                                                           int16_t version) {
  auto r = channel_.call(req, version, rt_.now() + timeout_);
  if (!r.ok()) return error_response(req, kTimedOut, r.error().message());
  if (!req.validate_only) {
    await_local([&](const MetadataImage& image) {
      for (const auto& res : req.resources) {
        if (res.resource_type != 2) continue;
        const TopicImage* t = image.find_topic(res.resource_name);
        if (t == nullptr) continue;
        for (const auto& c : res.configs) {
          if (!c.value) continue;
          auto it = t->configs.find(c.name);
          if (it == t->configs.end() || it->second != *c.value) return false;
        }
      }
      return true;
    });
  }
  return std::move(r.value());
}

Result<ProducerIdBlock> QuorumControllerClient::allocate_producer_ids() {
  if (lifecycle_.broker_epoch() < 0) return Error(Errc::timed_out, "broker not registered");
  AllocateProducerIdsRequest req;
  req.broker_id = node_id_;
  req.broker_epoch = lifecycle_.broker_epoch();
  auto r = channel_.call(req, rt_.now() + timeout_);
  if (!r.ok()) return Error(Errc::timed_out, r.error().message());
  if (r.value().error_code != 0) {
    return Error(Errc::timed_out, std::string(error_code_name(r.value().error_code)));
  }
  return ProducerIdBlock{r.value().producer_id_start, r.value().producer_id_len};
}

}  // namespace tern::controller
