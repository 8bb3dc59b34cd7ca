#include "sim/simulated/sim_runtime.h"

#include "sim/simulated/world.h"

namespace tern::sim {

SimRuntime::SimRuntime(World& world, uint32_t node, uint32_t incarnation)
    : world_(world),
      node_(node),
      name_(world.node_name(node)),
      rng_(Rng(world.seed()).fork(name_).fork(fmt::format("incarnation-{}", incarnation))),
      net_(world.network().node_network(node)),
      disk_(world.disk(node).node_disk()) {}

SimRuntime::~SimRuntime() = default;

Instant SimRuntime::now() const { return world_.now(); }

WallTime SimRuntime::wall_now() const {
  const auto& n = world_.nodes_[node_];
  return WallTime{world_.options_.wall_start.unix_ms + (world_.now().ns + n.skew.ns) / 1000'000};
}

TaskHandle SimRuntime::spawn(std::string name, UniqueFunction body) {
  TERN_ASSERT(world_.node_up(node_), "spawn on a node that is down");
  auto task = world_.scheduler().spawn(node_, std::move(name), std::move(body));
  world_.trace_event(Severity::debug, name_, "task.spawn",
                     {{"task", task->name()}, {"id", task->id()}});
  return TaskHandle(std::move(task));
}

void SimRuntime::yield() { world_.scheduler().yield(); }
TaskRef SimRuntime::current() { return world_.scheduler().current(); }
Wake SimRuntime::park(Deadline deadline) { return world_.scheduler().park(deadline); }
void SimRuntime::unpark(TaskRef task, Wake reason) { world_.scheduler().unpark(task, reason); }

void SimRuntime::trace(Severity severity, std::string_view kind,
                       std::initializer_list<TraceField> fields) {
  world_.trace_event(severity, name_, kind, fields);
}

bool SimRuntime::buggify(std::string_view site) { return world_.buggify(site); }

}  // namespace tern::sim
