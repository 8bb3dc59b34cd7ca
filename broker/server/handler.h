#pragma once
// The handler contract (Redpanda's two-stage handler, handlers/handler.h there):
// - Stage one runs on the connection's reader task, in request order. It decodes the
//   request and does whatever must happen in order (a produce appends to the log here).
// - It returns a Reply: the encoded response body now, a stage-two function that produces
//   it later (runs in its own task, overlapping later requests on the same connection), no
//   response (acks=0 produce), or "close the connection" (an undecodable request of an API
//   without a top-level error code, like Kafka's own SocketServer).
// Responses are written in request order whatever order stage two finishes in.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "broker/protocol/error_code.h"
#include "broker/protocol/wire.h"

namespace tern::server {

struct Services;

// An encoded response body: `bytes`, with `splices` (big byte fields not copied, see
// protocol::Writer) to be sent at their positions; `keep` owns what the splices point into.
struct ResponseBody {
  ResponseBody() = default;
  ResponseBody(protocol::Bytes b) : bytes(std::move(b)) {}  // NOLINT: implicit on purpose
  protocol::Bytes bytes;
  std::vector<protocol::Splice> splices;
  std::shared_ptr<const void> keep;
  // Record bytes it carries (Fetch), for the `fetch.respond` trace event of the writer.
  int64_t record_bytes = 0;

  size_t size() const { return bytes.size() + protocol::spliced_bytes(splices); }
};

struct Reply {
  enum class Kind : uint8_t { now, later, none, close };
  Kind kind = Kind::now;
  ResponseBody body;                    // kind == now
  std::function<ResponseBody()> later;  // kind == later: runs in a stage-two task
  std::string close_reason;             // kind == close

  static Reply none() { return Reply{Kind::none, {}, {}, {}}; }
  static Reply close(std::string why) { return Reply{Kind::close, {}, {}, std::move(why)}; }
  static Reply deferred(std::function<ResponseBody()> fn) {
    return Reply{Kind::later, {}, std::move(fn), {}};
  }
};

// The answer of this broker to group and transaction requests until it can coordinate them
// (what a Kafka broker that is not the coordinator says).
inline constexpr int16_t kNotCoordinator = protocol::to_wire(protocol::ErrorCode::not_coordinator);

// What a handler sees besides its request.
struct RequestContext {
  Services& services;  // services.h: runtime, config, replicas, metadata, controller
  const protocol::RequestHeader& header;
  const std::string& client;  // the peer's host (a node name in the simulation)
  int16_t version() const { return header.api_version; }
};

template <class Msg>
protocol::Bytes encode_body(const Msg& msg, int16_t version) {
  protocol::Writer w(512);
  msg.encode(w, version);
  return w.take();
}

// Encodes msg without copying its big byte fields; the body keeps msg alive.
template <class Msg>
ResponseBody encode_body_spliced(std::shared_ptr<const Msg> msg, int16_t version,
                                 size_t splice_min_bytes) {
  protocol::Writer w(512);
  w.splice_bytes_from(splice_min_bytes);
  msg->encode(w, version);
  ResponseBody body;
  body.splices = w.take_splices();
  body.bytes = w.take();
  body.keep = std::move(msg);
  return body;
}

template <class Msg>
Reply reply_now(const Msg& msg, int16_t version) {
  return Reply{Reply::Kind::now, encode_body(msg, version), {}, {}};
}

template <class Resp>
concept HasTopLevelErrorCode = requires(Resp r) { r.error_code = int16_t{0}; };

// The answer to a request whose body did not decode: the API's response with a top-level
// INVALID_REQUEST when it has one, else a closed connection (what Kafka does for every
// unparseable request).
template <class Resp>
Reply undecodable_reply(const RequestContext& ctx, const std::string& why) {
  if constexpr (HasTopLevelErrorCode<Resp>) {
    Resp resp;
    resp.error_code = protocol::to_wire(protocol::ErrorCode::invalid_request);
    return reply_now(resp, ctx.version());
  } else {
    return Reply::close("undecodable request body: " + why);
  }
}

// Decodes Req and calls fn(ctx, req) -> Reply; an undecodable body gets the reply above.
template <class Req, class Resp, class Fn>
Reply decode_and_handle(const RequestContext& ctx, protocol::Reader& body, Fn&& fn) {
  Req req;
  Status s = req.decode(body, ctx.version());
  if (!s.ok()) return undecodable_reply<Resp>(ctx, s.error().message());
  // Trailing bytes after a well-formed body are tolerated, as Kafka does.
  return fn(ctx, req);
}

// Decodes Req (so a malformed body still gets the undecodable reply) and answers with Resp
// carrying only a top-level error code: APIs a role this broker does not play yet (group or
// transaction coordinator) answers, the way a non-coordinator Kafka broker does.
template <class Req, class Resp>
Reply reply_error_code(const RequestContext& ctx, protocol::Reader& body, int16_t error_code) {
  return decode_and_handle<Req, Resp>(ctx, body, [error_code](const RequestContext& c, Req&) {
    Resp resp;
    resp.error_code = error_code;
    return reply_now(resp, c.version());
  });
}

// Decodes Req and answers every partition it names with one error code, for requests shaped
// topics[].partitions[].partition_index whose responses are topics[].partitions[] with
// partition_index and error_code (OffsetCommit, TxnOffsetCommit).
template <class Req, class Resp>
Reply reply_partition_error_code(const RequestContext& ctx, protocol::Reader& body,
                                 int16_t error_code) {
  return decode_and_handle<Req, Resp>(ctx, body, [error_code](const RequestContext& c, Req& req) {
    Resp resp;
    for (const auto& t : req.topics) {
      auto& tr = resp.topics.emplace_back();
      tr.name = t.name;
      for (const auto& p : t.partitions) {
        auto& pr = tr.partitions.emplace_back();
        pr.partition_index = p.partition_index;
        pr.error_code = error_code;
      }
    }
    return reply_now(resp, c.version());
  });
}

}  // namespace tern::server
