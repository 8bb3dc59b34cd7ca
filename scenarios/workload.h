#pragma once
// A workload is one named part of a scenario (FoundationDB's TestWorkload: setup / start /
// check, registered by name, composed in a spec file). A scenario file lists workloads with
// their options; the runner makes a fresh instance per seed, calls setup() (which draws the
// workload's knobs from the seed and adds the client nodes that do the work: their main
// functions are the "start"), runs the world, and after the final read calls check().
//
// Workloads record what their clients did in the run's History (sends, acks, polls, seeks);
// the scenario's invariant checkers read it. A workload's own check() adds invariants only it
// can judge (e.g. the admin-churn workload compares the cluster's topics with the operations
// that succeeded).
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "scenarios/checkers/checker.h"
#include "scenarios/history.h"
#include "sim/runtime/result.h"
#include "sim/runtime/rng.h"
#include "sim/simulated/world.h"

namespace tern::scenarios {

// The options of one workload line ("workload keyed producers=2 acks=1"), read with typed
// getters that remember which keys were used, so finish() can name an unknown one.
class WorkloadOptions {
 public:
  WorkloadOptions() = default;
  explicit WorkloadOptions(std::map<std::string, std::string> values)
      : values_(std::move(values)) {}

  // Each getter returns the default when the key is absent and records a one-line error
  // (readable through finish()) when the value is malformed or out of range.
  int64_t get_int(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  bool get_bool(const std::string& key, bool fallback);  // 0/1, on/off, true/false
  Duration get_duration(const std::string& key, Duration fallback);  // "250ms", "3s", "0.5"
  std::string get_string(const std::string& key, const std::string& fallback);
  // One of `choices` ("all", "1", "0", "mix"): anything else is an error listing them.
  std::string get_choice(const std::string& key, const std::string& fallback,
                         const std::vector<std::string>& choices);
  // The first error, or an error naming the first key no getter asked for.
  Status finish(std::string_view workload) const;
  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  void fail(std::string message) const;
  std::map<std::string, std::string> values_;
  mutable std::set<std::string> used_;
  mutable std::string error_;
};

// "250ms", "3s", "20us" or plain seconds "0.5" (no floating point: exact nanoseconds).
Result<Duration> parse_duration(std::string_view text);

// A partition the final read must see (and read to its end).
struct ExpectedTopic {
  std::string topic;
  int32_t partitions = 0;
};

// How the runner treats a client node.
enum class ClientKind : uint8_t {
  worker,       // runs the workload; stopped (crashed) at the workload's end
  restartable,  // a worker the fault plan may also crash and start again
  verifier,     // reads the cluster after the end (it keeps running through the final read)
};

// What the runner hands a workload while it builds one seed's world.
class WorkloadContext {
 public:
  sim::World& world;
  History& history;
  std::vector<Address> bootstrap;  // every broker's listener
  Instant end;      // clients stop here; then the power loss and the final read
  Instant heal_at;  // faults end here; the liveness phase starts
  Rng rng;          // this workload's own stream (knobs, keys): forked per workload
  bool draw_knobs;  // the scenario says: vary client settings with the seed

  // Adds a client node running `main`. A restartable one may be crashed and started again by
  // the fault plan (main runs anew; whatever it needs from before must be on its simulated
  // disk). Workers are stopped at the end, so no write lands after the final read looked.
  uint32_t add_client(const std::string& name, sim::NodeMain main,
                      ClientKind kind = ClientKind::worker);
  // The final read must find this topic with at least this many partitions and read them all.
  void expect_topic(const std::string& topic, int32_t partitions);
  // A consumer whose liveness is checked: after the heal it must read every partition of
  // `topic` up to every surviving acknowledged write.
  void declare_consumer(const std::string& process, const std::string& topic);
  // Retention may delete this topic's old records during the run (its topic configs say so):
  // the checkers then accept records missing below the final log start offset.
  void allow_retention(const std::string& topic) { retention_topics.insert(topic); }
  // Records a knob the seed chose ("p1 linger.ms=0"): printed with the run, traced at t=0.
  void knob(const std::string& who, const std::string& setting, const std::string& value);

  // Filled by the calls above; read by the runner.
  struct Client {
    std::string name;
    uint32_t node;
    ClientKind kind;
  };
  std::vector<Client> clients;
  std::vector<ExpectedTopic> expected_topics;
  std::vector<std::pair<std::string, std::string>> consumers;  // (process, topic)
  std::vector<std::string> knobs;
  std::set<std::string> retention_topics;
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Draws knobs, adds client nodes, declares topics and consumers. Called once per seed,
  // before the world starts.
  virtual void setup(WorkloadContext& ctx) = 0;
  // Invariants only this workload can judge, after the final read.
  virtual void check(const CheckContext& ctx, std::vector<Violation>& out) const {
    (void)ctx;
    (void)out;
  }
};

// Makes a fresh workload from its options; the error names the bad option. The scenario
// parser calls it once to validate a file, the runner once per seed.
using WorkloadFactory =
    std::function<Result<std::unique_ptr<Workload>>(const WorkloadOptions& options)>;

struct WorkloadType {
  std::string name;
  std::string summary;
  std::string options_help;  // "producers=N consumers=N topic=NAME ..."
  WorkloadFactory make;
};

// Every workload tern knows, by name (one explicit list in workloads/registry.cpp: no
// self-registering statics, which would be mutable global state).
const std::vector<WorkloadType>& all_workloads();
const WorkloadType* find_workload(std::string_view name);

}  // namespace tern::scenarios
