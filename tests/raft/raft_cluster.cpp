#include "tests/raft/raft_cluster.h"

#include <fmt/format.h>

#include "broker/base/crc32c.h"
#include "broker/raft/raft_node.h"
#include "broker/raft/raft_transport.h"
#include "tests/raft/raft_test_server.h"

namespace tern::raft::test {

namespace {

constexpr uint16_t kPort = 9093;

// The state machine: a rolling hash of every applied record value, snapshotted as 16 bytes.
class HashListener final : public RaftListener {
 public:
  HashListener(RaftInvariants& inv, int32_t id, uint64_t incarnation)
      : inv_(inv), id_(id), incarnation_(incarnation) {}
  void handle_commit(const CommittedBatch& b) override {
    if (b.base != applied_)
      failures.push_back(fmt::format("node {} applied batch at {} after {}", id_, b.base,
                                     applied_));
    for (const Bytes& v : b.records) {
      hash_ = (hash_ ^ crc32c(v)) * 0x100000001b3ULL + 1;
      ++count_;
    }
    applied_ = b.last.next();
    inv_.on_applied(id_, incarnation_, applied_, hash_);
  }
  void handle_load_snapshot(Offset end, int32_t, const Bytes& data) override {
    if (data.size() != 16) {
      failures.push_back(fmt::format("node {} got a snapshot of {} bytes", id_, data.size()));
      return;
    }
    hash_ = load_be64(data.data());
    count_ = load_be64(data.data() + 8);
    applied_ = end;
    inv_.on_applied(id_, incarnation_, applied_, hash_);
  }
  void handle_leader_change(const LeaderAndEpoch&) override {}
  void handle_fatal(const Error&) override {}
  Bytes snapshot_data() const {
    Bytes out(16);
    store_be64(out.data(), hash_);
    store_be64(out.data() + 8, count_);
    return out;
  }
  Offset applied() const { return applied_; }
  std::vector<std::string> failures;

 private:
  RaftInvariants& inv_;
  int32_t id_;
  uint64_t incarnation_;
  uint64_t hash_ = 0;
  uint64_t count_ = 0;
  Offset applied_{0};
};

}  // namespace

struct RaftCluster::Slot {
  std::string name;
  int32_t id = 0;
  uint32_t world_id = 0;
  bool voter = true;
  uint64_t incarnation = 0;
  RaftNode* node = nullptr;
  bool crashed = false;
  bool paused = false;
  bool stop_requested = false;
  Instant active_since{0};
};

RaftCluster::RaftCluster(ClusterOptions options)
    : options_(options),
      world_(sim::World::Options{.seed = options.seed,
                                 .trace = {.keep_events = false,
                                           .keep_hashes = false,
                                           .echo = options.trace,
                                           .echo_level = Severity::debug},
                                 .buggify = options.buggify}) {
  const int total = options_.voters + options_.observers;
  for (int i = 0; i < total; ++i) {
    auto s = std::make_unique<Slot>();
    s->id = i + 1;
    s->voter = i < options_.voters;
    s->name = fmt::format("{}{}", s->voter ? "v" : "o", s->id);
    slots_.push_back(std::move(s));
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i]->world_id =
        world_.add_node(slots_[i]->name, [this, i](Runtime& rt) { node_main(i, rt); });
  }
}

RaftCluster::~RaftCluster() = default;

void RaftCluster::note(std::string what) {
  faults_log_ += fmt::format("{:>8} ms  {}\n", world_.now().ns / 1'000'000, what);
  world_.trace_event(Severity::info, "world", "raft_test.fault", {{"what", what}});
}

void RaftCluster::node_main(size_t i, Runtime& rt) {
  Slot& s = *slots_[i];
  ++s.incarnation;
  s.active_since = rt.now();
  RaftConfig cfg;
  cfg.node_id = s.id;
  cfg.cluster_id = "tern-raft-test";
  cfg.data_dir = "meta";
  cfg.segment_bytes = 16 * 1024;  // small segments: snapshots delete some
  cfg.fetch_max_bytes = 4096;
  for (const auto& o : slots_)
    if (o->voter) cfg.voters.push_back(Voter{o->id, Address{o->name, kPort}});
  KafkaRaftTransport transport(rt, cfg);
  HashListener listener(invariants_, s.id, s.incarnation);
  RaftNode node(rt, cfg, transport, listener);
  struct Guard {
    Slot& s;
    ~Guard() { s.node = nullptr; }
  } guard{s};
  Status st = node.start();
  if (!st.ok()) {
    failures_.push_back(fmt::format("{} did not start: {}", s.name, st.error().message()));
    return;
  }
  RaftTestServer server(rt, node);
  st = server.start(Address{s.name, kPort});
  if (!st.ok()) {
    failures_.push_back(fmt::format("{} cannot listen: {}", s.name, st.error().message()));
    return;
  }
  s.node = &node;
  int64_t counter = 0;
  Rng rng = rt.rng().fork("raft-test-workload");
  while (!s.stop_requested) {
    if (node.role() == Role::leader) {
      (void)node.append({to_bytes(fmt::format("{}.{}.{}", s.id, s.incarnation, counter++))},
                        node.epoch());
    }
    // A snapshot at a random committed point the state machine has applied.
    const Offset applied = node.applied_offset();
    if (rng.one_in(150) && applied > node.log_start_offset() &&
        applied <= node.high_watermark()) {
      (void)node.snapshot(applied, listener.snapshot_data());
    }
    for (auto& f : listener.failures) failures_.push_back(std::move(f));
    listener.failures.clear();
    if (rt.sleep_for(Duration::millis(rng.between(2, 25))).code() == Errc::cancelled) break;
  }
  server.stop();
  node.stop();
  transport.close();
  s.node = nullptr;
}

std::vector<RaftInvariants::NodeView> RaftCluster::views() const {
  std::vector<RaftInvariants::NodeView> out;
  for (const auto& s : slots_)
    out.push_back({s->id, s->node, s->incarnation, s->paused, s->active_since});
  return out;
}

bool RaftCluster::step_check() {
  ++checks_;
  auto v = invariants_.check(views(), checks_ % 4096 == 0, world_.now());
  return v.has_value() || !failures_.empty();
}

std::optional<size_t> RaftCluster::current_leader() const {
  std::optional<size_t> best;
  for (size_t i = 0; i < slots_.size(); ++i) {
    const RaftNode* n = slots_[i]->node;
    if (n && n->running() && n->role() == Role::leader && !slots_[i]->paused &&
        (!best || n->epoch() > slots_[*best]->node->epoch()))
      best = i;
  }
  return best;
}

void RaftCluster::schedule_faults() {
  Rng rng = world_.rng().fork("raft-test-faults");
  // Swarm testing: each seed turns each fault kind on or off.
  const bool crash = rng.one_in(4) == false, partition = !rng.one_in(3), isolate = !rng.one_in(3);
  const bool oneway = !rng.one_in(3), pause = !rng.one_in(3), graceful = !rng.one_in(3);
  const bool skew = rng.one_in(2), stale_rejoin = !rng.one_in(3);
  const size_t minority = static_cast<size_t>((options_.voters - 1) / 2);
  Instant t = world_.now() + Duration::millis(rng.between(500, 2000));
  const Instant end = world_.now() + options_.fault_phase;
  while (t < end) {
    const int kind = static_cast<int>(rng.below(8));
    const size_t target = rng.below(slots_.size());
    const Duration hold = Duration::millis(rng.between(200, 3500));
    const bool torn = rng.one_in(2), keep_prefix = rng.one_in(2);
    const uint64_t subset = rng.next_u64();
    world_.at(t, [=, this] {
      Slot& s = *slots_[target];
      auto leader = current_leader();
      switch (kind) {
        case 0:  // crash (power loss) + restart
          if (crash) (void)crash_for(target, hold, torn, keep_prefix, "");
          return;
        case 1: {  // symmetric partition of a random subset
          if (!partition) return;
          std::set<uint32_t> a, b;
          for (size_t i = 0; i < slots_.size(); ++i)
            ((subset >> i) & 1 ? a : b).insert(slots_[i]->world_id);
          if (a.empty() || b.empty()) return;
          note(fmt::format("partition mask {:x}", subset & ((1u << slots_.size()) - 1)));
          world_.network().partition(a, b, false);
          world_.at(world_.now() + hold, [this] {
            note("heal");
            world_.network().heal();
          });
          return;
        }
        case 2: {  // isolate the leader
          if (!isolate || !leader) return;
          std::set<uint32_t> a{slots_[*leader]->world_id}, b;
          for (const auto& o : slots_)
            if (o->world_id != slots_[*leader]->world_id) b.insert(o->world_id);
          note(fmt::format("isolate leader {}", slots_[*leader]->name));
          world_.network().partition(a, b, false);
          world_.at(world_.now() + hold, [this] {
            note("heal");
            world_.network().heal();
          });
          return;
        }
        case 3: {  // one-way: the leader cannot reach the others (they can reach it)
          if (!oneway) return;
          const size_t from = leader ? *leader : target;
          std::set<uint32_t> a{slots_[from]->world_id}, b;
          for (const auto& o : slots_)
            if (o->world_id != slots_[from]->world_id) b.insert(o->world_id);
          const bool reverse = subset & 1;
          note(fmt::format("one-way partition {} {} the rest", slots_[from]->name,
                           reverse ? "<-x-" : "-x->"));
          world_.network().partition(reverse ? b : a, reverse ? a : b, true);
          world_.at(world_.now() + hold, [this] {
            note("heal");
            world_.network().heal();
          });
          return;
        }
        case 4:  // pause (a GC stall, SIGSTOP)
          if (!pause || s.crashed || s.paused || (s.voter && down_voters() >= minority)) return;
          note(fmt::format("pause {}", s.name));
          s.paused = true;
          world_.pause_node(s.world_id);
          world_.at(world_.now() + hold, [this, &s] {
            if (!s.paused) return;
            note(fmt::format("resume {}", s.name));
            s.paused = false;
            s.active_since = world_.now();
            world_.resume_node(s.world_id);
          });
          return;
        case 5: {  // graceful restart of the leader (EndQuorumEpoch)
          if (!graceful || !leader) return;
          Slot& l = *slots_[*leader];
          if (l.voter && down_voters() >= minority) return;
          note(fmt::format("graceful restart {}", l.name));
          l.stop_requested = true;
          l.crashed = true;
          world_.at(world_.now() + Duration::seconds(3), [this, &l] {
            world_.crash_node(l.world_id);
            l.stop_requested = false;
            note(fmt::format("restart {}", l.name));
            l.crashed = false;
            world_.restart_node(l.world_id);
          });
          return;
        }
        case 7: {  // isolate the leader; as it rejoins, crash its successor (back-to-back
                   // failures: the old leader's long stale log meets an election)
          if (!stale_rejoin || !leader) return;
          const size_t old = *leader;
          std::set<uint32_t> a{slots_[old]->world_id}, b;
          for (const auto& o : slots_)
            if (o->world_id != slots_[old]->world_id) b.insert(o->world_id);
          note(fmt::format("isolate leader {} (then crash its successor)", slots_[old]->name));
          world_.network().partition(a, b, false);
          world_.at(world_.now() + hold + Duration::seconds(2), [this, old, hold, torn] {
            note("heal");
            world_.network().heal();
            auto next = current_leader();
            if (next && *next != old) (void)crash_for(*next, hold, torn, false, " (successor)");
          });
          return;
        }
        case 6:  // wall-clock skew (timestamps only: Raft's timers are monotonic)
          if (!skew) return;
          note(fmt::format("skew {}", s.name));
          world_.set_clock_skew(s.world_id, Duration::seconds(static_cast<int64_t>(subset % 7200)));
          return;
      }
    });
    t = t + Duration::millis(rng.between(300, 2500));
  }
}

size_t RaftCluster::down_voters() const {
  size_t n = 0;
  for (const auto& o : slots_) n += o->voter && (o->crashed || o->paused);
  return n;
}

bool RaftCluster::crash_for(size_t i, Duration hold, bool torn, bool keep_prefix,
                            const char* why) {
  Slot& s = *slots_[i];
  const size_t minority = static_cast<size_t>((options_.voters - 1) / 2);
  if (s.crashed || s.paused || s.stop_requested || (s.voter && down_voters() >= minority))
    return false;
  note(fmt::format("crash {} (torn={} keep_prefix={}){}", s.name, torn, keep_prefix, why));
  s.crashed = true;
  world_.crash_node(s.world_id, sim::CrashOptions{.keep_unsynced_prefix = keep_prefix,
                                                  .tear_last_write = torn,
                                                  .half_open = false});
  world_.at(world_.now() + hold, [this, &s] {
    if (!s.crashed || s.stop_requested) return;
    note(fmt::format("restart {}", s.name));
    s.crashed = false;
    world_.restart_node(s.world_id);
  });
  return true;
}

void RaftCluster::schedule_triggered_faults(Instant until) {
  Rng pick = world_.rng().fork("raft-test-triggers");
  // Swarm: each trigger is on for some seeds only.
  const bool after_vote = pick.one_in(2), at_hw = pick.one_in(2), new_leader = pick.one_in(2);
  auto rng = std::make_shared<Rng>(pick.fork("draws"));
  world_.observe_trace([this, rng, until, after_vote, at_hw, new_leader](
                           std::string_view node, std::string_view kind,
                           std::initializer_list<TraceField> fields) {
    if (world_.now() >= until) return;
    auto field = [&](std::string_view key) -> int64_t {
      for (const auto& f : fields)
        if (f.key == key) {
          if (auto* i = std::get_if<int64_t>(&f.value.v)) return *i;
          return f.value.v.index() == 1 && std::get<std::string>(f.value.v) == "leader" ? 1 : 0;
        }
      return -1;
    };
    const char* why = nullptr;
    if (after_vote && kind == "raft.vote" && field("granted") == 1 && field("pre") == 0 &&
        rng->one_in(3))
      why = " after granting a vote";
    else if (at_hw && kind == "raft.hw" && field("role") == 1 && rng->one_in(40))
      why = " as its high watermark moved";
    else if (new_leader && kind == "raft.role" && field("role") == 1 && rng->one_in(3))
      why = " right after winning";
    if (!why) return;
    std::optional<size_t> idx;
    for (size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i]->name == node) idx = i;
    if (!idx) return;
    const Duration delay = Duration::micros(rng->between(0, 3000));
    const Duration hold = Duration::millis(rng->between(20, 1500));
    const bool torn = rng->one_in(2);
    world_.at(world_.now() + delay, [this, i = *idx, hold, torn, why] {
      (void)crash_for(i, hold, torn, false, why);
    });
  });
}

void RaftCluster::heal_all() {
  note("heal all");
  world_.network().heal();
  for (auto& s : slots_) {
    if (s->paused) {
      s->paused = false;
      s->active_since = world_.now();
      world_.resume_node(s->world_id);
    }
    if (s->crashed && !s->stop_requested) {
      s->crashed = false;
      world_.restart_node(s->world_id);
    }
  }
  world_.stop_buggify();
}

bool RaftCluster::liveness() {
  // A leader, and an append made after the heal committed on every node (the observers too).
  std::optional<Offset> mark;
  int32_t mark_epoch = -1;
  return world_.run_until(
      [&] {
        if (step_check()) return true;
        auto l = current_leader();
        if (!l) return false;
        const RaftNode& n = *slots_[*l]->node;
        if (n.epoch() != mark_epoch) {
          mark_epoch = n.epoch();
          mark = n.log_end_offset() + 1;
        }
        if (n.high_watermark() <= *mark) return false;
        for (const auto& s : slots_)
          if (!s->node || s->node->applied_offset() <= *mark) return false;
        return true;
      },
      world_.now() + options_.liveness_bound);
}

ClusterResult RaftCluster::run() {
  for (auto& s : slots_) world_.start_node(s->world_id);
  if (options_.faults) {
    schedule_faults();
    schedule_triggered_faults(world_.now() + options_.fault_phase);
  }
  world_.run_until([&] { return step_check(); }, world_.now() + options_.fault_phase);
  if (failures_.empty() && invariants_.failures().empty()) {
    heal_all();
    // Let graceful restarts still in flight finish first.
    world_.run_until([&] { return step_check(); }, world_.now() + Duration::seconds(4));
    heal_all();
    const bool live = liveness();
    if (!live && failures_.empty() && invariants_.failures().empty()) {
      std::string state;
      for (const auto& s : slots_) {
        if (!s->node) {
          state += fmt::format(" {}:down", s->name);
          continue;
        }
        state += fmt::format(" {}:{}/e{}/hw{}/end{}", s->name, role_name(s->node->role()),
                             s->node->epoch(), s->node->high_watermark(),
                             s->node->log_end_offset());
      }
      failures_.push_back(fmt::format("liveness: no leader committed a new append on every "
                                      "node within {} s after the heal;{}",
                                      options_.liveness_bound.to_millis() / 1000, state));
    }
  }
  // DescribeQuorum (what kafka-metadata-quorum.sh shows) on the leader after the heal: every
  // voter, every observer that fetched, with their log end offsets.
  if (failures_.empty() && invariants_.failures().empty()) {
    // A node that just installed a snapshot has not fetched from a valid position yet: give
    // every node a moment to fetch once more.
    world_.run_until([&] { return step_check(); }, world_.now() + Duration::seconds(2));
  }
  if (failures_.empty() && invariants_.failures().empty()) {
    if (auto l = current_leader()) {
      protocol::DescribeQuorumRequest dq;
      dq.topics.emplace_back().topic_name = kMetadataTopic;
      dq.topics[0].partitions.emplace_back().partition_index = kMetadataPartition;
      auto resp = slots_[*l]->node->handle_describe_quorum(dq);
      const auto& p = resp.topics.at(0).partitions.at(0);
      size_t caught_up = 0;
      for (const auto& v : p.current_voters) caught_up += v.log_end_offset >= 0;
      if (p.error_code != 0 || p.current_voters.size() != static_cast<size_t>(options_.voters) ||
          p.observers.size() != static_cast<size_t>(options_.observers) ||
          caught_up != p.current_voters.size() || p.high_watermark <= 0)
        failures_.push_back(fmt::format(
            "DescribeQuorum on leader {}: error {} voters {} observers {} hw {}",
            slots_[*l]->name, p.error_code, p.current_voters.size(), p.observers.size(),
            p.high_watermark));
    }
  }
  invariants_.check(views(), true);
  ClusterResult r;
  r.failures = failures_;
  for (const auto& f : invariants_.failures()) r.failures.push_back(f);
  r.committed = invariants_.committed_end().value();
  r.leaders = invariants_.leaders_elected();
  r.steps = world_.steps();
  r.faults = faults_log_;
  // End every node (their fibers reference this object).
  for (auto& s : slots_)
    if (world_.node_up(s->world_id)) world_.crash_node(s->world_id);
  return r;
}

}  // namespace tern::raft::test
