#include "broker/server/broker.h"

#include "broker/server/broker_core.h"

namespace tern::server {

Broker::Broker(Runtime& rt, BrokerConfig config)
    : core_(std::make_shared<BrokerCore>(rt, std::move(config))) {}

Broker::~Broker() {
  // The core lives on while tasks still hold it (a cancelled run() leaves a shutdown task).
  core_->stop();
}

Status Broker::run() { return core_->run(); }
void Broker::stop() { core_->stop(); }
std::optional<Address> Broker::bound_address() const { return core_->bound_address(); }
bool Broker::serving() const { return core_->serving(); }
const BrokerConfig& Broker::config() const { return core_->config(); }

}  // namespace tern::server
