#include "broker/client/client_error.h"

#include <fmt/format.h>

namespace tern::client {

ClientError ClientError::kafka(int16_t code, std::string context) {
  TERN_ASSERT(code != 0, "a Kafka error needs a non-zero code");
  ClientError e;
  e.kafka_code_ = code;
  e.context_ = std::move(context);
  return e;
}

ClientError ClientError::runtime(Errc errc, std::string context) {
  TERN_ASSERT(errc != Errc::ok);
  ClientError e;
  e.errc_ = errc;
  e.context_ = std::move(context);
  return e;
}

ClientError ClientError::runtime(const Error& err) { return runtime(err.code(), err.context()); }

bool ClientError::retriable() const {
  if (is_kafka()) return protocol::is_retriable(static_cast<protocol::ErrorCode>(kafka_code_));
  switch (errc_) {
    case Errc::refused:
    case Errc::reset:
    case Errc::closed:
    case Errc::timed_out:
      return true;
    default:
      return false;
  }
}

std::string ClientError::message() const {
  std::string out;
  if (is_kafka()) {
    out = std::string(protocol::error_code_name(kafka_code_));
    if (out == "UNKNOWN") out = fmt::format("error code {}", kafka_code_);
    const std::string_view why = describe_error_code(kafka_code_);
    if (!why.empty()) out += fmt::format(": {}", why);
  } else {
    out = std::string(errc_name(errc_));
  }
  if (!context_.empty()) out += fmt::format(" ({})", context_);
  return out;
}

std::string_view describe_error_code(int16_t code) {
  // Our own wording of what each common code means to a user of the tools.
  switch (code) {
    case -1: return "the broker hit an unexpected error";
    case 1: return "the requested offset is outside the partition's range";
    case 2: return "a record failed its CRC or is malformed";
    case 3: return "this server does not host this topic-partition";
    case 5: return "the partition has no leader right now (election in progress?)";
    case 6: return "this broker is not the leader of the partition";
    case 7: return "the request timed out on the broker";
    case 10: return "the record batch is larger than the broker accepts";
    case 17: return "the topic name is invalid";
    case 18: return "the request's records exceed the configured size";
    case 19: return "fewer in-sync replicas than min.insync.replicas";
    case 20: return "written, but fewer in-sync replicas than required acknowledged it";
    case 21: return "acks must be -1 (all), 0 or 1";
    case 35: return "the broker does not support this version of the request";
    case 36: return "a topic with this name already exists";
    case 37: return "the number of partitions is invalid";
    case 38: return "the replication factor is invalid (larger than the number of brokers?)";
    case 39: return "the replica assignment is invalid";
    case 40: return "a configuration name or value is invalid";
    case 41: return "this broker is not the controller";
    case 42: return "the request is malformed";
    case 44: return "the request violates a configured policy";
    case 56: return "the broker's storage failed";
    case 73: return "topic deletion is disabled on the broker";
    case 76: return "the compression codec is not supported";
    case 87: return "the broker rejected a record as invalid";
    case 100: return "no topic with this id";
  }
  return {};
}

}  // namespace tern::client
