#pragma once
// What every workload's clients do the same way: client options from the bootstrap list,
// creating their topic, bytes <-> strings for keys and values, and a seeded pick of a knob.
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/base/bytes.h"
#include "broker/client/cluster.h"
#include "scenarios/workload.h"
#include "sim/runtime/runtime.h"

namespace tern::scenarios {

client::ClientOptions client_options(const std::vector<Address>& bootstrap);

// The traffic options the producing/consuming workloads share, read with the same names,
// defaults and ranges: producers consumers topic partitions keys send_gap.
struct TrafficOptions {
  int producers = 1;
  int consumers = 1;
  std::string topic;
  int partitions = 3;
  int keys = 16;
  Duration send_gap_max = Duration::millis(20);  // a producer waits up to this between sends
};
void read_traffic_options(WorkloadOptions& opts, const std::string& default_topic,
                          TrafficOptions& out);

// Creates the topic (or finds it created by another client), retrying until `end`. False if
// it never could (or the node is going down).
bool ensure_topic(Runtime& rt, const std::vector<Address>& bootstrap, const std::string& topic,
                  int32_t partitions, const std::map<std::string, std::string>& configs,
                  Instant end);

inline Bytes to_bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
inline std::string to_string(const std::optional<Bytes>& b) {
  return b ? std::string(b->begin(), b->end()) : std::string();
}

// One of `choices`, drawn from `rng` (our own draw: std distributions differ across libraries).
template <class T>
const T& pick(Rng& rng, std::initializer_list<T> choices) {
  TERN_ASSERT(choices.size() > 0);
  return *(choices.begin() + rng.below(choices.size()));
}

}  // namespace tern::scenarios
