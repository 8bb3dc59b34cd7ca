#include "scenarios/workloads/client_helpers.h"

#include "broker/client/admin.h"

namespace tern::scenarios {

client::ClientOptions client_options(const std::vector<Address>& bootstrap) {
  client::ClientOptions o;
  o.bootstrap = bootstrap;
  return o;
}

bool ensure_topic(Runtime& rt, const std::vector<Address>& bootstrap, const std::string& topic,
                  int32_t partitions, const std::map<std::string, std::string>& configs,
                  Instant end) {
  client::Admin admin(rt, client_options(bootstrap));
  while (rt.now() < end) {
    client::NewTopic t;
    t.name = topic;
    t.partitions = partitions;
    t.replication_factor = static_cast<int16_t>(bootstrap.size());
    t.configs = configs;
    auto st = admin.create_topic(t);
    if (st.ok() || st.error() == protocol::ErrorCode::topic_already_exists) return true;
    rt.trace("workload.create_topic", {{"error", st.error().message()}});
    if (!rt.sleep_for(Duration::millis(200)).ok()) return false;
  }
  return false;
}

}  // namespace tern::scenarios
