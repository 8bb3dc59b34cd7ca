// Fetch v4-v11 without fetch sessions (KIP-227: answering session_id 0 means "no session",
// so every response is a full one). Runs entirely in stage two: it reads from disk and may
// long-poll, and neither must hold up later requests on the connection.
//
// Long poll: answer as soon as the data below the high watermark at the requested offsets
// adds up to min_bytes, or a partition has an error, or max_wait_ms passed. The fetch looks
// its partitions up once, registers one DataWaiter with each of them (an RAII Watch,
// broker/partition/data_waiter.h) and re-reads whenever any of them moved: appended, high
// watermark advanced, retention, removal, role change. Nothing else wakes it.
//
// Size limits (KIP-74): whole batches only, at most partition_max_bytes per partition and
// max_bytes in total, except that the first partition with data always gets at least one
// whole batch, however large, so a consumer can never get stuck behind a big batch.
#include <memory>

#include "broker/protocol/msg_fetch.h"
#include "broker/protocol/records/record_batch.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

namespace {

// Keeps the whole batches of `bytes` that end below `hw`.
void trim_to_high_watermark(Bytes& bytes, Offset hw) {
  SplitOptions opts;
  opts.crc = CrcCheck::skip;  // the log validated them on append and on recovery
  BatchSplit split = split_batches(bytes, opts);
  size_t keep = 0;
  for (const BatchHeader& b : split.batches) {
    if (b.last_offset() >= hw) break;
    keep += b.size_bytes();
  }
  TERN_ASSERT(keep <= bytes.size());
  bytes.resize(keep);
}

struct FetchState {
  FetchRequest req;
  int16_t version = 0;
  Deadline deadline;
  // The requested partitions in request order (topic by topic), each looked up once:
  // the partition, or the error to answer for it.
  std::vector<LeaderLookup> partitions;
};

// One pass over every requested partition. Returns the response and the bytes it holds;
// `error` is set when some partition answered with an error (answer at once, like Kafka).
FetchResponse read_once(Runtime& rt, const FetchState& st, int64_t& total, bool& error) {
  FetchResponse resp;
  total = 0;
  error = false;
  int64_t budget = std::max<int32_t>(st.req.max_bytes, 0);
  // BUGGIFY: a tiny response budget; the first partition with data still gets one batch.
  budget = rt.buggify_value<int64_t>("fetch.max_bytes.small", budget, 1);
  bool have_first = false;
  size_t k = 0;  // into st.partitions
  for (const FetchRequest::Topic& t : st.req.topics) {
    FetchResponse::FetchableTopicResponse& tr = resp.responses.emplace_back();
    tr.topic = t.topic;
    for (const FetchRequest::Partition& fp : t.partitions) {
      FetchResponse::PartitionData& pd = tr.partitions.emplace_back();
      pd.partition_index = fp.partition;
      pd.records = Bytes{};
      pd.aborted_transactions = std::vector<FetchResponse::AbortedTransaction>{};
      TERN_ASSERT(k < st.partitions.size());
      const LeaderLookup& found = st.partitions[k++];
      const std::shared_ptr<partition::Partition>& p = found.partition;
      if (p == nullptr || !p->usable() || p->role() != partition::Role::leader) {
        pd.error_code = to_wire(p == nullptr ? found.error
                                : !p->usable() ? ErrorCode::unknown_topic_or_partition
                                               : ErrorCode::not_leader_or_follower);
        pd.high_watermark = -1;
        error = true;
        continue;
      }
      const Offset hw = p->high_watermark();
      const Offset start = p->log_start_offset();
      const Offset end = p->log_end_offset();
      pd.high_watermark = hw.value();
      pd.last_stable_offset = hw.value();
      pd.log_start_offset = start.value();
      const Offset at(fp.fetch_offset);
      // Kafka's range: [log start, log end]; offsets in [hw, end] answer empty (not yet
      // committed), beyond the end or before the start are out of range.
      if (at < start || at > end) {
        pd.error_code = to_wire(ErrorCode::offset_out_of_range);
        error = true;
        continue;
      }
      if (at >= hw) continue;
      // BUGGIFY: this partition's data is left out of this pass (as if it arrived just after
      // the read); the fetch waits on or answers without it, the consumer asks again.
      if (rt.buggify("fetch.partition.skip")) continue;
      int64_t limit = std::min<int64_t>(std::max<int32_t>(fp.partition_max_bytes, 0), budget);
      limit = rt.buggify_value<int64_t>("fetch.tiny_partition_limit", limit, 1);
      if (limit <= 0 && have_first) continue;
      auto bytes = p->read(at, static_cast<uint64_t>(std::max<int64_t>(limit, 1)));
      if (!bytes.ok()) {
        // A concurrent retention pass or truncation moved the range under us.
        pd.error_code = to_wire(bytes.code() == Errc::not_found
                                    ? ErrorCode::offset_out_of_range
                                    : ErrorCode::kafka_storage_error);
        error = true;
        continue;
      }
      trim_to_high_watermark(bytes.value(), hw);
      const int64_t size = static_cast<int64_t>(bytes.value().size());
      if (size == 0) continue;
      if (size > limit && have_first) continue;  // only the first may exceed the limits
      have_first = true;
      budget -= size;
      total += size;
      pd.records = std::move(bytes.value());
    }
  }
  return resp;
}

Reply fetch(const RequestContext& ctx, FetchRequest& req) {
  Services& sv = ctx.services;
  Runtime& rt = sv.rt;
  auto st = std::make_shared<FetchState>();
  st->version = ctx.version();
  int64_t wait_ms = std::max<int32_t>(req.max_wait_ms, 0);
  wait_ms = rt.buggify_value<int64_t>("fetch.no_wait", wait_ms, 0);
  st->deadline = rt.now() + Duration::millis(wait_ms);
  st->req = std::move(req);
  // Record sets this big are sent from the response itself, not copied into the encoding.
  constexpr size_t kSpliceBytes = 64 * 1024;
  return Reply::deferred([services = sv.share(), st]() -> ResponseBody {
    Runtime& rt = services->rt;
    for (const FetchRequest::Topic& t : st->req.topics) {
      for (const FetchRequest::Partition& fp : t.partitions) {
        st->partitions.push_back(find_leader(*services, t.topic, fp.partition));
      }
    }
    // Declared before the watches, so they unregister before it goes (also when a crash
    // unwinds this task).
    partition::DataWaiter waiter(rt);
    std::vector<partition::Partition::Watch> watches;
    for (const LeaderLookup& found : st->partitions) {
      if (found.partition != nullptr) watches.push_back(found.partition->watch(waiter));
    }
    while (true) {
      const uint64_t seen = waiter.version();
      int64_t total = 0;
      bool error = false;
      auto resp = std::make_shared<FetchResponse>(read_once(rt, *st, total, error));
      // BUGGIFY: an answer before min_bytes or max_wait (an empty one is legal).
      bool done = error || total >= st->req.min_bytes || rt.now() >= st->deadline ||
                  rt.buggify("fetch.return_early");
      if (!done) {
        Status s = waiter.wait_changed(seen, st->deadline);
        done = s.code() == Errc::cancelled;
      }
      if (done) {
        ResponseBody body =
            encode_body_spliced<FetchResponse>(std::move(resp), st->version, kSpliceBytes);
        body.record_bytes = total;
        return body;
      }
    }
  });
}

}  // namespace

Reply handle_fetch(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<FetchRequest, FetchResponse>(ctx, body, fetch);
}

}  // namespace tern::server
