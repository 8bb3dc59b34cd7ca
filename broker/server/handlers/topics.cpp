// CreateTopics, DeleteTopics, CreatePartitions. The checks and their error codes follow
// Kafka's controller (ReplicationControlManager / AdminManager); the work is done by
// BrokerCore under its admin mutex.
#include <set>

#include "broker/protocol/msg_create_partitions.h"
#include "broker/protocol/msg_create_topics.h"
#include "broker/protocol/msg_delete_topics.h"
#include "broker/server/broker_core.h"
#include "broker/server/handlers/handlers.h"

namespace tern::server {

using namespace protocol;

namespace {

// Names that appear more than once in a request get INVALID_REQUEST (Kafka does the same).
template <class Range, class NameOf>
std::set<std::string> duplicates(const Range& items, NameOf name_of) {
  std::set<std::string> seen, dup;
  for (const auto& item : items) {
    if (!seen.insert(name_of(item)).second) dup.insert(name_of(item));
  }
  return dup;
}

void create_one(BrokerCore& core, const CreateTopicsRequest::CreatableTopic& t,
                bool validate_only, CreateTopicsResponse::CreatableTopicResult& out) {
  auto fail = [&](ErrorCode e, std::string msg) {
    out.error_code = to_wire(e);
    out.error_message = std::move(msg);
  };
  const std::string problem = topic_name_problem(t.name);
  if (!problem.empty()) return fail(ErrorCode::invalid_topic_exception, problem);
  if (core.find_topic(t.name) != nullptr) {
    return fail(ErrorCode::topic_already_exists,
                fmt::format("Topic '{}' already exists.", t.name));
  }
  int32_t partitions = t.num_partitions;
  if (!t.assignments.empty()) {
    if (t.num_partitions != -1 || t.replication_factor != -1) {
      return fail(ErrorCode::invalid_request,
                  "Both numPartitions or replicationFactor and replicasAssignments were set.");
    }
    for (size_t i = 0; i < t.assignments.size(); ++i) {
      const auto& a = t.assignments[i];
      if (a.partition_index != static_cast<int32_t>(i) ||
          a.broker_ids != std::vector<int32_t>{core.node_id()}) {
        return fail(ErrorCode::invalid_replica_assignment,
                    fmt::format("partition {} must be assigned to broker {} only",
                                a.partition_index, core.node_id()));
      }
    }
    partitions = static_cast<int32_t>(t.assignments.size());
  } else {
    if (partitions == -1) partitions = core.config().num_partitions;
    if (partitions <= 0) {
      return fail(ErrorCode::invalid_partitions, "Number of partitions must be larger than 0.");
    }
    int16_t rf = t.replication_factor;
    if (rf == -1) rf = core.config().default_replication_factor;
    if (rf <= 0) {
      return fail(ErrorCode::invalid_replication_factor,
                  "Replication factor must be larger than 0.");
    }
    if (rf > 1) {
      return fail(ErrorCode::invalid_replication_factor,
                  fmt::format("Unable to replicate the partition {} time(s): The target "
                              "replication factor of {} cannot be reached because only 1 "
                              "broker(s) are registered.", rf, rf));
    }
  }
  std::map<std::string, std::string> configs;
  for (const auto& c : t.configs) {
    if (!c.value.has_value()) continue;  // null: use the default
    Status s = validate_topic_config(c.name, *c.value);
    if (!s.ok()) return fail(ErrorCode::invalid_config, s.error().context());
    configs[c.name] = *c.value;
  }
  std::string message;
  const ErrorCode e = core.create_topic(t.name, partitions, configs, validate_only, message);
  out.error_code = to_wire(e);
  if (e != ErrorCode::none) out.error_message = message;
  else out.error_message = std::nullopt;
}

Reply create_topics(const RequestContext& ctx, CreateTopicsRequest& req) {
  CreateTopicsResponse resp;
  const auto dup = duplicates(req.topics, [](const auto& t) { return t.name; });
  for (const auto& t : req.topics) {
    auto& out = resp.topics.emplace_back();
    out.name = t.name;
    out.error_message = std::nullopt;
    if (dup.count(t.name)) {
      out.error_code = to_wire(ErrorCode::invalid_request);
      out.error_message = "Create topics request contains multiple entries for the topic.";
      continue;
    }
    create_one(ctx.core, t, req.validate_only, out);
  }
  return reply_now(resp, ctx.version());
}

Reply delete_topics(const RequestContext& ctx, DeleteTopicsRequest& req) {
  DeleteTopicsResponse resp;
  const auto dup = duplicates(req.topic_names, [](const std::string& n) { return n; });
  for (const std::string& name : req.topic_names) {
    auto& out = resp.responses.emplace_back();
    out.name = name;
    if (dup.count(name)) {
      out.error_code = to_wire(ErrorCode::invalid_request);
    } else if (!ctx.core.config().delete_topic_enable) {
      out.error_code = to_wire(ErrorCode::topic_deletion_disabled);
    } else {
      out.error_code = to_wire(ctx.core.delete_topic(name));
    }
  }
  return reply_now(resp, ctx.version());
}

Reply create_partitions(const RequestContext& ctx, CreatePartitionsRequest& req) {
  CreatePartitionsResponse resp;
  const auto dup = duplicates(req.topics, [](const auto& t) { return t.name; });
  for (const auto& t : req.topics) {
    auto& out = resp.results.emplace_back();
    out.name = t.name;
    if (dup.count(t.name)) {
      out.error_code = to_wire(ErrorCode::invalid_request);
      out.error_message = "Duplicate topic in request.";
      continue;
    }
    const TopicState* existing = ctx.core.find_topic(t.name);
    if (existing != nullptr && t.assignments.has_value() && !t.assignments->empty()) {
      const int32_t added = t.count - existing->meta.partitions;
      bool ok = added > 0 && static_cast<int32_t>(t.assignments->size()) == added;
      for (const auto& a : *t.assignments) {
        ok = ok && a.broker_ids == std::vector<int32_t>{ctx.core.node_id()};
      }
      if (!ok) {
        out.error_code = to_wire(ErrorCode::invalid_replica_assignment);
        out.error_message = "Each new partition must be assigned to this broker only.";
        continue;
      }
    }
    std::string message;
    const ErrorCode e = ctx.core.create_partitions(t.name, t.count, req.validate_only, message);
    out.error_code = to_wire(e);
    if (e != ErrorCode::none) out.error_message = message;
  }
  return reply_now(resp, ctx.version());
}

}  // namespace

Reply handle_create_topics(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<CreateTopicsRequest, CreateTopicsResponse>(ctx, body, create_topics);
}

Reply handle_delete_topics(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<DeleteTopicsRequest, DeleteTopicsResponse>(ctx, body, delete_topics);
}

Reply handle_create_partitions(const RequestContext& ctx, Reader& body) {
  return decode_and_handle<CreatePartitionsRequest, CreatePartitionsResponse>(
      ctx, body, create_partitions);
}

}  // namespace tern::server
