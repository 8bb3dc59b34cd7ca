// ListOffsets v1-v5 (v0's offset lists are not advertised) and OffsetForLeaderEpoch.
// Timestamps: -2 earliest (the log start), -1 latest (the high watermark: what a
// read_uncommitted consumer may read), otherwise the first record with timestamp >= the
// target (Kafka's lookup: the log finds the batch by maxTimestamp, then its records are
// scanned), or offset -1 when there is none.
#include "broker/protocol/msg_list_offsets.h"
#include "broker/protocol/msg_offset_for_leader_epoch.h"
#include "broker/protocol/records/record_reader.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

namespace {

constexpr int64_t kLatest = -1;
constexpr int64_t kEarliest = -2;

// Narrows the log's batch-level answer to the first record of that batch with timestamp >= ts,
// as Kafka does; on any read or decode problem the batch-level answer stands.
TimestampOffset first_record_at_or_after(partition::Partition& p, TimestampOffset batch,
                                         int64_t ts) {
  auto bytes = p.read(batch.offset, 1);  // at least the whole batch holding batch.offset
  if (!bytes.ok()) return batch;
  auto header = parse_batch_header(ByteView(bytes.value()));
  if (!header.ok() || header->base_offset != batch.offset) return batch;
  auto reader = RecordReader::open(header.value());
  if (!reader.ok()) return batch;
  while (true) {
    auto rec = reader->next();
    if (!rec.ok() || !rec->has_value()) return batch;
    const int64_t t = reader->timestamp_of(**rec);
    if (t >= ts) return TimestampOffset{reader->offset_of(**rec), t};
  }
}

void list_partition(const Services& sv, const std::string& topic,
                    const ListOffsetsRequest::Partition& in,
                    ListOffsetsResponse::PartitionResponse& out) {
  out.partition_index = in.partition_index;
  LeaderLookup found = find_leader(sv, topic, in.partition_index);
  if (found.partition == nullptr) {
    out.error_code = to_wire(found.error);
    return;
  }
  partition::Partition& p = *found.partition;
  const Offset hw = p.high_watermark();
  out.leader_epoch = p.leader_epoch().value();
  if (in.timestamp == kLatest) {
    out.offset = hw.value();
    return;
  }
  if (in.timestamp == kEarliest) {
    out.offset = p.log_start_offset().value();
    return;
  }
  if (in.timestamp < 0) {
    // -3 (max timestamp, v7) and other negative specials are not supported at our versions.
    out.error_code = to_wire(ErrorCode::invalid_request);
    return;
  }
  auto at = p.offset_for_timestamp(in.timestamp);
  if (!at.ok()) {
    out.error_code = to_wire(ErrorCode::kafka_storage_error);
    return;
  }
  if (!at.value().has_value() || at.value()->offset >= hw) {
    out.offset = -1;
    out.timestamp = -1;
    return;
  }
  const TimestampOffset rec = first_record_at_or_after(p, *at.value(), in.timestamp);
  out.offset = rec.offset.value();
  out.timestamp = rec.timestamp;
}

Reply list_offsets(const RequestContext& ctx, ListOffsetsRequest& req) {
  ListOffsetsResponse resp;
  for (const ListOffsetsRequest::Topic& t : req.topics) {
    ListOffsetsResponse::TopicResponse& tr = resp.topics.emplace_back();
    tr.name = t.name;
    for (const ListOffsetsRequest::Partition& p : t.partitions) {
      list_partition(ctx.services, t.name, p, tr.partitions.emplace_back());
    }
  }
  return reply_now(resp, ctx.version());
}

Reply offset_for_leader_epoch(const RequestContext& ctx, OffsetForLeaderEpochRequest& req) {
  // Every partition has had one leader epoch, 0, since creation: its end is the log end.
  // (A leader-epoch cache comes with replication; until then any other epoch is unknown.)
  OffsetForLeaderEpochResponse resp;
  for (const auto& t : req.topics) {
    auto& tr = resp.topics.emplace_back();
    tr.topic = t.topic;
    for (const auto& in : t.partitions) {
      auto& out = tr.partitions.emplace_back();
      out.partition = in.partition;
      out.leader_epoch = -1;
      out.end_offset = -1;
      LeaderLookup found = find_leader(ctx.services, t.topic, in.partition);
      const std::shared_ptr<partition::Partition>& p = found.partition;
      if (p == nullptr) {
        out.error_code = to_wire(found.error);
      } else if (in.current_leader_epoch > 0) {
        out.error_code = to_wire(ErrorCode::unknown_leader_epoch);
      } else if (in.leader_epoch > 0) {
        out.leader_epoch = 0;
        out.end_offset = p->log_end_offset().value();
      } else {
        out.leader_epoch = 0;
        out.end_offset = in.leader_epoch < 0 ? -1 : p->log_end_offset().value();
      }
    }
  }
  return reply_now(resp, ctx.version());
}

}  // namespace

Reply handle_list_offsets(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<ListOffsetsRequest, ListOffsetsResponse>(ctx, body, list_offsets);
}

Reply handle_offset_for_leader_epoch(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(
      ctx, body, offset_for_leader_epoch);
}

}  // namespace tern::server
