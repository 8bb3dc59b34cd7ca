#pragma once
// The consumer, without groups: assign(partitions), seek (to an offset, the beginning or the
// end via ListOffsets), poll(timeout) -> records. Fetch v4-v11 without sessions (session id
// 0, full requests), one request per partition leader, long polling on the broker
// (max_wait_ms/min_bytes). Compressed batches are decompressed, control batches skipped,
// and records below the fetch position inside a returned batch are dropped (a fetch starts
// at a batch boundary, not at the asked offset).
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <span>
#include <functional>
#include <vector>

#include "broker/client/client_error.h"
#include "broker/client/cluster.h"
#include "broker/protocol/records/record.h"
#include "broker/protocol/records/record_batch.h"

namespace tern::client {

enum class OffsetReset : uint8_t { earliest, latest, none };

struct ConsumerOptions {
  OffsetReset auto_offset_reset = OffsetReset::latest;  // auto.offset.reset
  int32_t fetch_max_wait_ms = 500;                      // fetch.max.wait.ms
  int32_t fetch_min_bytes = 1;                          // fetch.min.bytes
  int32_t fetch_max_bytes = 50 * 1024 * 1024;           // fetch.max.bytes
  int32_t max_partition_fetch_bytes = 1024 * 1024;      // max.partition.fetch.bytes
  size_t max_poll_records = 500;                        // max.poll.records
  Duration retry_backoff = Duration::millis(100);
  bool check_crcs = true;                               // check.crcs
  // After a fetch in which a partition filled at least half its fetch size (a backlog), send
  // the next fetch at once (max_wait_ms 0) so the broker reads while the application works
  // through the records just received, as Kafka's consumer does. Its answer is taken by the
  // next poll that needs records.
  bool prefetch = true;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

struct ConsumerRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;
  TimestampType timestamp_type = TimestampType::create_time;
  std::optional<Bytes> key;
  std::optional<Bytes> value;
  std::vector<RecordHeader> headers;
};

// A record as a view into the consumer's fetched bytes (no copy of key, value or headers):
// valid only inside the poll_each() callback that receives it. librdkafka's consumer hands
// out messages pointing into its fetch buffers the same way.
struct ConsumerRecordView {
  std::string_view topic;
  int32_t partition = 0;
  int64_t offset = 0;
  int64_t timestamp = -1;
  TimestampType timestamp_type = TimestampType::create_time;
  std::optional<ByteView> key;
  std::optional<ByteView> value;
  std::span<const RecordHeaderView> headers;
};
using RecordSink = std::function<void(const ConsumerRecordView&)>;

// ListOffsets' special timestamps.
inline constexpr int64_t kLatestTimestamp = -1;
inline constexpr int64_t kEarliestTimestamp = -2;

class Consumer {
 public:
  Consumer(Runtime& rt, ClientOptions client, ConsumerOptions options = {});

  // Replaces the assignment. Partitions without a position get one on the next poll
  // (auto.offset.reset) unless seek()ed first.
  void assign(std::vector<TopicPartition> partitions);
  // Assigns every partition of a topic (metadata lookup, waiting up to `deadline`).
  ClientStatus assign_topic(const std::string& topic, Deadline deadline);
  const std::vector<TopicPartition>& assignment() const { return assigned_; }

  void seek(const TopicPartition& tp, int64_t offset);
  ClientStatus seek_to_beginning(const std::vector<TopicPartition>& tps);
  ClientStatus seek_to_end(const std::vector<TopicPartition>& tps);
  // The next offset poll() will return for tp (resolving auto.offset.reset if needed).
  ClientResult<int64_t> position(const TopicPartition& tp);

  // ListOffsets for each partition: kEarliestTimestamp, kLatestTimestamp or a time in ms
  // (the first offset whose timestamp is >= it; -1 if none).
  ClientResult<std::map<TopicPartition, int64_t>> list_offsets(
      const std::vector<TopicPartition>& tps, int64_t timestamp);

  // Records from the assigned partitions; waits up to `timeout` for at least one. An empty
  // vector means none arrived in time. Errors: OFFSET_OUT_OF_RANGE with
  // auto.offset.reset=none, non-retriable fetch errors, a corrupt batch.
  ClientResult<std::vector<ConsumerRecord>> poll(Duration timeout);
  // poll() without copies: hands each record of the next fetched chunk (all its records, not
  // max.poll.records) to `sink` and returns how many; 0 means none arrived in time. On a
  // corrupt batch the records before it have been handed over and the position stays at it,
  // as with poll(). The sink must not call back into this consumer (seek, assign, poll): it
  // runs in the middle of the chunk's decode.
  ClientResult<size_t> poll_each(Duration timeout, const RecordSink& sink);

  Cluster& cluster() { return cluster_; }

 private:
  ClientStatus resolve_positions(Deadline deadline);
  // A fetch sent to one leader and not yet answered.
  struct FetchInFlight {
    Connection::Pending<protocol::FetchResponse> pending;
    std::map<TopicPartition, int64_t> asked;  // the fetch offset per partition
    int64_t wait_ms = 0;
    int32_t partition_max_bytes = 0;  // what the request allowed, to check the answer
  };
  ClientStatus fetch_once(Deadline deadline);
  // Sends one fetch per leader of the positioned partitions. `last` keeps the last
  // retriable error; non-retriable ones are returned.
  ClientStatus send_fetches(int64_t wait_ms, std::vector<FetchInFlight>& out,
                            std::optional<ClientError>& last);
  ClientStatus take_fetch(FetchInFlight& f, std::optional<ClientError>& last);
  // Traces an error event if a partition's answer breaks the fetch size bound (KIP-74).
  void check_fetch_bound(const TopicPartition& tp, const Bytes& records, int32_t limit,
                         bool first_with_data);
  // Queues a partition's fetched records (moved, not copied) and advances its position past
  // the whole batches in them. Cheap: batch headers only; decode_chunk does the rest later,
  // so the next fetch can go out before the records are parsed.
  ClientStatus take_records(const TopicPartition& tp, Bytes records);
  // Checks CRCs and hands the oldest queued chunk's records to `sink` (poll() puts them in
  // buffered_).
  ClientStatus decode_chunk(const RecordSink& sink);
  // Fetches until a chunk is queued (true) or the deadline passes (false).
  ClientResult<bool> await_chunk(Deadline deadline);

  Runtime& rt_;
  Cluster cluster_;
  ConsumerOptions options_;
  std::vector<TopicPartition> assigned_;
  std::map<TopicPartition, int64_t> positions_;  // absent: needs auto.offset.reset
  std::vector<ConsumerRecord> buffered_;
  size_t buffered_next_ = 0;
  std::vector<FetchInFlight> prefetched_;  // dropped by assign/seek
  // Fetched record bytes not yet decoded, oldest first.
  struct Chunk {
    TopicPartition tp;
    Bytes records;
    int64_t from = 0;  // the fetch position: records below it are skipped
  };
  std::deque<Chunk> chunks_;
};

}  // namespace tern::client
