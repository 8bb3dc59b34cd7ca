#include "broker/client/consumer.h"

#include <algorithm>

#include "broker/protocol/records/record_reader.h"

namespace tern::client {

using protocol::ErrorCode;
using protocol::to_wire;

namespace {

bool refresh_worthy(int16_t code) {
  switch (static_cast<ErrorCode>(code)) {
    case ErrorCode::not_leader_or_follower:
    case ErrorCode::leader_not_available:
    case ErrorCode::unknown_topic_or_partition:
    case ErrorCode::fenced_leader_epoch:
    case ErrorCode::unknown_leader_epoch:
    case ErrorCode::replica_not_available:
    case ErrorCode::kafka_storage_error:
      return true;
    default:
      return false;
  }
}

}  // namespace

Consumer::Consumer(Runtime& rt, ClientOptions client, ConsumerOptions options)
    : rt_(rt), cluster_(rt, std::move(client)), options_(options) {
  TERN_ASSERT(options_.max_poll_records > 0);
}

void Consumer::assign(std::vector<TopicPartition> partitions) {
  std::sort(partitions.begin(), partitions.end());
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  std::map<TopicPartition, int64_t> kept;
  for (const auto& tp : partitions) {
    auto it = positions_.find(tp);
    if (it != positions_.end()) kept[tp] = it->second;
  }
  positions_ = std::move(kept);
  assigned_ = std::move(partitions);
  // Buffered records of partitions no longer assigned must not be returned.
  std::vector<ConsumerRecord> keep;
  for (size_t i = buffered_next_; i < buffered_.size(); ++i) {
    TopicPartition tp{buffered_[i].topic, buffered_[i].partition};
    if (std::binary_search(assigned_.begin(), assigned_.end(), tp)) {
      keep.push_back(std::move(buffered_[i]));
    }
  }
  buffered_ = std::move(keep);
  buffered_next_ = 0;
  std::erase_if(chunks_, [&](const Chunk& c) {
    return !std::binary_search(assigned_.begin(), assigned_.end(), c.tp);
  });
  prefetched_.clear();  // its answers are for the old assignment
}

ClientStatus Consumer::assign_topic(const std::string& topic, Deadline deadline) {
  auto t = cluster_.topic(topic, false, deadline);
  if (!t.ok()) return t.error();
  std::vector<TopicPartition> tps = assigned_;
  for (const auto& p : t->partitions) tps.push_back({topic, p.partition});
  assign(std::move(tps));
  return {};
}

void Consumer::seek(const TopicPartition& tp, int64_t offset) {
  TERN_ASSERT(offset >= 0, "seek to {}", offset);
  positions_[tp] = offset;
  // Drop buffered records of this partition: they belong to the old position.
  std::vector<ConsumerRecord> keep;
  for (size_t i = buffered_next_; i < buffered_.size(); ++i) {
    if (buffered_[i].topic != tp.topic || buffered_[i].partition != tp.partition) {
      keep.push_back(std::move(buffered_[i]));
    }
  }
  buffered_ = std::move(keep);
  buffered_next_ = 0;
  std::erase_if(chunks_, [&](const Chunk& c) { return c.tp == tp; });
  prefetched_.clear();  // it asked for the old position
}

ClientStatus Consumer::seek_to_beginning(const std::vector<TopicPartition>& tps) {
  auto offsets = list_offsets(tps, kEarliestTimestamp);
  if (!offsets.ok()) return offsets.error();
  for (const auto& [tp, off] : offsets.value()) seek(tp, off);
  return {};
}

ClientStatus Consumer::seek_to_end(const std::vector<TopicPartition>& tps) {
  auto offsets = list_offsets(tps, kLatestTimestamp);
  if (!offsets.ok()) return offsets.error();
  for (const auto& [tp, off] : offsets.value()) seek(tp, off);
  return {};
}

ClientResult<int64_t> Consumer::position(const TopicPartition& tp) {
  if (!positions_.count(tp)) {
    ClientStatus st = resolve_positions(rt_.now() + cluster_.options().connection.request_timeout);
    if (!st.ok()) return st.error();
  }
  auto it = positions_.find(tp);
  if (it == positions_.end()) {
    return ClientError::kafka(to_wire(ErrorCode::unknown_topic_or_partition),
                              fmt::format("{}-{} is not assigned", tp.topic, tp.partition));
  }
  return it->second;
}

ClientResult<std::map<TopicPartition, int64_t>> Consumer::list_offsets(
    const std::vector<TopicPartition>& tps, int64_t timestamp) {
  const Deadline deadline = rt_.now() + cluster_.options().connection.request_timeout;
  std::map<TopicPartition, int64_t> out;
  std::vector<TopicPartition> todo = tps;
  while (!todo.empty()) {
    std::map<int32_t, std::vector<TopicPartition>> by_leader;
    std::optional<ClientError> last;
    for (const auto& tp : todo) {
      auto leader = cluster_.leader(tp.topic, tp.partition, deadline);
      if (!leader.ok()) {
        if (!leader.error().retriable()) return leader.error();
        last = leader.error();
        continue;
      }
      by_leader[leader.value()].push_back(tp);
    }
    std::vector<TopicPartition> retry;
    for (const auto& [leader, list] : by_leader) {
      auto conn = cluster_.connection(leader, deadline);
      if (!conn.ok()) {
        last = conn.error();
        retry.insert(retry.end(), list.begin(), list.end());
        continue;
      }
      protocol::ListOffsetsRequest req;
      req.replica_id = -1;
      for (const auto& tp : list) {
        if (req.topics.empty() || req.topics.back().name != tp.topic) {
          req.topics.emplace_back();
          req.topics.back().name = tp.topic;
        }
        protocol::ListOffsetsRequest::Partition p;
        p.partition_index = tp.partition;
        p.timestamp = timestamp;
        req.topics.back().partitions.push_back(p);
      }
      auto resp = conn.value()->call(req);
      if (!resp.ok()) {
        if (!resp.error().retriable()) return resp.error();
        last = resp.error();
        retry.insert(retry.end(), list.begin(), list.end());
        continue;
      }
      for (const auto& t : resp->topics) {
        for (const auto& p : t.partitions) {
          TopicPartition tp{t.name, p.partition_index};
          if (p.error_code == 0) {
            out[tp] = p.offset;
            continue;
          }
          ClientError e = ClientError::kafka(p.error_code, fmt::format(
              "list offsets of {}-{}", tp.topic, tp.partition));
          if (!e.retriable()) return e;
          cluster_.invalidate(tp.topic);
          last = e;
          retry.push_back(tp);
        }
      }
    }
    for (const auto& tp : todo) {
      if (!out.count(tp) && std::find(retry.begin(), retry.end(), tp) == retry.end()) {
        retry.push_back(tp);  // leader unknown this round, or missing from the answer
      }
    }
    todo = std::move(retry);
    if (todo.empty()) break;
    if (rt_.now() >= deadline) {
      if (last) return *last;
      return ClientError::runtime(Errc::timed_out, "list offsets");
    }
    Status st = rt_.sleep_for(options_.retry_backoff);
    if (!st.ok()) return ClientError::runtime(st.error());
  }
  return out;
}

ClientStatus Consumer::resolve_positions(Deadline) {
  std::vector<TopicPartition> missing;
  for (const auto& tp : assigned_) {
    if (!positions_.count(tp)) missing.push_back(tp);
  }
  if (missing.empty()) return {};
  if (options_.auto_offset_reset == OffsetReset::none) {
    return ClientError::kafka(to_wire(ErrorCode::offset_out_of_range), fmt::format(
        "no position for {}-{} and auto.offset.reset=none", missing[0].topic,
        missing[0].partition));
  }
  auto offsets = list_offsets(missing, options_.auto_offset_reset == OffsetReset::earliest
                                           ? kEarliestTimestamp : kLatestTimestamp);
  if (!offsets.ok()) return offsets.error();
  for (const auto& [tp, off] : offsets.value()) {
    if (!positions_.count(tp)) positions_[tp] = off;
  }
  return {};
}

void Consumer::check_fetch_bound(const TopicPartition& tp, const Bytes& records, int32_t limit,
                                 bool first_with_data) {
  // KIP-74: a partition's data may exceed max.partition.fetch.bytes only in the first
  // partition with data of a response, and only by being one whole batch (so a consumer
  // always progresses). Anything else is the broker ignoring the client's memory bound: an
  // error event (it fails a simulated run); the records are still used.
  if (records.size() <= static_cast<size_t>(std::max(limit, 0))) return;
  constexpr size_t kLengthEnd = 12;  // base offset (8) + batch length (4)
  size_t first = records.size();
  if (records.size() >= kLengthEnd) {
    const uint32_t length = (uint32_t{records[8]} << 24) | (uint32_t{records[9]} << 16) |
                            (uint32_t{records[10]} << 8) | uint32_t{records[11]};
    first = kLengthEnd + length;
  }
  if (first_with_data && records.size() <= first) return;
  rt_.trace(Severity::error, "consumer.fetch_over_limit",
            {{"topic", tp.topic}, {"partition", tp.partition},
             {"bytes", static_cast<int64_t>(records.size())}, {"limit", limit},
             {"first_batch", static_cast<int64_t>(first)},
             {"first_with_data", first_with_data ? 1 : 0}});
}

ClientStatus Consumer::take_records(const TopicPartition& tp, Bytes records) {
  int64_t& pos = positions_[tp];
  SplitOptions so;
  so.crc = CrcCheck::skip;  // decode_chunk checks them
  BatchSplit split = split_batches(records, so);
  if (split.error && split.batches.empty()) {
    return ClientError::kafka(to_wire(ErrorCode::corrupt_message),
                              fmt::format("{}-{}: {}", tp.topic, tp.partition,
                                          split.error->message()));
  }
  const int64_t from = pos;
  for (const BatchHeader& batch : split.batches)
    pos = std::max(pos, batch.next_offset().value());
  if (pos > from) chunks_.push_back(Chunk{tp, std::move(records), from});
  return {};
}

ClientStatus Consumer::decode_chunk(const RecordSink& sink) {
  TERN_ASSERT(!chunks_.empty());
  Chunk chunk = std::move(chunks_.front());
  chunks_.pop_front();
  const TopicPartition& tp = chunk.tp;
  SplitOptions so;
  so.crc = options_.check_crcs ? CrcCheck::verify : CrcCheck::skip;
  BatchSplit split = split_batches(chunk.records, so);
  int64_t pos = chunk.from;
  int64_t handed = pos;  // past the last record handed to the sink
  // On corruption the position goes back to the first record not handed over, so the next
  // poll fetches it again (as Kafka's consumer stays at a corrupt record): the error is
  // reported, never skipped over.
  auto corrupt = [&](const std::string& why) {
    positions_[tp] = std::max(pos, handed);
    std::erase_if(chunks_, [&](const Chunk& c) { return c.tp == tp; });
    prefetched_.clear();
    return ClientError::kafka(to_wire(ErrorCode::corrupt_message),
                              fmt::format("{}-{}: {}", tp.topic, tp.partition, why));
  };
  for (const BatchHeader& batch : split.batches) {
    if (batch.next_offset().value() <= pos) continue;  // wholly before our position
    if (batch.is_control()) {
      pos = batch.next_offset().value();
      continue;
    }
    auto reader = RecordReader::open(batch);
    if (!reader.ok()) {
      return corrupt(reader.error().message());
    }
    while (true) {
      auto next = reader->next();
      if (!next.ok()) {
        return corrupt(next.error().message());
      }
      if (!next.value()) break;
      const RecordView& r = *next.value();
      const int64_t offset = reader->offset_of(r).value();
      if (offset < pos) continue;  // a fetch starts at the batch holding our position
      ConsumerRecordView rec;
      rec.topic = tp.topic;
      rec.partition = tp.partition;
      rec.offset = offset;
      rec.timestamp = reader->timestamp_of(r);
      rec.timestamp_type = batch.timestamp_type();
      rec.key = r.key;
      rec.value = r.value;
      rec.headers = r.headers;
      sink(rec);
      handed = offset + 1;
    }
    TERN_ASSERT(batch.next_offset().value() > pos);
    pos = batch.next_offset().value();
  }
  // take_records counted only whole batches; a CRC failure among them is corruption (a
  // partial batch at the end of a fetch is normal and was never counted).
  auto counted = positions_.find(tp);
  if (split.error && counted != positions_.end() && pos < counted->second)
    return corrupt(split.error->message());
  return {};
}

ClientStatus Consumer::send_fetches(int64_t wait_ms, std::vector<FetchInFlight>& out,
                                    std::optional<ClientError>& last) {
  const Deadline meta_deadline = rt_.now() + cluster_.options().connection.request_timeout;
  std::map<int32_t, std::vector<TopicPartition>> by_leader;
  for (const auto& tp : assigned_) {
    if (!positions_.count(tp)) continue;
    auto leader = cluster_.leader(tp.topic, tp.partition, meta_deadline);
    if (!leader.ok()) {
      if (!leader.error().retriable()) return leader.error();
      continue;
    }
    by_leader[leader.value()].push_back(tp);
  }
  for (const auto& [leader, list] : by_leader) {
    auto conn = cluster_.connection(leader, meta_deadline);
    if (!conn.ok()) {
      last = conn.error();
      continue;
    }
    protocol::FetchRequest req;
    req.replica_id = -1;
    req.max_wait_ms = static_cast<int32_t>(wait_ms);
    req.min_bytes = options_.fetch_min_bytes;
    // BUGGIFY: 1-byte fetch limits: the broker still sends one whole batch (KIP-74).
    const bool tiny = rt_.buggify("consumer.fetch.tiny_max_bytes");
    req.max_bytes = tiny ? 1 : options_.fetch_max_bytes;
    req.isolation_level = 0;
    req.session_id = 0;
    req.session_epoch = -1;  // no fetch session (KIP-227): full requests every time
    FetchInFlight f;
    f.wait_ms = wait_ms;
    f.partition_max_bytes = tiny ? 1 : options_.max_partition_fetch_bytes;
    for (const auto& tp : list) {
      if (req.topics.empty() || req.topics.back().topic != tp.topic) {
        req.topics.emplace_back();
        req.topics.back().topic = tp.topic;
      }
      protocol::FetchRequest::Partition p;
      p.partition = tp.partition;
      p.fetch_offset = positions_[tp];
      p.partition_max_bytes = tiny ? 1 : options_.max_partition_fetch_bytes;
      req.topics.back().partitions.push_back(p);
      f.asked[tp] = p.fetch_offset;
    }
    auto version = conn.value()->version_for<protocol::FetchRequest>();
    if (!version.ok()) return version.error();
    auto pending = conn.value()->send(req, version.value());
    if (!pending.ok()) {
      last = pending.error();
      continue;
    }
    f.pending = std::move(pending.value());
    out.push_back(std::move(f));
  }
  return {};
}

ClientStatus Consumer::take_fetch(FetchInFlight& f, std::optional<ClientError>& last) {
  auto resp = f.pending.get(rt_.now() + cluster_.options().connection.request_timeout +
                            Duration::millis(f.wait_ms));
  if (!resp.ok()) {
    if (!resp.error().retriable()) return resp.error();
    last = resp.error();
    return {};
  }
  if (resp->error_code != 0) {
    ClientError e = ClientError::kafka(resp->error_code, "fetch");
    if (!e.retriable()) return e;
    last = e;
    return {};
  }
  bool first_with_data = true;  // KIP-74: only it may exceed its limit (by one whole batch)
  for (auto& t : resp->responses) {
    for (auto& p : t.partitions) {
      if (p.error_code == 0 && p.records && !p.records->empty()) {
        check_fetch_bound({t.topic, p.partition_index}, *p.records, f.partition_max_bytes,
                          first_with_data);
        first_with_data = false;
      }
      TopicPartition tp{t.topic, p.partition_index};
      auto asked = f.asked.find(tp);
      auto pos = positions_.find(tp);
      // Ignore answers for partitions re-sought or unassigned while the fetch was out.
      if (asked == f.asked.end() || pos == positions_.end() || pos->second != asked->second) {
        continue;
      }
      if (p.error_code == 0) {
        if (p.records) {
          ClientStatus st = take_records(tp, std::move(*p.records));
          if (!st.ok()) return st;
        }
        continue;
      }
      if (p.error_code == to_wire(ErrorCode::offset_out_of_range)) {
        if (options_.auto_offset_reset == OffsetReset::none) {
          return ClientError::kafka(p.error_code, fmt::format(
              "{}-{} at offset {}", tp.topic, tp.partition, asked->second));
        }
        positions_.erase(tp);  // resolved again by auto.offset.reset on the next round
        continue;
      }
      if (refresh_worthy(p.error_code)) {
        cluster_.invalidate(tp.topic);
        last = ClientError::kafka(p.error_code, fmt::format("fetch {}-{}", tp.topic,
                                                            tp.partition));
        continue;
      }
      return ClientError::kafka(p.error_code, fmt::format("fetch {}-{}", tp.topic,
                                                          tp.partition));
    }
  }
  return {};
}

ClientStatus Consumer::fetch_once(Deadline deadline) {
  std::optional<ClientError> last;
  std::vector<FetchInFlight> inflight;
  inflight.swap(prefetched_);
  if (inflight.empty()) {
    int64_t wait_ms = (deadline - rt_.now()).to_millis();
    wait_ms = std::clamp<int64_t>(wait_ms, 0, options_.fetch_max_wait_ms);
    wait_ms = rt_.buggify_value<int64_t>("consumer.fetch.no_wait", wait_ms, 0);
    ClientStatus st = send_fetches(wait_ms, inflight, last);
    if (!st.ok()) return st;
    if (inflight.empty() && !last) {
      // No partition has a leader yet: wait a little for metadata.
      Instant wake = std::min(deadline, rt_.now() + options_.retry_backoff);
      Status s = rt_.sleep_until(wake);
      if (!s.ok()) return ClientError::runtime(s.error());
      return {};
    }
  }
  const size_t before = chunks_.size();
  for (auto& f : inflight) {
    ClientStatus st = take_fetch(f, last);
    if (!st.ok()) return st;
  }
  // Prefetch only when a partition filled most of its fetch size: a backlog to catch up
  // with. A consumer tailing the log gets small answers, and an eager prefetch would only
  // double its requests (measured in the simulated suites: 3305 -> 5680 fetches).
  size_t biggest = 0;
  for (size_t i = before; i < chunks_.size(); ++i)
    biggest = std::max(biggest, chunks_[i].records.size());
  const auto backlog = static_cast<size_t>(
      std::min(options_.max_partition_fetch_bytes, options_.fetch_max_bytes) / 2);
  // BUGGIFY: prefetch after any data (eager), or not at all (off).
  const bool want = biggest > 0 && (biggest >= backlog || rt_.buggify("consumer.prefetch.eager"));
  if (options_.prefetch && want && !last && !rt_.buggify("consumer.prefetch.off")) {
    // Errors of the prefetch itself surface when the next poll fetches for real.
    std::optional<ClientError> ignored;
    if (!send_fetches(0, prefetched_, ignored).ok()) prefetched_.clear();
  }
  if (last && buffered_.size() == buffered_next_ && chunks_.empty()) return *last;
  return {};
}

ClientResult<bool> Consumer::await_chunk(Deadline deadline) {
  while (chunks_.empty()) {
    if (assigned_.empty()) {
      Status st = rt_.sleep_until(deadline);
      if (!st.ok()) return ClientError::runtime(st.error());
      return false;
    }
    ClientStatus st = resolve_positions(deadline);
    if (st.ok()) st = fetch_once(deadline);
    if (!st.ok()) {
      if (!st.error().retriable()) return st.error();
      if (rt_.now() >= deadline) return false;
      Instant wake = std::min(deadline, rt_.now() + options_.retry_backoff);
      Status s = rt_.sleep_until(wake);
      if (!s.ok()) return ClientError::runtime(s.error());
      continue;
    }
    if (chunks_.empty() && rt_.now() >= deadline) return false;
  }
  return true;
}

ClientResult<std::vector<ConsumerRecord>> Consumer::poll(Duration timeout) {
  const Deadline deadline = rt_.now() + timeout;
  // The owning form of a view: copies of key, value and headers.
  const RecordSink to_buffered = [this](const ConsumerRecordView& v) {
    ConsumerRecord rec;
    rec.topic = std::string(v.topic);
    rec.partition = v.partition;
    rec.offset = v.offset;
    rec.timestamp = v.timestamp;
    rec.timestamp_type = v.timestamp_type;
    rec.key = owned(v.key);
    rec.value = owned(v.value);
    rec.headers = owned(v.headers);
    buffered_.push_back(std::move(rec));
  };
  while (true) {
    if (buffered_next_ < buffered_.size()) {
      // BUGGIFY: one record per poll (max.poll.records=1 for a moment).
      const size_t max = rt_.buggify_value("consumer.poll.one_record", options_.max_poll_records,
                                           size_t{1});
      const size_t n = std::min(max, buffered_.size() - buffered_next_);
      std::vector<ConsumerRecord> out;
      out.reserve(n);
      for (size_t i = 0; i < n; ++i) out.push_back(std::move(buffered_[buffered_next_ + i]));
      buffered_next_ += n;
      if (buffered_next_ == buffered_.size()) {
        buffered_.clear();
        buffered_next_ = 0;
      }
      return out;
    }
    auto ready = await_chunk(deadline);
    if (!ready.ok()) return ready.error();
    if (!ready.value()) return std::vector<ConsumerRecord>{};
    ClientStatus st = decode_chunk(to_buffered);
    if (!st.ok()) return st.error();
  }
}

ClientResult<size_t> Consumer::poll_each(Duration timeout, const RecordSink& sink) {
  const Deadline deadline = rt_.now() + timeout;
  size_t handed = 0;
  // Records an earlier poll() decoded come first, in order.
  for (; buffered_next_ < buffered_.size(); ++buffered_next_, ++handed) {
    const ConsumerRecord& r = buffered_[buffered_next_];
    const std::vector<RecordHeaderView> hs = views_of(r.headers);
    ConsumerRecordView v;
    v.topic = r.topic;
    v.partition = r.partition;
    v.offset = r.offset;
    v.timestamp = r.timestamp;
    v.timestamp_type = r.timestamp_type;
    v.key = view_of(r.key);
    v.value = view_of(r.value);
    v.headers = hs;
    sink(v);
  }
  buffered_.clear();
  buffered_next_ = 0;
  if (handed > 0) return handed;
  const RecordSink counted = [&](const ConsumerRecordView& v) {
    ++handed;
    sink(v);
  };
  while (handed == 0) {
    auto ready = await_chunk(deadline);
    if (!ready.ok()) return ready.error();
    if (!ready.value()) return size_t{0};
    ClientStatus st = decode_chunk(counted);
    if (!st.ok()) return st.error();
  }
  return handed;
}

}  // namespace tern::client
