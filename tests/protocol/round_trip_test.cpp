// Goal: every generated message, at every version it supports, (1) round-trips random values
// through encode/decode unchanged and consumes exactly the bytes it wrote, (2) rejects every
// truncation of a valid encoding, and (3) survives mutated and random input without crashing
// or reading out of bounds (run under -Dsanitize=true to make the last one sharp), and any
// input it accepts re-encodes to a canonical form that decodes back to itself.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <memory>
#include <string>
#include <vector>

#include "broker/protocol/api_table.h"
#include "broker/protocol/messages.h"
#include "tests/protocol/kitchen_sink_messages.h"
#include "tests/protocol/kitchen_sink_random.h"
#include "tests/protocol/protocol_random.h"

namespace tern::protocol {
namespace {

// Decodes from a heap copy of exactly `bytes.size()` bytes, so any read past the end is a heap
// overflow that ASan reports.
template <class M>
Status decode_exact(const std::vector<uint8_t>& bytes, M& out, int16_t version, size_t* left) {
  std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes.size()]);
  std::copy(bytes.begin(), bytes.end(), copy.get());
  Reader r(std::span<const uint8_t>(copy.get(), bytes.size()));
  Status st = out.decode(r, version);
  if (left != nullptr) *left = r.remaining();
  return st;
}

template <class M>
Bytes encode(const M& m, int16_t version) {
  Writer w;
  m.encode(w, version);
  return w.take();
}

// Accepted input must re-encode canonically: encode(decode(encode(d))) == encode(d).
template <class M>
void check_canonical(const M& decoded, int16_t version) {
  const Bytes once = encode(decoded, version);
  M again;
  size_t left = 0;
  RC_ASSERT(decode_exact(once, again, version, &left).ok());
  RC_ASSERT(left == 0u);
  RC_ASSERT(encode(again, version) == once);
}

template <class M>
void round_trip(int16_t version) {
  M m;
  randomize(m, version);
  const Bytes bytes = encode(m, version);
  M d;
  size_t left = 1;
  const Status st = decode_exact(bytes, d, version, &left);
  RC_ASSERT(st.ok());
  RC_ASSERT(left == 0u);  // the decoder consumed exactly what the encoder wrote
  RC_ASSERT(d == m);
  RC_ASSERT(encode(d, version) == bytes);
}

template <class M>
void truncation(int16_t version) {
  M m;
  randomize(m, version);
  const Bytes bytes = encode(m, version);
  if (bytes.empty()) return;  // a field-less version has no proper prefix
  const size_t cut = *rc::gen::inRange<size_t>(0, bytes.size());
  const std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(cut));
  M d;
  RC_ASSERT(!decode_exact(prefix, d, version, nullptr).ok());
}

template <class M>
void mutation(int16_t version) {
  M m;
  randomize(m, version);
  Bytes bytes = encode(m, version);
  if (bytes.empty()) return;
  const int flips = *rc::gen::inRange(1, 4);
  for (int i = 0; i < flips; ++i) {
    const size_t at = *rc::gen::inRange<size_t>(0, bytes.size());
    bytes[at] = *rc::gen::arbitrary<uint8_t>();
  }
  M d;
  if (decode_exact(bytes, d, version, nullptr).ok()) check_canonical(d, version);
}

template <class M>
void garbage(int16_t version) {
  const auto bytes = *rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>());
  M d;
  if (decode_exact(bytes, d, version, nullptr).ok()) check_canonical(d, version);
}

struct Case {
  std::string name;
  int16_t version;
  void (*round_trip)(int16_t);
  void (*truncation)(int16_t);
  void (*mutation)(int16_t);
  void (*garbage)(int16_t);
};

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  auto add = [&]<class M>() {
    for (int16_t v = M::kMinVersion; v <= M::kMaxVersion; ++v) {
      cases.push_back(Case{std::string(M::kName) + "_v" + std::to_string(v), v,
                           &round_trip<M>, &truncation<M>, &mutation<M>, &garbage<M>});
    }
  };
  for_each_message_type(add);
  kitchen::for_each_message_type(add);
  return cases;
}

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class Messages : public ::testing::TestWithParam<Case> {};

void run(const char* what, void (*prop)(int16_t), const Case& c) {
  const int16_t v = c.version;
  EXPECT_TRUE(rc::check(c.name + " " + what, [prop, v] { prop(v); }));
}

TEST_P(Messages, RoundTrip) { run("round trip", GetParam().round_trip, GetParam()); }
TEST_P(Messages, TruncationIsAnError) { run("truncation", GetParam().truncation, GetParam()); }
TEST_P(Messages, MutatedInputIsSafe) { run("mutation", GetParam().mutation, GetParam()); }
TEST_P(Messages, RandomInputIsSafe) { run("garbage", GetParam().garbage, GetParam()); }

INSTANTIATE_TEST_SUITE_P(All, Messages, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

// Every (message, version) pair above is one an API table advertises, and vice versa. The
// broker listener may advertise less than the codec knows (Fetch v12 is Raft's only).
int count_table(std::span<const ApiInfo> table, bool exact) {
  int pairs = 0;
  for (const ApiInfo& api : table) {
    EXPECT_LE(api.min_version, api.max_version) << api.name;
    bool seen = false;
    visit_api(static_cast<int16_t>(api.key), [&](auto req, auto resp) {
      using Req = typename decltype(req)::type;
      using Resp = typename decltype(resp)::type;
      EXPECT_EQ(Req::kMinVersion, api.min_version) << api.name;
      EXPECT_EQ(Resp::kMinVersion, api.min_version) << api.name;
      if (exact) {
        EXPECT_EQ(Req::kMaxVersion, api.max_version) << api.name;
        EXPECT_EQ(Resp::kMaxVersion, api.max_version) << api.name;
      } else {
        EXPECT_LE(api.max_version, Req::kMaxVersion) << api.name;
        EXPECT_EQ(Req::kMaxVersion, Resp::kMaxVersion) << api.name;
      }
      EXPECT_TRUE(Req::kIsRequest);
      EXPECT_FALSE(Resp::kIsRequest);
      seen = true;
    });
    EXPECT_TRUE(seen) << api.name;
    pairs += api.max_version - api.min_version + 1;
  }
  return pairs;
}

TEST(Messages, CoverEveryAdvertisedVersion) {
  // 29 client APIs and DescribeQuorum (kafka-metadata-quorum.sh --bootstrap-server).
  EXPECT_EQ(std::size(kSupportedApis), 30u);
  EXPECT_EQ(count_table(supported_apis(), false), 119 + 3);
  // ApiVersions, Fetch 4-12, Vote, BeginQuorumEpoch, EndQuorumEpoch, DescribeQuorum,
  // FetchSnapshot; the controller's CreateTopics, DeleteTopics, CreatePartitions,
  // AlterConfigs (forwarded by brokers), BrokerRegistration, BrokerHeartbeat,
  // AllocateProducerIds.
  EXPECT_EQ(std::size(kControllerApis), 14u);
  EXPECT_EQ(count_table(controller_apis(), true),
            4 + 9 + 3 + 2 + 2 + 3 + 2 + 5 + 4 + 2 + 2 + 2 + 1 + 1);
  // The broker listener keeps clients at Fetch <= 11.
  EXPECT_EQ(find_api(static_cast<int16_t>(ApiKey::fetch))->max_version, 11);
  EXPECT_EQ(find_controller_api(static_cast<int16_t>(ApiKey::fetch))->max_version, 12);
  EXPECT_EQ(find_api(static_cast<int16_t>(ApiKey::vote)), nullptr);
}

// Fetch v12 (KIP-595): the Raft fields travel as tagged fields and only when set; a v11 peer
// (every client library) never sees them.
template <class M>
M reencode(const M& m, int16_t version) {
  Writer w(64);
  m.encode(w, version);
  Reader r(w.data());
  M out;
  EXPECT_TRUE(out.decode(r, version).ok());
  EXPECT_TRUE(r.at_end());
  return out;
}

TEST(Messages, FetchV12RaftFields) {
  FetchResponse resp;
  auto& t = resp.responses.emplace_back();
  t.topic = "__cluster_metadata";
  auto& p = t.partitions.emplace_back();
  p.high_watermark = 10;
  p.records = Bytes{};
  Writer plain(64);
  resp.encode(plain, 12);
  p.diverging_epoch.epoch = 3;
  p.diverging_epoch.end_offset = 42;
  p.current_leader.leader_id = 2;
  p.current_leader.leader_epoch = 5;
  p.snapshot_id.end_offset = 7;
  p.snapshot_id.epoch = 1;
  EXPECT_EQ(reencode(resp, 12), resp);
  Writer tagged(64);
  resp.encode(tagged, 12);
  EXPECT_GT(tagged.size(), plain.size());  // defaults are not written
  const FetchResponse old = reencode(resp, 11);
  EXPECT_EQ(old.responses[0].partitions[0].diverging_epoch.end_offset, -1);
  EXPECT_EQ(old.responses[0].partitions[0].current_leader.leader_id, -1);

  FetchRequest req;
  req.cluster_id = "c1";
  auto& rt = req.topics.emplace_back();
  rt.topic = "__cluster_metadata";
  auto& rp = rt.partitions.emplace_back();
  rp.fetch_offset = 9;
  rp.last_fetched_epoch = 4;
  EXPECT_EQ(reencode(req, 12), req);
  const FetchRequest v11 = reencode(req, 11);
  EXPECT_EQ(v11.topics[0].partitions[0].last_fetched_epoch, -1);
  EXPECT_FALSE(v11.cluster_id.has_value());
}

}  // namespace
}  // namespace tern::protocol
