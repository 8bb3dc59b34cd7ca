// broker_fuzz: a whole Broker, in the simulated world, fed hostile bytes on one connection.
//
// Per input: a fresh deterministic World (seed 1) with a broker node and two client nodes.
//   "evil" connects and writes the input verbatim (a client byte stream: size-prefixed frames,
//          or garbage), then drains whatever comes back until the broker closes or 10 s of
//          virtual time pass, then closes;
//   "good" connects once evil's bytes are written and sends ApiVersions v3 + Metadata v1
//          (all topics), then again on a new connection after evil has gone.
// Oracle: nothing crashes (ASan/UBSan/TERN_ASSERT), and every good request gets a
// well-formed answer with the right correlation id, error_code 0 and this broker in the
// metadata, within 300 s of virtual time: the broker keeps serving everyone else.
// The world is single-threaded and idle virtual time is free, so an input costs milliseconds.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>

#include "broker/base/bytes.h"
#include "broker/protocol/api_table.h"
#include "broker/protocol/messages.h"
#include "broker/protocol/wire.h"
#include "broker/server/broker.h"
#include "broker/server/config.h"
#include "sim/runtime/runtime.h"
#include "sim/simulated/world.h"

namespace tern::fuzz {
namespace {

using namespace protocol;

const Address kBroker{"broker", 9092};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "broker_fuzz: the well-behaved client failed: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

std::unique_ptr<Stream> connect(Runtime& rt) {
  const Deadline end = rt.now() + Duration::seconds(30);
  while (true) {
    auto s = rt.net().connect(kBroker, rt.now() + Duration::seconds(10));
    if (s.ok()) return std::move(s.value());
    if (rt.now() >= end) fail("connect: " + s.error().message());
    (void)rt.sleep_for(Duration::millis(50));
  }
}

template <class Resp, class Req>
Resp call(Runtime& rt, Stream& stream, const Req& req, int16_t version, int32_t corr) {
  Writer w;
  w.write_int32(0);
  RequestHeader h;
  h.api_key = Req::kApiKey;
  h.api_version = version;
  h.correlation_id = corr;
  h.client_id = "good";
  h.encode(w, request_header_version(Req::kApiKey, version));
  req.encode(w, version);
  w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
  const Deadline d = rt.now() + Duration::seconds(60);
  const std::string what = std::string(Req::kName);
  if (!stream.write_all(w.data(), d).ok()) fail(what + ": write");
  uint8_t prefix[4];
  if (!stream.read_exact(prefix, d).ok()) fail(what + ": no response");
  const int32_t size = static_cast<int32_t>(load_be32(prefix));
  if (size < 4 || size > (64 << 20)) fail(what + ": bad response size");
  Bytes frame(static_cast<size_t>(size));
  if (!stream.read_exact(frame, d).ok()) fail(what + ": truncated response");
  Reader r(frame);
  ResponseHeader rh;
  if (!rh.decode(r, response_header_version(Req::kApiKey, version)).ok()) {
    fail(what + ": bad response header");
  }
  if (rh.correlation_id != corr) fail(what + ": wrong correlation id");
  Resp resp;
  Status s = resp.decode(r, version);
  if (!s.ok()) fail(what + ": undecodable response: " + s.error().message());
  if (!r.at_end()) fail(what + ": trailing bytes in response");
  return resp;
}

void good_round(Runtime& rt, int32_t node_id) {
  auto stream = connect(rt);
  ApiVersionsRequest av;
  av.client_software_name = "good";
  av.client_software_version = "1";
  auto avr = call<ApiVersionsResponse>(rt, *stream, av, 3, 1);
  if (avr.error_code != 0) fail("ApiVersions error " + std::to_string(avr.error_code));
  if (avr.api_keys.size() != std::size(kSupportedApis)) fail("ApiVersions api count");
  MetadataRequest md;
  md.topics.reset();  // all topics
  auto mdr = call<MetadataResponse>(rt, *stream, md, 1, 2);
  if (mdr.brokers.size() != 1 || mdr.brokers[0].node_id != node_id) fail("Metadata brokers");
  stream->close();
}

void run_one(std::span<const uint8_t> input) {
  sim::World::Options opts;
  opts.seed = 1;
  opts.stack_bytes = 512 * 1024;  // ASan's larger frames
  sim::World world(opts);
  server::BrokerConfig config;
  config.listeners = {{"PLAINTEXT", "broker", 9092}};
  config.log_dirs = {"data"};
  const int32_t node_id = config.node_id;

  world.start_node(world.add_node("broker", [&config](Runtime& rt) {
    server::Broker b(rt, config);
    (void)b.run();
  }));

  bool evil_sent = false;
  bool evil_done = false;
  world.start_node(world.add_node("evil", [&](Runtime& rt) {
    auto stream = connect(rt);
    (void)stream->write_all(input, rt.now() + Duration::seconds(30));
    evil_sent = true;
    const Deadline d = rt.now() + Duration::seconds(10);
    uint8_t buf[4096];
    while (true) {
      auto n = stream->read_some(buf, d);
      if (!n.ok() || n.value() == 0) break;
    }
    stream->close();
    evil_done = true;
  }));
  if (!world.run_until([&] { return evil_sent; }, world.now() + Duration::seconds(60))) {
    fail("the hostile client could not even connect and write");
  }

  bool good_done = false;
  world.start_node(world.add_node("good", [&](Runtime& rt) {
    good_round(rt, node_id);  // while the hostile connection may still be open
    while (!evil_done) (void)rt.sleep_for(Duration::millis(100));
    good_round(rt, node_id);  // and after it is gone
    good_done = true;
  }));
  if (!world.run_until([&] { return good_done; }, world.now() + Duration::seconds(300))) {
    fail("no answer within 300 s of virtual time");
  }
}

}  // namespace
}  // namespace tern::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tern::fuzz::run_one(std::span<const uint8_t>(data, size));
  return 0;
}
