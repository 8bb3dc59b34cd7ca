#include "broker/server/broker_core.h"

#include <algorithm>

#include <fmt/format.h>

#include "broker/server/connection.h"

namespace tern::server {

using protocol::ErrorCode;

namespace {

// Bounds on what one admin request may ask for (a limit on everything).
constexpr int32_t kPartitionsPerTopicMax = 10'000;
// Producer ids are persisted in blocks, so a restart never hands out one twice.
constexpr int64_t kProducerIdBlock = 1000;

bool is_partition_dir(std::string_view name) {
  const size_t dash = name.rfind('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == name.size()) return false;
  for (size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  return true;
}

protocol::Uuid random_uuid(Rng& rng) {
  protocol::Uuid id;
  for (size_t i = 0; i < 16; i += 8) {
    uint64_t v = rng.next_u64();
    for (size_t k = 0; k < 8; ++k) id.bytes[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  return id;
}

}  // namespace

std::string topic_name_problem(std::string_view name) {
  if (name.empty()) return "Topic name is illegal, it can't be empty";
  if (name == "." || name == "..") return "Topic name cannot be \".\" or \"..\"";
  if (static_cast<int64_t>(name.size()) > kTopicNameBytesMax) {
    return fmt::format("Topic name is illegal, it can't be longer than {} characters",
                       kTopicNameBytesMax);
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return fmt::format("Topic name \"{}\" is illegal, it contains a character other than "
                         "ASCII alphanumerics, '.', '_' and '-'", name);
    }
  }
  return {};
}

BrokerCore::BrokerCore(Runtime& rt, BrokerConfig config)
    : rt_(rt),
      config_(std::move(config)),
      data_dir_(config_.data_dir()),
      advertised_(config_.advertised()),
      admin_mutex_(rt),
      data_changed_(rt),
      flush_tasks_changed_(rt),
      connections_changed_(rt) {
  TERN_ASSERT(!data_dir_.empty());
  TERN_ASSERT(!config_.listeners.empty());
}

BrokerCore::~BrokerCore() = default;

const TopicState* BrokerCore::find_topic(std::string_view name) const {
  auto it = topics_.find(std::string(name));
  return it == topics_.end() ? nullptr : &it->second;
}

std::shared_ptr<PartitionState> BrokerCore::find_partition(std::string_view topic,
                                                           int32_t index) const {
  const TopicState* t = find_topic(topic);
  if (t == nullptr || index < 0 || static_cast<size_t>(index) >= t->partitions.size()) {
    return nullptr;
  }
  return t->partitions[static_cast<size_t>(index)];
}

Offset BrokerCore::high_watermark(const PartitionState& p) const {
  TERN_ASSERT(p.log != nullptr);
  const Offset hw =
      config_.tern_flush_durable ? p.log->durable_offset() : p.log->log_end_offset();
  TERN_ASSERT(hw <= p.log->log_end_offset(), "hw {} > leo {}", hw.value(),
              p.log->log_end_offset().value());
  return hw;
}

void BrokerCore::request_flush(const std::shared_ptr<PartitionState>& p) {
  if (!config_.tern_flush_durable || p->flush_in_flight || p->log == nullptr) return;
  p->flush_in_flight = true;
  ++flush_tasks_;
  auto self = shared_from_this();
  rt_.spawn(fmt::format("flush.{}-{}", p->topic, p->index),
            [self, p] { self->flush_partition(p); });
}

void BrokerCore::flush_partition(const std::shared_ptr<PartitionState>& p) {
  // Keeps flushing while appends arrive; the log batches concurrent waiters into one fsync.
  while (!p->deleted && p->log->durable_offset() < p->log->log_end_offset()) {
    // BUGGIFY: the high watermark of acks 0/1 appends moves a little later.
    if (rt_.buggify("broker.flush.delay")) {
      if (!rt_.sleep_for(Duration::millis(2)).ok() || p->deleted) break;
      if (p->log->durable_offset() >= p->log->log_end_offset()) break;
    }
    const Offset target = p->log->log_end_offset() - 1;
    Status s = p->log->wait_durable(target, Instant::never());
    notify_data_changed();
    if (!s.ok()) break;
  }
  p->flush_in_flight = false;
  --flush_tasks_;
  TERN_ASSERT(flush_tasks_ >= 0);
  flush_tasks_changed_.notify_all();
}

void BrokerCore::unregister_connection(uint64_t id) {
  connections_.erase(id);
  connections_changed_.notify_all();
}

std::optional<Address> BrokerCore::bound_address() const {
  if (!serving_ || listener_ == nullptr) return std::nullopt;
  return listener_->local();
}

// ---- recovery and persistence ------------------------------------------------------------

Status BrokerCore::persist() {
  meta_.next_producer_id = std::max(meta_.next_producer_id, next_producer_id_);
  return save_metadata(rt_.disk(), data_dir_, meta_);
}

Status BrokerCore::open_partition(TopicState& t, int32_t index) {
  TERN_ASSERT(index >= 0 && index < t.meta.partitions);
  auto p = std::make_shared<PartitionState>(rt_, t.meta.name, index);
  LogConfig cfg = topic_log_config(config_, t.meta.configs);
  // Small segments in simulation exercise rolling, indexes across segments and retention.
  cfg.segment_bytes = rt_.buggify_value<int64_t>("log.tiny_segments", cfg.segment_bytes, 4096);
  auto log = PartitionLog::open(rt_, data_dir_, t.meta.name, index, cfg);
  if (t.partitions.size() <= static_cast<size_t>(index)) {
    t.partitions.resize(static_cast<size_t>(index) + 1);
  }
  t.partitions[static_cast<size_t>(index)] = p;
  if (!log.ok()) {
    // A disk failure, not a bug (warn): like Kafka's offline log dir, it stops the broker.
    rt_.trace(Severity::warn, "broker.partition_open_failed",
              {{"topic", t.meta.name}, {"partition", index}, {"error", log.error().message()}});
    p->deleted = true;  // unusable; handlers answer UNKNOWN_TOPIC_OR_PARTITION
    fatal(log.error());
    return log.error();
  }
  p->log = std::move(log.value());
  std::weak_ptr<BrokerCore> weak = weak_from_this();
  p->log->set_failure_handler([weak](const Error& e) {
    if (auto self = weak.lock()) self->fatal(e);
  });
  const RecoveryReport& rep = p->log->recovery();
  rt_.trace(Severity::info, "broker.partition_open",
            {{"topic", t.meta.name}, {"partition", index},
             {"start", p->log->log_start_offset().value()},
             {"end", p->log->log_end_offset().value()},
             {"truncated_bytes", static_cast<int64_t>(rep.truncated_bytes)}});
  return {};
}

Status BrokerCore::remove_partition_dir(const std::string& name) {
  const std::string dir = data_dir_ + "/" + name;
  auto files = rt_.disk().list(dir);
  if (files.ok()) {
    for (const std::string& f : files.value()) TERN_TRY(rt_.disk().remove(dir + "/" + f));
  }
  if (rt_.disk().exists(dir)) TERN_TRY(rt_.disk().remove(dir));
  return rt_.disk().fsync_dir(data_dir_);
}

Status BrokerCore::recover() {
  TERN_TRY(rt_.disk().make_dirs(data_dir_));
  auto loaded = load_metadata(rt_.disk(), data_dir_);
  if (loaded.ok()) {
    meta_ = std::move(loaded.value());
  } else if (loaded.code() == Errc::not_found) {
    meta_ = ClusterMetadata{};
    meta_.cluster_id = uuid_to_base64(random_uuid(rt_.rng()));
    next_producer_id_ = 0;
    TERN_TRY(persist());
    rt_.trace(Severity::info, "broker.new_cluster", {{"cluster_id", meta_.cluster_id}});
  } else {
    rt_.trace(Severity::error, "broker.metadata_unreadable",
              {{"error", loaded.error().message()}});
    return loaded.error();
  }
  next_producer_id_ = meta_.next_producer_id;
  for (const auto& [name, tm] : meta_.topics) {
    TopicState& t = topics_[name];
    t.meta = tm;
    for (int32_t i = 0; i < tm.partitions; ++i) {
      Status s = open_partition(t, i);
      if (!s.ok()) return s;
    }
  }
  // Directories of deleted topics (a crash between the metadata update and the removal).
  auto names = rt_.disk().list(data_dir_);
  if (!names.ok()) return names.error();
  for (const std::string& n : names.value()) {
    if (!is_partition_dir(n)) continue;
    const size_t dash = n.rfind('-');
    const std::string topic = n.substr(0, dash);
    const int32_t index = static_cast<int32_t>(std::stol(n.substr(dash + 1)));
    auto it = topics_.find(topic);
    if (it != topics_.end() && index < it->second.meta.partitions) continue;
    rt_.trace(Severity::info, "broker.remove_orphan", {{"dir", n}});
    TERN_TRY(remove_partition_dir(n));
  }
  return {};
}

// ---- admin -------------------------------------------------------------------------------

ErrorCode BrokerCore::create_topic(const std::string& name, int32_t partitions,
                                   const std::map<std::string, std::string>& configs,
                                   bool validate_only, std::string& message) {
  const std::string problem = topic_name_problem(name);
  if (!problem.empty()) {
    message = problem;
    return ErrorCode::invalid_topic_exception;
  }
  if (partitions <= 0 || partitions > kPartitionsPerTopicMax) {
    message = fmt::format("Number of partitions must be in [1, {}].", kPartitionsPerTopicMax);
    return ErrorCode::invalid_partitions;
  }
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) {
    message = "broker shutting down";
    return ErrorCode::request_timed_out;
  }
  if (topics_.count(name)) {
    message = fmt::format("Topic '{}' already exists.", name);
    return ErrorCode::topic_already_exists;
  }
  if (validate_only) return ErrorCode::none;
  TopicMetadata tm;
  tm.name = name;
  tm.id = random_uuid(rt_.rng());
  tm.partitions = partitions;
  tm.configs = configs;
  meta_.topics[name] = tm;
  Status s = persist();
  if (!s.ok()) {
    meta_.topics.erase(name);
    message = s.error().message();
    return ErrorCode::kafka_storage_error;
  }
  TopicState& t = topics_[name];
  t.meta = tm;
  for (int32_t i = 0; i < partitions; ++i) {
    if (!open_partition(t, i).ok()) {
      message = "a partition log could not be created";
      // Recorded and persisted: the topic exists, the failed partition answers errors
      // until a restart opens it again.
    }
  }
  rt_.trace(Severity::info, "broker.topic_created",
            {{"topic", name}, {"partitions", partitions}});
  notify_data_changed();
  return message.empty() ? ErrorCode::none : ErrorCode::kafka_storage_error;
}

ErrorCode BrokerCore::delete_topic(const std::string& name) {
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) return ErrorCode::request_timed_out;
  auto it = topics_.find(name);
  if (it == topics_.end()) return ErrorCode::unknown_topic_or_partition;
  TopicMetadata saved = meta_.topics[name];
  meta_.topics.erase(name);
  if (!persist().ok()) {
    meta_.topics[name] = saved;
    return ErrorCode::kafka_storage_error;
  }
  TopicState t = std::move(it->second);
  topics_.erase(it);
  for (auto& p : t.partitions) {
    if (p == nullptr) continue;
    p->deleted = true;
    if (p->log != nullptr) (void)p->log->close();
  }
  notify_data_changed();
  for (int32_t i = 0; i < t.meta.partitions; ++i) {
    Status s = remove_partition_dir(fmt::format("{}-{}", name, i));
    if (!s.ok()) {
      // The metadata no longer lists it: the next start removes what is left.
      rt_.trace(Severity::warn, "broker.delete_dir_failed",
                {{"topic", name}, {"partition", i}, {"error", s.error().message()}});
    }
  }
  rt_.trace(Severity::info, "broker.topic_deleted", {{"topic", name}});
  return ErrorCode::none;
}

ErrorCode BrokerCore::create_partitions(const std::string& name, int32_t count,
                                        bool validate_only, std::string& message) {
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) return ErrorCode::request_timed_out;
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    message = fmt::format("The topic '{}' does not exist.", name);
    return ErrorCode::unknown_topic_or_partition;
  }
  TopicState& t = it->second;
  const int32_t current = t.meta.partitions;
  if (count == current) {
    message = fmt::format("Topic already has {} partitions.", current);
    return ErrorCode::invalid_partitions;
  }
  if (count < current) {
    message = fmt::format("The topic {} currently has {} partition(s); {} would not be an "
                          "increase.", name, current, count);
    return ErrorCode::invalid_partitions;
  }
  if (count > kPartitionsPerTopicMax) {
    message = fmt::format("At most {} partitions per topic.", kPartitionsPerTopicMax);
    return ErrorCode::invalid_partitions;
  }
  if (validate_only) return ErrorCode::none;
  meta_.topics[name].partitions = count;
  if (!persist().ok()) {
    meta_.topics[name].partitions = current;
    message = "metadata could not be saved";
    return ErrorCode::kafka_storage_error;
  }
  t.meta.partitions = count;
  for (int32_t i = current; i < count; ++i) {
    if (!open_partition(t, i).ok()) message = "a partition log could not be created";
  }
  TERN_ASSERT(t.partitions.size() == static_cast<size_t>(count));
  notify_data_changed();
  return message.empty() ? ErrorCode::none : ErrorCode::kafka_storage_error;
}

ErrorCode BrokerCore::alter_topic_configs(const std::string& name,
                                          const std::map<std::string, std::string>& configs,
                                          bool validate_only, std::string& message) {
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) return ErrorCode::request_timed_out;
  auto it = topics_.find(name);
  if (it == topics_.end()) {
    message = fmt::format("Topic '{}' does not exist.", name);
    return ErrorCode::unknown_topic_or_partition;
  }
  if (validate_only) return ErrorCode::none;
  const auto saved = meta_.topics[name].configs;
  meta_.topics[name].configs = configs;
  if (!persist().ok()) {
    meta_.topics[name].configs = saved;
    message = "metadata could not be saved";
    return ErrorCode::kafka_storage_error;
  }
  // max.message.bytes applies at once (the produce path reads it); log settings (segment,
  // retention, flush) apply when the partition's log is next opened (see README).
  it->second.meta.configs = configs;
  return ErrorCode::none;
}

Result<int64_t> BrokerCore::allocate_producer_id() {
  if (next_producer_id_ >= meta_.next_producer_id) {
    MutexLock lock(admin_mutex_);
    if (!lock.owns()) return Errc::cancelled;
    if (next_producer_id_ >= meta_.next_producer_id) {
      const int64_t saved = meta_.next_producer_id;
      meta_.next_producer_id = next_producer_id_ + kProducerIdBlock;
      Status s = save_metadata(rt_.disk(), data_dir_, meta_);
      if (!s.ok()) {
        meta_.next_producer_id = saved;
        return s.error();
      }
    }
  }
  TERN_ASSERT(next_producer_id_ < meta_.next_producer_id);
  return next_producer_id_++;
}

// ---- serving -----------------------------------------------------------------------------

Status BrokerCore::run() {
  TERN_ASSERT(!ran_, "Broker::run called twice");
  ran_ = true;
  Status s = recover();
  if (!s.ok()) {
    shutdown();
    return s;
  }
  const Listener& l = config_.listeners.front();
  auto listener = rt_.net().listen(Address{l.host, l.port});
  if (!listener.ok()) {
    rt_.trace(Severity::error, "broker.listen_failed",
              {{"listener", l.to_string()}, {"error", listener.error().message()}});
    shutdown();
    return listener.error();
  }
  listener_ = std::move(listener.value());
  if (advertised_.port == 0) advertised_.port = listener_->local().port;
  serving_ = !stopping_;
  rt_.trace(Severity::info, "broker.listening",
            {{"listener", l.to_string()}, {"bound", listener_->local().to_string()},
             {"advertised", advertised_.to_string()}, {"node_id", config_.node_id},
             {"cluster_id", meta_.cluster_id}, {"topics", static_cast<int64_t>(topics_.size())}});
  auto self = shared_from_this();
  background_.push_back(rt_.spawn("broker.retention", [self] { self->retention_loop(); }));
  bool cancelled = false;
  while (!stopping_) {
    auto stream = listener_->accept(Instant::never());
    if (!stream.ok()) {
      if (stream.code() == Errc::cancelled) cancelled = true;
      if (stream.code() == Errc::cancelled || stream.code() == Errc::closed) break;
      rt_.trace(Severity::warn, "broker.accept_failed", {{"error", stream.error().message()}});
      if (!rt_.sleep_until(rt_.now() + Duration::millis(10)).ok()) {
        cancelled = true;
        break;
      }
      continue;
    }
    // BUGGIFY: a slow accept (a busy acceptor thread); the client's handshake waits.
    if (rt_.buggify("broker.accept.slow")) {
      if (!rt_.sleep_for(Duration::millis(5)).ok()) {
        cancelled = true;
        break;
      }
      if (stopping_) {
        stream.value()->close();
        break;
      }
    }
    if (static_cast<int64_t>(connections_.size()) >= config_.max_connections) {
      rt_.trace(Severity::warn, "broker.max_connections",
                {{"max", config_.max_connections}, {"peer", stream.value()->peer().to_string()}});
      stream.value()->close();
      continue;
    }
    const uint64_t id = next_connection_id_++;
    rt_.spawn(fmt::format("conn{}", id), [self, id, st = std::move(stream.value())]() mutable {
      Connection c(self, std::move(st), id);
      c.serve();
    });
  }
  serving_ = false;
  // Shutdown suspends (joins, log flushes); a cancelled task cannot park any more, so then it
  // runs in a task of its own that keeps the core alive until it is done.
  auto done = rt_.spawn("broker.shutdown", [self] { self->shutdown(); });
  if (!cancelled) (void)done.join();
  if (fatal_) return *fatal_;
  return {};
}

void BrokerCore::fatal(const Error& e) {
  if (fatal_) return;
  fatal_ = e;
  rt_.trace(Severity::warn, "broker.fatal",
            {{"error", e.message()}, {"action", "shutting down (Kafka: log directory failure)"}});
  stop();
}

void BrokerCore::stop() {
  stopping_ = true;
  serving_ = false;
  if (listener_ != nullptr) listener_->close();
  // Copy: closing does not unregister synchronously, but be safe against it.
  std::vector<Connection*> conns;
  for (auto& [id, c] : connections_) conns.push_back(c);
  for (Connection* c : conns) c->close();
  data_changed_.notify_all();
}

void BrokerCore::shutdown() {
  stop();
  for (TaskHandle& t : background_) t.cancel();
  for (TaskHandle& t : background_) (void)t.join();
  background_.clear();
  (void)connections_changed_.wait_until([&] { return connections_.empty(); });
  for (auto& [name, t] : topics_) {
    for (auto& p : t.partitions) {
      if (p != nullptr && p->log != nullptr) {
        Status s = p->log->close();
        if (!s.ok()) {
          rt_.trace(Severity::warn, "broker.log_close_failed",
                    {{"topic", name}, {"partition", p->index}, {"error", s.error().message()}});
        }
      }
    }
  }
  (void)flush_tasks_changed_.wait_until([&] { return flush_tasks_ == 0; });
  rt_.trace(Severity::info, "broker.stopped", {});
}

void BrokerCore::retention_loop() {
  while (!stopping_) {
    int64_t interval_ms = config_.log_retention_check_interval_ms;
    interval_ms = rt_.buggify_value<int64_t>("broker.fast_retention", interval_ms, 1000);
    if (!rt_.sleep_until(rt_.now() + Duration::millis(interval_ms)).ok()) return;
    std::vector<std::shared_ptr<PartitionState>> all;
    for (auto& [name, t] : topics_) {
      for (auto& p : t.partitions) {
        if (p != nullptr && !p->deleted && p->log != nullptr) all.push_back(p);
      }
    }
    for (auto& p : all) {
      if (stopping_) return;
      if (p->deleted) continue;
      auto r = p->log->enforce_retention();
      if (r.ok() && r.value() > 0) {
        rt_.trace(Severity::info, "broker.retention",
                  {{"topic", p->topic}, {"partition", p->index},
                   {"segments_deleted", static_cast<int64_t>(r.value())},
                   {"log_start", p->log->log_start_offset().value()}});
        notify_data_changed();
      }
    }
  }
}

}  // namespace tern::server
