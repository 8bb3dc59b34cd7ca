#include "sim/simulated/world.h"

#include <algorithm>

#include "sim/simulated/sim_runtime.h"

namespace tern::sim {

World::World(Options options)
    : options_(options),
      rng_(options.seed),
      trace_(options.trace),
      scheduler_(static_cast<Tasks&>(*this), options.stack_bytes),
      network_(std::make_unique<SimNetwork>(*this, static_cast<Tasks&>(*this),
                                            Rng(options.seed).fork("network"))) {
  if (options_.shuffle_ties) scheduler_.shuffle_ties(Rng(options_.seed).fork("scheduler"));
}

World::~World() {
  // Observers belong to objects (counters, the injector) that may already be gone: the
  // events of the teardown below are nobody's business.
  observers_.clear();
  // Unwind every node while the network and disks they use still exist.
  for (uint32_t i = node_count(); i-- > 0;)
    if (nodes_[i].up) {
      network_->node_crashing(i);
      scheduler_.kill_group(i);
      network_->node_down(i);
      nodes_[i].runtime.reset();
      nodes_[i].up = false;
    }
  network_.reset();
}

uint32_t World::add_node(const std::string& name, NodeMain main) {
  TERN_ASSERT(!find_node(name), "node '{}' added twice", name);
  TERN_ASSERT(name != "world" && name != "net" && !name.empty());
  const auto id = static_cast<uint32_t>(nodes_.size());
  Node n;
  n.name = name;
  n.main = std::move(main);
  n.disk = std::make_unique<SimDisk>(*this, id, Rng(options_.seed).fork("disk").fork(name));
  nodes_.push_back(std::move(n));
  return id;
}

std::optional<uint32_t> World::find_node(std::string_view name) const {
  for (uint32_t i = 0; i < nodes_.size(); ++i)
    if (nodes_[i].name == name) return i;
  return std::nullopt;
}

uint32_t World::node_id(const std::string& name) const {
  auto id = find_node(name);
  TERN_ASSERT(id.has_value(), "no node '{}'", name);
  return *id;
}

const std::string& World::node_name(uint32_t node) const {
  TERN_ASSERT(node < nodes_.size());
  return nodes_[node].name;
}

bool World::node_up(uint32_t node) const {
  TERN_ASSERT(node < nodes_.size());
  return nodes_[node].up;
}

void World::pause_node(uint32_t node) {
  TERN_ASSERT(node < nodes_.size());
  trace_event(Severity::info, nodes_[node].name, "node.pause", {});
  scheduler_.pause_group(node);
}

void World::resume_node(uint32_t node) {
  TERN_ASSERT(node < nodes_.size());
  trace_event(Severity::info, nodes_[node].name, "node.resume", {});
  scheduler_.resume_group(node);
}

bool World::node_paused(uint32_t node) const { return scheduler_.group_paused(node); }

size_t World::node_tasks(uint32_t node) const { return scheduler_.live_tasks(node); }

SimDisk& World::disk(uint32_t node) {
  TERN_ASSERT(node < nodes_.size());
  return *nodes_[node].disk;
}

Runtime* World::runtime(uint32_t node) {
  TERN_ASSERT(node < nodes_.size());
  return nodes_[node].runtime.get();
}

void World::set_clock_skew(uint32_t node, Duration skew) {
  TERN_ASSERT(node < nodes_.size());
  nodes_[node].skew = skew;
  trace_event(Severity::info, nodes_[node].name, "clock.skew", {{"skew_ms", skew.to_millis()}});
}

Duration World::clock_skew(uint32_t node) const {
  TERN_ASSERT(node < nodes_.size());
  return nodes_[node].skew;
}

void World::start_node(uint32_t node) {
  TERN_ASSERT(node < nodes_.size());
  Node& n = nodes_[node];
  TERN_ASSERT(!n.up, "node '{}' is already up", n.name);
  TERN_ASSERT(scheduler_.live_tasks(node) == 0);
  ++n.incarnation;
  n.up = true;
  n.runtime = std::make_unique<SimRuntime>(*this, node, n.incarnation);
  trace_event(Severity::info, n.name, "node.start", {{"incarnation", n.incarnation}});
  network_->node_up(node);
  n.runtime->spawn("main", [this, node] {
    Node& self = nodes_[node];
    self.main(*self.runtime);
  });
}

void World::crash_node(uint32_t node, CrashOptions options) {
  TERN_ASSERT(node < nodes_.size());
  Node& n = nodes_[node];
  TERN_ASSERT(n.up, "crash of node '{}' that is down", n.name);
  // half_open is traced only when set: existing runs keep their trace hashes.
  if (options.half_open)
    trace_event(Severity::info, n.name, "node.crash",
                {{"tear", options.tear_last_write ? 1 : 0},
                 {"keep_unsynced", options.keep_unsynced_prefix ? 1 : 0}, {"half_open", 1}});
  else
    trace_event(Severity::info, n.name, "node.crash",
                {{"tear", options.tear_last_write ? 1 : 0},
                 {"keep_unsynced", options.keep_unsynced_prefix ? 1 : 0}});
  network_->node_crashing(node, options.half_open);
  scheduler_.kill_group(node);
  network_->node_down(node);
  n.disk->crash(options);
  n.runtime.reset();
  n.up = false;
  TERN_ASSERT(scheduler_.live_tasks(node) == 0);
  TERN_ASSERT(!scheduler_.group_paused(node));
}

TaskHandle World::spawn(std::string, UniqueFunction) {
  TERN_UNREACHABLE("spawn through the world facade; use a node's runtime");
}

bool World::step(Instant limit) {
  if (scheduler_.run_one()) {
    ++steps_;
    return true;
  }
  const Instant next = scheduler_.next_deadline();
  if (next.is_never() || next > limit) return false;
  // Nothing runnable: virtual time jumps straight to the next event.
  if (next > now_) now_ = next;
  scheduler_.fire_next_timer(now_);
  ++steps_;
  return true;
}

void World::run_until(Instant limit) {
  while (step(limit)) {
  }
  if (!limit.is_never() && now_ < limit) now_ = limit;
}

bool World::run_until(const std::function<bool()>& pred, Instant limit) {
  while (!pred()) {
    if (!step(limit)) {
      if (!limit.is_never() && now_ < limit) now_ = limit;
      return pred();
    }
  }
  return true;
}

void World::run_until_idle(Instant limit) {
  while (step(limit)) {
  }
}

void World::at(Instant when, std::function<void()> fn) {
  scheduler_.add_timer(when, std::move(fn));
}

void World::trace_event(Severity severity, std::string_view node, std::string_view kind,
                        std::initializer_list<TraceField> fields) {
  record_event(severity, node, kind, fields);
  for (const auto& o : observers_) o(node, kind, fields);
}

void World::observe_trace(TraceObserver observer) { observers_.push_back(std::move(observer)); }

void World::record_event(Severity severity, std::string_view node, std::string_view kind,
                         std::initializer_list<TraceField> fields) {
  if (trace_.add_fast(now_, node, severity, kind, fields)) return;
  TraceEvent e;
  e.time = now_;
  e.node = std::string(node);
  e.severity = severity;
  e.kind = std::string(kind);
  e.fields.reserve(fields.size());
  for (const auto& f : fields) e.fields.emplace_back(std::string(f.key), f.value);
  trace_.add(std::move(e));
}

namespace {
// A site's stream: seeded from (seed, site) only. Its first draw is the activation, the rest
// are the firing draws, so both are independent of every other site.
Rng buggify_stream(uint64_t seed, std::string_view site) {
  return Rng(seed).fork("buggify").fork(site);
}
}  // namespace

bool World::buggify_site_enabled(uint64_t seed, std::string_view site) {
  return buggify_stream(seed, site).one_in(4);
}

void World::stop_buggify() {
  if (!options_.buggify || buggify_stopped_) return;
  buggify_stopped_ = true;
  trace_event(Severity::info, "world", "buggify.stop", {});
}

bool World::buggify(std::string_view site) {
  if (!options_.buggify || buggify_stopped_) return false;
  auto it = buggify_sites_.find(site);
  if (it == buggify_sites_.end()) {
    Rng rng = buggify_stream(options_.seed, site);
    bool enabled = rng.one_in(4);  // drawn even when overridden: the firing stream stays put
    if (!options_.buggify_sites.empty())
      enabled = std::find(options_.buggify_sites.begin(), options_.buggify_sites.end(), site) !=
                options_.buggify_sites.end();
    it = buggify_sites_.emplace(std::string(site), BuggifySite{enabled, rng}).first;
    trace_event(Severity::info, "world", "buggify.site",
                {{"site", site}, {"enabled", enabled ? 1 : 0}});
  }
  return it->second.enabled && it->second.rng.one_in(4);
}

uint64_t World::fingerprint() {
  // FoundationDB's "unseed": a last draw shows whether the PRNG was used identically.
  trace_.fold(static_cast<uint64_t>(now_.ns));
  trace_.fold(steps_);
  trace_.fold(rng_.next_u64());
  return trace_.hash();
}

}  // namespace tern::sim
