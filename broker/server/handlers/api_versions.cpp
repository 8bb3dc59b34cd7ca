// ApiVersions (KIP-35, KIP-511). The advertised ranges are the generated kSupportedApis
// table, the same one the dispatcher checks. A version above ours gets UNSUPPORTED_VERSION
// with a v0-shaped body listing our ranges, so the client can retry with one we support
// (librdkafka retries v3 -> v0, kafkajs v2 -> v1 -> v0). The response header is always v0
// (protocol::response_header_version): a client must parse it before knowing our versions.
#include "broker/protocol/api_table.h"
#include "broker/protocol/msg_api_versions.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server {

using namespace protocol;

namespace {

std::vector<ApiVersionsResponse::ApiVersion> advertised() {
  std::vector<ApiVersionsResponse::ApiVersion> out;
  for (const ApiInfo& a : supported_apis()) {
    ApiVersionsResponse::ApiVersion v;
    v.api_key = static_cast<int16_t>(a.key);
    v.min_version = a.min_version;
    v.max_version = a.max_version;
    out.push_back(v);
  }
  TERN_ASSERT(!out.empty());
  return out;
}

}  // namespace

Reply handle_api_versions(const RequestContext& ctx, Reader& body) {
  ApiVersionsResponse resp;
  resp.api_keys = advertised();
  if (ctx.version() < ApiVersionsRequest::kMinVersion ||
      ctx.version() > ApiVersionsRequest::kMaxVersion) {
    resp.error_code = to_wire(ErrorCode::unsupported_version);
    return reply_now(resp, 0);
  }
  ApiVersionsRequest req;
  if (!req.decode(body, ctx.version()).ok()) {
    // KIP-511: a body we cannot parse gets INVALID_REQUEST, in the version asked for.
    resp.error_code = to_wire(ErrorCode::invalid_request);
    return reply_now(resp, ctx.version());
  }
  return reply_now(resp, ctx.version());
}

}  // namespace tern::server
