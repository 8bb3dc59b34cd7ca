#pragma once
// A test-only Kafka-protocol server for one RaftNode: accepts on the node's address, reads
// frames, decodes the request header and dispatches ApiVersions (the controller table), Vote,
// BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot and DescribeQuorum to the node.
// One request at a time per connection, answered in order (Kafka mutes a connection while a
// request is in flight), so a long-polling Fetch holds only its own connection.
// The integrator's CONTROLLER listener does the same with the broker's connection code.
#include <memory>
#include <vector>

#include "broker/raft/raft_node.h"
#include "sim/runtime/runtime.h"

namespace tern::raft::test {

class RaftTestServer {
 public:
  RaftTestServer(Runtime& rt, RaftNode& node) : rt_(rt), node_(node) {}
  ~RaftTestServer();
  Status start(const Address& address);
  void stop();

  // Decodes one request frame (header + body), calls the node, returns the response frame
  // body (response header + body, without the size prefix). Empty: close the connection.
  Bytes handle_frame(std::span<const uint8_t> frame);

 private:
  void accept_loop();
  void serve(std::shared_ptr<Stream> stream);

  Runtime& rt_;
  RaftNode& node_;
  std::unique_ptr<Listener> listener_;
  std::vector<TaskHandle> tasks_;
  std::vector<std::shared_ptr<Stream>> streams_;
};

}  // namespace tern::raft::test
