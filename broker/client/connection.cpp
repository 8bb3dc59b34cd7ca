#include "broker/client/connection.h"

#include <algorithm>
#include <deque>

#include "broker/base/bytes.h"
#include "broker/protocol/api_key.h"

namespace tern::client {

using protocol::Bytes;

struct Connection::State {
  explicit State(Runtime& runtime) : rt(runtime), write_mu(runtime) {}

  struct Slot {
    int32_t correlation_id = 0;
    int16_t api_key = 0;
    int16_t version = 0;
    Promise<Result<FramePtr>> promise;
  };

  // Breaks the connection once: closes the stream (waking the reader) and fails every
  // request still waiting for an answer.
  void shut(Errc why, std::string reason) {
    if (!broken) {
      broken = true;
      broken_reason = std::move(reason);
      if (stream) stream->close();
    }
    while (!pending.empty()) {
      Slot s = std::move(pending.front());
      pending.pop_front();
      s.promise.set(Error(why == Errc::ok ? Errc::closed : why, broken_reason));
    }
  }

  Runtime& rt;
  std::unique_ptr<Stream> stream;
  Mutex write_mu;  // one writer at a time; also fixes the order of `pending`
  std::deque<Slot> pending;
  int32_t next_correlation_id = 1;
  int32_t response_bytes_max = 0;
  bool broken = false;
  std::string broken_reason;
};

namespace {

// The reader task: one frame at a time, matched to the oldest outstanding request.
void read_responses(const std::shared_ptr<Connection::State>& state) {
  auto& s = *state;
  while (!s.broken) {
    uint8_t len_buf[4];
    Status st = s.stream->read_exact(len_buf, Instant::never());
    if (!st.ok()) return s.shut(st.code(), "connection lost: " + st.error().message());
    const int32_t len = load_be_i32(len_buf);
    if (len < 4 || len > s.response_bytes_max) {
      return s.shut(Errc::invalid_argument, fmt::format("bad response frame length {}", len));
    }
    auto frame = std::make_shared<ResponseFrame>(static_cast<size_t>(len));
    st = s.stream->read_exact(frame->all(), Instant::never());
    if (!st.ok()) return s.shut(st.code(), "connection lost: " + st.error().message());
    if (s.pending.empty()) return s.shut(Errc::invalid_argument, "unsolicited response");
    Connection::State::Slot slot = std::move(s.pending.front());
    s.pending.pop_front();
    protocol::Reader r(frame->body());
    protocol::ResponseHeader header;
    st = header.decode(r, protocol::response_header_version(slot.api_key, slot.version));
    if (!st.ok() || header.correlation_id != slot.correlation_id) {
      slot.promise.set(Error(Errc::invalid_argument, "response out of order"));
      return s.shut(Errc::invalid_argument,
                    fmt::format("response correlation id {} != expected {}",
                                header.correlation_id, slot.correlation_id));
    }
    frame->body_at = r.position();
    slot.promise.set(FramePtr(std::move(frame)));
  }
}

}  // namespace

ClientResult<int16_t> pick_version(int16_t api_key, int16_t ours_min, int16_t ours_max,
                                   const std::map<int16_t, VersionRange>& broker) {
  TERN_ASSERT(ours_min <= ours_max, "api {} ours {}..{}", api_key, ours_min, ours_max);
  auto it = broker.find(api_key);
  if (it == broker.end() || it->second.max < it->second.min) {
    return ClientError::kafka(protocol::to_wire(protocol::ErrorCode::unsupported_version),
                              fmt::format("the broker does not serve {}",
                                          protocol::api_key_name(api_key)));
  }
  const int16_t hi = std::min(ours_max, it->second.max);
  const int16_t lo = std::max(ours_min, it->second.min);
  if (hi < lo) {
    return ClientError::kafka(
        protocol::to_wire(protocol::ErrorCode::unsupported_version),
        fmt::format("{}: we speak v{}-{}, the broker v{}-{}", protocol::api_key_name(api_key),
                    ours_min, ours_max, it->second.min, it->second.max));
  }
  TERN_ASSERT(hi >= ours_min && hi <= ours_max);
  return hi;
}

Connection::Connection(Runtime& rt, const Address& address, const ConnectionOptions& options)
    : rt_(rt), address_(address), options_(options), state_(std::make_shared<State>(rt)) {
  state_->response_bytes_max = options.response_bytes_max;
  // Until the handshake tells us, assume only what every broker serves.
  versions_[protocol::ApiVersionsRequest::kApiKey] = VersionRange{0, 3};
}

Connection::~Connection() { close(); }

bool Connection::broken() const { return state_->broken; }

void Connection::close() { state_->shut(Errc::closed, "connection closed by the client"); }

ClientResult<std::unique_ptr<Connection>> Connection::open(Runtime& rt, const Address& address,
                                                           const ConnectionOptions& options) {
  auto stream = rt.net().connect(address, rt.now() + options.connect_timeout);
  if (!stream.ok()) {
    return ClientError::runtime(stream.code(), fmt::format("connect {}", address.to_string()));
  }
  std::unique_ptr<Connection> conn(new Connection(rt, address, options));
  conn->state_->stream = std::move(stream.value());
  rt.spawn(fmt::format("client-reader {}", address.to_string()),
           [state = conn->state_] { read_responses(state); });
  ClientStatus hs = conn->handshake();
  if (!hs.ok()) return hs.error();
  return conn;
}

ClientStatus Connection::handshake() {
  protocol::ApiVersionsRequest req;
  req.client_software_name = "tern";
  req.client_software_version = "0.1.0";
  auto resp = call(req, 3);
  bool fallback = false;
  if (!resp.ok()) {
    // A v0-shaped error body (KIP-511) does not decode as v3: fall back, like librdkafka.
    if (resp.error().errc() != Errc::invalid_argument || broken()) return resp.error();
    fallback = true;
  } else if (resp->error_code == protocol::to_wire(protocol::ErrorCode::unsupported_version)) {
    fallback = true;
  }
  if (fallback) {
    resp = call(req, 0);
    if (!resp.ok()) return resp.error();
  }
  if (resp->error_code != 0) {
    return ClientError::kafka(resp->error_code, fmt::format("ApiVersions to {}",
                                                            address_.to_string()));
  }
  versions_.clear();
  for (const auto& k : resp->api_keys) versions_[k.api_key] = VersionRange{k.min_version,
                                                                           k.max_version};
  // The answer came, and the connection may have broken right after it (the broker closed
  // it, crashed, or the network reset it before this task ran again): a failed connect, not
  // a bug (quorum-3-combined seeds 136 and 568 asserted here).
  if (broken()) {
    return ClientError::runtime(Errc::reset, fmt::format("connect {}: {}", address_.to_string(),
                                                         state_->broken_reason));
  }
  return {};
}

void Connection::break_on_timeout(State& state, const std::string& what) {
  state.shut(Errc::timed_out, fmt::format("request timed out: {}", what));
}

ClientResult<Future<Result<FramePtr>>> Connection::send_frame(
    int16_t api_key, int16_t version, const BodyEncoderFn& body, bool expect_response) {
  State& s = *state_;
  if (s.broken) return ClientError::runtime(Errc::closed, s.broken_reason);
  MutexLock lock(s.write_mu);
  if (!lock.owns()) return ClientError::runtime(Errc::cancelled, "send");
  if (s.broken) return ClientError::runtime(Errc::closed, s.broken_reason);
  // BUGGIFY: the connection drops just before a request (what a broker restart or a NAT
  // timeout looks like); requests waiting on it fail too, and their callers retry.
  if (api_key != protocol::ApiVersionsRequest::kApiKey && rt_.buggify("client.conn.drop")) {
    s.shut(Errc::reset, "connection dropped (buggify)");
    return ClientError::runtime(Errc::reset, fmt::format("send {} to {}",
                                                         protocol::api_key_name(api_key),
                                                         address_.to_string()));
  }

  protocol::Writer w(512);
  // Record sets this big go out from the request itself instead of being copied in.
  w.splice_bytes_from(64 * 1024);
  w.write_int32(0);
  protocol::RequestHeader header;
  header.api_key = api_key;
  header.api_version = version;
  header.correlation_id = s.next_correlation_id++;
  if (s.next_correlation_id == INT32_MAX) s.next_correlation_id = 1;
  header.client_id = options_.client_id;
  header.encode(w, protocol::request_header_version(api_key, version));
  body(w);
  const std::vector<protocol::Splice> splices = w.take_splices();
  w.patch_int32(0, static_cast<int32_t>(w.size() + protocol::spliced_bytes(splices) - 4));

  Future<Result<FramePtr>> future;
  if (expect_response) {
    Promise<Result<FramePtr>> promise(rt_);
    future = promise.future();
    s.pending.push_back(State::Slot{header.correlation_id, api_key, version, std::move(promise)});
  }
  const Bytes frame = w.take();
  const Deadline write_by = rt_.now() + options_.request_timeout;
  Status st;
  // BUGGIFY: every piece of the request in two writes (the broker reads frames in pieces).
  const bool split = rt_.buggify("client.conn.split_write");
  protocol::write_spliced(frame, splices, [&](std::span<const uint8_t> piece) {
    if (split && piece.size() > 1) {
      st = s.stream->write_all(piece.first(piece.size() / 2), write_by);
      if (!st.ok()) return false;
      piece = piece.subspan(piece.size() / 2);
    }
    st = s.stream->write_all(piece, write_by);
    return st.ok();
  });
  if (!st.ok()) {
    s.shut(st.code(), fmt::format("write to {}: {}", address_.to_string(),
                                  st.error().message()));
    return ClientError::runtime(st.code(), fmt::format("send {} to {}",
                                                       protocol::api_key_name(api_key),
                                                       address_.to_string()));
  }
  return future;
}

}  // namespace tern::client
