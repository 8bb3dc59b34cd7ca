// Produce (v3+: RecordBatch v2 only). Stage one validates and appends every partition's
// batches in request order; stage two (acks=-1 with tern.flush.durable) waits until the
// appended records are fsynced, bounded by timeout_ms.
//
// Validation per partition, Kafka's error for each:
//   unknown topic/partition            UNKNOWN_TOPIC_OR_PARTITION (3)
//   a partition this broker does not lead  NOT_LEADER_OR_FOLLOWER (6)
//   magic 0/1 (legacy message set)     UNSUPPORTED_FOR_MESSAGE_FORMAT (43)
//   bad CRC, bad magic, bad lengths,   CORRUPT_MESSAGE (2)
//     truncated batch, no records
//   a batch over max.message.bytes     MESSAGE_TOO_LARGE (10)
//   acks not in {-1, 0, 1}             INVALID_REQUIRED_ACKS (21)
//   disk full / failed log             KAFKA_STORAGE_ERROR (56)
//   fsync not done within timeout_ms   REQUEST_TIMED_OUT (7)
#include <memory>

#include "broker/protocol/msg_produce.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

namespace {

using partition::BatchesAppended;
using partition::Partition;

struct Appended {
  std::shared_ptr<Partition> partition;
  Offset last_offset;
  ProduceResponse::PartitionProduceResponse* response;  // into the response being built
};

// After a partition's records were appended (and made durable when acks=-1 waits): either the
// `produce.ack` trace event, or (BUGGIFY) REQUEST_TIMED_OUT although the write happened. Kafka
// may answer so (the acks=all wait timed out just as the write completed); the producer
// retries, and a non-idempotent producer may store the records twice (at-least-once).
void settle_ack(Runtime& rt, const Appended& a, int16_t acks, const std::string& client) {
  TERN_ASSERT(a.response != nullptr && a.response->error_code == 0);
  if (acks != 0 && rt.buggify("produce.timeout_after_append")) {
    a.response->error_code = to_wire(ErrorCode::request_timed_out);
    a.response->error_message = "timed out (buggify: the records were appended)";
    return;
  }
  rt.trace(Severity::debug, "produce.ack", {{"topic", a.partition->topic()},
                                            {"partition", a.partition->index()},
                                            {"offset", a.response->base_offset},
                                            {"acks", acks},
                                            {"client", client}});
}

ErrorCode record_error_code(RecordErrc e) {
  switch (e) {
    case RecordErrc::legacy_magic: return ErrorCode::unsupported_for_message_format;
    case RecordErrc::too_large: return ErrorCode::message_too_large;
    default: return ErrorCode::corrupt_message;
  }
}

// The topic's max.message.bytes override (from the image: an AlterConfigs applies at once),
// else the broker's message.max.bytes.
int64_t max_message_bytes(const Services& sv, const Partition& p) {
  const controller::MetadataImagePtr image = sv.metadata.current();
  if (const controller::TopicImage* t = image->find_topic(p.topic())) {
    auto it = t->configs.find("max.message.bytes");
    if (it != t->configs.end()) return std::stoll(it->second);
  }
  return sv.config.message_max_bytes;
}

// Validates and appends one partition's records. Fills `out`; returns the last offset
// appended, or nullopt when nothing was appended.
std::optional<Offset> produce_partition(const Services& sv, const std::shared_ptr<Partition>& p,
                                        ProduceRequest::PartitionProduceData& data,
                                        ProduceResponse::PartitionProduceResponse& out) {
  out.base_offset = -1;
  if (!data.records.has_value() || data.records->empty()) {
    out.error_code = to_wire(ErrorCode::corrupt_message);
    out.error_message = "no record batch";
    return std::nullopt;
  }
  const int64_t batch_max = max_message_bytes(sv, *p);
  SplitOptions opts;
  opts.parse.batch_bytes_max = kBatchBytesHardMax;
  opts.crc = CrcCheck::verify;
  BatchSplit split = split_batches(*data.records, opts);
  if (split.error.has_value()) {
    out.error_code = to_wire(record_error_code(split.error->code));
    out.error_message = split.error->message();
    return std::nullopt;
  }
  if (split.partial_bytes != 0 || split.batches.empty()) {
    out.error_code = to_wire(ErrorCode::corrupt_message);
    out.error_message = "truncated record batch";
    return std::nullopt;
  }
  for (const BatchHeader& b : split.batches) {
    if (static_cast<int64_t>(b.size_bytes()) > batch_max) {
      out.error_code = to_wire(ErrorCode::message_too_large);
      out.error_message = fmt::format("batch of {} bytes > max.message.bytes {}",
                                      b.size_bytes(), batch_max);
      return std::nullopt;
    }
    if (b.is_control()) {
      out.error_code = to_wire(ErrorCode::invalid_record);
      out.error_message = "control batches come from coordinators, not producers";
      return std::nullopt;
    }
  }
  // The common case, one batch filling the records field, moves the buffer instead of
  // copying it.
  std::vector<Bytes> batches;
  const bool whole = split.batches.size() == 1 && split.valid_bytes == data.records->size();
  if (whole) {
    batches.push_back(std::move(*data.records));
  } else {
    for (const BatchHeader& b : split.batches) batches.push_back(to_bytes(b.bytes));
  }
  BatchesAppended r = p->append(std::move(batches));
  if (r.refused != BatchesAppended::Refused::no) {
    out.error_code = to_wire(r.refused == BatchesAppended::Refused::not_leader
                                 ? ErrorCode::not_leader_or_follower
                                 : ErrorCode::unknown_topic_or_partition);
    return std::nullopt;
  }
  if (r.error) {
    out.error_code = to_wire(ErrorCode::kafka_storage_error);
    out.error_message = r.error->message();
  }
  if (r.first) {
    // Batches before a failed one were appended: report where they went (Kafka appends a
    // request's batches atomically; a mid-request disk failure is the one exception).
    out.base_offset = r.first->value();
    out.log_append_time_ms = r.log_append_time;
  }
  out.log_start_offset = r.log_start.value();
  return r.last;
}

Reply produce(const RequestContext& ctx, ProduceRequest& req) {
  Services& sv = ctx.services;
  const int16_t version = ctx.version();
  auto resp = std::make_shared<ProduceResponse>();
  std::vector<Appended> appended;
  const bool acks_valid = req.acks == 0 || req.acks == 1 || req.acks == -1;
  for (ProduceRequest::TopicProduceData& td : req.topic_data) {
    ProduceResponse::TopicProduceResponse& tr = resp->responses.emplace_back();
    tr.name = td.name;
    for (ProduceRequest::PartitionProduceData& pd : td.partition_data) {
      ProduceResponse::PartitionProduceResponse& pr = tr.partition_responses.emplace_back();
      pr.index = pd.index;
      pr.base_offset = -1;
      if (!acks_valid) {
        pr.error_code = to_wire(ErrorCode::invalid_required_acks);
        continue;
      }
      LeaderLookup found = find_leader(sv, td.name, pd.index);
      if (found.partition == nullptr) {
        pr.error_code = to_wire(found.error);
        continue;
      }
      auto last = produce_partition(sv, found.partition, pd, pr);
      if (last) appended.push_back({found.partition, *last, nullptr});
    }
  }
  // Pointers into the response are taken only now: the vectors above no longer grow.
  {
    size_t k = 0;
    for (auto& tr : resp->responses) {
      for (auto& pr : tr.partition_responses) {
        if (k < appended.size() && pr.base_offset >= 0 &&
            appended[k].partition->topic() == tr.name &&
            appended[k].partition->index() == pr.index) {
          appended[k].response = &pr;
          ++k;
        }
      }
    }
    TERN_ASSERT(k == appended.size(), "matched {} of {} appends", k, appended.size());
  }
  const bool wait = req.acks == -1 && sv.config.tern_flush_durable && !appended.empty();
  if (!wait) {
    for (const Appended& a : appended) {
      a.partition->request_flush();
      if (a.response->error_code == 0) settle_ack(sv.rt, a, req.acks, ctx.client);
    }
    if (req.acks == 0) return Reply::none();
    return reply_now(*resp, version);
  }
  // acks=all, durable: wait for the fsync in stage two, so later requests on this
  // connection are not held up by it.
  Runtime& rt = sv.rt;
  int64_t timeout_ms = std::max<int32_t>(req.timeout_ms, 0);
  timeout_ms = rt.buggify_value<int64_t>("produce.short_timeout", timeout_ms, 1);
  const Deadline deadline = rt.now() + Duration::millis(timeout_ms);
  return Reply::deferred([services = sv.share(), resp, appended, deadline, version,
                          client = ctx.client]() -> Bytes {
    for (const Appended& a : appended) {
      TERN_ASSERT(a.response != nullptr);
      // Wakes the partition's waiting fetches: the high watermark moved.
      Status s = a.partition->wait_durable(a.last_offset, deadline);
      if (s.ok() && a.response->error_code == 0) settle_ack(services->rt, a, -1, client);
      if (!s.ok()) {
        a.response->error_code = to_wire(s.code() == Errc::timed_out
                                             ? ErrorCode::request_timed_out
                                             : ErrorCode::kafka_storage_error);
        a.response->error_message = s.error().message();
      }
    }
    return encode_body(*resp, version);
  });
}

}  // namespace

Reply handle_produce(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<ProduceRequest, ProduceResponse>(ctx, body, produce);
}

}  // namespace tern::server
