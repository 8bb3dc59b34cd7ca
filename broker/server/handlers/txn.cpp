// InitProducerId, the transaction APIs and SaslHandshake.
// - InitProducerId without a transactional id (an idempotent producer, KIP-98) is answered
//   by any broker in Kafka: a fresh producer id, epoch 0, from a controller-granted block.
//   Sequence checks per partition come with the exactly-once issue; until then duplicates
//   from producer retries are not fenced.
// - Transactional requests go to a transaction coordinator, which does not exist yet:
//   NOT_COORDINATOR (FindCoordinator already answers COORDINATOR_NOT_AVAILABLE).
// - SASL: no SASL listener exists; a handshake gets UNSUPPORTED_SASL_MECHANISM and an empty
//   mechanism list.
#include "broker/protocol/msg_add_offsets_to_txn.h"
#include "broker/protocol/msg_add_partitions_to_txn.h"
#include "broker/protocol/msg_end_txn.h"
#include "broker/protocol/msg_init_producer_id.h"
#include "broker/protocol/msg_sasl_handshake.h"
#include "broker/protocol/msg_txn_offset_commit.h"
#include "broker/protocol/msg_write_txn_markers.h"
#include "broker/server/handlers/handlers.h"
#include "broker/server/services.h"

namespace tern::server {

using namespace protocol;

Reply handle_init_producer_id(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<InitProducerIdRequest, InitProducerIdResponse>(
      ctx, body, [](const RequestContext& c, InitProducerIdRequest& req) {
        InitProducerIdResponse resp;
        if (req.transactional_id.has_value() && !req.transactional_id->empty()) {
          resp.error_code = kNotCoordinator;
          return reply_now(resp, c.version());
        }
        // From this broker's block (ProducerIdPool); a new block comes from the controller.
        auto id = c.services.producer_ids.next();
        if (!id.ok()) {
          resp.error_code = to_wire(ErrorCode::coordinator_not_available);
          return reply_now(resp, c.version());
        }
        resp.producer_id = id.value();
        resp.producer_epoch = 0;
        return reply_now(resp, c.version());
      });
}

Reply handle_add_partitions_to_txn(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(
      ctx, body, [](const RequestContext& c, AddPartitionsToTxnRequest& req) {
        AddPartitionsToTxnResponse resp;
        for (const auto& t : req.topics) {
          auto& tr = resp.results_by_topic.emplace_back();
          tr.name = t.name;
          for (int32_t p : t.partitions) {
            auto& pr = tr.results_by_partition.emplace_back();
            pr.partition_index = p;
            pr.partition_error_code = kNotCoordinator;
          }
        }
        return reply_now(resp, c.version());
      });
}

Reply handle_add_offsets_to_txn(const RequestContext& ctx, Reader& body) {
  return reply_error_code<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(ctx, body,
                                                                          kNotCoordinator);
}

Reply handle_end_txn(const RequestContext& ctx, Reader& body) {
  return reply_error_code<EndTxnRequest, EndTxnResponse>(ctx, body, kNotCoordinator);
}

Reply handle_txn_offset_commit(const RequestContext& ctx, Reader& body) {
  return reply_partition_error_code<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(ctx, body,
                                                                                   kNotCoordinator);
}

Reply handle_write_txn_markers(const RequestContext& ctx, Reader& body) {
  // Broker-to-broker only (a transaction coordinator writing markers); no client may send
  // it, so every partition is refused with CLUSTER_AUTHORIZATION_FAILED, as Kafka does.
  return decode_and_handle<WriteTxnMarkersRequest, WriteTxnMarkersResponse>(
      ctx, body, [](const RequestContext& c, WriteTxnMarkersRequest& req) {
        WriteTxnMarkersResponse resp;
        for (const auto& m : req.markers) {
          auto& mr = resp.markers.emplace_back();
          mr.producer_id = m.producer_id;
          for (const auto& t : m.topics) {
            auto& tr = mr.topics.emplace_back();
            tr.name = t.name;
            for (int32_t p : t.partition_indexes) {
              auto& pr = tr.partitions.emplace_back();
              pr.partition_index = p;
              pr.error_code = to_wire(ErrorCode::cluster_authorization_failed);
            }
          }
        }
        return reply_now(resp, c.version());
      });
}

Reply handle_sasl_handshake(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<SaslHandshakeRequest, SaslHandshakeResponse>(
      ctx, body, [](const RequestContext& c, SaslHandshakeRequest&) {
        SaslHandshakeResponse resp;
        resp.error_code = to_wire(ErrorCode::unsupported_sasl_mechanism);
        return reply_now(resp, c.version());
      });
}

}  // namespace tern::server
