// One scenario, one seed: a fresh world with brokers and client nodes, a fault plan drawn
// from the seed (or replayed from a file), a workload that records its history, a heal, a
// liveness phase, a final read of every partition, and the invariant checks.
#include "scenarios/runner.h"

#include <fmt/format.h>

#include "broker/server/broker.h"
#include "broker/server/config.h"
#include "faults/injector.h"
#include "scenarios/workloads/kafka_workload.h"
#include "sim/simulated/world.h"

namespace tern::scenarios {

namespace {

constexpr uint16_t kBrokerPort = 9092;

server::BrokerConfig broker_config(const Scenario& sc, Runtime& rt, int id) {
  server::BrokerConfig c;
  auto set = [&](std::string_view k, std::string_view v) {
    Status s = server::apply_setting(c, k, v);
    TERN_ASSERT(s.ok(), "scenario {} sets {}={}: {}", sc.name, k, v, s.error().message());
  };
  set("node.id", std::to_string(id));
  set("listeners", fmt::format("PLAINTEXT://{}:{}", rt.node_name(), kBrokerPort));
  set("log.dirs", "data");
  set("num.partitions", std::to_string(sc.partitions));
  // Rare-but-legal settings, only in simulation and only when the seed says so.
  if (rt.buggify("scenario.broker.tiny_segments")) set("log.segment.bytes", "4096");
  if (rt.buggify("scenario.broker.sparse_index")) set("log.index.interval.bytes", "1");
  for (const auto& [k, v] : sc.broker_config) set(k, v);
  TERN_ASSERT(server::validate(c).ok());
  return c;
}

}  // namespace

Outcome run_scenario(const Scenario& sc, uint64_t seed, const RunOptions& options) {
  sim::World world({.seed = seed,
                    .trace = {.keep_events = options.keep_trace},
                    .buggify = options.buggify});
  History history;
  faults::ClusterShape shape;
  std::vector<Address> bootstrap;
  std::vector<uint32_t> broker_nodes, workload_nodes;
  for (int b = 1; b <= sc.brokers; ++b) {
    const std::string name = fmt::format("b{}", b);
    shape.servers.push_back(name);
    bootstrap.push_back({name, kBrokerPort});
    broker_nodes.push_back(world.add_node(name, [&sc, b](Runtime& rt) {
      // The node's supervisor (systemd's Restart=on-failure): a broker that stops itself on a
      // disk failure is started again after a pause, and recovery runs.
      while (true) {
        server::Broker broker(rt, broker_config(sc, rt, b));
        Status s = broker.run();
        if (s.ok() || s.code() == Errc::cancelled) return;
        rt.log(Severity::warn, "broker stopped: {}; restarting in 1 s", s.error().message());
        if (!rt.sleep_for(Duration::seconds(1)).ok()) return;
      }
    }));
  }
  const Instant heal_at = sc.faults ? sc.budget.heal_at(sc.duration) : Instant{0};
  const Instant end = Instant{0} + sc.duration + sc.liveness_bound;
  WorkloadPlan wp{&sc, &history, bootstrap, end};
  for (int p = 1; p <= sc.producers; ++p) {
    const std::string name = fmt::format("p{}", p);
    shape.clients.push_back(name);
    workload_nodes.push_back(world.add_node(name, [wp](Runtime& rt) { run_producer(rt, wp); }));
  }
  for (int c = 1; c <= sc.consumers; ++c) {
    const std::string name = fmt::format("c{}", c);
    shape.clients.push_back(name);
    workload_nodes.push_back(world.add_node(name, [wp](Runtime& rt) { run_consumer(rt, wp); }));
  }
  FinalState final_state;
  bool final_read_done = false;
  const uint32_t reader = world.add_node("reader", [&, wp](Runtime& rt) {
    // The checker's own client: after the run, read every partition from the beginning.
    if (!rt.sleep_until(end).ok()) return;
    final_read_done = read_final_state(rt, wp, final_state);
  });

  // The fault plan: replayed, or drawn from the seed inside the scenario's budget.
  faults::FaultPlan plan;
  Outcome out;
  if (options.plan) {
    plan = *options.plan;
  } else if (sc.faults) {
    Rng rng = Rng(seed).fork("scenario.faults");
    if (sc.bug == PlantedBug::ack_before_durable) {
      // The planted bug only shows when a crash loses unsynced data: make crashes likely.
      faults::SwarmConfig swarm = faults::draw_swarm(rng, sc.duration);
      swarm.on[static_cast<size_t>(faults::FaultKind::crash)] = true;
      swarm.mean_gap[static_cast<size_t>(faults::FaultKind::crash)] = Duration::seconds(3);
      swarm.keep_unsynced_ppm = 0;
      plan = faults::generate_plan(rng, shape, sc.duration, sc.budget, swarm);
      out.swarm_text = swarm.to_text();
    } else {
      auto generated = faults::generate_plan(rng, shape, sc.duration, sc.budget);
      plan = generated.plan;
      out.swarm_text = generated.swarm.to_text();
    }
  }
  out.plan_text = plan.to_text();
  faults::Injector injector(world, plan);
  Status armed = injector.arm();
  TERN_ASSERT(armed.ok(), "fault plan does not fit the cluster: {}", armed.error().message());

  for (uint32_t n = 0; n < world.node_count(); ++n) world.start_node(n);
  world.run_until(end);
  // Whatever the plan did, the cluster is whole for the final read.
  injector.heal_all();
  for (uint32_t n : workload_nodes)
    if (world.node_up(n)) world.crash_node(n);  // stop the workload
  for (uint32_t n : broker_nodes)
    if (!world.node_up(n)) world.start_node(n);
  world.run_until([&] { return final_read_done; }, end + Duration::seconds(60));
  world.crash_node(reader);

  out.scenario = sc.name;
  out.seed = seed;
  out.sim_ns = world.now().ns;
  out.sends = history.count(OpKind::send);
  out.acks = history.count(OpKind::ack);
  out.polls = history.count(OpKind::poll);
  out.failures = history.count(OpKind::fail);
  if (!final_read_done)
    out.violations.push_back({"liveness", "the final read of every partition did not finish "
                                          "within 60 s after the heal", world.now().ns});
  CheckContext ctx{history, final_state, heal_at.ns, end.ns, sc.liveness_bound.ns, sc.idempotent};
  for (const auto& c : all_checkers()) {
    auto v = c.check(ctx);
    out.violations.insert(out.violations.end(), v.begin(), v.end());
  }
  // An error-severity event from the system under test fails the run, like FoundationDB's
  // SevError: it means "this must never happen", whatever the invariants say.
  const uint64_t system_errors = world.trace().errors();
  if (system_errors > 0) out.first_error = world.trace().first_error_line();
  // Mark the verdict in the trace (the picture shows it), then fingerprint the run.
  // A few events, not hundreds: the picture keeps the last events, which must stay the run's.
  constexpr size_t kViolationEventsMax = 3;
  for (size_t i = 0; i < out.violations.size() && i < kViolationEventsMax; ++i)
    world.trace_event(Severity::error, "checker", "invariant.violated",
                      {{"invariant", out.violations[i].invariant},
                       {"message", out.violations[i].message}});
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
