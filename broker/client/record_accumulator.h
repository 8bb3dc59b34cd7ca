#pragma once
// The batching half of the producer: per partition, a queue of record batches being filled.
// Kept free of networking so its rules can be tested on their own:
//   - a record goes into the last open batch unless that would take the batch past
//     batch.size (a lone record larger than batch.size gets a batch of its own);
//   - the front batch is ready to send when a batch is queued behind it (it is full), when
//     it reached batch.size, when it is linger.ms old, or when the producer flushes/closes.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "broker/client/client_error.h"
#include "broker/protocol/records/record_batch_builder.h"
#include "sim/runtime/sync/future.h"
#include "sim/runtime/time.h"

namespace tern::client {

struct RecordMetadata {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;     // -1 with acks=0: the broker does not say
  int64_t timestamp = -1;  // CreateTime, or the broker's LogAppendTime
};

using Delivery = ClientResult<RecordMetadata>;

// The bytes a record adds to a batch, an upper bound (varint headers at their widest).
size_t estimate_record_bytes(std::optional<ByteView> key, std::optional<ByteView> value,
                             std::span<const RecordHeaderView> headers);

struct ProducerBatch {
  ProducerBatch(const BatchOptions& options, Instant created_at)
      : builder(options), created(created_at) {}
  RecordBatchBuilder builder;
  std::vector<Promise<Delivery>> promises;  // one per record, in offset-delta order
  std::vector<int64_t> timestamps;
  Instant created;
  int64_t reserved_bytes = 0;  // buffer memory held until the batch completes
};

class PartitionQueue {
 public:
  struct Append {
    int64_t timestamp = 0;
    std::optional<ByteView> key;
    std::optional<ByteView> value;
    std::span<const RecordHeaderView> headers;
    int64_t reserved_bytes = 0;
  };

  // Appends a record; returns true if it started a new batch behind a non-empty one (the
  // previous batch is now full).
  bool append(const Append& record, Promise<Delivery> promise, Instant now,
              const BatchOptions& options, size_t batch_bytes);
  bool ready(Instant now, Duration linger, size_t batch_bytes, bool flushing) const;
  // When the front batch becomes ready through linger alone. REQUIRES: !empty().
  Instant ready_at(Duration linger) const;
  // REQUIRES: !empty().
  std::unique_ptr<ProducerBatch> take();
  bool empty() const { return batches_.empty(); }
  size_t batch_count() const { return batches_.size(); }
  size_t record_count() const;

 private:
  std::deque<std::unique_ptr<ProducerBatch>> batches_;
};

}  // namespace tern::client
