#include "tests/raft/raft_test_server.h"

#include "broker/protocol/api_table.h"
#include "broker/protocol/error_code.h"
#include "broker/protocol/messages.h"
#include "broker/protocol/wire.h"

namespace tern::raft::test {

using namespace protocol;

RaftTestServer::~RaftTestServer() { stop(); }

Status RaftTestServer::start(const Address& address) {
  auto l = rt_.net().listen(address);
  if (!l.ok()) return l.error();
  listener_ = std::move(l.value());
  tasks_.push_back(rt_.spawn("raft.server.accept", [this] { accept_loop(); }));
  return {};
}

void RaftTestServer::stop() {
  if (listener_) listener_->close();
  for (auto& s : streams_) s->close();
  // The tasks use the listener and the streams: they finish before those go. Joining
  // suspends, so work on a copy (a waking task may touch tasks_ and streams_).
  while (!tasks_.empty()) {
    std::vector<TaskHandle> batch;
    batch.swap(tasks_);
    for (auto& t : batch)
      if (t.valid() && !t.done()) t.cancel();
    for (auto& t : batch)
      if (t.valid()) (void)t.join();
  }
  streams_.clear();
  listener_.reset();
}

void RaftTestServer::accept_loop() {
  while (true) {
    auto s = listener_->accept(Instant::never());
    if (!s.ok()) return;
    std::shared_ptr<Stream> stream(std::move(s.value()));
    streams_.push_back(stream);
    std::erase_if(tasks_, [](const TaskHandle& t) { return t.valid() && t.done(); });
    tasks_.push_back(rt_.spawn("raft.server.conn", [this, stream] { serve(stream); }));
  }
}

void RaftTestServer::serve(std::shared_ptr<Stream> stream) {
  Bytes frame;
  while (true) {
    uint8_t prefix[4];
    if (!stream->read_exact(prefix, Instant::never()).ok()) break;
    const int32_t size = static_cast<int32_t>(load_be32(prefix));
    if (size < 8 || size > 64 * 1024 * 1024) break;
    frame.resize(static_cast<size_t>(size));
    if (!stream->read_exact(frame, Instant::never()).ok()) break;
    Bytes out = handle_frame(frame);
    if (out.empty()) break;
    Bytes framed(4);
    store_be32(framed.data(), static_cast<uint32_t>(out.size()));
    framed.insert(framed.end(), out.begin(), out.end());
    if (!stream->write_all(framed, rt_.now() + Duration::seconds(30)).ok()) break;
  }
  stream->close();
  std::erase(streams_, stream);
}

namespace {

template <class Req, class Fn>
Bytes answer(const RequestHeader& h, Reader& body, Fn&& fn) {
  Req req;
  if (!req.decode(body, h.api_version).ok()) return {};
  auto resp = fn(req);
  Writer w(256);
  ResponseHeader rh;
  rh.correlation_id = h.correlation_id;
  rh.encode(w, response_header_version(h.api_key, h.api_version));
  resp.encode(w, h.api_version);
  return w.take();
}

}  // namespace

Bytes RaftTestServer::handle_frame(std::span<const uint8_t> frame) {
  Reader r(frame);
  RequestHeader h;
  if (!decode_request_header(r, h).ok()) return {};
  if (h.api_key == static_cast<int16_t>(ApiKey::api_versions)) {
    const int16_t v = is_controller_supported(h.api_key, h.api_version) ? h.api_version : 0;
    ApiVersionsResponse resp;
    for (const ApiInfo& a : controller_apis()) {
      auto& k = resp.api_keys.emplace_back();
      k.api_key = static_cast<int16_t>(a.key);
      k.min_version = a.min_version;
      k.max_version = a.max_version;
    }
    if (v != h.api_version) resp.error_code = to_wire(ErrorCode::unsupported_version);
    Writer w(256);
    ResponseHeader rh;
    rh.correlation_id = h.correlation_id;
    rh.encode(w, 0);
    resp.encode(w, v);
    return w.take();
  }
  if (!is_controller_supported(h.api_key, h.api_version)) return {};
  switch (static_cast<ApiKey>(h.api_key)) {
    case ApiKey::vote:
      return answer<VoteRequest>(h, r, [&](auto& q) { return node_.handle_vote(q); });
    case ApiKey::begin_quorum_epoch:
      return answer<BeginQuorumEpochRequest>(
          h, r, [&](auto& q) { return node_.handle_begin_quorum_epoch(q); });
    case ApiKey::end_quorum_epoch:
      return answer<EndQuorumEpochRequest>(
          h, r, [&](auto& q) { return node_.handle_end_quorum_epoch(q); });
    case ApiKey::fetch:
      return answer<FetchRequest>(h, r, [&](auto& q) { return node_.handle_fetch(q); });
    case ApiKey::fetch_snapshot:
      return answer<FetchSnapshotRequest>(
          h, r, [&](auto& q) { return node_.handle_fetch_snapshot(q); });
    case ApiKey::describe_quorum:
      return answer<DescribeQuorumRequest>(
          h, r, [&](auto& q) { return node_.handle_describe_quorum(q); });
    default:
      return {};
  }
}

}  // namespace tern::raft::test
