#pragma once
// The records of the metadata log (Kafka's metadata record types, by the same names and
// type numbers: RegisterBrokerRecord = 0, TopicRecord = 2, ...). Each committed record is
// applied to the MetadataImage by image_apply.h; a snapshot of an image is a list of the
// same records (snapshot.h), so one decoder serves both.
//
// Encoding (tern's own, framed like Kafka's): uvarint frame version (0), uvarint record
// type, uvarint record version (0), then the fields in order with compact strings/arrays.
// Decoding is strict: unknown types, trailing bytes or truncation are errors, never a
// guess — a metadata log tern cannot read must stop the node, not fork its image.
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "broker/controller/metadata_image.h"
#include "broker/base/bytes.h"
#include "broker/protocol/wire.h"
#include "sim/runtime/result.h"

namespace tern::controller {

enum class RecordType : uint8_t {
  register_broker = 0,
  unregister_broker = 1,
  topic = 2,
  partition = 3,
  config = 4,
  partition_change = 5,
  fence_broker = 7,
  unfence_broker = 8,
  remove_topic = 9,
  producer_ids = 15,
  no_op = 20,
};

struct RegisterBrokerRecord {
  int32_t broker_id = -1;
  protocol::Uuid incarnation_id;
  // -1 in the log: the broker epoch becomes the record's own offset when applied (so it is
  // the same on every node); a snapshot writes the epoch explicitly.
  int64_t broker_epoch = -1;
  std::vector<BrokerEndpoint> endpoints;
  std::optional<std::string> rack;
  bool fenced = true;
  bool operator==(const RegisterBrokerRecord&) const = default;
};

struct UnregisterBrokerRecord {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  bool operator==(const UnregisterBrokerRecord&) const = default;
};

struct TopicRecord {
  std::string name;
  protocol::Uuid topic_id;
  bool operator==(const TopicRecord&) const = default;
};

struct PartitionRecord {
  protocol::Uuid topic_id;
  int32_t partition = 0;
  std::vector<int32_t> replicas;
  std::vector<int32_t> isr;
  int32_t leader = -1;
  int32_t leader_epoch = 0;
  int32_t partition_epoch = 0;
  bool operator==(const PartitionRecord&) const = default;
};

// A change of one partition; absent fields keep their value. Applying it bumps the
// partition epoch, and the leader epoch when the leader changes.
struct PartitionChangeRecord {
  protocol::Uuid topic_id;
  int32_t partition = 0;
  std::optional<int32_t> leader;
  std::optional<std::vector<int32_t>> isr;
  std::optional<std::vector<int32_t>> replicas;
  bool operator==(const PartitionChangeRecord&) const = default;
};

// A topic config override set (value) or removed (nullopt). Resource type 2 = topic.
struct ConfigRecord {
  int8_t resource_type = 2;
  std::string resource_name;
  std::string name;
  std::optional<std::string> value;
  bool operator==(const ConfigRecord&) const = default;
};

struct FenceBrokerRecord {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  bool operator==(const FenceBrokerRecord&) const = default;
};

struct UnfenceBrokerRecord {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  bool operator==(const UnfenceBrokerRecord&) const = default;
};

struct RemoveTopicRecord {
  protocol::Uuid topic_id;
  bool operator==(const RemoveTopicRecord&) const = default;
};

// A producer-id block granted: ids below next_producer_id are taken.
struct ProducerIdsRecord {
  int32_t broker_id = -1;
  int64_t broker_epoch = -1;
  int64_t next_producer_id = 0;
  bool operator==(const ProducerIdsRecord&) const = default;
};

// Written by an idle active controller so followers' applied offsets keep moving (Kafka's
// metadata.max.idle.interval.ms) and by a new controller to learn when it has caught up.
struct NoOpRecord {
  bool operator==(const NoOpRecord&) const = default;
};

using MetadataRecord =
    std::variant<RegisterBrokerRecord, UnregisterBrokerRecord, TopicRecord, PartitionRecord,
                 ConfigRecord, PartitionChangeRecord, FenceBrokerRecord, UnfenceBrokerRecord,
                 RemoveTopicRecord, ProducerIdsRecord, NoOpRecord>;

RecordType record_type(const MetadataRecord& r);
std::string_view record_type_name(RecordType t);

Bytes encode_record(const MetadataRecord& r);
Result<MetadataRecord> decode_record(std::span<const uint8_t> bytes);

// One line for traces and `tern metadata` dumps: "TopicRecord name=orders id=...".
std::string describe_record(const MetadataRecord& r);

}  // namespace tern::controller
