#include "scenarios/history.h"

#include <fmt/format.h>

namespace tern::scenarios {

std::string_view op_kind_name(OpKind k) {
  switch (k) {
    case OpKind::send: return "send";
    case OpKind::ack: return "ack";
    case OpKind::fail: return "fail";
    case OpKind::poll: return "poll";
    case OpKind::seek: return "seek";
  }
  return "?";
}

std::string Op::to_string() const {
  return fmt::format("{}.{:09} {} {} id={} {}-{}@{} key={} value={}{}", time_ns / 1000'000'000,
                     time_ns % 1000'000'000, process, op_kind_name(kind), send_id, topic,
                     partition, offset, key, value, error.empty() ? "" : " error=" + error);
}

namespace {

Op make_op(int64_t t, const std::string& process, OpKind kind) {
  Op op;
  op.time_ns = t;
  op.process = process;
  op.kind = kind;
  return op;
}

}  // namespace

uint64_t History::send(int64_t t, const std::string& process, const std::string& topic,
                       const std::string& key, const std::string& value, int8_t acks,
                       bool ordered) {
  Op op = make_op(t, process, OpKind::send);
  op.send_id = next_send_id_++;
  op.topic = topic;
  op.key = key;
  op.value = value;
  op.acks = acks;
  op.acks_all = acks == -1;
  op.ordered = ordered;
  send_pos_.push_back(ops_.size());
  const uint64_t id = op.send_id;
  ops_.push_back(std::move(op));
  return id;
}

void History::ack(int64_t t, const std::string& process, uint64_t send_id, int32_t partition,
                  int64_t offset) {
  Op op = of_send(make_op(t, process, OpKind::ack), send_id);
  op.partition = partition;
  op.offset = offset;
  ops_.push_back(std::move(op));
}

void History::fail(int64_t t, const std::string& process, uint64_t send_id,
                   const std::string& error) {
  Op op = of_send(make_op(t, process, OpKind::fail), send_id);
  op.error = error;
  ops_.push_back(std::move(op));
}

void History::poll(int64_t t, const std::string& process, const std::string& topic,
                   int32_t partition, int64_t offset, const std::string& key,
                   const std::string& value) {
  Op op = make_op(t, process, OpKind::poll);
  op.topic = topic;
  op.partition = partition;
  op.offset = offset;
  op.key = key;
  op.value = value;
  ops_.push_back(std::move(op));
}

void History::seek(int64_t t, const std::string& process, const std::string& topic,
                   int32_t partition, int64_t offset) {
  Op op = make_op(t, process, OpKind::seek);
  op.topic = topic;
  op.partition = partition;
  op.offset = offset;
  ops_.push_back(std::move(op));
}

Op History::of_send(Op op, uint64_t send_id) const {
  op.send_id = send_id;
  if (const Op* s = find_send(send_id)) {
    op.topic = s->topic;
    op.key = s->key;
    op.value = s->value;
    op.acks_all = s->acks_all;
    op.acks = s->acks;
    op.ordered = s->ordered;
  }
  return op;
}

const Op* History::find_send(uint64_t send_id) const {
  if (send_id == 0 || send_id > send_pos_.size()) return nullptr;
  return &ops_[send_pos_[send_id - 1]];
}

size_t History::count(OpKind k) const {
  size_t n = 0;
  for (const auto& op : ops_) n += op.kind == k;
  return n;
}

}  // namespace tern::scenarios
