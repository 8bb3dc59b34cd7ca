// One scenario, one seed: a fresh world with brokers and the workloads' client nodes, the
// seed's knobs, a fault plan drawn from the seed (or replayed), the heal, the liveness phase,
// a power loss of every broker, the final read of every expected partition, the invariant
// checks and the minimum-work checks.
#include "scenarios/runner.h"

#include <fmt/format.h>

#include "broker/server/broker.h"
#include "broker/server/config.h"
#include "broker/server/meta_properties.h"
#include "broker/server/metadata_store.h"
#include "faults/injector.h"
#include "scenarios/cluster_watch.h"
#include "scenarios/final_read.h"
#include "scenarios/run_counters.h"
#include "scenarios/workload.h"
#include "scenarios/workloads/client_helpers.h"
#include "sim/simulated/world.h"

namespace tern::scenarios {

namespace {

constexpr uint16_t kBrokerPort = 9092;

// Broker settings the seed draws (FoundationDB randomizes its knobs the same way). Explicit
// `broker` lines of the scenario win.
std::map<std::string, std::string> draw_broker_knobs(const Scenario& sc, uint64_t seed,
                                                     std::vector<std::string>& knobs) {
  std::map<std::string, std::string> out;
  if (!sc.knobs) return out;
  Rng rng = Rng(seed).fork("scenario.knobs.broker");
  auto set = [&](const char* k, const char* v) {
    out[k] = v;
    knobs.push_back(fmt::format("brokers {}={}", k, v));
  };
  if (rng.one_in(3)) set("log.segment.bytes", pick(rng, {"4096", "65536", "1048576"}));
  if (rng.one_in(4)) set("log.index.interval.bytes", pick(rng, {"1", "128", "65536"}));
  if (rng.one_in(3)) set("log.message.timestamp.type", "LogAppendTime");
  if (rng.one_in(4)) set("log.flush.interval.messages", pick(rng, {"1", "100"}));
  if (rng.one_in(4)) set("log.retention.check.interval.ms", pick(rng, {"100", "1000"}));
  return out;
}

constexpr uint16_t kControllerPort = 9093;
constexpr int kControllerIdBase = 100;  // separate controllers: q1 is node 101

// The KRaft roles of one node of a cluster scenario (controllers > 0).
struct NodeRole {
  bool broker = true;
  bool controller = false;
};

// controller.quorum.voters of a cluster scenario.
std::string quorum_voters(const Scenario& sc) {
  std::string out;
  for (int i = 1; i <= sc.controllers; ++i) {
    const bool sep = sc.separate_controllers;
    out += fmt::format("{}{}@{}{}:{}", out.empty() ? "" : ",", sep ? kControllerIdBase + i : i,
                       sep ? "q" : "b", i, kControllerPort);
  }
  return out;
}

server::BrokerConfig broker_config(const Scenario& sc,
                                   const std::map<std::string, std::string>& knobs, Runtime& rt,
                                   int id, NodeRole role = {}) {
  server::BrokerConfig c;
  auto set = [&](std::string_view k, std::string_view v) {
    Status s = server::apply_setting(c, k, v);
    TERN_ASSERT(s.ok(), "scenario {} sets {}={}: {}", sc.name, k, v, s.error().message());
  };
  set("node.id", std::to_string(id));
  if (sc.controllers > 0) {
    set("process.roles", role.broker && role.controller ? "broker,controller"
                         : role.broker                  ? "broker"
                                                        : "controller");
    set("controller.quorum.voters", quorum_voters(sc));
    set("controller.listener.names", "CONTROLLER");
    set("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    std::string listeners;
    if (role.broker) listeners = fmt::format("PLAINTEXT://{}:{}", rt.node_name(), kBrokerPort);
    if (role.controller) {
      listeners += fmt::format("{}CONTROLLER://{}:{}", listeners.empty() ? "" : ",",
                               rt.node_name(), kControllerPort);
    }
    set("listeners", listeners);
    // Quick failure detection, as a test cluster would configure it.
    set("broker.session.timeout.ms", "3000");
    set("broker.heartbeat.interval.ms", "500");
  } else {
    set("listeners", fmt::format("PLAINTEXT://{}:{}", rt.node_name(), kBrokerPort));
  }
  set("log.dirs", "data");
  // Rare-but-legal settings, only in simulation and only when the seed says so.
  if (rt.buggify("scenario.broker.tiny_segments")) set("log.segment.bytes", "4096");
  if (rt.buggify("scenario.broker.sparse_index")) set("log.index.interval.bytes", "1");
  for (const auto& [k, v] : knobs) set(k, v);
  for (const auto& [k, v] : sc.broker_config) set(k, v);
  Status valid = server::validate(c);
  TERN_ASSERT(valid.ok(), "scenario {}: {}", sc.name, valid.ok() ? "" : valid.error().message());
  return c;
}

// The cluster id every node of a cluster scenario is formatted with (kafka-storage format
// run once by the operator), from the seed.
std::string scenario_cluster_id(uint64_t seed) {
  Rng rng = Rng(seed).fork("scenario.cluster_id");
  protocol::Uuid id;
  for (size_t i = 0; i < 16; i += 8) {
    const uint64_t v = rng.next_u64();
    for (size_t k = 0; k < 8; ++k) id.bytes[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  return server::uuid_to_base64(id);
}

Result<std::vector<size_t>> parse_index_list(std::string_view s) {
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    if (comma == std::string_view::npos) comma = s.size();
    const std::string part(s.substr(pos, comma - pos));
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos)
      return Error(Errc::invalid_argument, fmt::format("'{}': want workload indexes like 0,2", s));
    out.push_back(std::stoul(part));
    pos = comma + 1;
  }
  return out;
}

}  // namespace

std::string Outcome::failure_kind() const {
  if (!violations.empty()) return violations.front().invariant;
  return passed ? std::string() : std::string("error-event");
}

Result<Scenario> apply_plan_settings(const Scenario& base, const faults::FaultPlan& plan) {
  Scenario sc = base;
  std::set<size_t> dropped;
  for (const auto& [key, value] : plan.settings()) {
    if (key == "duration") {
      auto ns = faults::parse_seconds(value);
      if (!ns.ok() || ns.value() <= 0)
        return Error(Errc::invalid_argument, fmt::format("set duration '{}': want seconds", value));
      sc.duration = Duration{ns.value()};
    } else if (key == "drop-workloads") {
      auto idx = parse_index_list(value);
      if (!idx.ok()) return idx.error();
      for (size_t i : idx.value()) {
        if (i >= base.workloads.size())
          return Error(Errc::invalid_argument,
                       fmt::format("set drop-workloads: no workload {} (the scenario has {})", i,
                                   base.workloads.size()));
        dropped.insert(i);
      }
    } else if (key.size() > 2 && key[0] == 'w' && key.find('.') != std::string::npos) {
      const size_t dot = key.find('.');
      auto idx = parse_index_list(key.substr(1, dot - 1));
      if (!idx.ok() || idx.value().size() != 1 || idx.value()[0] >= base.workloads.size())
        return Error(Errc::invalid_argument, fmt::format("set {}: no such workload", key));
      sc.workloads[idx.value()[0]].options[key.substr(dot + 1)] = value;
    } else {
      return Error(Errc::invalid_argument,
                   fmt::format("unknown plan setting '{}' (settings: duration drop-workloads "
                               "w<I>.<option>)",
                               key));
    }
  }
  std::vector<WorkloadSpec> kept;
  for (size_t i = 0; i < sc.workloads.size(); ++i)
    if (!dropped.count(i)) kept.push_back(sc.workloads[i]);
  sc.workloads = std::move(kept);
  // A changed option must still be one the workload takes.
  for (const auto& w : sc.workloads) {
    const WorkloadType* t = find_workload(w.type);
    TERN_ASSERT(t != nullptr);
    auto made = t->make(WorkloadOptions(w.options));
    if (!made.ok()) return made.error();
  }
  return sc;
}

Outcome run_scenario(const Scenario& base, uint64_t seed, const RunOptions& options) {
  Scenario sc = base;
  if (options.plan) {
    auto reshaped = apply_plan_settings(base, *options.plan);
    TERN_ASSERT(reshaped.ok(), "{}", reshaped.ok() ? "" : reshaped.error().message());
    sc = std::move(reshaped.value());
  }
  Outcome out;
  out.scenario = sc.name;
  out.seed = seed;
  out.shuffled =
      sc.scheduler == SchedulerMode::shuffle ||
      (sc.scheduler == SchedulerMode::seed && Rng(seed).fork("scenario.scheduler").one_in(4));
  // Before the world: destroying the world unwinds node mains, which unregister from it.
  ClusterWatch watch;
  sim::World world({.seed = seed,
                    .trace = {.keep_events = options.keep_trace},
                    .buggify = options.buggify,
                    .shuffle_ties = out.shuffled});
  History history;
  faults::ClusterShape shape;
  std::vector<Address> bootstrap;
  std::vector<uint32_t> broker_nodes;
  std::set<std::string> broker_names;
  const auto knobs = draw_broker_knobs(sc, seed, out.knobs);
  for (const auto& k : out.knobs)
    world.trace_event(Severity::info, "world", "knob", {{"setting", k}});
  const std::string cluster_id = scenario_cluster_id(seed);
  struct NodeSpec {
    std::string name;
    int id;
    NodeRole role;
  };
  std::vector<NodeSpec> specs;
  for (int b = 1; b <= sc.brokers; ++b) {
    specs.push_back({fmt::format("b{}", b), b,
                     {true, sc.controllers > 0 && !sc.separate_controllers &&
                                b <= sc.controllers}});
  }
  if (sc.separate_controllers) {
    for (int c = 1; c <= sc.controllers; ++c) {
      specs.push_back({fmt::format("q{}", c), kControllerIdBase + c, {false, true}});
    }
  }
  for (const NodeSpec& spec : specs) {
    const std::string name = spec.name;
    shape.servers.push_back(name);
    broker_names.insert(name);
    if (spec.role.broker) bootstrap.push_back({name, kBrokerPort});
    const int id = spec.id;
    const NodeRole role = spec.role;
    broker_nodes.push_back(world.add_node(name, [&sc, &knobs, &watch, cluster_id, id,
                                                 role](Runtime& rt) {
      // The node's supervisor (systemd's Restart=on-failure): a broker that stops itself on a
      // disk failure is started again after a pause, and recovery runs.
      while (true) {
        const server::BrokerConfig config = broker_config(sc, knobs, rt, id, role);
        if (sc.controllers > 0) {
          // kafka-storage.sh format, once (formatted dirs are kept as they are).
          // A disk fault (a flipped bit in a read of meta.properties, an fsync error) fails
          // it like any start: the supervisor tries again (the fault is transient).
          auto formatted = server::format_storage(rt.disk(), rt.rng(), config, cluster_id,
                                                  server::IgnoreFormatted::yes);
          if (!formatted.ok()) {
            rt.log(Severity::warn, "storage format failed: {}; retrying in 1 s",
                   formatted.error().message());
            if (!rt.sleep_for(Duration::seconds(1)).ok()) return;
            continue;
          }
        }
        server::Broker broker(rt, config);
        // The watch sees this broker while it lives (a crash unwinds through the guard).
        struct Registration {
          ClusterWatch& w;
          int id;
          ~Registration() { w.set_broker(id, nullptr); }
        } registration{watch, id};
        watch.set_broker(id, &broker);
        Status s = broker.run();
        if (s.ok() || s.code() == Errc::cancelled) return;
        rt.log(Severity::warn, "broker stopped: {}; restarting in 1 s", s.error().message());
        if (!rt.sleep_for(Duration::seconds(1)).ok()) return;
      }
    }));
  }
  // A given plan (a replay, or a benchmark's hand-made plan on a scenario without swarm)
  // heals where a drawn one would.
  const Instant heal_at =
      sc.faults || options.plan ? sc.budget.heal_at(sc.duration) : Instant{0};
  const Instant end = Instant{0} + sc.duration;
  const Instant liveness_end = end + sc.liveness_bound;

  // The workloads: a fresh instance each, its knobs from its own stream.
  std::vector<std::unique_ptr<Workload>> workloads;
  std::vector<WorkloadContext> contexts;
  contexts.reserve(sc.workloads.size());
  for (size_t i = 0; i < sc.workloads.size(); ++i) {
    const WorkloadSpec& spec = sc.workloads[i];
    const WorkloadType* type = find_workload(spec.type);
    TERN_ASSERT(type != nullptr, "workload {}", spec.type);
    auto made = type->make(WorkloadOptions(spec.options));
    TERN_ASSERT(made.ok(), "{}", made.ok() ? "" : made.error().message());
    workloads.push_back(std::move(made.value()));
    contexts.push_back(WorkloadContext{
        world, history, bootstrap, liveness_end, heal_at,
        Rng(seed).fork("workload").fork(fmt::format("{}-{}", i, spec.type)), sc.knobs});
    workloads.back()->setup(contexts.back());
  }
  std::vector<uint32_t> client_nodes;
  std::vector<ExpectedTopic> expected;
  std::vector<std::pair<std::string, std::string>> consumers;
  std::set<std::string> retention_topics;
  for (const auto& ctx : contexts) {
    for (const auto& c : ctx.clients) {
      shape.clients.push_back(c.name);
      if (c.kind == ClientKind::restartable) shape.restartable_clients.push_back(c.name);
      client_nodes.push_back(c.node);
    }
    for (const auto& t : ctx.expected_topics) expected.push_back(t);
    for (const auto& c : ctx.consumers) consumers.push_back(c);
    retention_topics.insert(ctx.retention_topics.begin(), ctx.retention_topics.end());
    out.knobs.insert(out.knobs.end(), ctx.knobs.begin(), ctx.knobs.end());
  }
  FinalRead final_read;
  const uint32_t reader = world.add_node("reader", [&](Runtime& rt) {
    read_final_state(rt, bootstrap, expected, rt.now() + Duration::seconds(50), final_read);
  });

  // The fault plan: replayed, or drawn from the seed inside the scenario's budget.
  faults::FaultPlan plan;
  if (options.plan) {
    plan = *options.plan;
    // A reshaped run (a workload dropped, fewer clients: what shrinking tries) has fewer
    // nodes; its faults on nodes it no longer has go with them. A plan without settings
    // keeps every fault, and an unknown node there is the user's error.
    if (!plan.settings().empty()) {
      std::vector<faults::Fault> kept;
      for (const auto& f : plan.faults()) {
        bool known = true;
        for (const auto& n : f.nodes()) known = known && world.find_node(n).has_value();
        if (f.trigger) known = known && world.find_node(f.trigger->on).has_value();
        if (known) kept.push_back(f);
      }
      faults::FaultPlan reshaped(std::move(kept));
      for (const auto& [k, v] : plan.settings()) reshaped.set(k, v);
      plan = std::move(reshaped);
    }
  } else if (sc.faults) {
    Rng rng = Rng(seed).fork("scenario.faults");
    faults::SwarmConfig swarm = faults::draw_swarm(rng, sc.duration);
    for (const auto& [kind, every] : sc.forced_kinds) {
      swarm.on[static_cast<size_t>(kind)] = true;
      swarm.forced[static_cast<size_t>(kind)] = true;
      auto& gap = swarm.mean_gap[static_cast<size_t>(kind)];
      if (every.ns > 0)
        gap = every;
      else if (gap.ns == 0)
        gap = Duration{sc.duration.ns / 10};
    }
    plan = faults::generate_plan(rng, shape, sc.duration, sc.budget, swarm);
    out.swarm_text = swarm.to_text();
  }
  out.plan_text = plan.to_text();
  faults::Injector injector(world, plan);
  // Triggered faults land when their event comes: the injector keeps them in the budget.
  injector.set_budget({shape.servers, sc.budget.max_down_for(shape.servers.size())});
  if (Status armed = injector.arm(); !armed.ok()) {
    // Only a replayed plan can miss the cluster (a generated one is drawn for it).
    TERN_ASSERT(options.plan.has_value(), "generated plan does not fit: {}",
                armed.error().message());
    out.violations.push_back({"plan", armed.error().context(), 0});
    return out;
  }
  RunCounters counters(world, broker_names);

  // The liveness phase is judged without rare paths that slow the cluster down on purpose.
  world.at(heal_at, [&world] { world.stop_buggify(); });
  for (uint32_t n : broker_nodes) world.start_node(n);
  for (uint32_t n : client_nodes) world.start_node(n);
  // The quorum's invariants after every step (the whole-log comparison now and then).
  uint64_t watch_steps = 0;
  auto watch_step = [&] {
    if (sc.controllers > 0) watch.check(world.now().ns, ++watch_steps % 4096 == 0);
    return false;
  };
  world.run_until(watch_step, liveness_end);
  if (sc.controllers > 0) {
    watch.check(world.now().ns, true);
    watch.check_liveness(heal_at.ns, world.now().ns);
    // The final power loss and restarts are not failovers to time.
    out.failovers_ns = watch.failovers_ns();
    out.propagation_ns = watch.propagation_ns();
  }
  // Whatever the plan did, the cluster is whole for the final read.
  injector.heal_all();
  // Workers stop here (their writes still in flight stay indeterminate: nothing may land
  // after the final read looked); verifiers go on reading through the final read.
  std::vector<uint32_t> lasting_clients;
  for (const auto& ctx : contexts)
    for (const auto& c : ctx.clients) {
      if (c.kind != ClientKind::verifier && world.node_up(c.node)) world.crash_node(c.node);
      if (c.kind == ClientKind::verifier) lasting_clients.push_back(c.node);
    }
  // Every acknowledgement is a durability test: every broker loses power (unsynced data
  // gone, a seeded prefix kept and the next write torn on some) and restarts.
  Rng power = Rng(seed).fork("scenario.power_loss");
  for (uint32_t n : broker_nodes) {
    if (sc.power_loss && world.node_up(n)) {
      const bool keep = power.one_in(2);
      world.crash_node(n,
                       {.keep_unsynced_prefix = keep, .tear_last_write = keep && power.one_in(2)});
    }
    if (!world.node_up(n)) world.start_node(n);
  }
  world.start_node(reader);
  world.run_until(
      [&] {
        watch_step();
        if (!final_read.done) return false;
        for (uint32_t n : lasting_clients)
          if (world.node_up(n) && world.node_tasks(n) > 0) return false;
        return true;
      },
      world.now() + Duration::seconds(60));
  for (uint32_t n = 0; n < world.node_count(); ++n)
    if (world.node_up(n) && world.node_tasks(n) > 0 && !broker_names.count(world.node_name(n)))
      world.crash_node(n);

  out.sim_ns = world.now().ns;
  out.sends = history.count(OpKind::send);
  out.acks = history.count(OpKind::ack);
  out.polls = history.count(OpKind::poll);
  out.failures = history.count(OpKind::fail);
  out.crashes_after_ack = counters.crashes_after_ack();
  out.acks_crashed_before_fsync = counters.acks_crashed_before_fsync();
  out.triggers_fired = injector.stats().triggers_fired;
  out.triggers_expired = injector.stats().triggers_expired;
  for (const auto& [kind, n] : injector.stats().applied_by_kind)
    if (kind != faults::FaultKind::heal_all && n > 0)
      out.faults_applied[std::string(faults::kind_name(kind))] = n;

  if (!final_read.done)
    out.violations.push_back({"final_read",
                              "the final read of every partition did not finish "
                              "within 60 s after the power loss",
                              world.now().ns});
  for (const auto& p : final_read.problems)
    out.violations.push_back({"final_read", p, world.now().ns});
  if (sc.controllers > 0) {
    watch.check(world.now().ns, true);
    for (const auto& v : watch.violations()) out.violations.push_back(v);
    out.leaders_elected = watch.leaders_elected();
  }
  CheckContext ctx{history,         final_read.state,     heal_at.ns,
                   liveness_end.ns, sc.liveness_bound.ns, false};
  ctx.consumers = std::move(consumers);
  ctx.log_start = &final_read.log_start;
  ctx.retention_topics = retention_topics;
  for (const auto& c : all_checkers()) {
    if (!sc.invariants.empty() &&
        std::find(sc.invariants.begin(), sc.invariants.end(), c.name) == sc.invariants.end())
      continue;
    auto v = c.check(ctx);
    out.violations.insert(out.violations.end(), v.begin(), v.end());
  }
  for (const auto& w : workloads) w->check(ctx, out.violations);
  // No vacuous passes: the seed must have done the scenario's minimum of work.
  uint64_t faults_total = 0;
  for (const auto& [k, n] : out.faults_applied) faults_total += n;
  auto require = [&](const char* what, uint64_t got, uint64_t want) {
    if (got < want)
      out.violations.push_back(
          {"minimum_work",
           fmt::format("vacuous run: {} {} (the scenario requires at least {})", got, what, want),
           world.now().ns});
  };
  require("acknowledged writes", out.acks, sc.require.acks);
  require("records polled", out.polls, sc.require.polls);
  require("faults applied", faults_total, sc.require.faults);
  require("broker crashes after an acknowledgement", out.crashes_after_ack,
          sc.require.crashes_after_ack);

  // An error-severity event from the system under test fails the run, like FoundationDB's
  // SevError: it means "this must never happen", whatever the invariants say.
  const uint64_t system_errors = world.trace().errors();
  if (system_errors > 0) out.first_error = world.trace().first_error_line();
  // Mark the verdict in the trace (the picture shows it), then fingerprint the run.
  // A few events, not hundreds: the picture keeps the last events, which must stay the run's.
  constexpr size_t kViolationEventsMax = 3;
  for (size_t i = 0; i < out.violations.size() && i < kViolationEventsMax; ++i)
    world.trace_event(
        Severity::error, "checker", "invariant.violated",
        {{"invariant", out.violations[i].invariant}, {"message", out.violations[i].message}});
  if (out.violations.size() > kViolationEventsMax)
    world.trace_event(Severity::error, "checker", "invariant.violated.more",
                      {{"count", out.violations.size() - kViolationEventsMax}});
  out.passed = out.violations.empty() && system_errors == 0;
  out.trace_hash = world.fingerprint();
  out.trace_events = world.trace().count();
  if (options.keep_trace) out.trace = world.trace().events();
  return out;
}

}  // namespace tern::scenarios
