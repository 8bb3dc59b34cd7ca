#include "sim/simulated/sim_network.h"

#include <algorithm>
#include <cstring>

#include "sim/simulated/world.h"

namespace tern::sim {

namespace {
constexpr size_t kWindowBytes = 1 << 20;  // per direction, like a socket buffer
constexpr size_t kChunkBytesMax = 64 * 1024;
constexpr size_t kSendMinBytes = 16 * 1024;
static_assert(kSendMinBytes <= kWindowBytes && kChunkBytesMax <= kWindowBytes);
constexpr Duration kSynRetry = Duration::seconds(1);  // TCP's initial retransmission timeout
constexpr Duration kStallRetry = Duration::millis(200);
constexpr size_t kBacklogMax = 128;
}  // namespace

struct SimNetwork::Conn {
  struct Chunk {
    std::vector<uint8_t> bytes;
    Instant ready;
    Instant sent;
    bool fin;
  };
  struct End {
    End(Tasks& t) : readers(t), space(t) {}
    uint32_t node = 0;
    Address address;
    std::deque<Chunk> inflight;  // travelling toward this end
    bool delivery_armed = false;
    Instant last_ready{0};
    std::deque<std::vector<uint8_t>> rx;  // delivered, not yet read
    size_t rx_offset = 0;
    size_t rx_bytes = 0;
    size_t outstanding = 0;  // in flight toward this end + unread here: the window
    bool fin = false;        // the peer's FIN arrived
    bool closed = false;     // this end's owner closed it (or is gone)
    bool dead = false;       // this end's machine lost power (half-open): nothing reaches it
    WaitQueue readers;       // tasks reading at this end
    WaitQueue space;         // tasks writing toward this end, waiting for window
  };
  Conn(SimNetwork* n, uint64_t i, Tasks& t) : net(n), id(i), ends{End(t), End(t)} {}
  ~Conn() {
    if (net) net->conns_.erase(id);
  }
  SimNetwork* net;
  uint64_t id;
  End ends[2];
  bool reset = false;
};

struct SimNetwork::ListenerState {
  ListenerState(Tasks& t) : acceptors(t) {}
  uint32_t node = 0;
  Address address;
  std::deque<std::shared_ptr<Conn>> backlog;
  WaitQueue acceptors;
  bool closed = false;
};

// ---------------------------------------------------------------------------------------
class SimStream final : public Stream {
 public:
  SimStream(SimNetwork& net, std::shared_ptr<SimNetwork::Conn> conn, int end)
      : net_(net), conn_(std::move(conn)), end_(end) {}
  ~SimStream() override { close(); }

  Result<size_t> read_some(std::span<uint8_t> buf, Deadline deadline) override {
    TERN_ASSERT(!buf.empty());
    auto& me = conn_->ends[end_];
    while (true) {
      if (conn_->reset) return Error(Errc::reset, peer().to_string());
      if (me.closed) return Errc::closed;
      if (me.rx_bytes > 0) return take(buf);
      if (me.fin) return Errc::closed;
      Wake w = me.readers.wait(deadline);
      if (w == Wake::cancelled) return Errc::cancelled;
      if (w == Wake::timed_out && me.rx_bytes == 0 && !me.fin && !conn_->reset)
        return Error(Errc::timed_out, "read from " + peer().to_string());
    }
  }

  Status write_all(std::span<const uint8_t> data, Deadline deadline) override {
    auto& me = conn_->ends[end_];
    auto& peer_end = conn_->ends[1 - end_];
    size_t sent = 0;
    while (sent < data.size()) {
      if (conn_->reset) return Error(Errc::reset, peer().to_string());
      if (me.closed) return Errc::closed;
      // Like TCP's silly-window avoidance: wait for a useful amount of room, not a few bytes.
      const size_t useful = std::min(kSendMinBytes, data.size() - sent);
      if (peer_end.outstanding + useful > kWindowBytes) {
        Wake w = peer_end.space.wait(deadline);
        if (w == Wake::cancelled) return Errc::cancelled;
        if (w == Wake::timed_out && peer_end.outstanding + useful > kWindowBytes)
          return Error(Errc::timed_out, "write to " + peer().to_string());
        continue;
      }
      const size_t room = kWindowBytes - peer_end.outstanding;
      const size_t want = std::min({room, data.size() - sent, kChunkBytesMax});
      // Seeded chunk sizes: the reader sees every framing a real network could produce.
      const size_t n = net_.rng_.one_in(4) ? static_cast<size_t>(net_.rng_.between(1, static_cast<int64_t>(want))) : want;
      net_.send_chunk(*conn_, 1 - end_,
                      std::vector<uint8_t>(data.begin() + sent, data.begin() + sent + n), false);
      sent += n;
    }
    return {};
  }

  void close() override {
    auto& me = conn_->ends[end_];
    if (me.closed) return;
    me.closed = true;
    me.readers.notify_all();
    conn_->ends[1 - end_].space.notify_all();
    // A crashing node sends nothing; the network resets its connections afterwards.
    if (conn_->reset || net_.crashing_ == me.node) return;
    // The peer's machine is gone (half-open): our FIN would never be answered. Ending the
    // connection here is what the peer of a dead machine eventually sees; resetting now also
    // keeps it off the list the dead node's restart resets.
    if (conn_->ends[1 - end_].dead) net_.reset_conn(*conn_, "closed toward a dead node");
    else net_.send_chunk(*conn_, 1 - end_, {}, true);
  }
  const Address& peer() const override { return conn_->ends[1 - end_].address; }
  const Address& local() const override { return conn_->ends[end_].address; }

 private:
  size_t take(std::span<uint8_t> buf) {
    auto& me = conn_->ends[end_];
    size_t got = 0;
    while (got < buf.size() && !me.rx.empty()) {
      auto& front = me.rx.front();
      const size_t n = std::min(buf.size() - got, front.size() - me.rx_offset);
      std::memcpy(buf.data() + got, front.data() + me.rx_offset, n);
      got += n;
      me.rx_offset += n;
      if (me.rx_offset == front.size()) {
        me.rx.pop_front();
        me.rx_offset = 0;
      }
    }
    TERN_ASSERT(got > 0 && got <= me.rx_bytes && got <= me.outstanding);
    me.rx_bytes -= got;
    me.outstanding -= got;
    me.space.notify_all();
    return got;
  }

  SimNetwork& net_;
  std::shared_ptr<SimNetwork::Conn> conn_;
  int end_;
};

class SimListener final : public Listener {
 public:
  SimListener(SimNetwork& net, std::unique_ptr<SimNetwork::ListenerState> state)
      : net_(net), state_(std::move(state)) {}
  ~SimListener() override { close(); }

  Result<std::unique_ptr<Stream>> accept(Deadline deadline) override {
    while (true) {
      if (state_->closed) return Errc::closed;
      if (!state_->backlog.empty()) {
        auto conn = std::move(state_->backlog.front());
        state_->backlog.pop_front();
        net_.world_.trace_event(Severity::debug, net_.world_.node_name(state_->node),
                                "net.accept", {{"conn", conn->id},
                                               {"from", conn->ends[0].address.to_string()}});
        return std::unique_ptr<Stream>(new SimStream(net_, std::move(conn), 1));
      }
      Wake w = state_->acceptors.wait(deadline);
      if (w == Wake::cancelled) return Errc::cancelled;
      if (w == Wake::timed_out && state_->backlog.empty() && !state_->closed)
        return Errc::timed_out;
    }
  }
  void close() override {
    if (state_->closed) return;
    state_->closed = true;
    net_.listeners_.erase({state_->node, state_->address.port});
    // A machine losing power resets nothing: node_down leaves these connections half-open.
    const bool power_loss = net_.crashing_ == state_->node && net_.crashing_half_open_;
    for (auto& c : state_->backlog)
      if (!power_loss) net_.reset_conn(*c, "listener closed");
    state_->backlog.clear();
    state_->acceptors.notify_all();
  }
  const Address& local() const override { return state_->address; }

 private:
  SimNetwork& net_;
  std::unique_ptr<SimNetwork::ListenerState> state_;
};

class NodeNetwork final : public Network {
 public:
  NodeNetwork(SimNetwork& net, uint32_t node) : net_(net), node_(node) {}
  Result<std::unique_ptr<Listener>> listen(const Address& address) override {
    return net_.listen(node_, address);
  }
  Result<std::unique_ptr<Stream>> connect(const Address& address, Deadline deadline) override {
    return net_.connect(node_, address, deadline);
  }

 private:
  SimNetwork& net_;
  uint32_t node_;
};

// ---------------------------------------------------------------------------------------
SimNetwork::SimNetwork(World& world, Tasks& tasks, Rng rng)
    : world_(world), tasks_(tasks), rng_(rng) {}

SimNetwork::~SimNetwork() {
  // Connections may outlive the network inside pending timers; cut their back pointer.
  for (auto& [id, weak] : conns_)
    if (auto c = weak.lock()) c->net = nullptr;
}

std::unique_ptr<Network> SimNetwork::node_network(uint32_t node) {
  return std::make_unique<NodeNetwork>(*this, node);
}

Duration SimNetwork::draw_latency() {
  Duration d{rng_.between(latency_.min.ns, latency_.max.ns)};
  if (world_.now() < spike_until_) d = d + spike_extra_;
  return d;
}

bool SimNetwork::reachable(uint32_t from, uint32_t to) const { return !blocked(from, to); }

bool SimNetwork::blocked(uint32_t from, uint32_t to) const {
  return blocked_.count({from, to}) != 0;
}

void SimNetwork::set_blocked(uint32_t from, uint32_t to, bool is_blocked) {
  if (is_blocked) blocked_.insert({from, to});
  else blocked_.erase({from, to});
}

void SimNetwork::partition(const std::set<uint32_t>& a, const std::set<uint32_t>& b,
                           bool one_way) {
  for (uint32_t x : a)
    for (uint32_t y : b) {
      if (x == y) continue;
      set_blocked(x, y, true);
      if (!one_way) set_blocked(y, x, true);
    }
}

void SimNetwork::heal() {
  blocked_.clear();
  clogged_.clear();
}

void SimNetwork::clog(uint32_t from, uint32_t to, Instant until) {
  Instant& u = clogged_[{from, to}];
  u = std::max(u, until);
}

void SimNetwork::spike(Duration extra, Instant until) {
  spike_extra_ = extra;
  spike_until_ = until;
}

size_t SimNetwork::break_connections(uint32_t a, uint32_t b) {
  std::vector<std::shared_ptr<Conn>> hit;
  for (auto& [id, weak] : conns_) {
    auto c = weak.lock();
    if (!c || c->reset) continue;
    const uint32_t x = c->ends[0].node, y = c->ends[1].node;
    if ((x == a && y == b) || (x == b && y == a)) hit.push_back(c);
  }
  for (auto& c : hit) reset_conn(*c, "broken by fault");
  return hit.size();
}

void SimNetwork::reset_conn(Conn& c, const char* why) {
  if (c.reset) return;
  c.reset = true;
  world_.trace_event(Severity::debug, "net", "net.reset",
                     {{"conn", c.id}, {"a", c.ends[0].address.to_string()},
                      {"b", c.ends[1].address.to_string()}, {"why", why}});
  for (auto& e : c.ends) {
    e.inflight.clear();
    e.rx.clear();
    e.rx_bytes = 0;
    e.rx_offset = 0;
    e.outstanding = 0;
    e.readers.notify_all();
    e.space.notify_all();
  }
}

void SimNetwork::node_down(uint32_t node) {
  const bool half_open = crashing_half_open_;
  crashing_ = UINT32_MAX;
  crashing_half_open_ = false;
  std::vector<std::shared_ptr<Conn>> hit;
  for (auto& [id, weak] : conns_) {
    auto c = weak.lock();
    if (c && !c->reset && (c->ends[0].node == node || c->ends[1].node == node))
      hit.push_back(c);
  }
  for (auto& c : hit) {
    if (!half_open) {
      reset_conn(*c, "node down");
      continue;
    }
    // The dead end's memory is gone; bytes already on the wire toward the peer still arrive.
    for (auto& e : c->ends) {
      if (e.node != node) continue;
      e.dead = true;
      e.rx.clear();
      e.rx_bytes = 0;
      e.rx_offset = 0;
    }
    world_.trace_event(Severity::debug, "net", "net.half_open",
                       {{"conn", c->id}, {"a", c->ends[0].address.to_string()},
                        {"b", c->ends[1].address.to_string()}});
  }
}

void SimNetwork::node_up(uint32_t node) {
  std::vector<std::shared_ptr<Conn>> hit;
  for (auto& [id, weak] : conns_) {
    auto c = weak.lock();
    if (!c || c->reset) continue;
    if ((c->ends[0].dead && c->ends[0].node == node) ||
        (c->ends[1].dead && c->ends[1].node == node))
      hit.push_back(c);
  }
  for (auto& c : hit) reset_conn(*c, "peer restarted");
}

void SimNetwork::send_chunk(Conn& c, int to_end, std::vector<uint8_t> bytes, bool fin) {
  auto& to = c.ends[to_end];
  const Instant now = world_.now();
  const Instant ready = std::max(now + draw_latency(), to.last_ready);
  to.last_ready = ready;
  to.outstanding += bytes.size();
  to.inflight.push_back({std::move(bytes), ready, now, fin});
  if (!to.delivery_armed) {
    auto it = conns_.find(c.id);
    TERN_ASSERT(it != conns_.end());
    arm_delivery(it->second.lock(), to_end);
  }
}

void SimNetwork::arm_delivery(const std::shared_ptr<Conn>& c, int to_end) {
  auto& to = c->ends[to_end];
  TERN_ASSERT(!to.delivery_armed && !to.inflight.empty());
  to.delivery_armed = true;
  const Instant when = std::max(to.inflight.front().ready, world_.now());
  world_.scheduler().add_timer(when, [this, c, to_end] { deliver_head(c, to_end); });
}

void SimNetwork::deliver_head(const std::shared_ptr<Conn>& c, int to_end) {
  if (c->net == nullptr) return;  // the network is being torn down
  auto& to = c->ends[to_end];
  to.delivery_armed = false;
  if (c->reset || to.inflight.empty()) return;
  // A dead machine acknowledges nothing: the chunks wait (the window fills and the writer
  // stalls) until the connection is reset. Not re-armed: nothing can deliver them.
  if (to.dead) return;
  const uint32_t from_node = c->ends[1 - to_end].node;
  const Instant now = world_.now();
  // A blocked or clogged direction stalls: TCP keeps retransmitting until it gets through.
  Instant retry_at{0};
  if (blocked(from_node, to.node)) retry_at = now + kStallRetry;
  if (auto it = clogged_.find({from_node, to.node}); it != clogged_.end() && it->second > now)
    retry_at = std::max(retry_at, it->second);
  if (retry_at > now) {
    to.inflight.front().ready = retry_at;
    arm_delivery(c, to_end);
    return;
  }
  Conn::Chunk chunk = std::move(to.inflight.front());
  to.inflight.pop_front();
  world_.trace_event(Severity::debug, world_.node_name(to.node), "net.deliver",
                     {{"conn", c->id}, {"from", world_.node_name(from_node)},
                      {"bytes", chunk.bytes.size()}, {"fin", chunk.fin ? 1 : 0},
                      {"sent_ns", chunk.sent.ns}});
  ++chunks_delivered_;
  bytes_delivered_ += chunk.bytes.size();
  if (to.closed) {
    // Data for a closed socket: the kernel answers with a reset.
    if (!chunk.bytes.empty()) {
      reset_conn(*c, "data after close");
      return;
    }
  } else if (chunk.fin) {
    to.fin = true;
    to.readers.notify_all();
  } else if (!chunk.bytes.empty()) {
    to.rx_bytes += chunk.bytes.size();
    to.rx.push_back(std::move(chunk.bytes));
    to.readers.notify_one();
  }
  if (!to.inflight.empty()) arm_delivery(c, to_end);
}

Result<std::unique_ptr<Listener>> SimNetwork::listen(uint32_t node, const Address& address) {
  const std::string& host = world_.node_name(node);
  if (!address.host.empty() && address.host != host && address.host != "0.0.0.0")
    return Error(Errc::invalid_argument, "listen on " + address.to_string() + " from " + host);
  uint16_t port = address.port;
  if (port == 0) {
    while (listeners_.count({node, next_ephemeral_port_})) ++next_ephemeral_port_;
    port = next_ephemeral_port_++;
  }
  if (listeners_.count({node, port})) return Error(Errc::address_in_use, address.to_string());
  auto state = std::make_unique<ListenerState>(tasks_);
  state->node = node;
  state->address = Address{host, port};
  listeners_[{node, port}] = state.get();
  world_.trace_event(Severity::debug, host, "net.listen", {{"port", port}});
  return std::unique_ptr<Listener>(new SimListener(*this, std::move(state)));
}

Result<std::unique_ptr<Stream>> SimNetwork::connect(uint32_t node, const Address& address,
                                                    Deadline deadline) {
  const auto dst_opt = world_.find_node(address.host);
  if (!dst_opt) return Error(Errc::unreachable, address.to_string());
  const uint32_t dst = *dst_opt;
  const std::string& src_name = world_.node_name(node);
  // Until the SYN gets through (peer up and reachable both ways), retransmit like TCP.
  while (!(world_.node_up(dst) && reachable(node, dst) && reachable(dst, node))) {
    if (world_.now() >= deadline) return Error(Errc::timed_out, "connect " + address.to_string());
    if (!tasks_.sleep_until(std::min(deadline, world_.now() + kSynRetry)).ok())
      return Errc::cancelled;
  }
  if (!tasks_.sleep_until(world_.now() + draw_latency()).ok()) return Errc::cancelled;
  if (world_.now() > deadline) return Error(Errc::timed_out, "connect " + address.to_string());
  auto lit = listeners_.find({dst, address.port});
  if (lit == listeners_.end() || lit->second->backlog.size() >= kBacklogMax || !world_.node_up(dst)) {
    if (!tasks_.sleep_until(world_.now() + draw_latency()).ok()) return Errc::cancelled;
    return Error(Errc::refused, "connect " + address.to_string());
  }
  auto conn = std::make_shared<Conn>(this, next_conn_id_++, tasks_);
  conns_[conn->id] = conn;
  conn->ends[0].node = node;
  conn->ends[0].address = Address{src_name, next_ephemeral_port_++};
  conn->ends[1].node = dst;
  conn->ends[1].address = lit->second->address;
  world_.trace_event(Severity::debug, src_name, "net.connect",
                     {{"conn", conn->id}, {"to", address.to_string()}});
  lit->second->backlog.push_back(conn);
  lit->second->acceptors.notify_one();
  if (!tasks_.sleep_until(world_.now() + draw_latency()).ok()) {
    reset_conn(*conn, "connect cancelled");
    return Errc::cancelled;
  }
  return std::unique_ptr<Stream>(new SimStream(*this, std::move(conn), 0));
}

void SimNetwork::node_crashing(uint32_t node, bool half_open) {
  crashing_ = node;
  crashing_half_open_ = half_open;
}

}  // namespace tern::sim
