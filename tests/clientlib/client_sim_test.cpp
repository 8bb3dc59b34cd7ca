// Goal: tern's client against the real Broker object inside the simulated world. Keyed
// produce with acks=all and consume back (same key same partition, offsets contiguous, order
// kept), admin create/describe/alter/delete, consumer seek to earliest/latest/offset, and a
// clear error for an unreachable broker.
#include <gtest/gtest.h>

#include <map>

#include "broker/client/admin.h"
#include "broker/client/consumer.h"
#include "broker/client/partitioner.h"
#include "broker/client/producer.h"
#include "broker/protocol/messages.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "broker/server/broker.h"
#include "sim/simulated/world.h"

namespace tern::client {
namespace {

struct SimCluster {
  explicit SimCluster(uint64_t seed) : world(sim::World::Options{.seed = seed, .trace = {}}) {
    server::BrokerConfig cfg;
    cfg.listeners = {{"PLAINTEXT", "broker", 9092}};
    cfg.log_dirs = {"data"};
    cfg.num_partitions = 1;
    broker = world.add_node("broker", [cfg](Runtime& rt) {
      server::Broker b(rt, cfg);
      (void)b.run();
    });
    world.start_node(broker);
  }
  // Runs `body` as a client node until it finishes (or a simulated hour passes).
  void client(std::function<void(Runtime&)> body) {
    bool done = false;
    const uint32_t n = world.add_node(fmt::format("client{}", clients++),
                                      [body, &done](Runtime& rt) {
                                        body(rt);
                                        done = true;
                                      });
    world.start_node(n);
    ASSERT_TRUE(world.run_until([&] { return done; }, world.now() + Duration::seconds(3600)));
  }
  static ClientOptions options() {
    ClientOptions o;
    o.bootstrap = {Address{"broker", 9092}};
    return o;
  }

  sim::World world;
  uint32_t broker = 0;
  int clients = 0;
};

TEST(ClientSim, AdminCreateDescribeAlterDelete) {
  SimCluster c(1);
  c.client([](Runtime& rt) {
    Admin admin(rt, SimCluster::options());
    ASSERT_TRUE(admin.create_topic({"orders", 3, 1, {{"retention.ms", "3600000"}}}).ok());
    auto again = admin.create_topic({"orders", 3, 1, {}});
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(again.error() == protocol::ErrorCode::topic_already_exists)
        << again.error().message();
    auto names = admin.list_topics();
    ASSERT_TRUE(names.ok()) << names.error().message();
    EXPECT_EQ(names.value(), std::vector<std::string>{"orders"});
    auto d = admin.describe_topic("orders");
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_EQ(d->partitions.size(), 3u);
    EXPECT_EQ(d->replication_factor(), 1);
    for (const auto& p : d->partitions) EXPECT_GE(p.leader, 0);
    auto cfg = admin.describe_configs(kResourceTopic, "orders");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();
    bool found = false;
    for (const auto& e : cfg.value()) {
      if (e.name == "retention.ms") {
        found = true;
        EXPECT_EQ(e.value, "3600000");
      }
    }
    EXPECT_TRUE(found);
    ASSERT_TRUE(admin.create_partitions("orders", 5).ok());
    d = admin.describe_topic("orders");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->partitions.size(), 5u);
    auto alter = admin.alter_topic_configs("orders", {{"retention.ms", "7200000"}});
    EXPECT_TRUE(alter.ok()) << alter.error().message();
    ASSERT_TRUE(admin.delete_topic("orders").ok());
    auto gone = admin.describe_topic("orders");
    EXPECT_FALSE(gone.ok());
    auto missing = admin.delete_topic("orders");
    ASSERT_FALSE(missing.ok());
    EXPECT_TRUE(missing.error() == protocol::ErrorCode::unknown_topic_or_partition)
        << missing.error().message();
  });
}

TEST(ClientSim, KeyedProduceAcksAllConsumeBack) {
  SimCluster c(2);
  constexpr int kRecords = 300;
  c.client([](Runtime& rt) {
    Admin admin(rt, SimCluster::options());
    ASSERT_TRUE(admin.create_topic({"keyed", 4, 1, {}}).ok());
    ProducerOptions po;
    po.acks = Acks::all;
    po.batch_bytes = 2048;
    po.compression = Compression::lz4;
    Producer producer(rt, SimCluster::options(), po);
    std::vector<DeliveryFuture> futures;
    for (int i = 0; i < kRecords; ++i) {
      ProducerRecord r;
      r.topic = "keyed";
      r.key = to_bytes(fmt::format("key-{}", i % 17));
      r.value = to_bytes(fmt::format("value-{}", i));
      r.headers.push_back({"h", to_bytes(std::to_string(i))});
      auto f = producer.send(std::move(r));
      ASSERT_TRUE(f.ok()) << f.error().message();
      futures.push_back(std::move(f.value()));
    }
    ASSERT_TRUE(producer.flush().ok());
    std::map<std::string, int32_t> partition_of_key;
    std::map<int32_t, std::vector<int64_t>> offsets;
    for (int i = 0; i < kRecords; ++i) {
      auto md = futures[static_cast<size_t>(i)].get();
      ASSERT_TRUE(md.ok()) << md.error().message();
      const std::string key = fmt::format("key-{}", i % 17);
      EXPECT_EQ(md->partition, partition_for_key(as_bytes(key), 4));
      auto [it, fresh] = partition_of_key.emplace(key, md->partition);
      EXPECT_EQ(it->second, md->partition);
      offsets[md->partition].push_back(md->offset);
    }
    for (const auto& [p, offs] : offsets) {
      for (size_t i = 0; i < offs.size(); ++i) EXPECT_EQ(offs[i], static_cast<int64_t>(i));
    }

    ConsumerOptions co;
    co.auto_offset_reset = OffsetReset::earliest;
    Consumer consumer(rt, SimCluster::options(), co);
    ASSERT_TRUE(consumer.assign_topic("keyed", rt.now() + Duration::seconds(10)).ok());
    std::map<int32_t, std::vector<ConsumerRecord>> got;
    size_t total = 0;
    for (int round = 0; round < 100 && total < kRecords; ++round) {
      auto recs = consumer.poll(Duration::millis(500));
      ASSERT_TRUE(recs.ok()) << recs.error().message();
      for (auto& r : recs.value()) {
        got[r.partition].push_back(std::move(r));
        ++total;
      }
    }
    ASSERT_EQ(total, static_cast<size_t>(kRecords));
    RecordProperty("consumed", static_cast<int>(total));
    std::fprintf(stderr, "consumed %zu records over %zu partitions at sim t=%lld ms\n", total,
                 got.size(), static_cast<long long>(rt.now().ns / 1000000));
    int last_index = -1;
    for (const auto& [p, recs] : got) {
      last_index = -1;
      for (size_t i = 0; i < recs.size(); ++i) {
        EXPECT_EQ(recs[i].offset, static_cast<int64_t>(i));  // contiguous from 0
        const std::string value(as_chars(*recs[i].value));
        const int index = std::stoi(value.substr(6));
        EXPECT_GT(index, last_index);  // order kept within the partition
        last_index = index;
        EXPECT_EQ(partition_for_key(*recs[i].key, 4), p);
        ASSERT_EQ(recs[i].headers.size(), 1u);
        EXPECT_EQ(as_chars(*recs[i].headers[0].value), std::to_string(index));
      }
    }

    // poll_each hands the same records as views: one poll() first (its leftover decoded
    // records must come out of poll_each first, in order), then views only.
    ConsumerOptions co2 = co;
    co2.max_poll_records = 7;
    Consumer viewer(rt, SimCluster::options(), co2);
    ASSERT_TRUE(viewer.assign_topic("keyed", rt.now() + Duration::seconds(10)).ok());
    std::map<int32_t, std::vector<ConsumerRecord>> seen;
    size_t seen_total = 0;
    for (int round = 0; round < 100 && seen_total == 0; ++round) {
      auto first = viewer.poll(Duration::millis(500));
      ASSERT_TRUE(first.ok()) << first.error().message();
      for (auto& r : first.value()) {
        seen[r.partition].push_back(std::move(r));
        ++seen_total;
      }
    }
    for (int round = 0; round < 100 && seen_total < kRecords; ++round) {
      auto n = viewer.poll_each(Duration::millis(500), [&](const ConsumerRecordView& v) {
        ConsumerRecord r;
        r.topic = std::string(v.topic);
        r.partition = v.partition;
        r.offset = v.offset;
        r.timestamp = v.timestamp;
        if (v.key) r.key = to_bytes(*v.key);
        if (v.value) r.value = to_bytes(*v.value);
        for (const auto& h : v.headers)
          r.headers.push_back({std::string(h.key), to_bytes(h.value.value())});
        seen[r.partition].push_back(std::move(r));
        ++seen_total;
      });
      ASSERT_TRUE(n.ok()) << n.error().message();
    }
    ASSERT_EQ(seen_total, static_cast<size_t>(kRecords));
    for (const auto& [p, recs] : got) {
      const auto& mine = seen[p];
      ASSERT_EQ(mine.size(), recs.size()) << "partition " << p;
      for (size_t i = 0; i < recs.size(); ++i) {
        EXPECT_EQ(mine[i].topic, "keyed");
        EXPECT_EQ(mine[i].offset, recs[i].offset);
        EXPECT_EQ(mine[i].timestamp, recs[i].timestamp);
        EXPECT_EQ(mine[i].key, recs[i].key);
        EXPECT_EQ(mine[i].value, recs[i].value);
        EXPECT_EQ(mine[i].headers, recs[i].headers);
      }
    }
  });
}

TEST(ClientSim, SeekEarliestLatestOffset) {
  SimCluster c(3);
  c.client([](Runtime& rt) {
    ProducerOptions po;
    po.linger = Duration::millis(0);
    Producer producer(rt, SimCluster::options(), po);  // auto-creates the topic
    for (int i = 0; i < 10; ++i) {
      auto f = producer.send(ProducerRecord{"seek", std::nullopt, to_bytes(std::to_string(i)), {}, 0, {}});
      ASSERT_TRUE(f.ok()) << f.error().message();
    }
    ASSERT_TRUE(producer.flush().ok());
    Consumer consumer(rt, SimCluster::options());
    const TopicPartition tp{"seek", 0};
    consumer.assign({tp});
    ASSERT_TRUE(consumer.seek_to_end({tp}).ok());
    EXPECT_EQ(consumer.position(tp).value(), 10);
    auto none = consumer.poll(Duration::millis(300));
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    consumer.seek(tp, 7);
    auto recs = consumer.poll(Duration::seconds(2));
    ASSERT_TRUE(recs.ok());
    ASSERT_EQ(recs->size(), 3u);
    EXPECT_EQ(recs->front().offset, 7);  // records below the position are skipped
    ASSERT_TRUE(consumer.seek_to_beginning({tp}).ok());
    recs = consumer.poll(Duration::seconds(2));
    ASSERT_TRUE(recs.ok());
    ASSERT_EQ(recs->size(), 10u);
    EXPECT_EQ(as_chars(*recs->at(4).value), "4");
    // Out of range with auto.offset.reset=latest: moves to the end, no error.
    consumer.seek(tp, 1000);
    recs = consumer.poll(Duration::millis(500));
    ASSERT_TRUE(recs.ok()) << recs.error().message();
    EXPECT_EQ(consumer.position(tp).value(), 10);
  });
}

TEST(ClientSim, UnreachableBrokerIsAnErrorValue) {
  SimCluster c(4);
  c.client([](Runtime& rt) {
    ClientOptions o;
    o.bootstrap = {Address{"nobody", 9092}};
    o.connection.connect_timeout = Duration::seconds(1);
    Admin admin(rt, o);
    const Instant start = rt.now();
    auto conn = admin.cluster().any_connection(rt.now() + Duration::seconds(3));
    EXPECT_FALSE(conn.ok());
    EXPECT_LE(rt.now() - start, Duration::seconds(4));
  });
}

// Pipelined produce (max.in.flight 5) across a broker crash and restart: every record gets
// an answer, and every acknowledged record is read back at its acknowledged offset.
TEST(ClientSim, PipelinedProduceSurvivesBrokerRestart) {
  SimCluster c(7);
  constexpr int kRecords = 3000;
  c.world.at(c.world.now() + Duration::millis(300), [&c] {
    c.world.crash_node(c.broker);
    c.world.at(c.world.now() + Duration::millis(500), [&c] { c.world.restart_node(c.broker); });
  });
  c.client([](Runtime& rt) {
    Admin admin(rt, SimCluster::options());
    ASSERT_TRUE(admin.create_topic({"piped", 1, 1, {}}).ok());
    ProducerOptions po;
    po.acks = Acks::all;
    po.batch_bytes = 1024;
    po.max_in_flight = 5;
    po.request_timeout = Duration::seconds(2);
    po.retry_backoff = Duration::millis(50);
    Producer producer(rt, SimCluster::options(), po);
    std::vector<DeliveryFuture> futures;
    for (int i = 0; i < kRecords; ++i) {
      ProducerRecord r;
      r.topic = "piped";
      r.value = to_bytes(fmt::format("v{}", i));
      auto f = producer.send(std::move(r));
      ASSERT_TRUE(f.ok()) << f.error().message();
      futures.push_back(std::move(f.value()));
      if (i % 100 == 99) (void)rt.sleep_for(Duration::millis(20));
    }
    ASSERT_TRUE(producer.flush(rt.now() + Duration::seconds(300)).ok());
    std::map<int64_t, std::string> acked;  // offset -> value
    for (int i = 0; i < kRecords; ++i) {
      auto md = futures[static_cast<size_t>(i)].get();
      if (!md.ok()) continue;
      auto [it, fresh] = acked.emplace(md->offset, fmt::format("v{}", i));
      EXPECT_TRUE(fresh) << "two records acknowledged at offset " << md->offset;
    }
    EXPECT_GT(acked.size(), static_cast<size_t>(kRecords / 2));

    ConsumerOptions co;
    co.auto_offset_reset = OffsetReset::earliest;
    Consumer consumer(rt, SimCluster::options(), co);
    consumer.assign({{"piped", 0}});
    std::map<int64_t, std::string> read;
    const int64_t last = acked.rbegin()->first;
    for (int round = 0; round < 1000 && (read.empty() || read.rbegin()->first < last); ++round) {
      auto recs = consumer.poll(Duration::millis(200));
      ASSERT_TRUE(recs.ok()) << recs.error().message();
      for (const auto& r : recs.value()) {
        EXPECT_TRUE(read.emplace(r.offset, std::string(r.value->begin(), r.value->end())).second);
      }
    }
    for (const auto& [offset, value] : acked) {
      auto it = read.find(offset);
      ASSERT_NE(it, read.end()) << "acknowledged offset " << offset << " not read back";
      EXPECT_EQ(it->second, value) << "at offset " << offset;
    }
  });
}

// A scripted broker for one partition ("t", 0), to hand the consumer bytes a real broker never
// serves: answers ApiVersions, Metadata and Fetch; Fetch returns `fetch_answer(offset)`.
void serve_scripted(Runtime& rt, std::function<Bytes(int64_t)> fetch_answer) {
  auto listener = rt.net().listen(Address{"broker", 9092});
  ASSERT_TRUE(listener.ok());
  std::vector<TaskHandle> conns;
  while (true) {
    auto accepted = listener.value()->accept(Instant::never());
    if (!accepted.ok()) return;
    // One task per connection: the client keeps its bootstrap connection open.
    auto shared = std::make_shared<std::unique_ptr<Stream>>(std::move(accepted.value()));
    conns.push_back(rt.spawn("scripted.conn", [shared, fetch_answer] {
    auto& stream = *shared;
    while (true) {
      uint8_t len[4];
      if (!stream->read_exact(len, Instant::never()).ok()) break;
      Bytes frame(load_be32(len));
      if (!stream->read_exact(frame, Instant::never()).ok()) break;
      protocol::Reader r(frame);
      protocol::RequestHeader h;
      ASSERT_TRUE(protocol::decode_request_header(r, h).ok());
      protocol::Writer body;
      if (h.api_key == protocol::ApiVersionsRequest::kApiKey) {
        protocol::ApiVersionsResponse resp;
        auto add = [&](int16_t key, int16_t lo, int16_t hi) {
          auto& k = resp.api_keys.emplace_back();
          k.api_key = key;
          k.min_version = lo;
          k.max_version = hi;
        };
        add(protocol::ApiVersionsRequest::kApiKey, 0, 3);
        add(protocol::MetadataRequest::kApiKey, protocol::MetadataRequest::kMinVersion,
            protocol::MetadataRequest::kMaxVersion);
        add(protocol::FetchRequest::kApiKey, protocol::FetchRequest::kMinVersion,
            protocol::FetchRequest::kMaxVersion);
        resp.encode(body, h.api_version);
      } else if (h.api_key == protocol::MetadataRequest::kApiKey) {
        protocol::MetadataResponse resp;
        auto& b = resp.brokers.emplace_back();
        b.node_id = 1;
        b.host = "broker";
        b.port = 9092;
        resp.controller_id = 1;
        auto& t = resp.topics.emplace_back();
        t.name = "t";
        auto& p = t.partitions.emplace_back();
        p.leader_id = 1;
        p.replica_nodes = p.isr_nodes = {1};
        resp.encode(body, h.api_version);
      } else {
        ASSERT_EQ(h.api_key, protocol::FetchRequest::kApiKey);
        protocol::FetchRequest req;
        ASSERT_TRUE(req.decode(r, h.api_version).ok());
        protocol::FetchResponse resp;
        auto& tr = resp.responses.emplace_back();
        tr.topic = "t";
        auto& pd = tr.partitions.emplace_back();
        pd.high_watermark = 6;
        pd.last_stable_offset = 6;
        pd.records = fetch_answer(req.topics.at(0).partitions.at(0).fetch_offset);
        pd.aborted_transactions = std::vector<protocol::FetchResponse::AbortedTransaction>{};
        resp.encode(body, h.api_version);
      }
      protocol::Writer out;
      out.write_int32(0);
      protocol::ResponseHeader rh;
      rh.correlation_id = h.correlation_id;
      rh.encode(out, protocol::response_header_version(h.api_key, h.api_version));
      out.write_raw(body.data());
      out.patch_int32(0, static_cast<int32_t>(out.size() - 4));
      if (!stream->write_all(out.data(), Instant::never()).ok()) break;
    }
    }));
  }
}

Bytes batch_at(int64_t base, int n) {
  BatchOptions o;
  o.base_offset = Offset(base);
  RecordBatchBuilder b(o);
  for (int i = 0; i < n; ++i) {
    const std::string v = fmt::format("v{}", base + i);
    b.add(1000, std::nullopt, as_bytes(v));
  }
  return std::move(b).build().value();
}

// A batch whose CRC does not match (one record byte flipped) is an error from poll(); the
// records before it are still handed over, and the position stays at the bad batch, so the
// next fetch asks for it again: nothing is skipped and nothing is returned twice.
void corrupt_batch_is_an_error_and_is_fetched_again(bool each) {
  sim::World world(sim::World::Options{.seed = 3, .trace = {}});
  int fetches_at_3 = 0;
  const uint32_t broker = world.add_node("broker", [&](Runtime& rt) {
    serve_scripted(rt, [&](int64_t offset) {
      Bytes good = batch_at(3, 3);
      if (offset >= 3) {
        if (fetches_at_3++ > 0) return good;  // a transient corruption: clean the next time
        good.back() ^= 0x40;
        return good;
      }
      Bytes both = batch_at(0, 3);
      Bytes bad = batch_at(3, 3);
      bad.back() ^= 0x40;
      both.insert(both.end(), bad.begin(), bad.end());
      return both;
    });
  });
  world.start_node(broker);
  bool done = false;
  const uint32_t client = world.add_node("client", [&](Runtime& rt) {
    Consumer consumer(rt, SimCluster::options(), {});
    consumer.assign({{"t", 0}});
    consumer.seek({"t", 0}, 0);
    std::vector<int64_t> offsets;
    int errors = 0;
    for (int round = 0; round < 20 && offsets.size() < 6; ++round) {
      ClientStatus st;
      if (each) {
        auto n = consumer.poll_each(Duration::millis(500), [&](const ConsumerRecordView& v) {
          offsets.push_back(v.offset);
        });
        if (!n.ok()) st = n.error();
      } else {
        auto recs = consumer.poll(Duration::millis(500));
        if (recs.ok()) {
          for (const auto& r : recs.value()) offsets.push_back(r.offset);
        } else {
          st = recs.error();
        }
      }
      if (!st.ok()) {
        EXPECT_TRUE(st.error() == protocol::ErrorCode::corrupt_message) << st.error().message();
        ++errors;
      }
    }
    EXPECT_EQ(offsets, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
    EXPECT_EQ(errors, 2);  // once inside the first fetch, once when it was fetched alone
    done = true;
  });
  world.start_node(client);
  ASSERT_TRUE(world.run_until([&] { return done; }, world.now() + Duration::seconds(60)));
}

TEST(ClientSim, CorruptBatchIsAnErrorAndIsFetchedAgain) {
  corrupt_batch_is_an_error_and_is_fetched_again(false);
}

TEST(ClientSim, CorruptBatchIsAnErrorAndIsFetchedAgainWithViews) {
  corrupt_batch_is_an_error_and_is_fetched_again(true);
}

}  // namespace
}  // namespace tern::client
