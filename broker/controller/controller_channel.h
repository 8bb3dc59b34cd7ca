#pragma once
// ControllerChannel: a broker's way to the active controller (Kafka's
// NodeToControllerChannelManager). A request goes to the local QuorumController when this
// node hosts the active one, else over the CONTROLLER listener of the node Raft names as
// leader (any voter when none is known). NOT_CONTROLLER and failed connects are retried with
// a short backoff against the next candidate until the deadline; a request that was sent and
// got no answer is not retried (it may have been carried out: a second delete would answer
// UNKNOWN_TOPIC_OR_PARTITION for a topic this request deleted), its error goes back.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "broker/client/connection.h"
#include "broker/controller/quorum_controller.h"
#include "sim/runtime/address.h"

namespace tern::controller {

class ControllerChannel {
 public:
  using LeaderFn = std::function<std::optional<int32_t>()>;

  ControllerChannel(Runtime& rt, std::map<int32_t, Address> voters, LeaderFn leader,
                    QuorumController* local, Duration request_timeout);
  ~ControllerChannel();

  // Each returns the active controller's answer; a runtime timed_out error when no
  // controller answered (other than NOT_CONTROLLER) before the deadline, or the error of a
  // request sent without an answer.
  client::ClientResult<protocol::BrokerRegistrationResponse> call(
      const protocol::BrokerRegistrationRequest& req, Deadline deadline);
  client::ClientResult<protocol::BrokerHeartbeatResponse> call(
      const protocol::BrokerHeartbeatRequest& req, Deadline deadline);
  client::ClientResult<protocol::AllocateProducerIdsResponse> call(
      const protocol::AllocateProducerIdsRequest& req, Deadline deadline);
  client::ClientResult<protocol::CreateTopicsResponse> call(
      const protocol::CreateTopicsRequest& req, int16_t version, Deadline deadline);
  client::ClientResult<protocol::DeleteTopicsResponse> call(
      const protocol::DeleteTopicsRequest& req, int16_t version, Deadline deadline);
  client::ClientResult<protocol::CreatePartitionsResponse> call(
      const protocol::CreatePartitionsRequest& req, int16_t version, Deadline deadline);
  client::ClientResult<protocol::AlterConfigsResponse> call(
      const protocol::AlterConfigsRequest& req, int16_t version, Deadline deadline);

  // DescribeQuorum goes to the Raft leader; `local` answers it when that is this node.
  client::ClientResult<protocol::DescribeQuorumResponse> call(
      const protocol::DescribeQuorumRequest& req, Deadline deadline);
  void set_describe_quorum_local(
      std::function<protocol::DescribeQuorumResponse(const protocol::DescribeQuorumRequest&)>
          local) {
    describe_quorum_local_ = std::move(local);
  }

  // Ends every call: those in flight fail, later ones fail at once. A stopping node closes
  // its channel so that forwarded admin requests do not keep retrying (and keep the client
  // connections that carry them open) until their own deadline.
  void close();

 private:
  template <class Req, class Local>
  client::ClientResult<typename client::ResponseOf<Req>::type> route(const Req& req,
                                                                     int16_t version,
                                                                     Deadline deadline,
                                                                     Local&& local);
  // The node to try next: Raft's leader if known, else the voters in turn.
  int32_t target();
  client::ClientResult<client::Connection*> connection(int32_t node);

  Runtime& rt_;
  std::map<int32_t, Address> voters_;
  LeaderFn leader_;
  QuorumController* local_;
  Duration request_timeout_;
  std::map<int32_t, std::unique_ptr<client::Connection>> connections_;
  size_t next_voter_ = 0;
  bool closed_ = false;
  std::function<protocol::DescribeQuorumResponse(const protocol::DescribeQuorumRequest&)>
      describe_quorum_local_;
};

}  // namespace tern::controller
