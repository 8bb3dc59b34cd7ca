#pragma once
// One connection from tern's client to one broker over rt.net().
//
// open() connects (with a deadline) and performs the ApiVersions handshake: ApiVersions v3
// first, v0 when the broker answers UNSUPPORTED_VERSION (KIP-511), so the connection knows
// the broker's range per API. Every request then goes out at min(our max, broker max).
//
// Requests may be pipelined: any number of tasks may send at once; a per-connection reader
// task matches responses to requests by correlation id, in order (Kafka answers in order).
// A request that is not answered in time is a timed_out error value, and the connection is
// then closed: a late answer would otherwise be taken for the next request's. A broken
// connection stays broken; the Cluster opens a new one (with backoff).
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "broker/client/client_error.h"
#include "broker/protocol/messages.h"
#include "broker/protocol/wire.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/future.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::client {

struct ConnectionOptions {
  std::string client_id = "tern";
  Duration connect_timeout = Duration::seconds(10);
  Duration request_timeout = Duration::seconds(30);
  // Bigger frames from a broker are a protocol error (a garbage length must not allocate).
  int32_t response_bytes_max = 512 * 1024 * 1024;
};

// The response type of each request type the client sends.
template <class Req>
struct ResponseOf;
#define TERN_CLIENT_RESPONSE_OF(Api)            \
  template <>                                   \
  struct ResponseOf<protocol::Api##Request> {   \
    using type = protocol::Api##Response;       \
  };
TERN_CLIENT_RESPONSE_OF(ApiVersions)
TERN_CLIENT_RESPONSE_OF(Metadata)
TERN_CLIENT_RESPONSE_OF(Produce)
TERN_CLIENT_RESPONSE_OF(Fetch)
TERN_CLIENT_RESPONSE_OF(ListOffsets)
TERN_CLIENT_RESPONSE_OF(CreateTopics)
TERN_CLIENT_RESPONSE_OF(DeleteTopics)
TERN_CLIENT_RESPONSE_OF(CreatePartitions)
TERN_CLIENT_RESPONSE_OF(DescribeConfigs)
TERN_CLIENT_RESPONSE_OF(AlterConfigs)
TERN_CLIENT_RESPONSE_OF(BrokerRegistration)
TERN_CLIENT_RESPONSE_OF(BrokerHeartbeat)
TERN_CLIENT_RESPONSE_OF(AllocateProducerIds)
// KRaft quorum RPCs (broker/raft's transport, to a CONTROLLER listener).
TERN_CLIENT_RESPONSE_OF(Vote)
TERN_CLIENT_RESPONSE_OF(BeginQuorumEpoch)
TERN_CLIENT_RESPONSE_OF(EndQuorumEpoch)
TERN_CLIENT_RESPONSE_OF(FetchSnapshot)
TERN_CLIENT_RESPONSE_OF(DescribeQuorum)
#undef TERN_CLIENT_RESPONSE_OF

struct VersionRange {
  int16_t min = 0;
  int16_t max = -1;  // max < min: the broker does not serve the API
};

// Picks min(ours_max, broker_max); UNSUPPORTED_VERSION when the ranges do not overlap.
ClientResult<int16_t> pick_version(int16_t api_key, int16_t ours_min, int16_t ours_max,
                                   const std::map<int16_t, VersionRange>& broker);

// One response frame as read from the socket; the body follows the response header. The
// bytes are not zero-filled first (the read overwrites them) and the header is skipped, not
// erased (erasing shifted every fetched byte: ~10% of a consuming client's CPU).
struct ResponseFrame {
  explicit ResponseFrame(size_t n) : bytes(new uint8_t[n]), size(n) {}
  std::span<uint8_t> all() { return {bytes.get(), size}; }
  std::span<const uint8_t> body() const { return {bytes.get() + body_at, size - body_at}; }
  std::unique_ptr<uint8_t[]> bytes;
  size_t size = 0;
  size_t body_at = 0;
};
using FramePtr = std::shared_ptr<const ResponseFrame>;

class Connection {
 public:
  // Shared by the Connection, its reader task and outstanding Pendings; opaque here.
  struct State;

  // A response not yet arrived. get() waits for it (until the deadline) and decodes it.
  template <class Resp>
  class Pending {
   public:
    Pending() = default;
    ClientResult<Resp> get(Deadline deadline) const;

   private:
    friend class Connection;
    // The connection's shared state: a Pending stays usable after its Connection is gone.
    std::shared_ptr<State> state_;
    Future<Result<FramePtr>> frame_;
    int16_t version_ = 0;
    std::string what_;
  };

  static ClientResult<std::unique_ptr<Connection>> open(Runtime& rt, const Address& address,
                                                        const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  const Address& address() const { return address_; }
  bool broken() const;
  void close();
  // The broker's version range per API key, from the handshake.
  const std::map<int16_t, VersionRange>& broker_versions() const { return versions_; }

  // The version to send Req at: min(Req::kMaxVersion, cap, broker max), at least our min.
  template <class Req>
  ClientResult<int16_t> version_for(int16_t cap = INT16_MAX) const {
    const int16_t ours_max = cap < Req::kMaxVersion ? cap : Req::kMaxVersion;
    return pick_version(Req::kApiKey, Req::kMinVersion, ours_max, versions_);
  }

  // Sends a request; the response arrives later through the Pending.
  template <class Req>
  ClientResult<Pending<typename ResponseOf<Req>::type>> send(const Req& req, int16_t version) {
    Pending<typename ResponseOf<Req>::type> p;
    auto frame = send_frame(Req::kApiKey, version, BodyEncoder(req, version), true);
    if (!frame.ok()) return frame.error();
    p.state_ = state_;
    p.frame_ = std::move(frame.value());
    p.version_ = version;
    p.what_ = fmt::format("{} v{} to {}", Req::kName, version, address_.to_string());
    return p;
  }

  // Sends a request and waits for its response (request_timeout from now).
  template <class Req>
  ClientResult<typename ResponseOf<Req>::type> call(const Req& req, int16_t version) {
    auto p = send(req, version);
    if (!p.ok()) return p.error();
    return p->get(rt_.now() + options_.request_timeout);
  }
  // Sends at version_for<Req>() and waits.
  template <class Req>
  ClientResult<typename ResponseOf<Req>::type> call(const Req& req) {
    auto v = version_for<Req>();
    if (!v.ok()) return v.error();
    return call(req, v.value());
  }

  // A request the broker does not answer (Produce with acks=0).
  template <class Req>
  ClientStatus send_no_response(const Req& req, int16_t version) {
    auto frame = send_frame(Req::kApiKey, version, BodyEncoder(req, version), false);
    if (!frame.ok()) return frame.error();
    return {};
  }

  Runtime& runtime() const { return rt_; }
  const ConnectionOptions& options() const { return options_; }

 private:
  Connection(Runtime& rt, const Address& address, const ConnectionOptions& options);

  // Encodes a request body into the frame's writer (no intermediate copy). The request must
  // outlive the send: big byte fields (Produce records) are written from it, not copied.
  using BodyEncoderFn = std::function<void(protocol::Writer&)>;
  template <class Req>
  static BodyEncoderFn BodyEncoder(const Req& req, int16_t version) {
    return [&req, version](protocol::Writer& w) { req.encode(w, version); };
  }
  ClientResult<Future<Result<FramePtr>>> send_frame(
      int16_t api_key, int16_t version, const BodyEncoderFn& body, bool expect_response);
  // Called by Pending::get on a timeout: the connection can no longer match answers.
  static void break_on_timeout(State& state, const std::string& what);
  ClientStatus handshake();

  Runtime& rt_;
  Address address_;
  ConnectionOptions options_;
  std::shared_ptr<State> state_;
  std::map<int16_t, VersionRange> versions_;
};

// Decodes a response frame (header already stripped) at `version`.
template <class Resp>
ClientResult<Resp> decode_response(std::span<const uint8_t> body, int16_t version,
                                   const std::string& what) {
  protocol::Reader r(body);
  Resp resp;
  Status st = resp.decode(r, version);
  if (!st.ok()) {
    return ClientError::runtime(Errc::invalid_argument,
                                fmt::format("bad response to {}: {}", what, st.error().message()));
  }
  return resp;
}

template <class Resp>
ClientResult<Resp> Connection::Pending<Resp>::get(Deadline deadline) const {
  TERN_ASSERT(state_ != nullptr, "get() on an empty Pending");
  auto r = frame_.get(deadline);
  if (!r.ok()) {
    if (r.code() == Errc::timed_out) {
      Connection::break_on_timeout(*state_, what_);
      return ClientError::runtime(Errc::timed_out, fmt::format("no answer to {}", what_));
    }
    return ClientError::runtime(r.code(), what_);
  }
  const Result<FramePtr>& frame = r.value();
  if (!frame.ok()) return ClientError::runtime(frame.error().code(), what_);
  return decode_response<Resp>(frame.value()->body(), version_, what_);
}

}  // namespace tern::client
