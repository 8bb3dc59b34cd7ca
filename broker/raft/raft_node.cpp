#include "broker/raft/raft_node.h"

#include <algorithm>

#include "broker/protocol/error_code.h"
#include "broker/protocol/records/control_record.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/protocol/records/record_reader.h"

namespace tern::raft {

using protocol::ErrorCode;
using protocol::to_wire;

std::string_view role_name(Role role) {
  switch (role) {
    case Role::unattached: return "unattached";
    case Role::prospective: return "prospective";
    case Role::candidate: return "candidate";
    case Role::leader: return "leader";
    case Role::follower: return "follower";
    case Role::resigned: return "resigned";
  }
  return "?";
}

namespace {

// The LeaderChange control record's value (tern's encoding, KIP-595's content): version,
// leader id, the voters.
Bytes encode_leader_change(int32_t leader, const std::vector<Voter>& voters) {
  Bytes out;
  auto put32 = [&](uint32_t v) {
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
  };
  out.push_back(0);
  out.push_back(0);
  put32(static_cast<uint32_t>(leader));
  put32(static_cast<uint32_t>(voters.size()));
  for (const Voter& v : voters) put32(static_cast<uint32_t>(v.id));
  return out;
}

constexpr Duration kRetryBackoff = Duration::millis(50);

}  // namespace

RaftNode::RaftNode(Runtime& rt, RaftConfig config, RaftTransport& transport,
                   RaftListener& listener)
    : rt_(rt),
      config_(std::move(config)),
      transport_(transport),
      listener_(listener),
      voter_(config_.is_voter(config_.node_id)),
      store_(rt.disk(), (config_.data_dir.empty() ? std::string() : config_.data_dir + "/") +
                            fmt::format("{}-{}", kMetadataTopic, kMetadataPartition)),
      state_mutex_(rt),
      write_mutex_(rt),
      changed_(rt) {
  TERN_ASSERT(!config_.voters.empty());
  TERN_ASSERT(config_.election_timeout.ns > 0 && config_.fetch_timeout.ns > 0);
}

RaftNode::~RaftNode() {
  // A crash unwinds the node's newer tasks first; on a normal path stop() joined them.
  for (auto& t : tasks_)
    if (t.valid() && !t.done()) t.cancel();
}

// ---------------------------------------------------------------------------------------
// Lifecycle

Status RaftNode::start() {
  TERN_ASSERT(!running_);
  auto log = RaftLog::open(rt_, config_);
  if (!log.ok()) return log.error();
  log_ = std::move(log.value());
  auto st = store_.read();
  if (!st.ok()) return st.error();
  state_ = st.value();
  hw_ = log_->log_start();
  applied_ = Offset(0);
  running_ = true;
  // After a restart nobody is leader here: a former leader resigned by crashing (Kafka turns
  // a persisted Leader state into Resigned). A known other leader is followed, with a fresh
  // fetch timeout to prove itself.
  if (state_.leader_id && *state_.leader_id != config_.node_id) {
    set_role(Role::follower, state_.leader_id);
  } else {
    set_role(Role::unattached, std::nullopt);
  }
  trace_role("start");
  auto spawn = [&](const char* name, void (RaftNode::*fn)()) {
    tasks_.push_back(rt_.spawn(fmt::format("raft.{}", name), [this, fn] { (this->*fn)(); }));
  };
  if (voter_) spawn("election", &RaftNode::election_loop);
  spawn("fetch", &RaftNode::fetch_loop);
  if (voter_) spawn("leader", &RaftNode::leader_loop);
  spawn("flush", &RaftNode::flush_loop);
  spawn("apply", &RaftNode::apply_loop);
  return {};
}

void RaftNode::stop() {
  if (!running_) return;
  stopping_ = true;
  if (role_ == Role::leader) resign("shutdown");
  // Give the EndQuorumEpoch sends their chance (bounded by request_timeout).
  const Deadline until = rt_.now() + config_.request_timeout;
  // Indexes and copies: joining suspends, and a waking task may still add to tasks_.
  for (size_t i = 0; i < tasks_.size(); ++i) {
    TaskHandle t = tasks_[i];
    if (t.valid() && !t.done() && t.name().rfind("raft.end_epoch", 0) == 0) (void)t.join(until);
  }
  while (!tasks_.empty()) {
    std::vector<TaskHandle> batch;
    batch.swap(tasks_);
    for (auto& t : batch)
      if (t.valid() && !t.done()) t.cancel();
    changed_.notify_all();
    for (auto& t : batch)
      if (t.valid()) (void)t.join();
  }
  (void)log_->close();
  running_ = false;
  rt_.trace("raft.stop", {{"epoch", state_.epoch}});
}

// ---------------------------------------------------------------------------------------
// Inspection

Offset RaftNode::log_end_offset() const { return log_ ? log_->end_offset() : Offset(0); }
Offset RaftNode::durable_offset() const { return log_ ? log_->durable_offset() : Offset(0); }
Offset RaftNode::log_start_offset() const { return log_ ? log_->log_start() : Offset(0); }
std::optional<SnapshotId> RaftNode::latest_snapshot() const {
  return log_ ? log_->latest_snapshot() : std::nullopt;
}
const std::deque<EntryInfo>& RaftNode::entries() const {
  static const std::deque<EntryInfo> kEmpty;  // immutable: no per-node state here
  return log_ ? log_->entries() : kEmpty;
}

// ---------------------------------------------------------------------------------------
// Transitions

void RaftNode::trace_role(const char* why) {
  rt_.trace("raft.role", {{"node", config_.node_id},
                          {"role", role_name(role_)},
                          {"epoch", state_.epoch},
                          {"leader", leader_.value_or(-1)},
                          {"voted", state_.voted_id.value_or(-1)},
                          {"why", why}});
}

void RaftNode::set_role(Role role, std::optional<int32_t> leader) {
  TERN_ASSERT(voter_ || (role != Role::prospective && role != Role::candidate &&
                         role != Role::leader), "an observer only follows");
  const LeaderAndEpoch before{leader_, state_.epoch};
  if (leader != leader_) leader_heard_ = Instant::never();
  role_ = role;
  leader_ = leader;
  ++generation_;
  const Instant now = rt_.now();
  switch (role) {
    case Role::follower: {
      last_leader_contact_ = now;
      // Followers fetch in lockstep (the leader answers each as the HW moves), so a dead
      // leader's fetch timeouts expire together on every follower and their elections split
      // (measured: real failover p50 3.0 s, ~ fetch + election timeout). A per-leader random
      // extra of up to half an election timeout spreads them, as Raft's randomized timeouts do.
      const int64_t half = config_.election_timeout.to_millis() / 2;
      fetch_jitter_ = Duration::millis(half > 0 ? rt_.rng().between(0, half - 1) : 0);
      break;
    }
    case Role::unattached:
    case Role::resigned:
      reset_election_timer(random_election_timeout());
      break;
    default:
      break;
  }
  if (role != Role::leader) {
    progress_.clear();
    begin_acked_.clear();
  }
  changed_.notify_all();
  const LeaderAndEpoch after{leader_, state_.epoch};
  if (!(before == after)) listener_.handle_leader_change(after);
}

Status RaftNode::transition(Role role, ElectionState next, std::optional<int32_t> leader) {
  TERN_ASSERT(state_mutex_.locked(), "transitions hold the state mutex");
  TERN_ASSERT(next.epoch >= state_.epoch, "epoch goes backwards: {} -> {}", state_.epoch,
              next.epoch);
  TERN_ASSERT(next.epoch > state_.epoch || !state_.voted_id || !next.voted_id ||
                  *state_.voted_id == *next.voted_id,
              "second vote in epoch {}: {} then {}", next.epoch, *state_.voted_id,
              *next.voted_id);
  if (!(next == state_)) {
    // Durable before anyone can learn of it (the vote, the epoch).
    Status st = store_.write(next);
    if (!st.ok()) {
      rt_.trace(Severity::warn, "raft.persist_failed", {{"error", st.error().message()}});
      return st;
    }
  }
  state_ = next;
  set_role(role, leader);
  return {};
}

void RaftNode::step_down(int32_t epoch, std::optional<int32_t> leader) {
  if (epoch < state_.epoch) return;
  MutexLock lock(state_mutex_);
  if (!lock.owns() || epoch < state_.epoch) return;
  if (leader && *leader == config_.node_id) leader.reset();
  if (epoch > state_.epoch) {
    (void)transition(leader ? Role::follower : Role::unattached,
                     ElectionState{epoch, std::nullopt, leader}, leader);
    trace_role("higher epoch");
    return;
  }
  if (!leader || leader_ == leader) return;
  TERN_ASSERT(role_ != Role::leader, "node {} heard of leader {} in its own epoch {}",
              config_.node_id, *leader, epoch);
  (void)transition(Role::follower, ElectionState{epoch, state_.voted_id, leader}, leader);
  trace_role("leader found");
}

Duration RaftNode::random_election_timeout() {
  const int64_t t = config_.election_timeout.to_millis();
  return Duration::millis(rt_.rng().between(t, 2 * t - 1));
}

Duration RaftNode::backoff() {
  // Exponential with full jitter: candidates that split a vote do not retry in lockstep.
  const int64_t cap = config_.election_backoff_max.to_millis();
  const int64_t ceiling = std::min<int64_t>(cap, 50LL << std::min(lost_elections_, 10));
  return Duration::millis(rt_.rng().between(1, std::max<int64_t>(ceiling, 1)));
}

void RaftNode::reset_election_timer(Duration d) {
  election_deadline_ = rt_.now() + d;
  changed_.notify_all();
}

bool RaftNode::log_up_to_date(int32_t last_epoch, int64_t end_offset) const {
  const int32_t mine = log_->last_epoch();
  if (last_epoch != mine) return last_epoch > mine;
  return end_offset >= log_->end_offset().value();
}

bool RaftNode::cluster_ok(const std::optional<std::string>& id) const {
  // A request without a cluster id is accepted (Kafka: older clients, observers before
  // they know it).
  return !id || id->empty() || config_.cluster_id.empty() || *id == config_.cluster_id;
}

void RaftNode::become_prospective() {
  MutexLock lock(state_mutex_);
  if (!lock.owns() || stopping_ || !voter_) return;
  if (role_ == Role::leader || role_ == Role::candidate) return;
  // KIP-996: a pre-vote asks "would you vote for me in epoch + 1?" and changes no state
  // anywhere, so a node that cannot win (partitioned away) does not disturb a live leader.
  if (leader_) abandoned_leader_ = std::pair{state_.epoch, *leader_};
  role_ = Role::prospective;
  leader_.reset();
  ++generation_;
  granted_ = {config_.node_id};
  rejected_.clear();
  reset_election_timer(random_election_timeout());
  trace_role("election timeout");
  const int32_t epoch = state_.epoch + 1;
  // Finished per-RPC tasks are dropped here and in leader_loop, so the list stays short.
  std::erase_if(tasks_, [](const TaskHandle& t) { return t.valid() && t.done(); });
  // BUGGIFY: skip the pre-vote (legal: it is an optimisation), so real elections race each
  // other in the same epoch the way they do in Raft without KIP-996.
  const bool skip = rt_.buggify("raft.prevote.skip");
  tasks_.push_back(rt_.spawn("raft.prevote", [this, epoch, skip] {
    if (skip) become_candidate(); else run_election(true, epoch);
  }));
}

void RaftNode::become_candidate() {
  MutexLock lock(state_mutex_);
  if (!lock.owns() || stopping_ || role_ != Role::prospective) return;
  const int32_t epoch = state_.epoch + 1;
  if (!transition(Role::candidate, ElectionState{epoch, config_.node_id, std::nullopt},
                  std::nullopt)
           .ok())
    return;
  granted_ = {config_.node_id};
  rejected_.clear();
  reset_election_timer(random_election_timeout());
  trace_role("pre-vote won");
  tasks_.push_back(rt_.spawn("raft.vote", [this, epoch] { run_election(false, epoch); }));
}

void RaftNode::become_leader() {
  {
    MutexLock lock(state_mutex_);
    if (!lock.owns() || stopping_ || role_ != Role::candidate) return;
    if (!transition(Role::leader,
                    ElectionState{state_.epoch, config_.node_id, config_.node_id},
                    config_.node_id)
             .ok())
      return;
    leader_since_ = rt_.now();
    epoch_start_offset_ = log_->end_offset();
    lost_elections_ = 0;
    for (const Voter& v : config_.voters) progress_[v.id] = ReplicaProgress{};
    begin_acked_ = {config_.node_id};
    trace_role("vote won");
  }
  append_leader_change();
}

void RaftNode::append_leader_change() {
  const uint64_t gen = generation_;
  const int32_t epoch = state_.epoch;
  // The new epoch opens with a LeaderChange control batch: committing it commits every
  // earlier entry (figure 8: only an entry of the leader's own epoch is counted).
  MutexLock w(write_mutex_);
  if (!w.owns() || gen != generation_ || role_ != Role::leader) return;
  if (log_->last_epoch() == epoch) return;  // written already
  auto r = log_->append_as_leader({encode_leader_change(config_.node_id, config_.voters)}, epoch,
                                  true, encode_control_key(ControlRecordType::leader_change));
  if (!r.ok()) {
    // A full disk leaves the log usable: leader_loop tries again each tick (until then
    // nothing commits in this epoch). A failed log ends the node.
    if (log_failed()) return;
    rt_.trace(Severity::warn, "raft.append_failed", {{"error", r.error().message()}});
    return;
  }
  TERN_ASSERT(log_->entries().back().epoch == epoch);
  changed_.notify_all();
}

void RaftNode::resign(const char* why) {
  if (role_ != Role::leader) return;
  role_ = Role::resigned;
  leader_.reset();
  ++generation_;
  progress_.clear();
  reset_election_timer(random_election_timeout());
  trace_role(why);
  changed_.notify_all();
  listener_.handle_leader_change({std::nullopt, state_.epoch});
  // Tell the others, best first (the most caught-up should run first): KIP-595 EndQuorumEpoch.
  const int32_t epoch = state_.epoch;
  std::vector<int32_t> successors;
  for (const Voter& v : config_.voters)
    if (v.id != config_.node_id) successors.push_back(v.id);
  for (int32_t to : successors) {
    tasks_.push_back(rt_.spawn(fmt::format("raft.end_epoch.{}", to), [this, to, epoch,
                                                                        successors] {
      protocol::EndQuorumEpochRequest req;
      req.cluster_id = config_.cluster_id;
      auto& t = req.topics.emplace_back();
      t.topic_name = kMetadataTopic;
      auto& p = t.partitions.emplace_back();
      p.partition_index = kMetadataPartition;
      p.leader_id = config_.node_id;
      p.leader_epoch = epoch;
      p.preferred_successors = successors;
      for (int32_t s : successors) p.preferred_candidates.emplace_back().candidate_id = s;
      (void)transport_.end_quorum_epoch(to, req, rt_.now() + config_.request_timeout);
    }));
  }
}

// ---------------------------------------------------------------------------------------
// Elections

void RaftNode::election_loop() {
  while (!stopping_) {
    const uint64_t gen = generation_;
    Instant deadline = Instant::never();
    switch (role_) {
      case Role::follower:
        deadline = last_leader_contact_ + config_.fetch_timeout + fetch_jitter_;
        break;
      case Role::leader: deadline = Instant::never(); break;
      default: deadline = election_deadline_; break;
    }
    const Instant armed = election_deadline_;
    const Instant contact = last_leader_contact_;
    Status st = changed_.wait_until(
        [&] {
          return stopping_ || generation_ != gen || election_deadline_ != armed ||
                 last_leader_contact_ != contact;
        },
        deadline);
    if (st.code() == Errc::cancelled || stopping_) return;
    if (st.ok()) continue;  // something changed: recompute the deadline
    switch (role_) {
      case Role::unattached:
      case Role::follower:
      case Role::resigned:
        become_prospective();
        break;
      case Role::prospective:
      case Role::candidate:
        // Lost (or split) the election: back off, then ask again with a pre-vote.
        ++lost_elections_;
        rt_.trace("raft.election_lost", {{"epoch", state_.epoch},
                                         {"role", role_name(role_)},
                                         {"granted", granted_.size()}});
        if (rt_.sleep_for(backoff()).code() == Errc::cancelled) return;
        // One round of ignoring the abandoned leader is enough: it may be back.
        abandoned_leader_.reset();
        if (generation_ == gen) {
          if (role_ == Role::candidate) {
            role_ = Role::unattached;  // same epoch, vote kept (persisted: voted for self)
            ++generation_;
          }
          become_prospective();
        }
        break;
      case Role::leader:
        break;
    }
  }
}

void RaftNode::run_election(bool pre_vote, int32_t epoch) {
  const uint64_t gen = generation_;
  if (granted_.size() >= config_.majority()) {
    // A single voter needs nobody else.
    if (pre_vote) become_candidate(); else become_leader();
    return;
  }
  protocol::VoteRequest req;
  req.cluster_id = config_.cluster_id;
  auto& t = req.topics.emplace_back();
  t.topic_name = kMetadataTopic;
  auto& p = t.partitions.emplace_back();
  p.partition_index = kMetadataPartition;
  p.replica_epoch = epoch;
  p.replica_id = config_.node_id;
  p.last_log_epoch = log_->last_epoch();
  p.last_log_offset = log_->end_offset().value();
  p.pre_vote = pre_vote;
  for (const Voter& v : config_.voters) {
    if (v.id == config_.node_id) continue;
    const int32_t to = v.id;
    tasks_.push_back(rt_.spawn(fmt::format("raft.ask.{}", to), [this, req, to, gen, pre_vote] {
      protocol::VoteRequest r = req;
      r.voter_id = to;
      if (rt_.buggify("raft.vote.delay_send")) {
        if (rt_.sleep_for(Duration::millis(rt_.rng().between(1, 300))).code() ==
            Errc::cancelled)
          return;
      }
      auto resp = transport_.vote(to, r, rt_.now() + config_.request_timeout);
      // A voter that could not be reached (restarting, a broken connection) is asked again
      // while this round lasts, as KafkaRaftClient does.
      while (!resp.ok()) {
        if (generation_ != gen || stopping_ || rt_.now() >= election_deadline_) return;
        if (rt_.sleep_for(Duration::millis(rt_.rng().between(20, 100))).code() ==
            Errc::cancelled)
          return;
        if (stopping_ || generation_ != gen) return;
        resp = transport_.vote(to, r, rt_.now() + config_.request_timeout);
      }
      if (resp->error_code != 0 || resp->topics.size() != 1 ||
          resp->topics[0].partitions.size() != 1)
        return;
      const auto& rp = resp->topics[0].partitions[0];
      if (rp.leader_epoch > state_.epoch) {
        step_down(rp.leader_epoch,
                  rp.leader_id >= 0 ? std::optional<int32_t>(rp.leader_id) : std::nullopt);
        return;
      }
      if (rp.leader_id >= 0 && rp.leader_epoch == state_.epoch && rp.leader_id != config_.node_id &&
          abandoned_leader_ != std::pair{rp.leader_epoch, rp.leader_id}) {
        step_down(rp.leader_epoch, rp.leader_id);
        return;
      }
      // A stale answer (another round, another role) counts for nothing.
      if (generation_ != gen || stopping_) return;
      if (rp.error_code != 0) return;
      if (rp.vote_granted) granted_.insert(to); else rejected_.insert(to);
      rt_.trace("raft.vote_result", {{"from", to}, {"granted", rp.vote_granted ? 1 : 0},
                                     {"pre", pre_vote ? 1 : 0}, {"epoch", state_.epoch}});
      if (granted_.size() >= config_.majority()) {
        if (pre_vote) become_candidate(); else become_leader();
      }
    }));
  }
}

protocol::VoteResponse RaftNode::handle_vote(const protocol::VoteRequest& req) {
  protocol::VoteResponse resp;
  auto answer = [&](int16_t err, bool granted) {
    auto& t = resp.topics.emplace_back();
    t.topic_name = kMetadataTopic;
    auto& p = t.partitions.emplace_back();
    p.partition_index = kMetadataPartition;
    p.error_code = err;
    p.leader_id = leader_.value_or(-1);
    p.leader_epoch = state_.epoch;
    p.vote_granted = granted;
    return resp;
  };
  if (!running_ || log_failure_reported_) {
    resp.error_code = to_wire(ErrorCode::broker_not_available);
    return resp;
  }
  if (!cluster_ok(req.cluster_id)) {
    resp.error_code = to_wire(ErrorCode::inconsistent_cluster_id);
    return resp;
  }
  if (req.topics.size() != 1 || req.topics[0].topic_name != kMetadataTopic ||
      req.topics[0].partitions.size() != 1 ||
      req.topics[0].partitions[0].partition_index != kMetadataPartition)
    return answer(to_wire(ErrorCode::unknown_topic_or_partition), false);
  const auto& p = req.topics[0].partitions[0];
  const int32_t cand = p.replica_id;
  if (!config_.is_voter(cand)) return answer(to_wire(ErrorCode::inconsistent_voter_set), false);
  MutexLock lock(state_mutex_);
  if (!lock.owns()) return answer(to_wire(ErrorCode::broker_not_available), false);
  const bool up_to_date = log_up_to_date(p.last_log_epoch, p.last_log_offset);
  bool granted = false;
  if (p.pre_vote) {
    // Nothing changes here, whatever the epoch: a pre-vote is a question.
    const bool leader_alive =
        role_ == Role::leader ||
        (role_ == Role::follower && !leader_heard_.is_never() &&
         rt_.now() < leader_heard_ + config_.fetch_timeout);
    granted = voter_ && p.replica_epoch > state_.epoch && up_to_date && !leader_alive;
  } else {
    if (p.replica_epoch > state_.epoch) {
      if (!transition(Role::unattached, ElectionState{p.replica_epoch, std::nullopt, std::nullopt},
                      std::nullopt)
               .ok())
        return answer(to_wire(ErrorCode::broker_not_available), false);
      trace_role("vote request with a higher epoch");
    }
    if (p.replica_epoch == state_.epoch && voter_) {
      if (state_.voted_id) {
        granted = *state_.voted_id == cand;  // a retry of the vote already cast
      } else {
        granted = !leader_ && role_ != Role::leader && up_to_date;
        if (granted) {
          // On disk before the candidate can count it.
          if (!transition(Role::unattached, ElectionState{state_.epoch, cand, std::nullopt},
                          std::nullopt)
                   .ok())
            granted = false;
        }
      }
      if (granted) reset_election_timer(random_election_timeout());
    }
  }
  rt_.trace("raft.vote", {{"candidate", cand}, {"epoch", p.replica_epoch},
                          {"granted", granted ? 1 : 0}, {"pre", p.pre_vote ? 1 : 0},
                          {"my_epoch", state_.epoch}});
  if (rt_.buggify("raft.vote.delay_reply")) {
    (void)rt_.sleep_for(Duration::millis(rt_.rng().between(1, 200)));
  }
  return answer(0, granted);
}

// ---------------------------------------------------------------------------------------
// Leader duties

void RaftNode::send_begin_quorum_epoch(int32_t to, int32_t epoch) {
  protocol::BeginQuorumEpochRequest req;
  req.cluster_id = config_.cluster_id;
  req.voter_id = to;
  auto& t = req.topics.emplace_back();
  t.topic_name = kMetadataTopic;
  auto& p = t.partitions.emplace_back();
  p.partition_index = kMetadataPartition;
  p.leader_id = config_.node_id;
  p.leader_epoch = epoch;
  auto resp = transport_.begin_quorum_epoch(to, req, rt_.now() + config_.request_timeout);
  if (!resp.ok() || resp->topics.size() != 1 || resp->topics[0].partitions.size() != 1) return;
  const auto& rp = resp->topics[0].partitions[0];
  if (rp.leader_epoch > state_.epoch) {
    step_down(rp.leader_epoch, rp.leader_id >= 0 ? std::optional(rp.leader_id) : std::nullopt);
    return;
  }
  if (rp.error_code == 0 && epoch == state_.epoch && role_ == Role::leader)
    begin_acked_.insert(to);
}

bool RaftNode::check_quorum() const {
  size_t alive = 1;  // the leader itself
  const Instant now = rt_.now();
  for (const auto& [id, p] : progress_) {
    if (id == config_.node_id || !config_.is_voter(id)) continue;
    if (!p.last_fetch.is_never() && now - p.last_fetch < config_.fetch_timeout) ++alive;
  }
  return alive >= config_.majority();
}

void RaftNode::leader_loop() {
  const Duration beat = std::min(config_.fetch_timeout, config_.election_timeout);
  const Duration tick = Duration::nanos(beat.ns / 4);
  Instant last_begin = Instant{0};
  while (!stopping_) {
    if (role_ != Role::leader) {
      Status st = changed_.wait_until([&] { return stopping_ || role_ == Role::leader; });
      if (!st.ok() || stopping_) return;
      last_begin = Instant{0};
    }
    const uint64_t gen = generation_;
    const int32_t epoch = state_.epoch;
    const Instant now = rt_.now();
    if (now - last_begin >= tick) {
      last_begin = now;
      for (const Voter& v : config_.voters) {
        if (v.id == config_.node_id) continue;
        // Voters that never fetched in this epoch, or stopped fetching (they may have given
        // up on us while a partition lasted), hear of the epoch again.
        auto it = progress_.find(v.id);
        const bool never = it == progress_.end() || it->second.last_fetch.is_never();
        if (never ? begin_acked_.count(v.id) > 0 : now - it->second.last_fetch < beat) continue;
        const int32_t to = v.id;
        tasks_.push_back(rt_.spawn(fmt::format("raft.begin_epoch.{}", to),
                                   [this, to, epoch] { send_begin_quorum_epoch(to, epoch); }));
      }
    }
    // The epoch's LeaderChange batch did not make it to the log (a full disk): again.
    if (log_->last_epoch() != epoch) append_leader_change();
    // Check quorum: an isolated leader must not keep serving (and keep its followers'
    // pre-votes refused elsewhere); it resigns after fetch_timeout without a majority.
    if (now - leader_since_ >= config_.fetch_timeout && !check_quorum()) {
      resign("check quorum failed");
      continue;
    }
    std::erase_if(tasks_, [](const TaskHandle& t) { return t.valid() && t.done(); });
    Status st = changed_.wait_until([&] { return stopping_ || generation_ != gen; },
                                    rt_.now() + tick);
    if (st.code() == Errc::cancelled) return;
  }
}

void RaftNode::flush_loop() {
  while (!stopping_) {
    Status st = changed_.wait_until([&] {
      return stopping_ || (role_ == Role::leader && log_->durable_offset() < log_->end_offset());
    });
    if (!st.ok() || stopping_) return;
    const Offset target = log_->end_offset() - 1;
    Status d = log_->wait_durable(target, rt_.now() + config_.request_timeout);
    if (d.code() == Errc::cancelled) return;
    // A failed fsync fails the log: waiting again would return at once, forever.
    if (!d.ok() && log_failed()) return;
    maybe_advance_hw();
    changed_.notify_all();
  }
}

bool RaftNode::log_failed() {
  if (!log_->failed()) return false;
  if (log_failure_reported_) return true;
  rt_.trace(Severity::warn, "raft.log_failed", {{"dir", log_->dir()}});
  fail(Error(Errc::io_error, "metadata log " + log_->dir() + " failed"));
  return true;
}

void RaftNode::fail(const Error& e) {
  if (log_failure_reported_) return;
  log_failure_reported_ = true;
  // Every loop ends (they all watch stopping_) and the handlers answer nothing: a node whose
  // log state is unknown, or whose idea of the quorum is not the quorum's, must not lead,
  // vote or count as a replica. The owner's shutdown still calls stop(), which joins the
  // tasks.
  stopping_ = true;
  if (role_ == Role::leader) resign("failed");
  ++generation_;
  changed_.notify_all();
  listener_.handle_fatal(e);
}

void RaftNode::check_leader_change(const Bytes& value) {
  // tern's LeaderChange value: version (2 bytes), leader, voter count, voter ids (4 each).
  auto get32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | value[at + i];
    return static_cast<int32_t>(v);
  };
  if (value.size() < 10) return;
  const int32_t leader = get32(2);
  const auto count = static_cast<size_t>(get32(6));
  if (value.size() != 10 + 4 * count) return;
  std::vector<int32_t> theirs, mine;
  for (size_t i = 0; i < count; ++i) theirs.push_back(get32(10 + 4 * i));
  for (const Voter& v : config_.voters) mine.push_back(v.id);
  std::sort(theirs.begin(), theirs.end());
  std::sort(mine.begin(), mine.end());
  if (theirs == mine) return;
  // Static quorums only (no KIP-853 voter changes yet): different voter sets mean different
  // majorities, the way to two leaders in one epoch. Stop, with the reason in one line.
  auto ids = [](const std::vector<int32_t>& v) { return fmt::format("{}", fmt::join(v, ",")); };
  const std::string why = fmt::format(
      "controller.quorum.voters differs across nodes: leader {} wrote voters {}, this node "
      "(node.id {}) has {}",
      leader, ids(theirs), config_.node_id, ids(mine));
  rt_.trace(Severity::warn, "raft.inconsistent_voters", {{"why", why}});
  fail(Error(Errc::invalid_argument, why));
}

void RaftNode::update_progress(int32_t replica, Offset end_offset) {
  if (replica < 0) return;
  auto& p = progress_[replica];
  p.end_offset = end_offset;
  p.last_fetch = rt_.now();
  p.last_fetch_wall_ms = rt_.wall_now().unix_ms;
  if (end_offset >= log_->end_offset()) p.last_caught_up_wall_ms = p.last_fetch_wall_ms;
}

void RaftNode::maybe_advance_hw() {
  if (role_ != Role::leader) return;
  std::vector<Offset> offsets;
  for (const Voter& v : config_.voters) {
    if (v.id == config_.node_id) {
      // Only what is on our own disk counts: an unsynced tail dies with a crash.
      offsets.push_back(log_->durable_offset());
    } else {
      auto it = progress_.find(v.id);
      offsets.push_back(it == progress_.end() ? Offset(-1) : it->second.end_offset);
    }
  }
  std::sort(offsets.begin(), offsets.end(), std::greater<>());
  const Offset majority = offsets[config_.majority() - 1];
  // Figure 8: an offset counts only once it covers an entry of this leader's epoch.
  if (majority <= epoch_start_offset_ || majority <= hw_) return;
  TERN_ASSERT(majority <= log_->end_offset());
  hw_ = majority;
  rt_.trace("raft.hw", {{"hw", hw_.value()}, {"epoch", state_.epoch}, {"role", "leader"}});
  changed_.notify_all();
}

Result<Offset> RaftNode::append(const std::vector<Bytes>& records, int32_t epoch) {
  auto not_leader = [&] { return Error(Errc::invalid_argument, "not leader"); };
  if (role_ != Role::leader || epoch != state_.epoch || records.empty()) return not_leader();
  MutexLock w(write_mutex_);
  if (!w.owns()) return Errc::cancelled;
  // Re-check after the wait: leadership may have moved on, and the LeaderChange batch must
  // open the epoch.
  if (role_ != Role::leader || epoch != state_.epoch || log_->last_epoch() != epoch)
    return not_leader();
  auto r = log_->append_as_leader(records, epoch, false);
  if (!r.ok()) log_failed();
  changed_.notify_all();
  return r;
}

Status RaftNode::wait_committed(Offset offset, int32_t epoch, Deadline deadline) {
  auto gone = [&] {
    if (offset < log_->log_start() || hw_ > offset) return false;
    auto e = log_->epoch_of(offset);
    return !e || *e != epoch;
  };
  Status st = changed_.wait_until([&] { return hw_ > offset || gone() || stopping_; }, deadline);
  if (!st.ok()) return st;
  if (stopping_ && hw_ <= offset) return Error(Errc::cancelled, "raft stopping");
  auto e = log_->epoch_of(offset);
  if (offset >= log_->log_start() && (!e || *e != epoch))
    return Error(Errc::invalid_argument, "entry truncated");
  return {};
}

Status RaftNode::snapshot(Offset end_offset, Bytes data) {
  TERN_ASSERT(end_offset <= hw_ && end_offset <= applied_,
              "snapshot at {} above hw {} / applied {}", end_offset, hw_, applied_);
  MutexLock w(write_mutex_);
  if (!w.owns()) return Errc::cancelled;
  if (end_offset <= log_->log_start()) return {};
  auto epoch = log_->epoch_of(end_offset - 1);
  TERN_ASSERT(epoch.has_value());
  Status st = log_->write_snapshot(SnapshotId{end_offset, *epoch}, data);
  if (!st.ok()) log_failed();
  return st;
}

// ---------------------------------------------------------------------------------------
// Applying committed entries

void RaftNode::apply_loop() {
  while (!stopping_) {
    Status st = changed_.wait_until([&] {
      auto s = log_->latest_snapshot();
      return stopping_ || applied_ < hw_ || (s && applied_ < s->end_offset);
    });
    if (!st.ok() || stopping_) return;
    auto snap = log_->latest_snapshot();
    if (snap && applied_ < snap->end_offset) {
      auto data = log_->snapshot_data();
      TERN_ASSERT(data.ok(), "snapshot unreadable: {}", data.error().message());
      TERN_ASSERT(snap->end_offset <= hw_, "snapshot beyond the high watermark");
      listener_.handle_load_snapshot(snap->end_offset, snap->epoch, data.value());
      applied_ = snap->end_offset;
      rt_.trace("raft.apply_snapshot", {{"end", applied_.value()}});
      continue;
    }
    const Offset from = applied_;
    auto bytes = log_->read(from, 1 << 20);
    if (!bytes.ok()) {
      if (rt_.sleep_for(kRetryBackoff).code() == Errc::cancelled) return;
      continue;
    }
    if (applied_ != from || from < log_->log_start()) continue;  // moved while we read
    BatchSplit split = split_batches(bytes.value());
    for (const BatchHeader& h : split.batches) {
      if (h.last_offset() < applied_) continue;
      if (h.last_offset() >= hw_) break;
      TERN_ASSERT(h.base_offset == applied_, "apply gap: {} then {}", applied_, h.base_offset);
      CommittedBatch b{h.base_offset, h.last_offset(), h.partition_leader_epoch.value(),
                       h.is_control(), {}};
      auto recs = decode_records(h);
      TERN_ASSERT(recs.ok(), "committed batch undecodable at {}", h.base_offset);
      for (auto& r : recs.value()) b.records.push_back(r.value.value_or(Bytes{}));
      if (b.control) {
        for (size_t i = 0; i < recs.value().size(); ++i) {
          const auto& key = recs.value()[i].key;
          if (key && *key == encode_control_key(ControlRecordType::leader_change))
            check_leader_change(b.records[i]);
        }
        if (log_failure_reported_) return;
      }
      listener_.handle_commit(b);
      applied_ = h.next_offset();
    }
  }
}

}  // namespace tern::raft
