#pragma once
// The Runtime one simulated node sees: the world's virtual clock (plus the node's skew for
// wall time), tasks in the node's scheduler group, the node's view of the simulated network
// and its own disk, a PRNG stream derived from (seed, node name, incarnation).
#include <memory>

#include "sim/runtime/runtime.h"

namespace tern::sim {

class World;

class SimRuntime final : public Runtime {
 public:
  SimRuntime(World& world, uint32_t node, uint32_t incarnation);
  ~SimRuntime() override;

  Instant now() const override;
  WallTime wall_now() const override;
  TaskHandle spawn(std::string name, UniqueFunction body) override;
  void yield() override;
  TaskRef current() override;
  Wake park(Deadline deadline) override;
  void unpark(TaskRef task, Wake reason) override;
  Network& net() override { return *net_; }
  Disk& disk() override { return *disk_; }
  Rng& rng() override { return rng_; }
  const std::string& node_name() const override { return name_; }
  void trace(Severity severity, std::string_view kind,
             std::initializer_list<TraceField> fields) override;
  using Runtime::trace;
  bool buggify(std::string_view site) override;

 private:
  World& world_;
  uint32_t node_;
  std::string name_;
  Rng rng_;
  std::unique_ptr<Network> net_;
  std::unique_ptr<Disk> disk_;
};

}  // namespace tern::sim
