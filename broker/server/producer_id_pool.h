#pragma once
// ProducerIdPool: hands out producer ids (InitProducerId without a transactional id) from a
// block granted by the controller (Kafka's ProducerIdManager over AllocateProducerIds). A
// block belongs to this broker for ever, so ids are never reused, across restarts too: the
// rest of a block is simply skipped after a restart.
#include <cstdint>

#include "broker/controller/controller_client.h"
#include "sim/runtime/result.h"
#include "sim/runtime/runtime.h"
#include "sim/runtime/sync/mutex.h"

namespace tern::server {

class ProducerIdPool {
 public:
  ProducerIdPool(Runtime& rt, controller::ControllerClient& controller)
      : controller_(controller), refill_mutex_(rt) {}

  // The next id; asks the controller for a new block when this one is used up (suspends).
  // Errors: the controller could not grant a block.
  Result<int64_t> next();

 private:
  controller::ControllerClient& controller_;
  Mutex refill_mutex_;  // one request for a block at a time
  int64_t next_ = 0;
  int64_t end_ = 0;  // one past the block's last id; next_ == end_: empty
};

}  // namespace tern::server
