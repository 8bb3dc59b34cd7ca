#pragma once
// THE boundary. Everything the broker asks of the world goes through one Runtime per node:
// time, tasks, network, disk, randomness, trace and buggify. Two implementations exist, the
// deterministic simulated world (sim/simulated) and the real one (sim/real); the broker is
// compiled once and runs on either. Handed to components through their constructors: no
// globals, so one process can host a whole simulated cluster.
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "sim/runtime/disk.h"
#include "sim/runtime/network.h"
#include "sim/runtime/rng.h"
#include "sim/runtime/task.h"
#include "sim/runtime/time.h"
#include "sim/runtime/trace.h"

namespace tern {

class Runtime : public Tasks {
 public:
  // Wall clock, for record timestamps only. Skewable in the simulation.
  virtual WallTime wall_now() const = 0;
  virtual Network& net() = 0;
  virtual Disk& disk() = 0;
  // This node's PRNG stream, derived from the run's seed and the node's name.
  virtual Rng& rng() = 0;
  virtual const std::string& node_name() const = 0;

  virtual void trace(Severity severity, std::string_view kind,
                     std::initializer_list<TraceField> fields) = 0;
  void trace(std::string_view kind, std::initializer_list<TraceField> fields) {
    trace(Severity::info, kind, fields);
  }
  template <class... Args>
  void log(Severity severity, fmt::format_string<Args...> format, Args&&... args) {
    trace(severity, "log", {{"msg", fmt::format(format, std::forward<Args>(args)...)}});
  }

  // BUGGIFY (FoundationDB): lets code take a rare-but-legal path in simulation. Each site is
  // enabled or not once per run, decided by the seed; an enabled site fires sometimes.
  // Always false in the real runtime.
  virtual bool buggify(std::string_view site) = 0;
  template <class T>
  T buggify_value(std::string_view site, T normal, T rare) {
    return buggify(site) ? rare : normal;
  }
};

}  // namespace tern
