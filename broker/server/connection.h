#pragma once
// One client connection: framing (int32 size prefix), header decoding, dispatch, and
// responses written in request order while slow requests overlap (handler.h).
//
// Tasks: serve() runs in the connection's task and is its reader. It spawns one writer task
// and one stage-two task per deferred request, and joins them all before returning, so the
// Connection (and the Stream) outlive every task that uses them.
//
// Bounds: a frame larger than socket.request.max.bytes or negative closes the connection
// (logged); at most queued.max.requests responses are pending per connection (the reader
// stops reading until the writer catches up).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "broker/protocol/wire.h"
#include "broker/server/handler.h"
#include "sim/runtime/network.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/channel.h"
#include "sim/runtime/sync/future.h"

namespace tern::server {

class BrokerCore;

class Connection {
 public:
  // controller_listener: a connection of the CONTROLLER listener (quorum and controller
  // APIs, dispatch_controller) rather than the broker listener.
  Connection(std::shared_ptr<BrokerCore> core, std::unique_ptr<Stream> stream, uint64_t id,
             bool controller_listener = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Reads and serves requests until the peer closes, an error, or close().
  void serve();
  // Closes the stream: the reader and writer wake up and serve() winds down.
  void close();
  uint64_t id() const { return id_; }

 private:
  struct Pending {
    int32_t correlation_id = 0;
    int16_t response_header_version = 0;
    Future<ResponseBody> body;
    bool close_after = false;  // write nothing; close the connection (in order)
  };
  // Reads one frame into frame_buf_ and returns a view of it, valid until the next read;
  // closed/reset end the loop quietly, a bad size is logged.
  Result<std::span<const uint8_t>> read_frame();
  // Decodes and dispatches; requests own what they keep (nothing points into the frame).
  void handle_frame(std::span<const uint8_t> frame);
  void writer_loop();
  // Writes a response frame: its header, then the body with its splices in place.
  bool write_response(std::span<const uint8_t> head, const ResponseBody& body);
  void reap_stage_two();

  std::shared_ptr<BrokerCore> core_;
  Runtime& rt_;
  std::unique_ptr<Stream> stream_;
  std::string peer_host_;  // for trace events (`produce.ack`, `fetch.respond`)
  // Reused for every request: a fresh zero-filled buffer per request showed up as memset and
  // page faults in the produce profile. Grows to the largest frame, kept up to kFrameKeep.
  protocol::Bytes frame_buf_;
  protocol::Bytes write_buf_;  // header + small body, one write
  uint64_t id_;
  bool controller_listener_ = false;
  Channel<Pending> pending_;
  TaskHandle writer_;
  std::vector<TaskHandle> stage_two_;
  bool closing_ = false;
};

}  // namespace tern::server
