#pragma once
// The producer: send() places a record in its partition's batch and returns a future of
// (partition, offset). Per partition a sender task sends ready batches, up to max.in.flight
// unanswered requests at a time, and an acker task settles the answers in order. With
// max.in.flight = 1 records keep their order even when a batch is retried. Without
// idempotence a retry after a lost answer may write a batch twice (as with Kafka's producer
// when enable.idempotence=false).
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "broker/client/client_error.h"
#include "broker/client/cluster.h"
#include "broker/client/record_accumulator.h"
#include "broker/protocol/compression/compression.h"
#include "broker/protocol/records/record.h"

namespace tern::client {

enum class Acks : int16_t { none = 0, leader = 1, all = -1 };

struct ProducerOptions {
  Acks acks = Acks::all;
  size_t batch_bytes = 16384;                       // batch.size
  Duration linger = Duration::millis(5);            // linger.ms
  int32_t retries = INT32_MAX;                      // retries
  Duration retry_backoff = Duration::millis(100);   // retry.backoff.ms
  Duration delivery_timeout = Duration::seconds(120);  // delivery.timeout.ms
  Duration request_timeout = Duration::seconds(30);    // request.timeout.ms
  Duration max_block = Duration::seconds(60);          // max.block.ms (metadata, buffer)
  int64_t buffer_bytes = 32 * 1024 * 1024;             // buffer.memory
  size_t max_request_bytes = 1024 * 1024;              // max.request.size
  Compression compression = Compression::none;         // compression.type
  // max.in.flight.requests.per.connection, per partition here. Above 1, batches go out
  // without waiting for the previous answer (group commit on the broker gets many requests
  // per fsync); a retried batch may then land behind a later one, as with Kafka's
  // non-idempotent producer. 1 keeps send order even across retries.
  int32_t max_in_flight = 5;
};

struct ProducerRecord {
  std::string topic;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<RecordHeader> headers;
  std::optional<int32_t> partition;  // explicit partition; else key hash or sticky
  std::optional<int64_t> timestamp;  // CreateTime in ms; default the runtime's wall clock
};

// A record whose bytes stay the caller's: send() copies them into the batch before it
// returns, so a caller sending the same payload many times (a benchmark, a forwarder holding
// a buffer) pays no copy of its own. librdkafka's RD_KAFKA_MSG_F_COPY.
struct ProducerRecordView {
  std::string_view topic;
  std::optional<ByteView> key;
  std::optional<ByteView> value;
  std::span<const RecordHeaderView> headers;
  std::optional<int32_t> partition;
  std::optional<int64_t> timestamp;
};

class DeliveryFuture {
 public:
  DeliveryFuture() = default;
  explicit DeliveryFuture(Future<Delivery> f) : f_(std::move(f)) {}
  bool ready() const { return f_.ready(); }
  // The record's partition and offset, or why it was not written.
  Delivery get(Deadline deadline = Instant::never()) const {
    auto r = f_.get(deadline);
    if (!r.ok()) return ClientError::runtime(r.code(), "delivery");
    return r.value();
  }

 private:
  Future<Delivery> f_;
};

class Producer {
 public:
  Producer(Runtime& rt, ClientOptions client, ProducerOptions options = {});
  // Stops the sender tasks; records not yet delivered fail with Errc::cancelled.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a record. Waits (up to max.block) for the topic's metadata and buffer memory.
  ClientResult<DeliveryFuture> send(ProducerRecord record);
  ClientResult<DeliveryFuture> send(const ProducerRecordView& record);
  // Sends everything queued now, ignoring linger, and waits until each record has an answer.
  ClientStatus flush(Deadline deadline = Instant::never());
  // flush(), then stop the sender tasks.
  ClientStatus close(Deadline deadline = Instant::never());

  Cluster& cluster();
  struct Core;

 private:
  std::shared_ptr<Core> core_;
};

}  // namespace tern::client
