#include "broker/client/producer.h"

#include "broker/client/partitioner.h"
#include "sim/runtime/sync/semaphore.h"

namespace tern::client {

using protocol::ErrorCode;
using protocol::to_wire;

struct Producer::Core {
  Core(Runtime& runtime, ClientOptions client, const ProducerOptions& o)
      : rt(runtime), cluster(runtime, std::move(client)), opts(o),
        memory(runtime, o.buffer_bytes), changed(runtime) {}

  struct Part {
    PartitionQueue queue;
    bool sender_running = false;
  };

  Runtime& rt;
  Cluster cluster;
  ProducerOptions opts;
  Semaphore memory;
  Condition changed;
  // Keyed by (topic, partition): ordered, so nothing depends on hash order.
  std::map<std::pair<std::string, int32_t>, Part> parts;
  StickyPartitions sticky;
  int64_t outstanding = 0;  // records sent to send() and not yet answered
  int flushing = 0;
  bool closing = false;
};

namespace {

using Core = Producer::Core;

struct Written {
  int64_t base_offset = -1;
  int64_t log_append_time = -1;
};

ClientResult<Written> produce_once(Core& core, const std::string& topic, int32_t partition,
                                   const Bytes& batch) {
  const Deadline deadline = core.rt.now() + core.opts.request_timeout;
  auto leader = core.cluster.leader(topic, partition, deadline);
  if (!leader.ok()) return leader.error();
  auto conn = core.cluster.connection(leader.value(), deadline);
  if (!conn.ok()) return conn.error();
  auto version = conn.value()->version_for<protocol::ProduceRequest>();
  if (!version.ok()) return version.error();
  protocol::ProduceRequest req;
  req.acks = static_cast<int16_t>(core.opts.acks);
  req.timeout_ms = static_cast<int32_t>(core.opts.request_timeout.to_millis());
  protocol::ProduceRequest::TopicProduceData td;
  td.name = topic;
  protocol::ProduceRequest::PartitionProduceData pd;
  pd.index = partition;
  pd.records = batch;
  td.partition_data.push_back(std::move(pd));
  req.topic_data.push_back(std::move(td));
  if (core.opts.acks == Acks::none) {
    ClientStatus st = conn.value()->send_no_response(req, version.value());
    if (!st.ok()) return st.error();
    return Written{};
  }
  auto resp = conn.value()->call(req, version.value());
  if (!resp.ok()) return resp.error();
  for (const auto& t : resp->responses) {
    if (t.name != topic) continue;
    for (const auto& p : t.partition_responses) {
      if (p.index != partition) continue;
      if (p.error_code != 0) {
        std::string context = fmt::format("produce to {}-{}", topic, partition);
        if (p.error_message && !p.error_message->empty()) context += ": " + *p.error_message;
        return ClientError::kafka(p.error_code, std::move(context));
      }
      return Written{p.base_offset, p.log_append_time_ms};
    }
  }
  return ClientError::kafka(to_wire(ErrorCode::unknown_server_error),
                            fmt::format("produce answer lacks {}-{}", topic, partition));
}

void finish(Core& core, ProducerBatch& batch, const std::string& topic, int32_t partition,
            const ClientResult<Written>& result) {
  for (size_t i = 0; i < batch.promises.size(); ++i) {
    if (result.ok()) {
      const Written& w = result.value();
      RecordMetadata md;
      md.topic = topic;
      md.partition = partition;
      md.offset = w.base_offset < 0 ? -1 : w.base_offset + static_cast<int64_t>(i);
      md.timestamp = w.log_append_time >= 0 ? w.log_append_time : batch.timestamps[i];
      batch.promises[i].set(Delivery(std::move(md)));
    } else {
      batch.promises[i].set(Delivery(result.error()));
    }
  }
  core.memory.release(batch.reserved_bytes);
  core.outstanding -= static_cast<int64_t>(batch.promises.size());
  TERN_ASSERT(core.outstanding >= 0, "outstanding {}", core.outstanding);
  core.changed.notify_all();
}

void send_batch(Core& core, const std::string& topic, int32_t partition, ProducerBatch& batch) {
  auto bytes = batch.builder.build();
  if (!bytes.ok()) {
    finish(core, batch, topic, partition,
           ClientError::runtime(Errc::invalid_argument, bytes.error().message()));
    return;
  }
  const Deadline give_up = batch.created + core.opts.delivery_timeout;
  for (int32_t attempt = 0;; ++attempt) {
    auto result = produce_once(core, topic, partition, bytes.value());
    if (result.ok()) return finish(core, batch, topic, partition, result);
    const ClientError& err = result.error();
    if (!err.retriable() || attempt >= core.opts.retries || core.rt.now() >= give_up ||
        core.closing) {
      return finish(core, batch, topic, partition, result);
    }
    // Stale leadership or a lost connection: look the partition up again before retrying.
    core.cluster.invalidate(topic);
    Instant wake = core.rt.now() + core.opts.retry_backoff;
    if (wake > give_up) wake = give_up;
    Status st = core.rt.sleep_until(wake);
    if (!st.ok()) return finish(core, batch, topic, partition, ClientError::runtime(st.error()));
  }
}

void run_sender(const std::shared_ptr<Core>& core_ptr, const std::string& topic,
                int32_t partition) {
  Core& core = *core_ptr;
  const auto key = std::make_pair(topic, partition);
  while (true) {
    Core::Part& part = core.parts[key];
    if (part.queue.empty()) {
      if (core.closing) break;
      Status st = core.changed.wait_until([&] { return !part.queue.empty() || core.closing; });
      if (!st.ok()) break;
      continue;
    }
    const bool hurry = core.flushing > 0 || core.closing;
    if (!part.queue.ready(core.rt.now(), core.opts.linger, core.opts.batch_bytes, hurry)) {
      const Instant at = part.queue.ready_at(core.opts.linger);
      Status st = core.changed.wait_until(
          [&] {
            return part.queue.ready(core.rt.now(), core.opts.linger, core.opts.batch_bytes,
                                    core.flushing > 0 || core.closing);
          },
          at);
      if (!st.ok() && st.code() != Errc::timed_out) break;
      continue;
    }
    auto batch = part.queue.take();
    send_batch(core, topic, partition, *batch);
  }
  core.parts[key].sender_running = false;
}

}  // namespace

Producer::Producer(Runtime& rt, ClientOptions client, ProducerOptions options)
    : core_(std::make_shared<Core>(rt, std::move(client), options)) {
  TERN_ASSERT(options.batch_bytes > 0 && options.buffer_bytes > 0);
}

Producer::~Producer() {
  core_->closing = true;
  for (auto& t : tasks_) {
    if (!t.done()) t.cancel();
  }
  core_->changed.notify_all();
}

Cluster& Producer::cluster() { return core_->cluster; }

ClientResult<DeliveryFuture> Producer::send(ProducerRecord record) {
  Core& core = *core_;
  if (core.closing) return ClientError::runtime(Errc::closed, "producer closed");
  const Deadline block_until = core.rt.now() + core.opts.max_block;
  auto topic = core.cluster.topic(record.topic, true, block_until);
  if (!topic.ok()) return topic.error();
  const auto n = static_cast<int32_t>(topic->partitions.size());
  TERN_ASSERT(n > 0);
  int32_t partition = 0;
  const bool keyless = !record.key && !record.partition;
  if (record.partition) {
    partition = *record.partition;
    if (partition < 0 || partition >= n) {
      return ClientError::kafka(to_wire(ErrorCode::unknown_topic_or_partition),
                                fmt::format("{}-{} (the topic has {} partitions)",
                                            record.topic, partition, n));
    }
  } else if (record.key) {
    partition = partition_for_key(*record.key, n);
  } else {
    partition = core.sticky.current(record.topic, n);
  }

  std::vector<RecordHeaderView> headers;
  for (const auto& h : record.headers) {
    headers.push_back(RecordHeaderView{h.key, h.value ? std::optional<ByteView>(*h.value)
                                                      : std::nullopt});
  }
  std::optional<ByteView> key, value;
  if (record.key) key = ByteView(*record.key);
  if (record.value) value = ByteView(*record.value);
  const auto size = static_cast<int64_t>(estimate_record_bytes(key, value, headers));
  if (static_cast<size_t>(size) > core.opts.max_request_bytes || size > core.opts.buffer_bytes) {
    return ClientError::kafka(to_wire(ErrorCode::message_too_large),
                              fmt::format("a record of about {} bytes", size));
  }
  Status st = core.memory.acquire(size, block_until);
  if (!st.ok()) return ClientError::runtime(st.code(), "waiting for producer buffer memory");
  if (core.closing) {
    core.memory.release(size);
    return ClientError::runtime(Errc::closed, "producer closed");
  }

  PartitionQueue::Append a;
  a.timestamp = record.timestamp ? *record.timestamp : core.rt.wall_now().unix_ms;
  a.key = key;
  a.value = value;
  a.headers = headers;
  a.reserved_bytes = size;
  Promise<Delivery> promise(core.rt);
  DeliveryFuture future(promise.future());
  BatchOptions bo;
  bo.compression = core.opts.compression;
  bo.batch_bytes_max = static_cast<int64_t>(core.opts.max_request_bytes) + 1024;
  Core::Part& part = core.parts[{record.topic, partition}];
  const bool full = part.queue.append(a, std::move(promise), core.rt.now(), bo,
                                      core.opts.batch_bytes);
  if (full && keyless) core.sticky.next(record.topic, n);
  ++core.outstanding;
  if (!part.sender_running) {
    part.sender_running = true;
    tasks_.push_back(core.rt.spawn(
        fmt::format("producer {}-{}", record.topic, partition),
        [core = core_, topic = record.topic, partition] { run_sender(core, topic, partition); }));
  }
  core.changed.notify_all();
  return future;
}

ClientStatus Producer::flush(Deadline deadline) {
  Core& core = *core_;
  ++core.flushing;
  core.changed.notify_all();
  Status st = core.changed.wait_until([&] { return core.outstanding == 0; }, deadline);
  --core.flushing;
  if (!st.ok()) {
    return ClientError::runtime(st.code(), fmt::format("flush: {} records still unanswered",
                                                       core.outstanding));
  }
  return {};
}

ClientStatus Producer::close(Deadline deadline) {
  ClientStatus st = flush(deadline);
  core_->closing = true;
  core_->changed.notify_all();
  return st;
}

}  // namespace tern::client
