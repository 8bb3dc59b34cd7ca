#include "broker/client/cluster.h"

#include <algorithm>

namespace tern::client {

using protocol::ErrorCode;
using protocol::to_wire;

Result<std::vector<Address>> parse_bootstrap(std::string_view list) {
  std::vector<Address> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      auto a = Address::parse(item);
      if (!a.ok()) return Error(Errc::invalid_argument, fmt::format("bad address '{}'", item));
      out.push_back(a.value());
    }
    start = comma + 1;
  }
  if (out.empty()) return Error(Errc::invalid_argument, "no bootstrap address");
  return out;
}

Cluster::Cluster(Runtime& rt, ClientOptions options)
    : rt_(rt), options_(std::move(options)), changed_(rt) {
  TERN_ASSERT(!options_.bootstrap.empty(), "a client needs at least one bootstrap address");
  // BUGGIFY: bootstrap from the list's second address first (clients order it differently).
  if (options_.bootstrap.size() > 1 && rt_.buggify("client.bootstrap.rotate")) {
    std::rotate(options_.bootstrap.begin(), options_.bootstrap.begin() + 1,
                options_.bootstrap.end());
  }
  for (size_t i = 0; i < options_.bootstrap.size(); ++i) {
    slots_[-1 - static_cast<int32_t>(i)].address = options_.bootstrap[i];
  }
}

Cluster::~Cluster() {
  for (auto& [key, slot] : slots_) {
    if (slot.conn) slot.conn->close();
  }
}

ClientResult<std::shared_ptr<Connection>> Cluster::connect_slot(int32_t key, Deadline deadline) {
  while (true) {
    auto it = slots_.find(key);
    TERN_ASSERT(it != slots_.end(), "no slot {}", key);
    Slot& slot = it->second;  // std::map nodes are stable; slots are never erased
    // BUGGIFY: give up a healthy connection and open a new one (requests still waiting on
    // the old one fail as on a network reset; their callers retry).
    if (slot.conn && !slot.conn->broken() && rt_.buggify("client.cluster.reconnect")) {
      slot.conn->close();
      slot.conn.reset();
    }
    if (slot.conn && !slot.conn->broken()) return slot.conn;
    if (slot.connecting) {
      Status st = changed_.wait_until([&] { return !slot.connecting; }, deadline);
      if (!st.ok()) {
        return ClientError::runtime(st.code(), "connect " + slot.address.to_string());
      }
      continue;
    }
    if (rt_.now() < slot.next_attempt) {
      if (slot.next_attempt > deadline) {
        return ClientError::runtime(Errc::timed_out, fmt::format(
            "connect {}: backing off after {} failures", slot.address.to_string(),
            slot.failures));
      }
      Status st = rt_.sleep_until(slot.next_attempt);
      if (!st.ok()) return ClientError::runtime(st.code(), "backoff");
      continue;
    }
    if (rt_.now() >= deadline) {
      return ClientError::runtime(Errc::timed_out, "connect " + slot.address.to_string());
    }
    ConnectionOptions copt = options_.connection;
    const Duration left = deadline - rt_.now();
    if (left < copt.connect_timeout) copt.connect_timeout = left;
    if (left < copt.request_timeout) copt.request_timeout = left;
    slot.connecting = true;
    auto conn = Connection::open(rt_, slot.address, copt);
    slot.connecting = false;
    changed_.notify_all();
    if (conn.ok()) {
      slot.failures = 0;
      slot.conn = std::shared_ptr<Connection>(std::move(conn.value()));
      TERN_ASSERT(!slot.conn->broken());
      return slot.conn;
    }
    // Exponential backoff with up to 20% jitter (Kafka's reconnect.backoff.ms/.max.ms).
    slot.failures = std::min(slot.failures + 1, 30);
    Duration backoff = options_.reconnect_backoff;
    for (int i = 1; i < slot.failures && backoff < options_.reconnect_backoff_max; ++i) {
      backoff = backoff * 2;
    }
    if (backoff > options_.reconnect_backoff_max) backoff = options_.reconnect_backoff_max;
    const int64_t jitter = backoff.ns / 5;
    if (jitter > 0) backoff = backoff + Duration::nanos(rt_.rng().between(0, jitter));
    slot.next_attempt = rt_.now() + backoff;
    return conn.error();
  }
}

ClientResult<std::shared_ptr<Connection>> Cluster::connection(int32_t node_id,
                                                              Deadline deadline) {
  if (!slots_.count(node_id)) {
    auto b = std::find_if(meta_.brokers.begin(), meta_.brokers.end(),
                          [&](const BrokerInfo& x) { return x.node_id == node_id; });
    if (b == meta_.brokers.end()) {
      return ClientError::kafka(to_wire(ErrorCode::broker_not_available),
                                fmt::format("broker {} is not in the metadata", node_id));
    }
    slots_[node_id].address = b->address;
  }
  return connect_slot(node_id, deadline);
}

ClientResult<std::shared_ptr<Connection>> Cluster::any_connection(Deadline deadline) {
  // Prefer a connection that is already open: brokers first (ascending id), then bootstrap.
  auto usable = [&](const Slot& slot) {
    return slot.conn && !slot.conn->broken() && slot.conn.get() != no_brokers_from_;
  };
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
    if (it->first >= 0 && usable(it->second)) return it->second.conn;
  }
  for (auto& [key, slot] : slots_) {
    if (usable(slot)) return slot.conn;
  }
  std::optional<ClientError> last;
  while (true) {
    std::vector<int32_t> keys;
    // -1, -2, ...: bootstrap order. Walked from the highest negative key: the map also holds
    // the brokers' slots (ids >= 0) above them, and starting at rbegin() stopped at the first
    // broker, so once any broker was known the bootstrap addresses were never tried again
    // (quorum-3-combined seed 88: with no broker known either, the clients went silent).
    for (auto it = std::make_reverse_iterator(slots_.lower_bound(0));
         it != slots_.rend(); ++it) {
      keys.push_back(it->first);
    }
    for (const auto& b : meta_.brokers) {
      if (!slots_.count(b.node_id)) slots_[b.node_id].address = b.address;
      keys.push_back(b.node_id);
    }
    Instant soonest = Instant::never();
    for (int32_t key : keys) {
      const Slot& slot = slots_[key];
      if (rt_.now() < slot.next_attempt) {
        soonest = std::min(soonest, slot.next_attempt);
        continue;
      }
      auto c = connect_slot(key, deadline);
      if (c.ok()) return c;
      last = c.error();
      if (c.error().errc() == Errc::cancelled) return c.error();
      soonest = std::min(soonest, slots_[key].next_attempt);
    }
    if (rt_.now() >= deadline || soonest >= deadline) break;
    Status st = rt_.sleep_until(soonest);
    if (!st.ok()) return ClientError::runtime(st.code(), "waiting to reconnect");
  }
  if (last) return *last;
  return ClientError::runtime(Errc::timed_out, "no broker reachable");
}

void Cluster::apply(const protocol::MetadataResponse& resp, bool all_topics) {
  meta_.brokers.clear();
  for (const auto& b : resp.brokers) {
    BrokerInfo info{b.node_id, Address{b.host, static_cast<uint16_t>(b.port)}, b.rack};
    auto slot = slots_.find(b.node_id);
    if (slot != slots_.end() && slot->second.address != info.address) {
      if (slot->second.conn) slot->second.conn->close();
      slot->second.conn.reset();
      slot->second.address = info.address;
    }
    meta_.brokers.push_back(std::move(info));
  }
  std::sort(meta_.brokers.begin(), meta_.brokers.end(),
            [](const BrokerInfo& a, const BrokerInfo& b) { return a.node_id < b.node_id; });
  meta_.cluster_id = resp.cluster_id;
  meta_.controller_id = resp.controller_id;
  if (all_topics) meta_.topics.clear();
  for (const auto& t : resp.topics) {
    TopicInfo info;
    info.name = t.name;
    info.error_code = t.error_code;
    info.internal = t.is_internal;
    for (const auto& p : t.partitions) {
      info.partitions.push_back(PartitionInfo{p.partition_index, p.error_code, p.leader_id,
                                              p.leader_epoch, p.replica_nodes, p.isr_nodes,
                                              p.offline_replicas});
    }
    std::sort(info.partitions.begin(), info.partitions.end(),
              [](const PartitionInfo& a, const PartitionInfo& b) {
                return a.partition < b.partition;
              });
    meta_.topics[t.name] = std::move(info);
  }
}

ClientResult<ClusterMetadata> Cluster::refresh(
    const std::optional<std::vector<std::string>>& topics, bool allow_auto_create) {
  auto conn = any_connection(rt_.now() + options_.connection.request_timeout);
  if (!conn.ok()) return conn.error();
  auto version = conn.value()->version_for<protocol::MetadataRequest>();
  if (!version.ok()) return version.error();
  protocol::MetadataRequest req;
  if (topics) {
    req.topics.emplace();
    for (const auto& name : *topics) {
      protocol::MetadataRequest::Topic t;
      t.name = name;
      req.topics->push_back(std::move(t));
    }
  } else {
    // v0 has no null array: an empty list means "all topics" there.
    if (version.value() >= 1) req.topics.reset(); else req.topics.emplace();
  }
  req.allow_auto_topic_creation = allow_auto_create;
  auto resp = conn.value()->call(req, version.value());
  if (!resp.ok()) return resp.error();
  // A broker that knows no live broker (it restarted and has not caught up, or sees every
  // broker fenced) answers with an empty list. Kafka's clients ignore such an answer (a
  // failed update, NetworkClient's DefaultMetadataUpdater): taking it would forget every
  // broker, and partitions' leaders with them.
  if (resp.value().brokers.empty()) {
    no_brokers_from_ = conn.value().get();
    return ClientError::runtime(Errc::timed_out,
                                "metadata without brokers from " +
                                    conn.value()->address().to_string());
  }
  no_brokers_from_ = nullptr;
  apply(resp.value(), !topics.has_value());
  return meta_;
}

void Cluster::invalidate(const std::string& topic) { meta_.topics.erase(topic); }

ClientResult<TopicInfo> Cluster::topic(const std::string& name, bool allow_auto_create,
                                       Deadline deadline) {
  auto t = find_topic(name, allow_auto_create, deadline);
  if (!t.ok()) return t.error();
  return *t.value();
}

ClientResult<int32_t> Cluster::partition_count(const std::string& name, bool allow_auto_create,
                                               Deadline deadline) {
  auto t = find_topic(name, allow_auto_create, deadline);
  if (!t.ok()) return t.error();
  return static_cast<int32_t>(t.value()->partitions.size());
}

ClientResult<const TopicInfo*> Cluster::find_topic(const std::string& name,
                                                   bool allow_auto_create, Deadline deadline) {
  std::optional<ClientError> last;
  while (true) {
    auto it = meta_.topics.find(name);
    if (it != meta_.topics.end() && it->second.error_code == 0 &&
        !it->second.partitions.empty()) {
      return &it->second;
    }
    auto r = refresh(std::vector<std::string>{name}, allow_auto_create);
    if (r.ok()) {
      it = meta_.topics.find(name);
      if (it == meta_.topics.end()) {
        last = ClientError::kafka(to_wire(ErrorCode::unknown_topic_or_partition), name);
      } else if (it->second.error_code != 0) {
        last = ClientError::kafka(it->second.error_code, fmt::format("topic {}", name));
        if (!last->retriable()) return *last;
        meta_.topics.erase(it);
      } else if (it->second.partitions.empty()) {
        last = ClientError::kafka(to_wire(ErrorCode::leader_not_available), name);
      } else {
        return &it->second;
      }
    } else {
      last = r.error();
      if (!last->retriable()) return *last;
    }
    if (rt_.now() >= deadline) return *last;
    Instant wake = rt_.now() + Duration::millis(100);
    if (wake > deadline) wake = deadline;
    Status st = rt_.sleep_until(wake);
    if (!st.ok()) return ClientError::runtime(st.code(), "metadata for " + name);
  }
}

ClientResult<int32_t> Cluster::leader(const std::string& topic_name, int32_t partition,
                                      Deadline deadline) {
  // BUGGIFY: a metadata refresh nobody needed (Kafka's clients refresh on many triggers).
  if (rt_.buggify("client.metadata.refresh")) invalidate(topic_name);
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto found = find_topic(topic_name, false, deadline);
    if (!found.ok()) return found.error();
    const TopicInfo& t = *found.value();
    if (partition < 0 || static_cast<size_t>(partition) >= t.partitions.size() ||
        t.partitions[static_cast<size_t>(partition)].partition != partition) {
      return ClientError::kafka(to_wire(ErrorCode::unknown_topic_or_partition),
                                fmt::format("{}-{}", topic_name, partition));
    }
    const int32_t leader = t.partitions[static_cast<size_t>(partition)].leader;
    // A leader the broker list does not name is an unknown leader (Kafka's clients build
    // the partition without one): look again rather than fail with BROKER_NOT_AVAILABLE,
    // which is not retriable. The list and the topic may come from different answers.
    const bool listed = std::any_of(meta_.brokers.begin(), meta_.brokers.end(),
                                    [&](const BrokerInfo& b) { return b.node_id == leader; });
    if (leader >= 0 && listed) return leader;
    invalidate(topic_name);
  }
  return ClientError::kafka(to_wire(ErrorCode::leader_not_available),
                            fmt::format("{}-{}", topic_name, partition));
}

}  // namespace tern::client
