#include "broker/server/connection.h"

#include <algorithm>

#include <fmt/format.h>

#include "broker/base/bytes.h"
#include "broker/protocol/api_key.h"
#include "broker/server/broker_core.h"
#include "broker/server/handler.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server {
namespace {

// The smallest request header: api_key, api_version, correlation_id.
constexpr int32_t kRequestHeaderBytesMin = 2 + 2 + 4;
// Pending responses per connection are bounded by queued.max.requests, and by this.
constexpr size_t kPendingMax = 1000;
// A frame buffer bigger than this is freed after its request (a rare huge request must not
// pin its memory for the connection's life).
constexpr size_t kFrameKeep = 8 << 20;

}  // namespace

Connection::Connection(std::shared_ptr<BrokerCore> core, std::unique_ptr<Stream> stream,
                       uint64_t id, bool controller_listener)
    : core_(std::move(core)),
      rt_(core_->rt()),
      stream_(std::move(stream)),
      peer_host_(stream_ != nullptr ? stream_->peer().host : std::string()),
      id_(id),
      controller_listener_(controller_listener),
      pending_(rt_, std::clamp<size_t>(static_cast<size_t>(core_->config().queued_max_requests),
                                       1, kPendingMax)) {
  TERN_ASSERT(stream_ != nullptr);
  core_->register_connection(id_, this);
}

Connection::~Connection() {
  // serve() joined every task it spawned, except when a crash unwinds the node; then the
  // tasks are being unwound too and must not be waited for here.
  core_->unregister_connection(id_);
}

void Connection::close() {
  closing_ = true;
  stream_->close();
  pending_.close();
}

void Connection::serve() {
  rt_.trace(Severity::debug, "conn.open", {{"id", id_}, {"peer", stream_->peer().to_string()}});
  writer_ = rt_.spawn(fmt::format("conn{}.writer", id_), [this] { writer_loop(); });
  while (!closing_) {
    auto frame = read_frame();
    if (!frame.ok()) break;
    handle_frame(frame.value());
    if (frame_buf_.size() > kFrameKeep) protocol::Bytes().swap(frame_buf_);
    reap_stage_two();
  }
  // Wind down. Responses already queued are written (in order) unless the stream is gone;
  // stage-two tasks are cancelled so long polls and durability waits end now.
  pending_.close();
  for (TaskHandle& t : stage_two_) t.cancel();
  for (TaskHandle& t : stage_two_) (void)t.join();
  stage_two_.clear();
  (void)writer_.join();
  stream_->close();
  rt_.trace(Severity::debug, "conn.close", {{"id", id_}});
}

Result<std::span<const uint8_t>> Connection::read_frame() {
  const int64_t idle_ms = core_->config().connections_max_idle_ms;
  // BUGGIFY: a short idle timeout (Kafka closes idle connections; clients reconnect).
  const int64_t idle = rt_.buggify_value<int64_t>("conn.idle_close", idle_ms, 2000);
  const Deadline idle_deadline =
      idle < 0 ? Instant::never() : rt_.now() + Duration::millis(idle);
  uint8_t prefix[4];
  Status s = stream_->read_exact(prefix, idle_deadline);
  if (!s.ok()) return s.error();
  const int32_t size = static_cast<int32_t>(load_be32(prefix));
  if (size < kRequestHeaderBytesMin || size > core_->config().socket_request_max_bytes) {
    rt_.trace(Severity::warn, "conn.bad_frame_size",
              {{"id", id_}, {"size", size},
               {"max", core_->config().socket_request_max_bytes},
               {"peer", stream_->peer().to_string()}});
    return Error(Errc::invalid_argument, "bad frame size");
  }
  // Only growth is zero-filled; the bytes are overwritten by the read anyway.
  if (frame_buf_.size() < static_cast<size_t>(size)) frame_buf_.resize(static_cast<size_t>(size));
  const std::span<uint8_t> frame(frame_buf_.data(), static_cast<size_t>(size));
  s = stream_->read_exact(frame, idle_deadline);
  if (!s.ok()) return s.error();
  return std::span<const uint8_t>(frame);
}

void Connection::handle_frame(std::span<const uint8_t> frame) {
  protocol::Reader r(frame);
  protocol::RequestHeader header;
  Status hs = protocol::decode_request_header(r, header);
  Pending p;
  if (!hs.ok()) {
    rt_.trace(Severity::warn, "conn.bad_header", {{"id", id_}, {"error", hs.error().message()}});
    p.close_after = true;
    (void)pending_.send(std::move(p));
    closing_ = true;
    return;
  }
  p.correlation_id = header.correlation_id;
  p.response_header_version =
      protocol::response_header_version(header.api_key, header.api_version);
  RequestContext ctx{core_->services(), header, peer_host_};
  Reply reply = controller_listener_ ? dispatch_controller(ctx, r) : dispatch(ctx, r);
  // BUGGIFY: a response a few milliseconds late (a slow broker thread, a GC pause). Later
  // responses on the connection wait behind it: the order stays the request order.
  if ((reply.kind == Reply::Kind::now || reply.kind == Reply::Kind::later) &&
      rt_.buggify("conn.response.delay")) {
    Runtime& rt = rt_;
    if (reply.kind == Reply::Kind::now) {
      reply.later = [body = std::move(reply.body)] { return body; };
      reply.kind = Reply::Kind::later;
    }
    reply.later = [&rt, fn = std::move(reply.later)] {
      ResponseBody body = fn();
      (void)rt.sleep_for(Duration::millis(3));  // cancelled: the connection is closing
      return body;
    };
  }
  switch (reply.kind) {
    case Reply::Kind::none:
      return;
    case Reply::Kind::close: {
      rt_.trace(Severity::warn, "conn.close_on_request",
                {{"id", id_}, {"api", protocol::api_key_name(header.api_key)},
                 {"version", header.api_version}, {"reason", reply.close_reason}});
      p.close_after = true;
      (void)pending_.send(std::move(p));
      closing_ = true;
      return;
    }
    case Reply::Kind::now: {
      Promise<ResponseBody> done(rt_);
      p.body = done.future();
      done.set(std::move(reply.body));
      (void)pending_.send(std::move(p));
      return;
    }
    case Reply::Kind::later: {
      auto promise = std::make_shared<Promise<ResponseBody>>(rt_);
      p.body = promise->future();
      stage_two_.push_back(rt_.spawn(
          fmt::format("conn{}.{}", id_, protocol::api_key_name(header.api_key)),
          [promise, fn = std::move(reply.later)] { promise->set(fn()); }));
      (void)pending_.send(std::move(p));
      return;
    }
  }
  TERN_UNREACHABLE("reply kind {}", static_cast<int>(reply.kind));
}

void Connection::reap_stage_two() {
  std::erase_if(stage_two_, [](const TaskHandle& t) { return t.done(); });
}

bool Connection::write_response(std::span<const uint8_t> head, const ResponseBody& body) {
  const Deadline deadline = Instant::never();
  // Small bodies go out with their header in one write (one syscall, one segment).
  if (body.splices.empty() && body.bytes.size() <= 16 * 1024) {
    protocol::Bytes& out = write_buf_;
    out.assign(head.begin(), head.end());
    out.insert(out.end(), body.bytes.begin(), body.bytes.end());
    // BUGGIFY: the response in two writes (the client reassembles frames from pieces).
    if (out.size() > 1 && rt_.buggify("conn.write.split")) {
      const size_t half = out.size() / 2;
      const std::span<const uint8_t> all(out);
      return stream_->write_all(all.first(half), deadline).ok() &&
             stream_->write_all(all.subspan(half), deadline).ok();
    }
    return stream_->write_all(out, deadline).ok();
  }
  if (!stream_->write_all(head, deadline).ok()) return false;
  return protocol::write_spliced(body.bytes, body.splices, [&](std::span<const uint8_t> piece) {
    return stream_->write_all(piece, deadline).ok();
  });
}

void Connection::writer_loop() {
  while (true) {
    auto next = pending_.recv();
    if (!next.ok()) break;
    Pending& p = next.value();
    if (p.close_after) break;
    auto body = p.body.get();
    if (!body.ok()) break;  // its stage two was cancelled or unwound: we are closing
    protocol::Writer head(64);
    head.write_int32(0);
    protocol::ResponseHeader rh;
    rh.correlation_id = p.correlation_id;
    rh.encode(head, p.response_header_version);
    const ResponseBody& b = body.value();
    if (b.record_bytes > 0)
      rt_.trace(Severity::debug, "fetch.respond", {{"client", peer_host_},
                                                   {"bytes", b.record_bytes}});
    const size_t total = head.size() - 4 + b.size();
    TERN_ASSERT(total <= static_cast<size_t>(INT32_MAX), "response of {} bytes", total);
    head.patch_int32(0, static_cast<int32_t>(total));
    if (!write_response(head.data(), b)) break;
  }
  // Whatever ended the loop ends the connection: the reader wakes (closed) and winds down.
  closing_ = true;
  stream_->close();
  pending_.close();
}

}  // namespace tern::server
