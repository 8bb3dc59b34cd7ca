#pragma once
// The simulated network: TCP-like byte streams between nodes, named by host = node name.
// Each direction of a connection is a FIFO of chunks, each delivered after a seeded latency
// (never overtaking the chunk before it). A write is split into chunks of seeded sizes, so
// readers see every possible framing. A per-direction window (in flight + unread) gives
// back-pressure like a socket buffer.
//
// Fault hooks (used by faults/): latency range and spikes, blocking one direction between two
// nodes (partitions, symmetric or one-way), clogging a direction until a time, breaking
// (resetting) connections. A blocked direction stalls, as TCP does while it retransmits: the
// data waits and flows again after the heal, unless a timeout above gives up first.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "sim/runtime/network.h"
#include "sim/runtime/rng.h"
#include "sim/runtime/sync/wait_queue.h"

namespace tern::sim {

class World;

struct LatencyRange {
  Duration min = Duration::micros(50);
  Duration max = Duration::micros(500);
};

class SimNetwork {
 public:
  SimNetwork(World& world, Tasks& tasks, Rng rng);
  ~SimNetwork();

  // The Network a node's runtime hands out.
  std::unique_ptr<Network> node_network(uint32_t node);
  // A node is about to crash: its sockets, destroyed by the unwinding, send no FIN.
  // half_open: the machine lost power (CrashOptions::half_open), see node_down.
  void node_crashing(uint32_t node, bool half_open = false);
  // A node went down. A process crash: its peers see their connections reset at once.
  // A power loss (half_open): its peers' connections stay open and silent; what they write
  // toward it waits in flight (their writes stall once the window is full) and their reads
  // wait for their deadlines, until they close the connection or the node restarts.
  void node_down(uint32_t node);
  // A node (re)started: its fresh network stack answers every connection of its previous
  // incarnation with a reset. We reset them all now rather than at each peer's next packet.
  void node_up(uint32_t node);

  // --- fault hooks ---
  void set_latency(LatencyRange range) { latency_ = range; }
  LatencyRange latency() const { return latency_; }
  // Blocks (or unblocks) delivery from one node to another.
  void set_blocked(uint32_t from, uint32_t to, bool blocked);
  bool blocked(uint32_t from, uint32_t to) const;
  // Partitions `a` from `b` (both directions, or only a->b when one_way).
  void partition(const std::set<uint32_t>& a, const std::set<uint32_t>& b, bool one_way);
  void heal();
  // Holds every chunk from `from` to `to` until `until`.
  void clog(uint32_t from, uint32_t to, Instant until);
  // Resets every connection between a and b (either direction). Returns how many.
  size_t break_connections(uint32_t a, uint32_t b);
  // Adds `extra` latency to every chunk sent until `until` (a latency spike).
  void spike(Duration extra, Instant until);

  uint64_t bytes_delivered() const { return bytes_delivered_; }
  uint64_t chunks_delivered() const { return chunks_delivered_; }
  size_t open_connections() const { return conns_.size(); }

 private:
  friend class SimStream;
  friend class SimListener;
  friend class NodeNetwork;
  struct Conn;
  struct ListenerState;
  Result<std::unique_ptr<Listener>> listen(uint32_t node, const Address& address);
  Result<std::unique_ptr<Stream>> connect(uint32_t node, const Address& address,
                                          Deadline deadline);
  bool reachable(uint32_t from, uint32_t to) const;
  Duration draw_latency();
  void send_chunk(Conn& c, int to_end, std::vector<uint8_t> bytes, bool fin);
  void arm_delivery(const std::shared_ptr<Conn>& c, int to_end);
  void deliver_head(const std::shared_ptr<Conn>& c, int to_end);
  void reset_conn(Conn& c, const char* why);

  World& world_;
  Tasks& tasks_;
  Rng rng_;
  LatencyRange latency_;
  Duration spike_extra_;
  Instant spike_until_;
  std::set<std::pair<uint32_t, uint32_t>> blocked_;
  std::map<std::pair<uint32_t, uint32_t>, Instant> clogged_;
  std::map<std::pair<uint32_t, uint16_t>, ListenerState*> listeners_;
  std::map<uint64_t, std::weak_ptr<Conn>> conns_;  // by id: ordered, deterministic iteration
  uint64_t next_conn_id_ = 1;
  uint16_t next_ephemeral_port_ = 40000;
  uint32_t crashing_ = UINT32_MAX;
  bool crashing_half_open_ = false;
  uint64_t bytes_delivered_ = 0;
  uint64_t chunks_delivered_ = 0;
};

}  // namespace tern::sim
