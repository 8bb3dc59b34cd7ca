#include "broker/partition/partition.h"

#include <fmt/format.h>

namespace tern::partition {

const char* role_name(Role r) {
  switch (r) {
    case Role::none: return "none";
    case Role::leader: return "leader";
    case Role::follower: return "follower";
  }
  return "?";
}

Partition::Partition(Runtime& rt, std::string topic, protocol::Uuid topic_id, int32_t index,
                     Durability durability)
    : rt_(rt),
      topic_(std::move(topic)),
      topic_id_(topic_id),
      index_(index),
      durability_(durability),
      append_mutex_(rt),
      pump_done_(rt) {
  TERN_ASSERT(!topic_.empty());
  TERN_ASSERT(index_ >= 0, "partition index {}", index_);
}

Partition::~Partition() = default;

Status Partition::open(const std::string& data_dir, const LogConfig& config,
                       std::function<void(const Error&)> on_log_failure) {
  TERN_ASSERT(!opened_, "{}-{} opened twice", topic_, index_);
  opened_ = true;
  auto log = PartitionLog::open(rt_, data_dir, topic_, index_, config);
  if (!log.ok()) {
    // A disk failure, not a bug (warn): like Kafka's offline log dir, it stops the broker.
    rt_.trace(Severity::warn, "broker.partition_open_failed",
              {{"topic", topic_}, {"partition", index_}, {"error", log.error().message()}});
    deleted_ = true;  // unusable; handlers answer UNKNOWN_TOPIC_OR_PARTITION
    if (on_log_failure) on_log_failure(log.error());
    return log.error();
  }
  log_ = std::move(log.value());
  log_->set_failure_handler(std::move(on_log_failure));
  const RecoveryReport& rep = log_->recovery();
  rt_.trace(Severity::info, "broker.partition_open",
            {{"topic", topic_}, {"partition", index_},
             {"start", log_->log_start_offset().value()},
             {"end", log_->log_end_offset().value()},
             {"truncated_bytes", static_cast<int64_t>(rep.truncated_bytes)}});
  return {};
}

void Partition::set_role(Role role, LeaderEpoch epoch) {
  TERN_ASSERT(epoch >= leader_epoch_, "{}-{}: leader epoch {} < {}", topic_, index_,
              epoch.value(), leader_epoch_.value());
  const bool changed = role != role_ || epoch != leader_epoch_;
  role_ = role;
  leader_epoch_ = epoch;
  // A fetch waiting on a replica that stopped leading must answer (NOT_LEADER) at once.
  if (changed) notify_waiters();
}

Offset Partition::high_watermark() const {
  TERN_ASSERT(log_ != nullptr, "{}-{} has no log", topic_, index_);
  const Offset end = log_->log_end_offset();
  const Offset hw = durability_ == Durability::fsync ? log_->durable_offset() : end;
  TERN_ASSERT(hw <= end, "hw {} > leo {}", hw.value(), end.value());
  return hw;
}

Offset Partition::log_start_offset() const {
  TERN_ASSERT(log_ != nullptr);
  return log_->log_start_offset();
}

Offset Partition::log_end_offset() const {
  TERN_ASSERT(log_ != nullptr);
  return log_->log_end_offset();
}

Offset Partition::durable_offset() const {
  TERN_ASSERT(log_ != nullptr);
  return log_->durable_offset();
}

BatchesAppended Partition::append(std::vector<Bytes> batches) {
  TERN_ASSERT(!batches.empty());
  BatchesAppended out;
  MutexLock lock(append_mutex_);
  if (!lock.owns() || !usable()) {
    out.refused = BatchesAppended::Refused::unavailable;
    return out;
  }
  if (role_ != Role::leader) {
    out.refused = BatchesAppended::Refused::not_leader;
    return out;
  }
  for (Bytes& batch : batches) {
    auto r = log_->append(std::move(batch), leader_epoch_);
    if (!r.ok()) {
      rt_.trace(Severity::warn, "produce.append_failed",
                {{"topic", topic_}, {"partition", index_}, {"error", r.error().message()}});
      out.error = r.error();
      break;
    }
    TERN_ASSERT(!out.last || r.value().base_offset == *out.last + 1, "offsets not contiguous");
    if (!out.first) {
      out.first = r.value().base_offset;
      out.log_append_time = r.value().log_append_time;
    }
    out.last = r.value().last_offset;
  }
  out.log_start = log_->log_start_offset();
  notify_waiters();
  return out;
}

Status Partition::wait_durable(Offset offset, Deadline deadline) {
  TERN_ASSERT(log_ != nullptr);
  Status s = log_->wait_durable(offset, deadline);
  notify_waiters();
  return s;
}

void Partition::request_flush() {
  if (durability_ != Durability::fsync || pump_running_ || log_ == nullptr) return;
  pump_running_ = true;
  auto self = shared_from_this();
  rt_.spawn(fmt::format("flush.{}-{}", topic_, index_), [self] { self->pump(); });
}

void Partition::pump() {
  TERN_ASSERT(pump_running_);
  // Keeps flushing while appends arrive; the log batches concurrent waiters into one fsync.
  while (!deleted_ && log_->durable_offset() < log_->log_end_offset()) {
    // BUGGIFY: the high watermark of acks 0/1 appends moves a little later.
    if (rt_.buggify("broker.flush.delay")) {
      if (!rt_.sleep_for(Duration::millis(2)).ok() || deleted_) break;
      if (log_->durable_offset() >= log_->log_end_offset()) break;
    }
    const Offset target = log_->log_end_offset() - 1;
    Status s = log_->wait_durable(target, Instant::never());
    notify_waiters();
    if (!s.ok()) break;
  }
  pump_running_ = false;
  pump_done_.notify_all();
}

Status Partition::wait_pump_idle() {
  return pump_done_.wait_until([&] { return !pump_running_; });
}

Result<Bytes> Partition::read(Offset offset, uint64_t max_bytes) {
  if (!usable()) return Error(Errc::not_found, "partition removed");
  return log_->read(offset, max_bytes);
}

Result<std::optional<TimestampOffset>> Partition::offset_for_timestamp(int64_t ts) {
  if (!usable()) return Error(Errc::not_found, "partition removed");
  return log_->offset_for_timestamp(ts);
}

Result<uint32_t> Partition::enforce_retention() {
  if (!usable()) return uint32_t{0};
  auto r = log_->enforce_retention();
  if (r.ok() && r.value() > 0) notify_waiters();  // the log start moved
  return r;
}

Status Partition::remove() {
  deleted_ = true;
  Status s;
  if (log_ != nullptr) s = log_->close();
  notify_waiters();
  return s;
}

Status Partition::close() {
  if (log_ == nullptr) return {};
  return log_->close();
}

Partition::Watch::Watch(std::shared_ptr<Partition> p, DataWaiter* w) : p_(std::move(p)), w_(w) {
  TERN_ASSERT(p_ != nullptr);
  p_->waiters_.add(w_);
}

Partition::Watch::~Watch() {
  if (w_ != nullptr) p_->waiters_.remove(w_);
}

}  // namespace tern::partition
