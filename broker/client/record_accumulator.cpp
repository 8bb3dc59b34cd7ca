#include "broker/client/record_accumulator.h"

#include <algorithm>

namespace tern::client {

size_t estimate_record_bytes(std::optional<ByteView> key, std::optional<ByteView> value,
                             std::span<const RecordHeaderView> headers) {
  // length(5) attributes(1) timestampDelta(10) offsetDelta(5) keyLen(5) valueLen(5)
  // headerCount(5), each header keyLen(5) valueLen(5).
  size_t n = 36;
  if (key) n += key->size();
  if (value) n += value->size();
  for (const auto& h : headers) n += 10 + h.key.size() + (h.value ? h.value->size() : 0);
  return n;
}

bool PartitionQueue::append(const Append& record, Promise<Delivery> promise, Instant now,
                            const BatchOptions& options, size_t batch_bytes) {
  const size_t add = estimate_record_bytes(record.key, record.value, record.headers);
  bool started_behind = false;
  if (batches_.empty() ||
      (batches_.back()->builder.record_count() > 0 &&
       batches_.back()->builder.uncompressed_bytes() + add > batch_bytes)) {
    started_behind = !batches_.empty();
    batches_.push_back(std::make_unique<ProducerBatch>(options, now));
    // A batch started behind a full one will likely fill too (the partition is backed up):
    // give it batch.size up front, as Kafka's producer takes a batch.size buffer from its
    // pool, so it does not grow by doubling and copying itself. A first batch gets what it
    // needs: with linger.ms=0 most batches hold a few records, and a 1 MB reservation for
    // each would be an mmap and munmap per batch.
    if (started_behind) {
      const auto cap = static_cast<size_t>(std::max<int64_t>(options.batch_bytes_max, 0));
      const size_t want = std::max(batch_bytes, add + kBatchHeaderBytes);
      batches_.back()->builder.reserve(std::min(want, cap));
    }
  }
  ProducerBatch& b = *batches_.back();
  b.builder.add(record.timestamp, record.key, record.value, record.headers);
  b.promises.push_back(std::move(promise));
  b.timestamps.push_back(record.timestamp);
  b.reserved_bytes += record.reserved_bytes;
  TERN_ASSERT(b.promises.size() == b.builder.record_count(), "{} promises, {} records",
              b.promises.size(), b.builder.record_count());
  return started_behind;
}

bool PartitionQueue::ready(Instant now, Duration linger, size_t batch_bytes,
                           bool flushing) const {
  if (batches_.empty()) return false;
  if (flushing || batches_.size() > 1) return true;
  const ProducerBatch& b = *batches_.front();
  return b.builder.uncompressed_bytes() >= batch_bytes || now >= b.created + linger;
}

Instant PartitionQueue::ready_at(Duration linger) const {
  TERN_ASSERT(!batches_.empty());
  return batches_.front()->created + linger;
}

std::unique_ptr<ProducerBatch> PartitionQueue::take() {
  TERN_ASSERT(!batches_.empty());
  auto b = std::move(batches_.front());
  batches_.pop_front();
  TERN_ASSERT(b->builder.record_count() > 0);
  return b;
}

size_t PartitionQueue::record_count() const {
  size_t n = 0;
  for (const auto& b : batches_) n += b->builder.record_count();
  return n;
}

}  // namespace tern::client
