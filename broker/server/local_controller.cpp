#include "broker/server/local_controller.h"

#include <fmt/format.h>

namespace tern::server {

using controller::TopicError;
using protocol::ErrorCode;
using protocol::to_wire;

namespace {

// Producer ids are granted (and persisted) in blocks, so a restart never hands out one twice.
constexpr int32_t kProducerIdBlock = 1000;
// AlterConfigs resource types.
constexpr int8_t kResourceTopic = 2;
constexpr int8_t kResourceBroker = 4;

protocol::Uuid random_uuid(Rng& rng) {
  protocol::Uuid id;
  for (size_t i = 0; i < 16; i += 8) {
    uint64_t v = rng.next_u64();
    for (size_t k = 0; k < 8; ++k) id.bytes[i + k] = static_cast<uint8_t>(v >> (8 * k));
  }
  return id;
}

TopicError shutting_down() { return {ErrorCode::request_timed_out, "broker shutting down"}; }

}  // namespace

LocalController::LocalController(Runtime& rt, const BrokerConfig& config,
                                 controller::MetadataCache& cache)
    : rt_(rt), config_(config), cache_(cache), data_dir_(config.data_dir()), admin_mutex_(rt) {
  TERN_ASSERT(!data_dir_.empty());
}

Status LocalController::persist() { return save_metadata(rt_.disk(), data_dir_, meta_); }

void LocalController::publish() {
  auto img = std::make_shared<controller::MetadataImage>();
  img->offset = ++offset_;
  img->epoch = 0;
  img->cluster_id = meta_.cluster_id;
  if (self_) img->brokers[self_->id] = *self_;
  const int32_t self_id = config_.node_id;
  for (const auto& [name, tm] : meta_.topics) {
    controller::TopicImage& t = img->topics[name];
    t.name = name;
    t.id = tm.id;
    t.configs = tm.configs;
    controller::PartitionInfo p;
    p.replicas = {self_id};
    p.isr = {self_id};
    p.leader = self_id;
    t.partitions.assign(static_cast<size_t>(tm.partitions), p);
  }
  img->next_producer_id = meta_.next_producer_id;
  cache_.publish(std::move(img));
  TERN_ASSERT(cache_.current()->offset == offset_);
}

bool LocalController::partitions_ready(const std::string& topic, int32_t from, int32_t to) const {
  if (!partition_ready_) return true;
  for (int32_t i = from; i < to; ++i) {
    if (!partition_ready_(topic, i)) return false;
  }
  return true;
}

Status LocalController::recover() {
  TERN_TRY(rt_.disk().make_dirs(data_dir_));
  auto loaded = load_metadata(rt_.disk(), data_dir_);
  if (loaded.ok()) {
    meta_ = std::move(loaded.value());
  } else if (loaded.code() == Errc::not_found) {
    meta_ = ClusterMetadata{};
    meta_.cluster_id = uuid_to_base64(random_uuid(rt_.rng()));
    TERN_TRY(persist());
    rt_.trace(Severity::info, "broker.new_cluster", {{"cluster_id", meta_.cluster_id}});
  } else {
    rt_.trace(Severity::error, "broker.metadata_unreadable",
              {{"error", loaded.error().message()}});
    return loaded.error();
  }
  publish();
  return {};
}

void LocalController::register_broker(const Listener& advertised) {
  controller::BrokerInfo b;
  b.id = config_.node_id;
  b.epoch = offset_ + 1;  // the offset of its registration
  b.endpoints.push_back({advertised.name, advertised.host, advertised.port});
  b.rack = config_.broker_rack;
  b.fenced = false;
  self_ = std::move(b);
  publish();
}

// ---- CreateTopics ------------------------------------------------------------------------

protocol::CreateTopicsResponse LocalController::create_topics(
    const protocol::CreateTopicsRequest& req, int16_t /*version*/) {
  protocol::CreateTopicsResponse resp;
  const auto dup = controller::duplicate_names(req.topics, [](const auto& t) { return t.name; });
  for (const CreatableTopic& t : req.topics) {
    auto& out = resp.topics.emplace_back();
    out.name = t.name;
    out.error_message = std::nullopt;
    TopicError e;
    if (dup.count(t.name)) {
      e = {ErrorCode::invalid_request,
           "Create topics request contains multiple entries for the topic."};
    } else {
      e = create_topic(t, req.validate_only);
    }
    out.error_code = to_wire(e.code);
    if (!e.ok()) out.error_message = e.message;
  }
  return resp;
}

TopicError LocalController::create_topic(const CreatableTopic& t, bool validate_only) {
  const std::string problem = controller::topic_name_problem(t.name);
  if (!problem.empty()) return {ErrorCode::invalid_topic_exception, problem};
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) return shutting_down();
  if (meta_.topics.count(t.name)) {
    return {ErrorCode::topic_already_exists, fmt::format("Topic '{}' already exists.", t.name)};
  }
  controller::NewTopic nt;
  TopicError e = controller::check_new_topic(t, {config_.node_id}, config_.num_partitions,
                                             config_.default_replication_factor,
                                             validate_topic_config, nt);
  if (!e.ok() || validate_only) return e;
  TopicMetadata tm;
  tm.name = t.name;
  tm.id = random_uuid(rt_.rng());
  tm.partitions = nt.partitions;
  tm.configs = std::move(nt.configs);
  meta_.topics[t.name] = tm;
  Status s = persist();
  if (!s.ok()) {
    meta_.topics.erase(t.name);
    return {ErrorCode::kafka_storage_error, s.error().message()};
  }
  publish();
  rt_.trace(Severity::info, "broker.topic_created",
            {{"topic", t.name}, {"partitions", nt.partitions}});
  // Recorded and persisted: the topic exists, a failed partition answers errors until a
  // restart opens it again.
  if (!partitions_ready(t.name, 0, nt.partitions)) {
    return {ErrorCode::kafka_storage_error, "a partition log could not be created"};
  }
  return {};
}

// ---- DeleteTopics ------------------------------------------------------------------------

protocol::DeleteTopicsResponse LocalController::delete_topics(
    const protocol::DeleteTopicsRequest& req, int16_t /*version*/) {
  protocol::DeleteTopicsResponse resp;
  const auto dup = controller::duplicate_names(req.topic_names,
                                               [](const std::string& n) { return n; });
  for (const std::string& name : req.topic_names) {
    auto& out = resp.responses.emplace_back();
    out.name = name;
    if (dup.count(name)) {
      out.error_code = to_wire(ErrorCode::invalid_request);
    } else if (!config_.delete_topic_enable) {
      out.error_code = to_wire(ErrorCode::topic_deletion_disabled);
    } else {
      out.error_code = to_wire(delete_topic(name));
    }
  }
  return resp;
}

ErrorCode LocalController::delete_topic(const std::string& name) {
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) return ErrorCode::request_timed_out;
  auto it = meta_.topics.find(name);
  if (it == meta_.topics.end()) return ErrorCode::unknown_topic_or_partition;
  TopicMetadata saved = it->second;
  meta_.topics.erase(it);
  if (!persist().ok()) {
    meta_.topics[name] = saved;
    return ErrorCode::kafka_storage_error;
  }
  // Metadata first, then the directories (the ReplicaManager removes them when it applies
  // the image): a crash in between leaves directories the next start removes.
  publish();
  rt_.trace(Severity::info, "broker.topic_deleted", {{"topic", name}});
  return ErrorCode::none;
}

// ---- CreatePartitions --------------------------------------------------------------------

protocol::CreatePartitionsResponse LocalController::create_partitions(
    const protocol::CreatePartitionsRequest& req, int16_t /*version*/) {
  protocol::CreatePartitionsResponse resp;
  const auto dup = controller::duplicate_names(req.topics, [](const auto& t) { return t.name; });
  for (const auto& t : req.topics) {
    auto& out = resp.results.emplace_back();
    out.name = t.name;
    TopicError e;
    if (dup.count(t.name)) {
      e = {ErrorCode::invalid_request, "Duplicate topic in request."};
    } else {
      e = create_partitions_of(t, req.validate_only);
    }
    out.error_code = to_wire(e.code);
    if (!e.ok()) out.error_message = e.message;
  }
  return resp;
}

TopicError LocalController::create_partitions_of(
    const protocol::CreatePartitionsRequest::Topic& t, bool validate_only) {
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) return {ErrorCode::request_timed_out, ""};
  auto it = meta_.topics.find(t.name);
  if (it != meta_.topics.end() && t.assignments.has_value() && !t.assignments->empty()) {
    TopicError e = controller::check_new_assignments(t.count - it->second.partitions,
                                                     *t.assignments, {config_.node_id});
    if (!e.ok()) return e;
  }
  if (it == meta_.topics.end()) {
    return {ErrorCode::unknown_topic_or_partition,
            fmt::format("The topic '{}' does not exist.", t.name)};
  }
  const int32_t current = it->second.partitions;
  TopicError e = controller::check_partition_increase(t.name, current, t.count);
  if (!e.ok() || validate_only) return e;
  it->second.partitions = t.count;
  if (!persist().ok()) {
    it->second.partitions = current;
    return {ErrorCode::kafka_storage_error, "metadata could not be saved"};
  }
  publish();
  if (!partitions_ready(t.name, current, t.count)) {
    return {ErrorCode::kafka_storage_error, "a partition log could not be created"};
  }
  return {};
}

// ---- AlterConfigs ------------------------------------------------------------------------

protocol::AlterConfigsResponse LocalController::alter_configs(
    const protocol::AlterConfigsRequest& req, int16_t /*version*/) {
  protocol::AlterConfigsResponse resp;
  for (const auto& r : req.resources) {
    auto& out = resp.responses.emplace_back();
    out.resource_type = r.resource_type;
    out.resource_name = r.resource_name;
    out.error_message = std::nullopt;
    TopicError e;
    if (r.resource_type == kResourceBroker) {
      e = {ErrorCode::invalid_config,
           "tern has no dynamic broker configs; set them in server.properties"};
    } else if (r.resource_type != kResourceTopic) {
      e = {ErrorCode::invalid_request,
           fmt::format("Unsupported resource type {}", r.resource_type)};
    } else {
      e = alter_topic_configs(r, req.validate_only);
    }
    out.error_code = to_wire(e.code);
    if (!e.ok()) out.error_message = e.message;
  }
  return resp;
}

TopicError LocalController::alter_topic_configs(const protocol::AlterConfigsRequest::Resource& r,
                                                bool validate_only) {
  std::map<std::string, std::string> configs;
  for (const auto& c : r.configs) {
    if (!c.value.has_value()) continue;
    Status s = validate_topic_config(c.name, *c.value);
    if (!s.ok()) return {ErrorCode::invalid_config, s.error().context()};
    configs[c.name] = *c.value;
  }
  MutexLock lock(admin_mutex_);
  if (!lock.owns() || stopping_) return {ErrorCode::request_timed_out, ""};
  auto it = meta_.topics.find(r.resource_name);
  if (it == meta_.topics.end()) {
    return {ErrorCode::unknown_topic_or_partition,
            fmt::format("Topic '{}' does not exist.", r.resource_name)};
  }
  if (validate_only) return {};
  const auto saved = it->second.configs;
  it->second.configs = std::move(configs);
  if (!persist().ok()) {
    it->second.configs = saved;
    return {ErrorCode::kafka_storage_error, "metadata could not be saved"};
  }
  // max.message.bytes applies at once (the produce path reads the image); log settings
  // (segment, retention, flush) apply when the partition's log is next opened (README).
  publish();
  return {};
}

// ---- producer ids ------------------------------------------------------------------------

Result<controller::ProducerIdBlock> LocalController::allocate_producer_ids() {
  MutexLock lock(admin_mutex_);
  if (!lock.owns()) return Errc::cancelled;
  controller::ProducerIdBlock block{meta_.next_producer_id, kProducerIdBlock};
  meta_.next_producer_id += kProducerIdBlock;
  Status s = persist();
  if (!s.ok()) {
    meta_.next_producer_id = block.first;
    return s.error();
  }
  publish();
  TERN_ASSERT(block.first + block.count == meta_.next_producer_id);
  return block;
}

}  // namespace tern::server
