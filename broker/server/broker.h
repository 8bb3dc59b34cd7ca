#pragma once
// Broker: one Kafka broker node (a single-node cluster: controller, leader of every
// partition). Built from a Runtime& and a BrokerConfig, it runs unchanged in the simulated
// world (tests, scenarios) and for real (`tern broker`).
//
// Lifecycle:
//   Broker b(rt, config);  // cheap: no I/O
//   b.run();               // in a task of rt: recovers metadata and logs, listens, serves;
//                          // returns after stop() or when its task is cancelled
//   b.stop();              // from any task of the same runtime: closes the listener and
//                          // every connection, then run() closes the logs and returns
// A crash (simulated node crash) may unwind run() at any point; everything acknowledged
// under the durability contract survives (see README.md).
//
// State shared with the broker's tasks lives in a reference-counted core, so a connection or
// a long-poll task that outlives run() (run's task cancelled) never touches freed memory.
#include <cstdint>
#include <memory>
#include <optional>

#include "broker/server/config.h"
#include "sim/runtime/address.h"
#include "sim/runtime/runtime.h"

namespace tern::server {

class BrokerCore;

class Broker {
 public:
  Broker(Runtime& rt, BrokerConfig config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  // Serves until stop() or until the calling task is cancelled. Errors: the data could not
  // be recovered (io_error, corrupt metadata), the listener could not be opened
  // (address_in_use, ...), or a partition's log failed while serving (an fsync or write
  // error: the broker shuts itself down, like Kafka on a log directory failure, and expects
  // its supervisor to restart it). Returns ok after a clean stop.
  Status run();
  // Asks run() to finish: stops accepting, closes connections, closes the logs. Idempotent.
  void stop();

  // The address the listener is bound to (port 0 resolved), once run() is serving; nullopt
  // before that and after stop.
  std::optional<Address> bound_address() const;
  // True between "listening" and stop.
  bool serving() const;
  const BrokerConfig& config() const;

  // For broker/inspect.h.
  BrokerCore& core() { return *core_; }
  const BrokerCore& core() const { return *core_; }

 private:
  std::shared_ptr<BrokerCore> core_;
};

}  // namespace tern::server
