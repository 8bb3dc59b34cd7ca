#include "broker/controller/metadata_records.h"

#include <fmt/format.h>

#include "sim/runtime/assert.h"

namespace tern::controller {

using protocol::Reader;
using protocol::Writer;

namespace {

constexpr uint64_t kFrameVersion = 0;
constexpr uint64_t kRecordVersion = 0;

// ---- field helpers (compact forms, as in Kafka's flexible versions) ----------------------

void put_ints(Writer& w, const std::vector<int32_t>& v) {
  w.write_array_length(static_cast<int64_t>(v.size()), true);
  for (int32_t x : v) w.write_int32(x);
}

Status get_ints(Reader& r, std::vector<int32_t>& v) {
  int32_t n = 0;
  if (auto s = r.read_array_length(n, true, false); !s.ok()) return s;
  if (n < 0 || static_cast<size_t>(n) * 4 > r.remaining()) {
    return Error(Errc::corrupt, "metadata record: bad int array length");
  }
  v.resize(static_cast<size_t>(n));
  for (auto& x : v) {
    if (auto s = r.read_int32(x); !s.ok()) return s;
  }
  return {};
}

void put_opt_ints(Writer& w, const std::optional<std::vector<int32_t>>& v) {
  w.write_bool(v.has_value());
  if (v) put_ints(w, *v);
}

Status get_opt_ints(Reader& r, std::optional<std::vector<int32_t>>& v) {
  bool has = false;
  if (auto s = r.read_bool(has); !s.ok()) return s;
  if (!has) {
    v.reset();
    return {};
  }
  v.emplace();
  return get_ints(r, *v);
}

void put_str(Writer& w, std::string_view s) { w.write_string(s, true); }
Status get_str(Reader& r, std::string& s) { return r.read_string(s, true); }
void put_opt_str(Writer& w, const std::optional<std::string>& s) {
  w.write_nullable_string(s, true, true);
}
Status get_opt_str(Reader& r, std::optional<std::string>& s) {
  return r.read_nullable_string(s, true, true);
}

#define TRY(expr)                          \
  do {                                     \
    if (auto st_ = (expr); !st_.ok()) return st_; \
  } while (0)

// ---- per record type -----------------------------------------------------------------

void encode_body(Writer& w, const RegisterBrokerRecord& r) {
  w.write_int32(r.broker_id);
  w.write_uuid(r.incarnation_id);
  w.write_int64(r.broker_epoch);
  w.write_array_length(static_cast<int64_t>(r.endpoints.size()), true);
  for (const auto& e : r.endpoints) {
    put_str(w, e.listener);
    put_str(w, e.host);
    w.write_uint16(e.port);
  }
  put_opt_str(w, r.rack);
  w.write_bool(r.fenced);
}
Status decode_body(Reader& rd, RegisterBrokerRecord& r) {
  TRY(rd.read_int32(r.broker_id));
  TRY(rd.read_uuid(r.incarnation_id));
  TRY(rd.read_int64(r.broker_epoch));
  int32_t n = 0;
  TRY(rd.read_array_length(n, true, false));
  if (n < 0 || static_cast<size_t>(n) > rd.remaining()) {
    return Error(Errc::corrupt, "metadata record: bad endpoint count");
  }
  r.endpoints.resize(static_cast<size_t>(n));
  for (auto& e : r.endpoints) {
    TRY(get_str(rd, e.listener));
    TRY(get_str(rd, e.host));
    TRY(rd.read_uint16(e.port));
  }
  TRY(get_opt_str(rd, r.rack));
  return rd.read_bool(r.fenced);
}

void encode_body(Writer& w, const UnregisterBrokerRecord& r) {
  w.write_int32(r.broker_id);
  w.write_int64(r.broker_epoch);
}
Status decode_body(Reader& rd, UnregisterBrokerRecord& r) {
  TRY(rd.read_int32(r.broker_id));
  return rd.read_int64(r.broker_epoch);
}

void encode_body(Writer& w, const TopicRecord& r) {
  put_str(w, r.name);
  w.write_uuid(r.topic_id);
}
Status decode_body(Reader& rd, TopicRecord& r) {
  TRY(get_str(rd, r.name));
  return rd.read_uuid(r.topic_id);
}

void encode_body(Writer& w, const PartitionRecord& r) {
  w.write_uuid(r.topic_id);
  w.write_int32(r.partition);
  put_ints(w, r.replicas);
  put_ints(w, r.isr);
  w.write_int32(r.leader);
  w.write_int32(r.leader_epoch);
  w.write_int32(r.partition_epoch);
}
Status decode_body(Reader& rd, PartitionRecord& r) {
  TRY(rd.read_uuid(r.topic_id));
  TRY(rd.read_int32(r.partition));
  TRY(get_ints(rd, r.replicas));
  TRY(get_ints(rd, r.isr));
  TRY(rd.read_int32(r.leader));
  TRY(rd.read_int32(r.leader_epoch));
  return rd.read_int32(r.partition_epoch);
}

void encode_body(Writer& w, const PartitionChangeRecord& r) {
  w.write_uuid(r.topic_id);
  w.write_int32(r.partition);
  w.write_bool(r.leader.has_value());
  if (r.leader) w.write_int32(*r.leader);
  put_opt_ints(w, r.isr);
  put_opt_ints(w, r.replicas);
}
Status decode_body(Reader& rd, PartitionChangeRecord& r) {
  TRY(rd.read_uuid(r.topic_id));
  TRY(rd.read_int32(r.partition));
  bool has_leader = false;
  TRY(rd.read_bool(has_leader));
  if (has_leader) {
    int32_t l = 0;
    TRY(rd.read_int32(l));
    r.leader = l;
  }
  TRY(get_opt_ints(rd, r.isr));
  return get_opt_ints(rd, r.replicas);
}

void encode_body(Writer& w, const ConfigRecord& r) {
  w.write_int8(r.resource_type);
  put_str(w, r.resource_name);
  put_str(w, r.name);
  put_opt_str(w, r.value);
}
Status decode_body(Reader& rd, ConfigRecord& r) {
  TRY(rd.read_int8(r.resource_type));
  TRY(get_str(rd, r.resource_name));
  TRY(get_str(rd, r.name));
  return get_opt_str(rd, r.value);
}

template <class R>
void encode_broker_epoch(Writer& w, const R& r) {
  w.write_int32(r.broker_id);
  w.write_int64(r.broker_epoch);
}
template <class R>
Status decode_broker_epoch(Reader& rd, R& r) {
  TRY(rd.read_int32(r.broker_id));
  return rd.read_int64(r.broker_epoch);
}
void encode_body(Writer& w, const FenceBrokerRecord& r) { encode_broker_epoch(w, r); }
Status decode_body(Reader& rd, FenceBrokerRecord& r) { return decode_broker_epoch(rd, r); }
void encode_body(Writer& w, const UnfenceBrokerRecord& r) { encode_broker_epoch(w, r); }
Status decode_body(Reader& rd, UnfenceBrokerRecord& r) { return decode_broker_epoch(rd, r); }

void encode_body(Writer& w, const RemoveTopicRecord& r) { w.write_uuid(r.topic_id); }
Status decode_body(Reader& rd, RemoveTopicRecord& r) { return rd.read_uuid(r.topic_id); }

void encode_body(Writer& w, const ProducerIdsRecord& r) {
  encode_broker_epoch(w, r);
  w.write_int64(r.next_producer_id);
}
Status decode_body(Reader& rd, ProducerIdsRecord& r) {
  TRY(decode_broker_epoch(rd, r));
  return rd.read_int64(r.next_producer_id);
}

void encode_body(Writer&, const NoOpRecord&) {}
Status decode_body(Reader&, NoOpRecord&) { return {}; }

template <class R>
Result<MetadataRecord> decode_as(Reader& rd) {
  R r;
  if (auto s = decode_body(rd, r); !s.ok()) return s.error();
  if (!rd.at_end()) return Error(Errc::corrupt, "metadata record: trailing bytes");
  return MetadataRecord(std::move(r));
}

std::string ints(const std::vector<int32_t>& v) { return fmt::format("[{}]", fmt::join(v, ",")); }

}  // namespace

RecordType record_type(const MetadataRecord& r) {
  return std::visit(
      [](const auto& x) -> RecordType {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, RegisterBrokerRecord>) return RecordType::register_broker;
        if constexpr (std::is_same_v<T, UnregisterBrokerRecord>) {
          return RecordType::unregister_broker;
        }
        if constexpr (std::is_same_v<T, TopicRecord>) return RecordType::topic;
        if constexpr (std::is_same_v<T, PartitionRecord>) return RecordType::partition;
        if constexpr (std::is_same_v<T, ConfigRecord>) return RecordType::config;
        if constexpr (std::is_same_v<T, PartitionChangeRecord>) {
          return RecordType::partition_change;
        }
        if constexpr (std::is_same_v<T, FenceBrokerRecord>) return RecordType::fence_broker;
        if constexpr (std::is_same_v<T, UnfenceBrokerRecord>) return RecordType::unfence_broker;
        if constexpr (std::is_same_v<T, RemoveTopicRecord>) return RecordType::remove_topic;
        if constexpr (std::is_same_v<T, ProducerIdsRecord>) return RecordType::producer_ids;
        if constexpr (std::is_same_v<T, NoOpRecord>) return RecordType::no_op;
      },
      r);
}

std::string_view record_type_name(RecordType t) {
  switch (t) {
    case RecordType::register_broker: return "RegisterBrokerRecord";
    case RecordType::unregister_broker: return "UnregisterBrokerRecord";
    case RecordType::topic: return "TopicRecord";
    case RecordType::partition: return "PartitionRecord";
    case RecordType::config: return "ConfigRecord";
    case RecordType::partition_change: return "PartitionChangeRecord";
    case RecordType::fence_broker: return "FenceBrokerRecord";
    case RecordType::unfence_broker: return "UnfenceBrokerRecord";
    case RecordType::remove_topic: return "RemoveTopicRecord";
    case RecordType::producer_ids: return "ProducerIdsRecord";
    case RecordType::no_op: return "NoOpRecord";
  }
  return "UnknownRecord";
}

Bytes encode_record(const MetadataRecord& r) {
  Writer w(64);
  w.write_uvarint(kFrameVersion);
  w.write_uvarint(static_cast<uint64_t>(record_type(r)));
  w.write_uvarint(kRecordVersion);
  std::visit([&](const auto& x) { encode_body(w, x); }, r);
  return w.take();
}

Result<MetadataRecord> decode_record(std::span<const uint8_t> bytes) {
  Reader rd(bytes);
  uint64_t frame = 0, type = 0, version = 0;
  if (auto s = rd.read_uvarint64(frame); !s.ok()) return s.error();
  if (auto s = rd.read_uvarint64(type); !s.ok()) return s.error();
  if (auto s = rd.read_uvarint64(version); !s.ok()) return s.error();
  if (frame != kFrameVersion || version != kRecordVersion) {
    return Error(Errc::corrupt, fmt::format("metadata record: unsupported frame {} / version {}",
                                            frame, version));
  }
  switch (static_cast<RecordType>(type)) {
    case RecordType::register_broker: return decode_as<RegisterBrokerRecord>(rd);
    case RecordType::unregister_broker: return decode_as<UnregisterBrokerRecord>(rd);
    case RecordType::topic: return decode_as<TopicRecord>(rd);
    case RecordType::partition: return decode_as<PartitionRecord>(rd);
    case RecordType::config: return decode_as<ConfigRecord>(rd);
    case RecordType::partition_change: return decode_as<PartitionChangeRecord>(rd);
    case RecordType::fence_broker: return decode_as<FenceBrokerRecord>(rd);
    case RecordType::unfence_broker: return decode_as<UnfenceBrokerRecord>(rd);
    case RecordType::remove_topic: return decode_as<RemoveTopicRecord>(rd);
    case RecordType::producer_ids: return decode_as<ProducerIdsRecord>(rd);
    case RecordType::no_op: return decode_as<NoOpRecord>(rd);
  }
  return Error(Errc::corrupt, fmt::format("metadata record: unknown type {}", type));
}

std::string describe_record(const MetadataRecord& rec) {
  const std::string_view name = record_type_name(record_type(rec));
  return std::visit(
      [&](const auto& r) -> std::string {
        using T = std::decay_t<decltype(r)>;
        if constexpr (std::is_same_v<T, RegisterBrokerRecord>) {
          return fmt::format("{} broker={} epoch={} fenced={}", name, r.broker_id,
                             r.broker_epoch, r.fenced);
        } else if constexpr (std::is_same_v<T, TopicRecord>) {
          return fmt::format("{} name={}", name, r.name);
        } else if constexpr (std::is_same_v<T, PartitionRecord>) {
          return fmt::format("{} partition={} replicas={} leader={} leader_epoch={}", name,
                             r.partition, ints(r.replicas), r.leader, r.leader_epoch);
        } else if constexpr (std::is_same_v<T, PartitionChangeRecord>) {
          return fmt::format("{} partition={} leader={}", name, r.partition,
                             r.leader ? std::to_string(*r.leader) : "-");
        } else if constexpr (std::is_same_v<T, ConfigRecord>) {
          return fmt::format("{} {}/{} {}={}", name, r.resource_type, r.resource_name, r.name,
                             r.value.value_or("<removed>"));
        } else if constexpr (std::is_same_v<T, ProducerIdsRecord>) {
          return fmt::format("{} broker={} next={}", name, r.broker_id, r.next_producer_id);
        } else if constexpr (std::is_same_v<T, NoOpRecord>) {
          return std::string(name);
        } else if constexpr (std::is_same_v<T, RemoveTopicRecord>) {
          return std::string(name);
        } else {
          return fmt::format("{} broker={} epoch={}", name, r.broker_id, r.broker_epoch);
        }
      },
      rec);
}

}  // namespace tern::controller
