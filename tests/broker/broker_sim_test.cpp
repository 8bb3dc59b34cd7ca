// Goal: the broker speaks Kafka's protocol as real clients need it, in the simulated world:
// ApiVersions (incl. the v3 -> error 35 -> v0 fallback), Metadata with auto-creation, topic
// admin errors, produce with every acks value and fetch back, long polls, list offsets,
// configs, bad input that never hurts other connections, and recovery after a crash.
// Method: a Broker on a simulated node and a raw-protocol client (generated codecs) on
// another; every answer is checked field by field.
#include <gtest/gtest.h>

#include "broker/inspect.h"
#include "broker/protocol/api_table.h"
#include "broker/protocol/error_code.h"
#include "tests/broker/sim_broker.h"

namespace tern::test {
namespace {

using namespace protocol;

constexpr int16_t kNone = 0;

int16_t ec(ErrorCode e) { return to_wire(e); }

void create_topic(RawClient& c, const std::string& name, int32_t partitions) {
  auto r = c.call<CreateTopicsResponse>(create_topics_request(name, partitions), 4);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->topics.size(), 1u);
  ASSERT_EQ(r->topics[0].error_code, kNone) << r->topics[0].error_message.value_or("");
}

// Produces one batch and returns the base offset (or -1 on error, with the code in `err`).
int64_t produce(RawClient& c, const std::string& topic, int32_t partition,
                const std::vector<std::string>& values, int16_t acks, int16_t* err = nullptr,
                int64_t timestamp = 1'000) {
  auto r = c.call<ProduceResponse>(
      produce_request(topic, partition, make_batch(values, timestamp), acks), 7);
  EXPECT_TRUE(r.ok()) << r.error().message();
  if (!r.ok()) return -1;
  const auto& pr = r->responses.at(0).partition_responses.at(0);
  if (err != nullptr) *err = pr.error_code;
  EXPECT_TRUE(err != nullptr || pr.error_code == kNone) << pr.error_code;
  return pr.error_code == kNone ? pr.base_offset : -1;
}

std::vector<std::pair<int64_t, std::string>> fetch_all(RawClient& c, const std::string& topic,
                                                       int32_t partition, int64_t from,
                                                       int16_t version = 11) {
  std::vector<std::pair<int64_t, std::string>> out;
  int64_t at = from;
  for (int i = 0; i < 1000; ++i) {
    auto r = c.call<FetchResponse>(fetch_request(topic, partition, at), version);
    EXPECT_TRUE(r.ok()) << r.error().message();
    if (!r.ok()) break;
    const auto& pd = r->responses.at(0).partitions.at(0);
    EXPECT_EQ(pd.error_code, kNone);
    auto recs = record_values(pd.records.value_or(Bytes{}));
    for (auto& rv : recs) {
      if (rv.first >= at) out.push_back(rv);
    }
    // An empty answer below the high watermark is legal (buggify: a skipped partition, an
    // early answer): ask again.
    if (recs.empty() && at >= pd.high_watermark) break;
    if (recs.empty()) continue;
    at = recs.back().first + 1;
    if (at >= pd.high_watermark) break;
  }
  return out;
}

TEST(BrokerSim, ApiVersionsV0V3AndUnsupportedV4) {
  SimBroker sb;
  sb.client([](Runtime&, RawClient& c) {
    for (int16_t v : {0, 1, 2, 3}) {
      ApiVersionsRequest req;
      req.client_software_name = "tern-test";
      req.client_software_version = "1.0";
      auto r = c.call<ApiVersionsResponse>(req, v);
      ASSERT_TRUE(r.ok()) << "v" << v << ": " << r.error().message();
      EXPECT_EQ(r->error_code, kNone);
      ASSERT_EQ(r->api_keys.size(), std::size(kSupportedApis));
      bool saw_fetch = false;
      for (const auto& k : r->api_keys) {
        if (k.api_key == 1) {
          saw_fetch = true;
          EXPECT_EQ(k.min_version, 4);
          EXPECT_EQ(k.max_version, 11);
        }
      }
      EXPECT_TRUE(saw_fetch);
    }
    // v4: header v2 (flexible) with a compact body we do not know; the answer is error 35
    // with a v0 body and a v0 response header.
    Writer w;
    RequestHeader h;
    h.api_key = 18;
    h.api_version = 4;
    h.correlation_id = 77;
    h.client_id = "x";
    h.encode(w, 2);
    w.write_string("tern-test", true);
    w.write_string("1.0", true);
    w.write_uvarint(0);
    ASSERT_TRUE(c.send_frame(w.data()).ok());
    auto frame = c.read_frame();
    ASSERT_TRUE(frame.ok());
    auto r = c.decode_response<ApiVersionsResponse>(frame.value(), 0, 77);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->error_code, ec(ErrorCode::unsupported_version));
    bool lists_api_versions = false;
    for (const auto& k : r->api_keys) {
      if (k.api_key == 18) lists_api_versions = k.min_version == 0 && k.max_version == 3;
    }
    EXPECT_TRUE(lists_api_versions);
  });
}

TEST(BrokerSim, MetadataV0V1V8AndAutoCreate) {
  SimBroker sb(2, [](server::BrokerConfig& c) { c.num_partitions = 3; });
  sb.client([](Runtime&, RawClient& c) {
    // v1, topics null: every topic (none yet), this broker as controller.
    MetadataRequest all;
    all.topics = std::nullopt;
    auto r1 = c.call<MetadataResponse>(all, 1);
    ASSERT_TRUE(r1.ok()) << r1.error().message();
    ASSERT_EQ(r1->brokers.size(), 1u);
    EXPECT_EQ(r1->brokers[0].node_id, 1);
    EXPECT_EQ(r1->brokers[0].host, "broker");
    EXPECT_EQ(r1->brokers[0].port, 9092);
    EXPECT_EQ(r1->controller_id, 1);
    EXPECT_TRUE(r1->topics.empty());

    // v8 with allow_auto_topic_creation=false: unknown topic.
    MetadataRequest no_create;
    no_create.topics = std::vector<MetadataRequest::Topic>{{"orders"}};
    no_create.allow_auto_topic_creation = false;
    auto r8 = c.call<MetadataResponse>(no_create, 8);
    ASSERT_TRUE(r8.ok());
    ASSERT_EQ(r8->topics.size(), 1u);
    EXPECT_EQ(r8->topics[0].error_code, ec(ErrorCode::unknown_topic_or_partition));
    ASSERT_TRUE(r8->cluster_id.has_value());
    EXPECT_EQ(r8->cluster_id->size(), 22u);

    // v0 names the topic: auto-created with num.partitions.
    MetadataRequest v0;
    v0.topics = std::vector<MetadataRequest::Topic>{{"orders"}};
    auto r0 = c.call<MetadataResponse>(v0, 0);
    ASSERT_TRUE(r0.ok());
    ASSERT_EQ(r0->topics.size(), 1u);
    EXPECT_EQ(r0->topics[0].error_code, kNone);
    ASSERT_EQ(r0->topics[0].partitions.size(), 3u);
    for (const auto& p : r0->topics[0].partitions) {
      EXPECT_EQ(p.leader_id, 1);
      EXPECT_EQ(p.replica_nodes, std::vector<int32_t>{1});
      EXPECT_EQ(p.isr_nodes, std::vector<int32_t>{1});
    }
    // Invalid names are never created.
    MetadataRequest bad;
    bad.topics = std::vector<MetadataRequest::Topic>{{"bad name!"}};
    auto rb = c.call<MetadataResponse>(bad, 8);
    ASSERT_TRUE(rb.ok());
    EXPECT_EQ(rb->topics[0].error_code, ec(ErrorCode::invalid_topic_exception));
    // v0 with an empty list = every topic.
    MetadataRequest v0all;
    v0all.topics = std::vector<MetadataRequest::Topic>{};
    auto ra = c.call<MetadataResponse>(v0all, 0);
    ASSERT_TRUE(ra.ok());
    ASSERT_EQ(ra->topics.size(), 1u);
    EXPECT_EQ(ra->topics[0].name, "orders");
  });
  ASSERT_NE(sb.broker(), nullptr);
  EXPECT_EQ(inspect::topics(*sb.broker()), std::vector<std::string>{"orders"});
}

TEST(BrokerSim, TopicAdminErrors) {
  SimBroker sb;
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "t1", 2);
    auto expect_create = [&](CreateTopicsRequest req, ErrorCode want) {
      auto r = c.call<CreateTopicsResponse>(req, 4);
      ASSERT_TRUE(r.ok());
      ASSERT_EQ(r->topics.size(), req.topics.size());
      EXPECT_EQ(r->topics[0].error_code, ec(want)) << r->topics[0].name;
    };
    expect_create(create_topics_request("t1", 1), ErrorCode::topic_already_exists);
    expect_create(create_topics_request("t2", 0), ErrorCode::invalid_partitions);
    expect_create(create_topics_request("t2", 1, 3), ErrorCode::invalid_replication_factor);
    expect_create(create_topics_request("..", 1), ErrorCode::invalid_topic_exception);
    expect_create(create_topics_request(std::string(250, 'a'), 1),
                  ErrorCode::invalid_topic_exception);
    auto with_config = create_topics_request("t2", 1);
    with_config.topics[0].configs.push_back({"no.such.config", "1"});
    expect_create(with_config, ErrorCode::invalid_config);
    auto bad_value = create_topics_request("t2", 1);
    bad_value.topics[0].configs.push_back({"retention.ms", "soon"});
    expect_create(bad_value, ErrorCode::invalid_config);
    auto validate = create_topics_request("t3", 4);
    validate.validate_only = true;
    expect_create(validate, ErrorCode::none);
    auto dup = create_topics_request("t4", 1);
    dup.topics.push_back(dup.topics[0]);
    expect_create(dup, ErrorCode::invalid_request);
    // -1/-1 = broker defaults.
    expect_create(create_topics_request("t5", -1, -1), ErrorCode::none);

    MetadataRequest all;
    all.topics = std::nullopt;
    auto md = c.call<MetadataResponse>(all, 8);
    ASSERT_TRUE(md.ok());
    std::vector<std::string> names;
    for (const auto& t : md->topics) names.push_back(t.name);
    EXPECT_EQ(names, (std::vector<std::string>{"t1", "t5"}));  // validate_only made nothing

    // CreatePartitions: only increase.
    CreatePartitionsRequest cp;
    cp.topics.push_back({"t1", 1, std::nullopt});
    cp.topics.push_back({"missing", 3, std::nullopt});
    cp.timeout_ms = 1000;
    auto rcp = c.call<CreatePartitionsResponse>(cp, 1);
    ASSERT_TRUE(rcp.ok());
    EXPECT_EQ(rcp->results[0].error_code, ec(ErrorCode::invalid_partitions));
    EXPECT_EQ(rcp->results[1].error_code, ec(ErrorCode::unknown_topic_or_partition));
    cp.topics = {{"t1", 5, std::nullopt}};
    rcp = c.call<CreatePartitionsResponse>(cp, 1);
    ASSERT_TRUE(rcp.ok());
    EXPECT_EQ(rcp->results[0].error_code, kNone);
    EXPECT_GE(produce(c, "t1", 4, {"x"}, 1), 0);

    // DeleteTopics.
    DeleteTopicsRequest del;
    del.topic_names = {"t1", "nope"};
    del.timeout_ms = 1000;
    auto rd = c.call<DeleteTopicsResponse>(del, 3);
    ASSERT_TRUE(rd.ok());
    EXPECT_EQ(rd->responses[0].error_code, kNone);
    EXPECT_EQ(rd->responses[1].error_code, ec(ErrorCode::unknown_topic_or_partition));
    int16_t err = 0;
    produce(c, "t1", 0, {"x"}, 1, &err);
    EXPECT_EQ(err, ec(ErrorCode::unknown_topic_or_partition));
    // And it can be created again, empty.
    create_topic(c, "t1", 1);
    EXPECT_TRUE(fetch_all(c, "t1", 0, 0).empty());
  });
}

TEST(BrokerSim, ProduceAllAcksThenFetchBack) {
  SimBroker sb(7);
  sb.client([](Runtime& rt, RawClient& c) {
    create_topic(c, "events", 1);
    std::vector<std::string> sent;
    int64_t expect_offset = 0;
    for (int i = 0; i < 30; ++i) {
      const int16_t acks = static_cast<int16_t>(i % 3 == 0 ? -1 : (i % 3 == 1 ? 1 : 0));
      std::vector<std::string> values;
      for (int k = 0; k <= i % 4; ++k) values.push_back(fmt::format("v{}-{}", i, k));
      if (acks == 0) {
        auto corr = c.send(produce_request("events", 0, make_batch(values, 1000 + i), 0), 7);
        ASSERT_TRUE(corr.ok());
      } else {
        const int64_t base = produce(c, "events", 0, values, acks, nullptr, 1000 + i);
        EXPECT_EQ(base, expect_offset) << "batch " << i;
      }
      expect_offset += static_cast<int64_t>(values.size());
      for (auto& v : values) sent.push_back(v);
    }
    // acks=0 has no response: the next request's response must be next on the wire.
    auto md = c.call<MetadataResponse>(MetadataRequest{}, 1);
    ASSERT_TRUE(md.ok()) << md.error().message();
    // Data from acks 0/1 becomes visible once flushed (durable high watermark).
    (void)rt.sleep_for(Duration::millis(100));
    auto got = fetch_all(c, "events", 0, 0);
    ASSERT_EQ(got.size(), sent.size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].first, static_cast<int64_t>(i));
      EXPECT_EQ(got[i].second, sent[i]);
    }
    // Fetch v4 (kafka-python) sees the same.
    auto got4 = fetch_all(c, "events", 0, 0, 4);
    EXPECT_EQ(got4, got);
  });
  auto v = inspect::partition(*sb.broker(), "events", 0);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->log_end_offset, v->high_watermark);
}

TEST(BrokerSim, FetchedBatchBytesEqualProducedExceptOffsets) {
  SimBroker sb(8);
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "raw", 1);
    produce(c, "raw", 0, {"a", "b"}, -1);
    Bytes batch = make_batch({"hello", "world", "!"}, 5000, Compression::none);
    auto r = c.call<ProduceResponse>(produce_request("raw", 0, batch, -1), 7);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->responses[0].partition_responses[0].base_offset, 2);
    auto f = c.call<FetchResponse>(fetch_request("raw", 0, 2), 11);
    ASSERT_TRUE(f.ok());
    Bytes got = f->responses[0].partitions[0].records.value();
    ASSERT_EQ(got.size(), batch.size());
    // Bytes 0..7 are the base offset (2 now); the leader epoch (12..15) is stamped too.
    EXPECT_EQ(load_be64(got.data()), 2u);
    EXPECT_TRUE(std::equal(got.begin() + 16, got.end(), batch.begin() + 16));
    EXPECT_TRUE(std::equal(got.begin() + 8, got.begin() + 12, batch.begin() + 8));
  });
}

TEST(BrokerSim, FetchLongPollWakesOnDataAndTimesOut) {
  SimBroker sb(3);
  sb.client([&sb](Runtime& rt, RawClient& c) {
    create_topic(c, "lp", 1);
    // Times out at max_wait with nothing to read.
    const Instant t0 = rt.now();
    auto empty = c.call<FetchResponse>(fetch_request("lp", 0, 0, 2000, 1), 11);
    ASSERT_TRUE(empty.ok());
    const Duration waited = rt.now() - t0;
    EXPECT_GE(waited, Duration::millis(2000));
    EXPECT_LT(waited, Duration::millis(2500));
    EXPECT_TRUE(empty->responses[0].partitions[0].records->empty());

    // A producer on another node writes after 1 s: the poll returns then, not at 10 s.
    rt.spawn("producer", [&] {
      (void)rt.sleep_for(Duration::seconds(1));
      RawClient p(rt, Address{"broker", 9092});
      ASSERT_TRUE(p.connect().ok());
      produce(p, "lp", 0, {"wake"}, -1);
      p.close();
    });
    const Instant t1 = rt.now();
    auto got = c.call<FetchResponse>(fetch_request("lp", 0, 0, 10000, 1), 11);
    ASSERT_TRUE(got.ok());
    const Duration took = rt.now() - t1;
    EXPECT_GE(took, Duration::seconds(1));
    EXPECT_LT(took, Duration::seconds(3));
    auto recs = record_values(got->responses[0].partitions[0].records.value());
    ASSERT_EQ(recs.size(), 1u);
    EXPECT_EQ(recs[0].second, "wake");
    (void)sb;
  });
}

TEST(BrokerSim, FetchRespectsSizeLimitsButReturnsOneWholeBatch) {
  SimBroker sb(13);
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "sz", 2);
    for (int p = 0; p < 2; ++p) {
      for (int i = 0; i < 3; ++i) produce(c, "sz", p, {std::string(100, 'a' + i)}, -1);
    }
    // partition_max_bytes 1: the first partition still gets one whole batch (KIP-74), the
    // second gets nothing.
    FetchRequest req = fetch_request("sz", 0, 0, 0, 1, 1);
    req.topics[0].partitions.push_back(req.topics[0].partitions[0]);
    req.topics[0].partitions[1].partition = 1;
    auto r = c.call<FetchResponse>(req, 11);
    ASSERT_TRUE(r.ok());
    auto p0 = record_values(r->responses[0].partitions[0].records.value());
    auto p1 = record_values(r->responses[0].partitions[1].records.value());
    ASSERT_EQ(p0.size(), 1u);
    EXPECT_EQ(p0[0].second, std::string(100, 'a'));
    EXPECT_TRUE(p1.empty());
    EXPECT_EQ(r->responses[0].partitions[1].high_watermark, 3);
    // Generous per-partition limits but max_bytes for about one batch in total.
    req.topics[0].partitions[0].partition_max_bytes = 1 << 20;
    req.topics[0].partitions[1].partition_max_bytes = 1 << 20;
    req.max_bytes = 200;
    r = c.call<FetchResponse>(req, 11);
    ASSERT_TRUE(r.ok());
    p0 = record_values(r->responses[0].partitions[0].records.value());
    p1 = record_values(r->responses[0].partitions[1].records.value());
    EXPECT_GE(p0.size(), 1u);
    EXPECT_LE(p0.size(), 2u);
    EXPECT_TRUE(p1.empty());
    // Out of range: beyond the end, and negative.
    auto oor = c.call<FetchResponse>(fetch_request("sz", 0, 4), 11);
    ASSERT_TRUE(oor.ok());
    EXPECT_EQ(oor->responses[0].partitions[0].error_code, ec(ErrorCode::offset_out_of_range));
    oor = c.call<FetchResponse>(fetch_request("sz", 0, -5), 11);
    ASSERT_TRUE(oor.ok());
    EXPECT_EQ(oor->responses[0].partitions[0].error_code, ec(ErrorCode::offset_out_of_range));
    auto at_end = c.call<FetchResponse>(fetch_request("sz", 0, 3), 11);
    ASSERT_TRUE(at_end.ok());
    EXPECT_EQ(at_end->responses[0].partitions[0].error_code, kNone);
    auto unknown = c.call<FetchResponse>(fetch_request("nope", 0, 0), 11);
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown->responses[0].partitions[0].error_code,
              ec(ErrorCode::unknown_topic_or_partition));
  });
}

TEST(BrokerSim, PipelinedResponsesStayInOrder) {
  SimBroker sb(4);
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "pipe", 1);
    // A long poll (1 s) then a metadata request on the same connection: the metadata answer
    // is ready first but must come second.
    auto c1 = c.send(fetch_request("pipe", 0, 0, 1000, 1), 11);
    auto c2 = c.send(MetadataRequest{}, 1);
    auto c3 = c.send(produce_request("pipe", 0, make_batch({"x"}, 1), -1), 7);
    ASSERT_TRUE(c1.ok() && c2.ok() && c3.ok());
    auto r1 = c.receive<FetchResponse>(11, c1.value());
    ASSERT_TRUE(r1.ok()) << r1.error().message();
    auto r2 = c.receive<MetadataResponse>(1, c2.value());
    ASSERT_TRUE(r2.ok()) << r2.error().message();
    auto r3 = c.receive<ProduceResponse>(7, c3.value());
    ASSERT_TRUE(r3.ok()) << r3.error().message();
    EXPECT_EQ(r3->responses[0].partition_responses[0].base_offset, 0);
  });
}

TEST(BrokerSim, ListOffsetsEarliestLatestByTime) {
  SimBroker sb(5);
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "lo", 1);
    produce(c, "lo", 0, {"a", "b"}, -1, nullptr, 1000);   // offsets 0-1
    produce(c, "lo", 0, {"c"}, -1, nullptr, 2000);        // offset 2
    produce(c, "lo", 0, {"d", "e"}, -1, nullptr, 3000);   // offsets 3-4
    auto query = [&](int64_t ts, int16_t version) {
      ListOffsetsRequest req;
      req.replica_id = -1;
      auto& t = req.topics.emplace_back();
      t.name = "lo";
      t.partitions.push_back({0, -1, ts});
      auto r = c.call<ListOffsetsResponse>(req, version);
      EXPECT_TRUE(r.ok());
      return r.ok() ? r->topics[0].partitions[0] : ListOffsetsResponse::PartitionResponse{};
    };
    for (int16_t v : {1, 2, 5}) {
      EXPECT_EQ(query(-2, v).offset, 0);
      EXPECT_EQ(query(-1, v).offset, 5);
      EXPECT_EQ(query(1500, v).offset, 2);
      EXPECT_EQ(query(1500, v).timestamp, 2000);
      EXPECT_EQ(query(3000, v).offset, 3);
      EXPECT_EQ(query(999, v).offset, 0);
      EXPECT_EQ(query(9999, v).offset, -1);
    }
    // Per record, not per batch: one batch with timestamps 4000, 5000, 6000 (offsets 5-7).
    {
      RecordBatchBuilder b;
      for (int64_t ts : {4000, 5000, 6000}) b.add(ts, std::nullopt, as_bytes("t"));
      auto r = c.call<ProduceResponse>(produce_request("lo", 0, b.build().value(), -1), 7);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(query(4500, 5).offset, 6);
      EXPECT_EQ(query(4500, 5).timestamp, 5000);
      EXPECT_EQ(query(6000, 1).offset, 7);
    }
    ListOffsetsRequest unknown;
    unknown.topics.push_back({"nope", {{0, -1, -1}}});
    auto r = c.call<ListOffsetsResponse>(unknown, 2);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->topics[0].partitions[0].error_code, ec(ErrorCode::unknown_topic_or_partition));
  });
}

TEST(BrokerSim, DescribeAndAlterConfigs) {
  SimBroker sb(6);
  sb.client([](Runtime&, RawClient& c) {
    auto req = create_topics_request("cfg", 1);
    req.topics[0].configs.push_back({"retention.ms", "60000"});
    auto cr = c.call<CreateTopicsResponse>(req, 4);
    ASSERT_TRUE(cr.ok());
    ASSERT_EQ(cr->topics[0].error_code, kNone);
    DescribeConfigsRequest d;
    d.resources.push_back({2, "cfg", std::nullopt});
    d.resources.push_back({4, "1", std::vector<std::string>{"num.partitions"}});
    d.resources.push_back({2, "missing", std::nullopt});
    auto r = c.call<DescribeConfigsResponse>(d, 2);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r->results.size(), 3u);
    std::map<std::string, DescribeConfigsResponse::ResourceResult> topic;
    for (auto& e : r->results[0].configs) topic[e.name] = e;
    EXPECT_EQ(topic["retention.ms"].value, "60000");
    EXPECT_EQ(topic["retention.ms"].config_source, 1);
    EXPECT_EQ(topic["segment.bytes"].value, "1073741824");
    EXPECT_EQ(topic["segment.bytes"].config_source, 5);
    EXPECT_EQ(topic["cleanup.policy"].value, "delete");
    ASSERT_EQ(r->results[1].configs.size(), 1u);
    EXPECT_EQ(r->results[1].configs[0].name, "num.partitions");
    EXPECT_EQ(r->results[1].configs[0].value, "1");
    EXPECT_EQ(r->results[2].error_code, ec(ErrorCode::unknown_topic_or_partition));

    AlterConfigsRequest a;
    a.resources.push_back({2, "cfg", {{"cleanup.policy", "compact"}}});
    a.resources.push_back({2, "cfg2", {{"retention.ms", "1"}}});
    a.resources.push_back({2, "cfg", {{"bogus", "1"}}});
    auto ar = c.call<AlterConfigsResponse>(a, 1);
    ASSERT_TRUE(ar.ok());
    EXPECT_EQ(ar->responses[0].error_code, kNone);
    EXPECT_EQ(ar->responses[1].error_code, ec(ErrorCode::unknown_topic_or_partition));
    EXPECT_EQ(ar->responses[2].error_code, ec(ErrorCode::invalid_config));
    d.resources = {{2, "cfg", std::vector<std::string>{"cleanup.policy", "retention.ms"}}};
    r = c.call<DescribeConfigsResponse>(d, 1);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->results[0].configs.size(), 2u);
    EXPECT_EQ(r->results[0].configs[0].value, "compact");
    // AlterConfigs replaces the whole set: retention.ms is back to the default.
    EXPECT_EQ(r->results[0].configs[1].value, "604800000");
  });
}

TEST(BrokerSim, GroupAndTxnApisAnswerWithKafkaErrors) {
  SimBroker sb(9);
  sb.client([](Runtime&, RawClient& c) {
    FindCoordinatorRequest fc;
    fc.key = "g";
    auto f = c.call<FindCoordinatorResponse>(fc, 0);
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(f->error_code, ec(ErrorCode::coordinator_not_available));
    JoinGroupRequest j;
    j.group_id = "g";
    j.protocol_type = "consumer";
    auto jr = c.call<JoinGroupResponse>(j, 5);
    ASSERT_TRUE(jr.ok());
    EXPECT_EQ(jr->error_code, ec(ErrorCode::not_coordinator));
    auto lg = c.call<ListGroupsResponse>(ListGroupsRequest{}, 2);
    ASSERT_TRUE(lg.ok());
    EXPECT_EQ(lg->error_code, kNone);
    EXPECT_TRUE(lg->groups.empty());
    InitProducerIdRequest ip;
    ip.transactional_id = std::nullopt;
    ip.transaction_timeout_ms = 60000;
    auto p1 = c.call<InitProducerIdResponse>(ip, 1);
    auto p2 = c.call<InitProducerIdResponse>(ip, 4);
    ASSERT_TRUE(p1.ok() && p2.ok());
    EXPECT_EQ(p1->error_code, kNone);
    EXPECT_GE(p1->producer_id, 0);
    EXPECT_NE(p1->producer_id, p2->producer_id);
  });
}

TEST(BrokerSim, MalformedInputClosesOnlyThatConnection) {
  SimBroker sb(10, [](server::BrokerConfig& c) { c.socket_request_max_bytes = 4 << 20; });
  sb.client([](Runtime& rt, RawClient& good) {
    create_topic(good, "m", 1);
    auto bad = [&](const std::function<void(RawClient&)>& send, bool expect_closed) {
      RawClient b(rt, Address{"broker", 9092});
      ASSERT_TRUE(b.connect().ok());
      send(b);
      if (expect_closed) {
        auto f = b.read_frame(Duration::seconds(5));
        EXPECT_FALSE(f.ok()) << "expected the broker to close the connection";
      }
      b.close();
      // The other connection is unaffected.
      EXPECT_GE(produce(good, "m", 0, {"still"}, -1), 0);
    };
    // Garbage: a size prefix then random bytes (a header that does not parse, or an unknown
    // key).
    bad([](RawClient& b) {
      uint8_t junk[] = {0, 0, 0, 10, 0xff, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8};
      (void)b.send_raw(junk);
    }, true);
    // A length prefix over socket.request.max.bytes, and a negative one.
    bad([](RawClient& b) {
      uint8_t big[] = {0x7f, 0xff, 0xff, 0xff};
      (void)b.send_raw(big);
    }, true);
    bad([](RawClient& b) {
      uint8_t neg[] = {0xff, 0xff, 0xff, 0xf0};
      (void)b.send_raw(neg);
    }, true);
    // An unknown API key (header v1 form).
    bad([](RawClient& b) {
      Writer w;
      RequestHeader h;
      h.api_key = 999;
      h.api_version = 0;
      h.correlation_id = 1;
      h.encode(w, 1);
      (void)b.send_frame(w.data());
    }, true);
    // An unsupported version of a known API (Fetch v3).
    bad([](RawClient& b) {
      Writer w;
      RequestHeader h;
      h.api_key = 1;
      h.api_version = 3;
      h.correlation_id = 1;
      h.encode(w, 1);
      w.write_int32(-1);
      (void)b.send_frame(w.data());
    }, true);
    // A truncated Produce body.
    bad([](RawClient& b) {
      Bytes frame = b.encode_request(produce_request("m", 0, make_batch({"x"}, 1), 1), 7, 5);
      frame.resize(frame.size() - 20);
      (void)b.send_frame(frame);
    }, true);
    // A truncated body of an API with a top-level error code gets INVALID_REQUEST.
    bad([](RawClient& b) {
      JoinGroupRequest j;
      j.group_id = "g";
      Bytes frame = b.encode_request(j, 2, 9);
      frame.resize(frame.size() - 3);
      (void)b.send_frame(frame);
      auto f = b.read_frame(Duration::seconds(5));
      ASSERT_TRUE(f.ok());
      auto r = b.decode_response<JoinGroupResponse>(f.value(), 2, 9);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->error_code, to_wire(ErrorCode::invalid_request));
    }, false);
    // A batch with a bad CRC: CORRUPT_MESSAGE, connection stays open.
    bad([](RawClient& b) {
      Bytes batch = make_batch({"x", "y"}, 1);
      batch.back() ^= 0x55;
      auto r = b.call<ProduceResponse>(produce_request("m", 0, batch, 1), 7);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->responses[0].partition_responses[0].error_code,
                to_wire(ErrorCode::corrupt_message));
      // Legacy magic 1 -> UNSUPPORTED_FOR_MESSAGE_FORMAT.
      Bytes legacy = make_batch({"x"}, 1);
      legacy[16] = 1;
      r = b.call<ProduceResponse>(produce_request("m", 0, legacy, 1), 7);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->responses[0].partition_responses[0].error_code,
                to_wire(ErrorCode::unsupported_for_message_format));
      // Too large for max.message.bytes (topic override) -> MESSAGE_TOO_LARGE.
      r = b.call<ProduceResponse>(produce_request("m", 0, make_batch({std::string(2 << 20, 'z')},
                                                                     1), 1), 7);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->responses[0].partition_responses[0].error_code,
                to_wire(ErrorCode::message_too_large));
      // Bad acks.
      r = b.call<ProduceResponse>(produce_request("m", 0, make_batch({"x"}, 1), 2), 7);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r->responses[0].partition_responses[0].error_code,
                to_wire(ErrorCode::invalid_required_acks));
    }, false);
  });
}

TEST(BrokerSim, CrashAndRestartRecoversTopicsAndAckedData) {
  SimBroker sb(11);
  std::string cluster;
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "keep", 2);
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(produce(c, "keep", i % 2, {fmt::format("r{}", i)}, -1), i / 2);
    }
  });
  cluster = inspect::cluster_id(*sb.broker());
  sb.crash_and_restart();
  sb.client([](Runtime&, RawClient& c) {
    for (int p = 0; p < 2; ++p) {
      auto got = fetch_all(c, "keep", p, 0);
      ASSERT_EQ(got.size(), 10u);
      for (int k = 0; k < 10; ++k) {
        EXPECT_EQ(got[static_cast<size_t>(k)].first, k);
        EXPECT_EQ(got[static_cast<size_t>(k)].second, fmt::format("r{}", 2 * k + p));
      }
    }
    // New appends continue after the recovered end.
    EXPECT_EQ(produce(c, "keep", 0, {"after"}, -1), 10);
  });
  ASSERT_NE(sb.broker(), nullptr);
  EXPECT_EQ(inspect::cluster_id(*sb.broker()), cluster);
  EXPECT_EQ(inspect::partition_count(*sb.broker(), "keep"), 2);
}

TEST(BrokerSim, CrashDuringLongPollAndProduceThenServeAgain) {
  // A crash while connections are open, a long poll is parked and an acks=-1 produce waits
  // for its fsync: the node unwinds cleanly, clients see the connection end, and the
  // restarted broker serves them.
  SimBroker sb(12);
  sb.client([](Runtime&, RawClient& c) { create_topic(c, "cr", 1); });
  bool poll_ended = false;
  const uint32_t n = sb.world().add_node("poller", [&](Runtime& rt) {
    RawClient c(rt, Address{"broker", 9092});
    ASSERT_TRUE(c.connect().ok());
    auto corr1 = c.send(fetch_request("cr", 0, 0, 60000, 1 << 20), 11);
    auto corr2 = c.send(produce_request("cr", 0, make_batch({"p"}, 1), -1), 7);
    ASSERT_TRUE(corr1.ok() && corr2.ok());
    auto r = c.read_frame(Duration::seconds(120));
    EXPECT_FALSE(r.ok() && r.value().size() > 1000);
    poll_ended = true;
  });
  sb.world().start_node(n);
  sb.world().run_for(Duration::millis(50));
  sb.crash_and_restart();
  ASSERT_TRUE(sb.world().run_until([&] { return poll_ended; },
                                   sb.world().now() + Duration::seconds(300)));
  sb.client([](Runtime&, RawClient& c) {
    EXPECT_GE(produce(c, "cr", 0, {"again"}, -1), 0);
    EXPECT_FALSE(fetch_all(c, "cr", 0, 0).empty());
  });
}

TEST(BrokerSim, NonDurableModeHighWatermarkIsLogEnd) {
  // tern.flush.durable=false is Kafka's default flushing: acks=1 data is readable at once.
  SimBroker sb(14, [](server::BrokerConfig& c) { c.tern_flush_durable = false; });
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "nd", 1);
    EXPECT_EQ(produce(c, "nd", 0, {"a", "b"}, 1), 0);
    auto got = fetch_all(c, "nd", 0, 0);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(produce(c, "nd", 0, {"c"}, -1), 2);
  });
  auto v = inspect::partition(*sb.broker(), "nd", 0);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->high_watermark, 3);
  EXPECT_EQ(v->log_end_offset, 3);
}

TEST(BrokerSim, MaxConnectionsRefusesExtraConnections) {
  SimBroker sb(15, [](server::BrokerConfig& c) { c.max_connections = 1; });
  sb.client([](Runtime& rt, RawClient& c) {
    auto md = c.call<MetadataResponse>(MetadataRequest{}, 1);
    ASSERT_TRUE(md.ok());
    RawClient extra(rt, Address{"broker", 9092});
    ASSERT_TRUE(extra.connect().ok());
    auto r = extra.call<MetadataResponse>(MetadataRequest{}, 1);
    EXPECT_FALSE(r.ok());  // closed at once
    md = c.call<MetadataResponse>(MetadataRequest{}, 1);
    EXPECT_TRUE(md.ok());
  });
}

TEST(BrokerSim, StopClosesConnectionsAndRunReturnsOk) {
  // stop() from another task of the broker's node: run() returns ok after closing the
  // connections (a parked long poll included) and flushing the logs.
  sim::World world(sim::World::Options{.seed = 16, .trace = {}});
  server::BrokerConfig cfg;
  cfg.listeners = {{"PLAINTEXT", "broker", 9092}};
  cfg.log_dirs = {"data"};
  std::optional<Status> result;
  bool client_saw_close = false;
  const uint32_t b = world.add_node("broker", [&](Runtime& rt) {
    server::Broker broker(rt, cfg);
    rt.spawn("stopper", [&] {
      (void)rt.sleep_until(rt.now() + Duration::seconds(5));
      broker.stop();
    });
    result = broker.run();
  });
  const uint32_t c = world.add_node("client", [&](Runtime& rt) {
    RawClient cl(rt, Address{"broker", 9092});
    ASSERT_TRUE(cl.connect_retry().ok());
    create_topic(cl, "s", 1);
    EXPECT_EQ(produce(cl, "s", 0, {"x"}, 1), 0);
    auto corr = cl.send(fetch_request("s", 0, 1, 60000, 1), 11);
    ASSERT_TRUE(corr.ok());
    auto r = cl.read_frame(Duration::seconds(120));
    client_saw_close = !r.ok();
  });
  world.start_node(b);
  world.start_node(c);
  ASSERT_TRUE(world.run_until([&] { return result.has_value() && client_saw_close; },
                              Instant{0} + Duration::seconds(100)));
  EXPECT_TRUE(result->ok());
  // Everything the broker held was flushed on the way out: a power loss now loses nothing.
  world.crash_node(b);
  world.restart_node(b);
  bool checked = false;
  const uint32_t c2 = world.add_node("client2", [&](Runtime& rt) {
    RawClient cl(rt, Address{"broker", 9092});
    ASSERT_TRUE(cl.connect_retry().ok());
    EXPECT_EQ(fetch_all(cl, "s", 0, 0).size(), 1u);
    checked = true;
  });
  world.start_node(c2);
  EXPECT_TRUE(world.run_until([&] { return checked; }, world.now() + Duration::seconds(60)));
}

TEST(BrokerSim, SeedsWithBuggifyKeepAckedDataAcrossCrashes) {
  // Random seeds with buggify on (tiny segments, short timeouts, tiny fetches) and a crash in
  // the middle: every acknowledged acks=-1 record is read back at its offset.
  for (uint64_t seed = 100; seed < 140; ++seed) {
    SCOPED_TRACE(seed);
    SimBroker sb(seed, {}, /*buggify=*/true);
    std::vector<std::pair<int64_t, std::string>> acked;
    sb.client([&](Runtime&, RawClient& c) {
      create_topic(c, "b", 1);
      for (int i = 0; i < 40; ++i) {
        std::string v = fmt::format("s{}-{}", seed, i);
        int16_t err = 0;
        const int64_t base = produce(c, "b", 0, {v}, -1, &err);
        if (err == 0) acked.emplace_back(base, v);
      }
    });
    EXPECT_GE(acked.size(), 20u);  // short timeouts may fail a few, never most
    sb.crash_and_restart();
    sb.client([&](Runtime&, RawClient& c) {
      auto got = fetch_all(c, "b", 0, 0);
      std::map<int64_t, std::string> by_offset(got.begin(), got.end());
      for (auto& [off, v] : acked) {
        ASSERT_TRUE(by_offset.count(off)) << "acked offset " << off << " lost";
        EXPECT_EQ(by_offset[off], v);
      }
    });
  }
}

TEST(BrokerSim, TracesProduceAcksAndFetchResponses) {
  // Goal: the trace events other parts trigger faults on (issue 9 contracts): one produce.ack
  // per partition answered without error, naming the client's host, and fetch.respond when a
  // fetch answer carrying records is written.
  SimBroker sb;
  std::vector<std::string> events;
  sb.world().observe_trace([&](std::string_view, std::string_view kind,
                               std::initializer_list<TraceField> fields) {
    if (kind != "produce.ack" && kind != "fetch.respond") return;
    std::string line(kind);
    for (const auto& f : fields) {
      line += fmt::format(" {}=", f.key);
      append_trace_value(line, f.value);
    }
    events.push_back(line);
  });
  sb.client([](Runtime&, RawClient& c) {
    create_topic(c, "tr", 1);
    EXPECT_EQ(produce(c, "tr", 0, {"a", "b"}, -1), 0);
    EXPECT_EQ(produce(c, "tr", 0, {"c"}, 1), 2);
    int16_t err = 0;
    EXPECT_EQ(produce(c, "nope", 0, {"x"}, 1, &err), -1);  // an error: no event
    EXPECT_EQ(fetch_all(c, "tr", 0, 0).size(), 3u);
  });
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], "produce.ack topic=tr partition=0 offset=0 acks=-1 client=client1");
  EXPECT_EQ(events[1], "produce.ack topic=tr partition=0 offset=2 acks=1 client=client1");
  EXPECT_TRUE(events[2].starts_with("fetch.respond client=client1 bytes=")) << events[2];
}

}  // namespace
}  // namespace tern::test
