// Goal: the admin-churn and restarting-client workloads do what they promise, run against the
// real broker in a simulated world (one broker node with a supervisor, the workload's client
// nodes, crashes applied by hand instead of a fault plan):
//  - an admin-churn run's check() passes on a correct broker, also when the admin client and
//    the broker crash mid-run, and FAILS when the workload plants a wrong expectation (a
//    check that cannot fail would let every bug through);
//  - a restarted consumer resumes from its stored position and records the seek;
//  - a restarted (or self-dropped) producer never reuses a value, and the global checkers
//    pass on its history.
#include <gtest/gtest.h>

#include <set>

#include "broker/client/consumer.h"
#include "broker/server/broker.h"
#include "scenarios/workload.h"
#include "scenarios/workloads/workloads.h"
#include "sim/simulated/world.h"

namespace tern::scenarios {
namespace {

constexpr uint16_t kPort = 9092;

// One seed's world: broker b1 (restarted by its supervisor after a disk failure, like the
// runner's), one workload, and hand-placed crashes.
struct SeedRun {
  explicit SeedRun(uint64_t seed, const std::string& type,
               std::map<std::string, std::string> options, Duration duration)
      : world(sim::World::Options{.seed = seed, .trace = {}}) {
    broker = world.add_node("b1", [](Runtime& rt) {
      while (true) {
        server::BrokerConfig c;
        c.listeners = {{"PLAINTEXT", "b1", kPort}};
        c.log_dirs = {"data"};
        server::Broker b(rt, c);
        Status s = b.run();
        if (s.ok() || s.code() == Errc::cancelled) return;
        if (!rt.sleep_for(Duration::seconds(1)).ok()) return;
      }
    });
    const WorkloadType t = type == "admin-churn" ? admin_churn_workload_type()
                                                 : restarting_client_workload_type();
    TERN_ASSERT(t.name == type, "no workload {}", type);
    auto w = t.make(WorkloadOptions(std::move(options)));
    TERN_ASSERT(w.ok(), "{}", w.error().message());
    workload = std::move(w.value());
    end = Instant{0} + duration;
    ctx = std::make_unique<WorkloadContext>(WorkloadContext{
        world, history, {Address{"b1", kPort}}, end, Instant{0}, Rng(seed).fork("workload"),
        false, {}, {}, {}, {}});
    workload->setup(*ctx);
    world.observe_trace([this](std::string_view, std::string_view kind,
                               std::initializer_list<TraceField> fields) {
      for (const auto& f : fields) {
        std::string text;
        append_trace_value(text, f.value);
        events[std::string(kind)].push_back(text);
      }
    });
  }

  uint32_t client(const std::string& name) const {
    for (const auto& c : ctx->clients)
      if (c.name == name) return c.node;
    TERN_ASSERT(false, "no client {}", name);
    return 0;
  }
  // Crashes `node` at `at` and starts it again `down` later.
  void crash(uint32_t node, Duration at, Duration down, sim::CrashOptions o = {}) {
    world.at(Instant{0} + at, [this, node, o] { world.crash_node(node, o); });
    world.at(Instant{0} + at + down, [this, node] { world.start_node(node); });
  }
  // Runs to `until` past the end; stops the workload's writers at the end as the runner does
  // (the admin-churn verifier keeps running).
  void run(Duration after_end) {
    for (uint32_t n = 0; n < world.node_count(); ++n) world.start_node(n);
    world.run_until(end);
    for (const auto& c : ctx->clients)
      if (c.kind != ClientKind::verifier && world.node_up(c.node)) world.crash_node(c.node);
    world.run_until(end + after_end);
  }
  // Reads every expected partition from the beginning to its end (the runner's final read).
  FinalState final_read() {
    FinalState out;
    bool done = false;
    const uint32_t n = world.add_node("reader", [&](Runtime& rt) {
      client::ClientOptions co;
      co.bootstrap = ctx->bootstrap;
      client::ConsumerOptions opts;
      opts.auto_offset_reset = client::OffsetReset::earliest;
      client::Consumer c(rt, co, opts);
      for (const auto& t : ctx->expected_topics) {
        if (!c.assign_topic(t.topic, rt.now() + Duration::seconds(10)).ok()) return;
        std::vector<client::TopicPartition> tps;
        for (int32_t p = 0; p < t.partitions; ++p) tps.push_back({t.topic, p});
        auto ends = c.list_offsets(tps, client::kLatestTimestamp);
        if (!ends.ok()) return;
        for (const auto& tp : tps) c.seek(tp, 0);
        std::map<client::TopicPartition, int64_t> next;
        auto behind = [&] {
          for (const auto& tp : tps)
            if (next[tp] < ends.value()[tp]) return true;
          return false;
        };
        while (behind()) {
          auto recs = c.poll(Duration::seconds(1));
          if (!recs.ok()) return;
          for (const auto& r : recs.value()) {
            auto v = r.value ? std::string(r.value->begin(), r.value->end()) : "";
            auto k = r.key ? std::string(r.key->begin(), r.key->end()) : "";
            out[{r.topic, r.partition}].push_back({r.offset, k, v});
            next[{r.topic, r.partition}] = r.offset + 1;
          }
        }
      }
      done = true;
    });
    world.start_node(n);
    EXPECT_TRUE(world.run_until([&] { return done; }, world.now() + Duration::seconds(60)))
        << "final read did not finish";
    world.crash_node(n);
    return out;
  }

  std::vector<Violation> check(const FinalState& final_state) {
    CheckContext cc{history, final_state, 0, end.ns, Duration::seconds(10).ns, false};
    std::vector<Violation> out;
    workload->check(cc, out);
    return out;
  }

  sim::World world;
  History history;
  uint32_t broker = 0;
  Instant end;
  std::unique_ptr<Workload> workload;
  std::unique_ptr<WorkloadContext> ctx;
  std::map<std::string, std::vector<std::string>> events;  // kind -> field texts
};

std::string describe(const std::vector<Violation>& v) {
  std::string s;
  for (const auto& x : v) s += x.invariant + ": " + x.message + "\n";
  return s;
}

size_t count_containing(const std::vector<std::string>& texts, std::string_view what) {
  size_t n = 0;
  for (const auto& t : texts)
    if (t.find(what) != std::string::npos) ++n;
  return n;
}

TEST(AdminChurn, RejectsAnUnknownOption) {
  using Values = std::map<std::string, std::string>;
  auto w = admin_churn_workload_type().make(
      WorkloadOptions(Values{{"topics", "2"}, {"bogus", "1"}}));
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message().find("bogus"), std::string::npos) << w.error().message();
  auto r = restarting_client_workload_type().make(WorkloadOptions(Values{{"self_crash", "maybe"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("self_crash"), std::string::npos) << r.error().message();
}

TEST(AdminChurn, CheckPassesOnACorrectBrokerThroughCrashes) {
  size_t indeterminate = 0;
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    for (const char* produce : {"off", "on"}) {
      SCOPED_TRACE(testing::Message() << "seed " << seed << " produce=" << produce);
      SeedRun r(seed, "admin-churn", {{"topics", "3"}, {"produce", produce}},
                Duration::seconds(20));
      // Crashes at seeded moments: the admin client (ops left without an answer), the
      // broker (power loss, some unsynced writes kept), and the broker paused for a while.
      Rng rng(seed);
      r.crash(r.client("admin"), Duration::millis(rng.between(2000, 15000)),
              Duration::millis(rng.between(100, 2000)));
      r.crash(r.broker, Duration::millis(rng.between(2000, 15000)),
              Duration::millis(rng.between(100, 2000)),
              sim::CrashOptions{.keep_unsynced_prefix = rng.one_in(2),
                                .tear_last_write = rng.one_in(2), .half_open = false});
      const Instant pause = Instant{0} + Duration::millis(rng.between(2000, 15000));
      r.world.at(pause, [&r] { r.world.pause_node(r.broker); });
      r.world.at(pause + Duration::seconds(2), [&r] {
        if (r.world.node_paused(r.broker)) r.world.resume_node(r.broker);
      });
      r.run(Duration::seconds(42));
      const auto& ops = r.events["workload.admin_op"];
      EXPECT_GE(ops.size(), 40u);
      EXPECT_GE(count_containing(ops, "create churn"), 1u);
      EXPECT_GE(count_containing(ops, "delete churn"), 1u);
      EXPECT_GE(count_containing(ops, "-> ok"), 10u);
      EXPECT_GE(count_containing(ops, "alter-configs"), 1u);
      EXPECT_GE(count_containing(ops, "create-partitions"), 1u);
      EXPECT_GE(r.events["workload.admin_verify"].size(), 1u);
      indeterminate += count_containing(ops, "indeterminate");
      auto v = r.check({});
      EXPECT_TRUE(v.empty()) << describe(v);
    }
  }
  // The crashes left some ops without an answer: the model's uncertain paths ran.
  EXPECT_GE(indeterminate, 3u);
}

TEST(AdminChurn, APlantedWrongExpectationFails) {
  size_t failed = 0;
  for (uint64_t seed : {1, 2, 3}) {
    SeedRun r(seed, "admin-churn",
          {{"topics", "2"}, {"produce", "off"}, {"planted_wrong_config", "on"}},
          Duration::seconds(15));
    r.run(Duration::seconds(42));
    auto v = r.check({});
    if (v.empty()) continue;
    ++failed;
    EXPECT_EQ(v[0].invariant, "admin_churn");
    EXPECT_NE(v[0].message.find("churn-"), std::string::npos) << describe(v);
    EXPECT_NE(v[0].message.find("the ops say"), std::string::npos) << describe(v);
  }
  EXPECT_GE(failed, 2u);
}

TEST(AdminChurn, NoVerifierViewIsAViolation) {
  SeedRun r(1, "admin-churn", {{"topics", "1"}}, Duration::seconds(5));
  r.run(Duration::seconds(0));  // the world stops before the verifier reads anything
  auto v = r.check({});
  ASSERT_EQ(v.size(), 1u) << describe(v);
  EXPECT_NE(v[0].message.find("verifier"), std::string::npos);
}

// Offsets of one consumer's seeks and polls on one partition, in history order.
TEST(RestartingClient, ARestartedConsumerResumesFromItsStoredPositionWithASeek) {
  SeedRun r(7, "restarting-client", {{"producers", "1"}, {"consumers", "1"}},
        Duration::seconds(25));
  const Duration crash_at = Duration::seconds(9);
  r.crash(r.client("rc1"), crash_at, Duration::seconds(1));
  r.run(Duration::seconds(0));
  const FinalState final_state = r.final_read();
  // After the restart: a seek per partition, each to a stored position; the first poll of
  // that partition afterwards reads exactly there.
  std::map<int32_t, int64_t> seek_after;
  std::map<int32_t, int64_t> first_poll_after;
  int64_t polls_before = 0;
  for (const Op& op : r.history.ops()) {
    if (op.process != "rc1") continue;
    if (op.time_ns < (Instant{0} + crash_at).ns) {
      polls_before += op.kind == OpKind::poll;
      continue;
    }
    if (op.kind == OpKind::seek && !seek_after.count(op.partition))
      seek_after[op.partition] = op.offset;
    if (op.kind == OpKind::poll && !first_poll_after.count(op.partition))
      first_poll_after[op.partition] = op.offset;
  }
  EXPECT_GE(polls_before, 50);
  ASSERT_EQ(seek_after.size(), 3u);
  int64_t resumed = 0;
  for (const auto& [p, at] : seek_after) {
    resumed += at;
    if (first_poll_after.count(p)) {
      EXPECT_EQ(first_poll_after[p], at) << "partition " << p;
    }
  }
  EXPECT_GT(resumed, 0) << "the restart read from the beginning, not the stored position";
  CheckContext cc{r.history, final_state, 0, r.end.ns, Duration::seconds(10).ns, false};
  auto mono = check_consumer_monotonic(cc);
  EXPECT_TRUE(mono.empty()) << describe(mono);
  auto lost = check_lost_writes(cc);
  EXPECT_TRUE(lost.empty()) << describe(lost);
}

TEST(RestartingClient, ARestartedProducerNeverReusesAValue) {
  SeedRun r(11, "restarting-client",
        {{"producers", "2"}, {"consumers", "1"}, {"self_crash", "on"}},
        Duration::seconds(25));
  const uint32_t rp1 = r.client("rp1");
  r.crash(rp1, Duration::seconds(5), Duration::millis(500));
  r.crash(rp1, Duration::seconds(10), Duration::millis(200));
  r.crash(r.client("rp2"), Duration::seconds(7), Duration::seconds(3));
  r.crash(r.broker, Duration::seconds(14), Duration::seconds(1));  // power loss
  r.run(Duration::seconds(0));
  const FinalState final_state = r.final_read();
  std::set<std::string> values;
  std::set<std::string> rp1_incarnations;
  size_t sends = 0, acks = 0;
  for (const Op& op : r.history.ops()) {
    if (op.kind == OpKind::ack) ++acks;
    // A record in flight when its producer was dropped stays indeterminate: no fail op.
    EXPECT_FALSE(op.kind == OpKind::fail && op.error.find("dropped") != std::string::npos);
    if (op.kind != OpKind::send) continue;
    ++sends;
    EXPECT_TRUE(values.insert(op.value).second) << "value reused: " << op.value;
    if (op.process == "rp1") rp1_incarnations.insert(op.value.substr(0, op.value.rfind('-')));
  }
  EXPECT_GE(sends, 200u);
  EXPECT_GE(acks, 100u);
  EXPECT_EQ(rp1_incarnations.size(), 3u);  // started, restarted twice
  EXPECT_GE(r.events["workload.producer_drop"].size(), 2u);
  EXPECT_GE(r.events["workload.send_indeterminate"].size(), 1u);
  CheckContext cc{r.history, final_state, 0, r.end.ns, Duration::seconds(10).ns, false};
  for (auto fn : {check_lost_writes, check_offset_consistency, check_partition_order,
                  check_consumer_monotonic}) {
    auto v = fn(cc);
    EXPECT_TRUE(v.empty()) << describe(v);
  }
}

}  // namespace
}  // namespace tern::scenarios
