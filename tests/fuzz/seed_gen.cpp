// fuzz_seed_gen DIR: writes the seed corpus (valid request frames, size prefix included) into
// DIR. The checked-in tests/fuzz/corpus/{request_fuzz,broker_fuzz}/ are its output; both
// targets take the same input format (a client's byte stream). Not a fuzzer: a plain program.
#include <cstdio>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/protocol/messages.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "broker/protocol/wire.h"
#include "sim/runtime/assert.h"

namespace tern::fuzz {
namespace {

using namespace protocol;

template <class Req>
Bytes frame(const Req& req, int16_t version, int32_t correlation_id) {
  Writer w;
  w.write_int32(0);
  RequestHeader h;
  h.api_key = Req::kApiKey;
  h.api_version = version;
  h.correlation_id = correlation_id;
  h.client_id = "seed";
  h.encode(w, request_header_version(Req::kApiKey, version));
  req.encode(w, version);
  w.patch_int32(0, static_cast<int32_t>(w.size() - 4));
  return w.take();
}

ApiVersionsRequest api_versions() {
  ApiVersionsRequest req;
  req.client_software_name = "tern-seed";
  req.client_software_version = "1.0";
  return req;
}

MetadataRequest metadata(bool all_topics) {
  MetadataRequest req;
  if (all_topics) {
    req.topics.reset();  // null: every topic
  } else {
    req.topics->emplace_back().name = "seed-topic";
  }
  req.allow_auto_topic_creation = true;
  return req;
}

ProduceRequest produce() {
  BatchOptions opts;
  RecordBatchBuilder b(opts);
  b.add(1'000, as_bytes("k1"), as_bytes("hello"));
  const RecordHeaderView hdr{"h", as_bytes("v")};
  b.add(1'001, std::nullopt, as_bytes("world"), std::span(&hdr, 1));
  auto batch = b.build();
  TERN_ASSERT(batch.ok());
  ProduceRequest req;
  req.acks = -1;
  req.timeout_ms = 5'000;
  auto& t = req.topic_data.emplace_back();
  t.name = "seed-topic";
  auto& p = t.partition_data.emplace_back();
  p.index = 0;
  p.records = std::move(batch.value());
  return req;
}

bool write_file(const std::string& path, const Bytes& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  return std::fclose(f) == 0 && ok;
}

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace
}  // namespace tern::fuzz

int main(int argc, char** argv) {
  using namespace tern::fuzz;
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_seed_gen DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const std::vector<std::pair<std::string, tern::protocol::Bytes>> seeds = {
      {"api_versions_v0", frame(api_versions(), 0, 1)},
      {"api_versions_v3", frame(api_versions(), 3, 1)},
      {"metadata_v1_all", frame(metadata(true), 1, 2)},
      {"metadata_v1_topic", frame(metadata(false), 1, 2)},
      {"produce_v7", frame(produce(), 7, 3)},
      // A whole session: handshake, metadata, produce (pipelined, as clients do).
      {"session_v3_v1_v7",
       concat({frame(api_versions(), 3, 1), frame(metadata(false), 1, 2),
               frame(produce(), 7, 3)})},
  };
  for (const auto& [name, bytes] : seeds) {
    if (!write_file(dir + "/" + name, bytes)) {
      std::fprintf(stderr, "cannot write %s/%s\n", dir.c_str(), name.c_str());
      return 1;
    }
  }
  return 0;
}
