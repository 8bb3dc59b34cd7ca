#pragma once
// A quorum-replicated register store, written only against sim/runtime: the proof that one
// piece of code runs unchanged in the simulated world and for real.
//
// Servers keep key -> (version, value), highest version wins, in an append-only log file they
// fsync before answering and replay (truncating a torn tail) when they start. A client writes
// to every replica and succeeds once a majority acknowledged; it reads from a majority and
// takes the highest version. So every acknowledged write is visible to every later read, across
// crashes and restarts of a minority — the property the tests check.
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "sim/runtime/runtime.h"

namespace tern::demo {

struct Versioned {
  uint64_t version = 0;
  uint64_t value = 0;
};

// Serves until the listener fails or the task is cancelled. Recovers from `log_path` first.
// Port 0 picks a free port; on_listening (if set) learns the port once requests are served.
void run_register_server(Runtime& rt, const Address& listen, const std::string& log_path,
                         const std::function<void(uint16_t)>& on_listening = {});

class RegisterClient {
 public:
  RegisterClient(Runtime& rt, std::vector<Address> replicas, Duration rpc_timeout);
  // Writes to all replicas; true once a majority acknowledged before the deadline.
  bool put(uint64_t key, Versioned v, Deadline deadline);
  // Reads a majority; the highest version seen, or nullopt if no majority answered in time.
  std::optional<Versioned> get(uint64_t key, Deadline deadline);

 private:
  std::vector<std::optional<Versioned>> broadcast(uint8_t op, uint64_t key, Versioned v,
                                                  Deadline deadline);
  Runtime& rt_;
  std::vector<Address> replicas_;
  Duration rpc_timeout_;
};

}  // namespace tern::demo
