#pragma once
// What the workload's clients did and saw, with simulated timestamps: the input of every
// invariant checker (Jepsen's history). Each send gets an id that its ack or failure names.
// Values are unique per run ("p1-17"), so a value identifies one send everywhere it appears.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tern::scenarios {

enum class OpKind : uint8_t {
  send,   // a producer handed a record to its client
  ack,    // ... and the broker acknowledged it at (partition, offset)
  fail,   // ... and it definitely failed (or timed out: indeterminate, see `error`)
  poll,   // a consumer received the record at (partition, offset)
  seek,   // a consumer moved its position to `offset` on purpose
};

std::string_view op_kind_name(OpKind k);

struct Op {
  int64_t time_ns = 0;
  std::string process;  // the client node ("p1", "c1")
  OpKind kind = OpKind::send;
  uint64_t send_id = 0;  // send/ack/fail
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
  std::string error;   // fail: why
  bool acks_all = true;  // send/ack: acknowledged by the full ISR (durable by tern's default)
  int8_t acks = -1;      // send/ack: the producer's acks setting (-1 = all, 0, 1)
  // send/ack: the producer promised send order within a partition (max.in.flight 1, or
  // idempotence). Kafka lets a pipelined, non-idempotent producer reorder on retries.
  bool ordered = true;

  std::string to_string() const;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
  std::string to_string() const { return topic + "-" + std::to_string(partition); }
};

struct StoredRecord {
  int64_t offset;
  std::string key;
  std::string value;
};

// The final contents of every partition, read after the cluster healed.
using FinalState = std::map<TopicPartition, std::vector<StoredRecord>>;

class History {
 public:
  uint64_t send(int64_t t, const std::string& process, const std::string& topic,
                const std::string& key, const std::string& value, int8_t acks,
                bool ordered = true);
  void ack(int64_t t, const std::string& process, uint64_t send_id, int32_t partition,
           int64_t offset);
  void fail(int64_t t, const std::string& process, uint64_t send_id, const std::string& error);
  void poll(int64_t t, const std::string& process, const std::string& topic, int32_t partition,
            int64_t offset, const std::string& key, const std::string& value);
  void seek(int64_t t, const std::string& process, const std::string& topic, int32_t partition,
            int64_t offset);
  void add(Op op) { ops_.push_back(std::move(op)); }

  const std::vector<Op>& ops() const { return ops_; }
  // The send a later op refers to.
  const Op* find_send(uint64_t send_id) const;
  size_t count(OpKind k) const;

 private:
  // op with the send's id, topic, key, value and acks (an ack or fail of that send).
  Op of_send(Op op, uint64_t send_id) const;
  std::vector<Op> ops_;
  // Where send id i sits in ops_ is send_pos_[i - 1]: send() hands out ids 1, 2, 3, ...
  std::vector<size_t> send_pos_;
  uint64_t next_send_id_ = 1;
};

}  // namespace tern::scenarios
