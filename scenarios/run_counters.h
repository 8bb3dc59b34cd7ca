#pragma once
// Counts, from the trace events the brokers emit, how hard a run tested durability: broker
// crashes that came after the broker had acknowledged writes, and acknowledgements followed
// by a crash before the next fsync of their log (the window in which a broker that answered
// too early loses data). Watches the run through World::observe_trace: no test code in the
// broker, only the events it traces anyway (produce.ack, log.fsync.done, node.crash/start).
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "sim/simulated/world.h"

namespace tern::scenarios {

class RunCounters {
 public:
  // Starts observing `world`; `brokers` are the broker node names.
  RunCounters(sim::World& world, std::set<std::string> brokers);

  uint64_t crashes_after_ack() const { return crashes_after_ack_; }
  uint64_t acks_crashed_before_fsync() const { return acks_crashed_before_fsync_; }
  uint64_t broker_acks() const { return broker_acks_; }

 private:
  void on_event(std::string_view node, std::string_view kind,
                std::initializer_list<TraceField> fields);

  std::set<std::string, std::less<>> brokers_;
  struct NodeState {
    uint64_t acks_since_start = 0;
    // Per partition ("topic/partition"): acks since that log's last successful fsync.
    std::map<std::string, uint64_t, std::less<>> unsynced_acks;
  };
  std::map<std::string, NodeState, std::less<>> nodes_;
  uint64_t crashes_after_ack_ = 0;
  uint64_t acks_crashed_before_fsync_ = 0;
  uint64_t broker_acks_ = 0;
};

}  // namespace tern::scenarios
