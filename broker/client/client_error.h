#pragma once
// Errors of tern's client as values. A client failure is either a Kafka error code that a
// broker answered (UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, ...) or a runtime
// failure on the way there (refused, reset, timed_out). Callers need both: the code decides
// whether to retry, the message is what a CLI prints on one line.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "broker/protocol/error_code.h"
#include "sim/runtime/result.h"

namespace tern::client {

class ClientError {
 public:
  ClientError() = default;
  // A Kafka error code from a response. REQUIRES: code != 0.
  static ClientError kafka(int16_t code, std::string context = {});
  // A runtime failure (network, timeout, cancel).
  static ClientError runtime(Errc errc, std::string context = {});
  static ClientError runtime(const Error& e);

  bool is_kafka() const { return kafka_code_ != 0; }
  int16_t kafka_code() const { return kafka_code_; }
  Errc errc() const { return errc_; }
  const std::string& context() const { return context_; }
  // Kafka's notion (RetriableException) for broker codes; network failures and timeouts
  // are retriable too (a reconnect may fix them).
  bool retriable() const;
  // "UNKNOWN_TOPIC_OR_PARTITION: this server does not host this topic-partition (produce t-0)"
  std::string message() const;
  bool operator==(protocol::ErrorCode c) const { return kafka_code_ == protocol::to_wire(c); }
  bool operator==(Errc c) const { return !is_kafka() && errc_ == c; }

 private:
  int16_t kafka_code_ = 0;
  Errc errc_ = Errc::io_error;
  std::string context_;
};

// A readable sentence for a Kafka error code, e.g. for TOPIC_ALREADY_EXISTS
// "topic with this name already exists". Empty for codes without one.
std::string_view describe_error_code(int16_t code);

// A value or a ClientError; a runtime Error converts (ClientError::runtime).
template <class T>
class [[nodiscard]] ClientResult : public BasicResult<T, ClientError> {
 public:
  using BasicResult<T, ClientError>::BasicResult;
  ClientResult() = default;  // ok: only ClientResult<void> (ClientStatus) has a default
  ClientResult(const Error& error) : BasicResult<T, ClientError>(ClientError::runtime(error)) {}
};

using ClientStatus = ClientResult<void>;

}  // namespace tern::client

