#include "scenarios/workloads/client_helpers.h"

#include "broker/client/admin.h"

namespace tern::scenarios {

client::ClientOptions client_options(const std::vector<Address>& bootstrap) {
  client::ClientOptions o;
  o.bootstrap = bootstrap;
  return o;
}

void read_traffic_options(WorkloadOptions& opts, const std::string& default_topic,
                          TrafficOptions& out) {
  out.producers = static_cast<int>(opts.get_int("producers", 1, 0, 16));
  out.consumers = static_cast<int>(opts.get_int("consumers", 1, 0, 16));
  out.topic = opts.get_string("topic", default_topic);
  out.partitions = static_cast<int>(opts.get_int("partitions", 3, 1, 64));
  out.keys = static_cast<int>(opts.get_int("keys", 16, 1, 1'000'000));
  out.send_gap_max = opts.get_duration("send_gap", Duration::millis(20));
}

bool ensure_topic(Runtime& rt, const std::vector<Address>& bootstrap, const std::string& topic,
                  int32_t partitions, const std::map<std::string, std::string>& configs,
                  Instant end) {
  client::Admin admin(rt, client_options(bootstrap));
  while (rt.now() < end) {
    client::NewTopic t;
    t.name = topic;
    t.partitions = partitions;
    t.replication_factor = 1;  // one replica per partition until replication lands
    t.configs = configs;
    auto st = admin.create_topic(t);
    if (st.ok() || st.error() == protocol::ErrorCode::topic_already_exists) return true;
    rt.trace("workload.create_topic", {{"error", st.error().message()}});
    if (!rt.sleep_for(Duration::millis(200)).ok()) return false;
  }
  return false;
}

}  // namespace tern::scenarios
