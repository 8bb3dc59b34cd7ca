#pragma once
// The scenario file: one setting a line, `#` comments, blank lines ignored.
//
//   scenario produce-consume
//   summary 1 broker, keyed producers and consumers, swarm faults
//   brokers 1
//   duration 30s                 # clients run this long (ms, s, us or plain seconds)
//   liveness 20s                 # the last stretch, after the heal, judged for liveness
//   faults swarm                 # swarm | none
//   force crash every=3s         # a fault kind on in every seed (every: its mean gap)
//   budget max_down=1 max_downtime=5s max_fault_duration=3s heal_at_percent=80
//   power_loss on                # every broker loses power before the final read
//   knobs on                     # the seed draws broker, topic and client settings
//   scheduler seed               # fifo | shuffle | seed (a share of seeds shuffled)
//   broker log.segment.bytes=16384 tern.flush.durable=true
//   workload keyed producers=2 consumers=2 partitions=4 acks=mix
//   require acks=50 polls=50 faults=1 crashes_after_ack=1
//   invariants all               # or checker names
//
// Errors are one line naming the file and line: "x.scenario:7: unknown workload 'keyd'
// (workloads: keyed admin-churn ...)". Workload options are checked by the workload itself.
#include <string_view>

#include "scenarios/scenario.h"
#include "sim/runtime/result.h"

namespace tern::scenarios {

// `source` names the text in errors (a path, or "builtin:NAME"). Reading the file is the
// caller's (tools/): scenarios/ does no I/O of its own.
Result<Scenario> parse_scenario(std::string_view text, std::string_view source);
// The text form of a scenario (parse(to_text(s)) gives s back, up to comments).
std::string scenario_to_text(const Scenario& s);

}  // namespace tern::scenarios
