#include "scenarios/checkers/raft_invariants.h"

#include <algorithm>

#include <fmt/format.h>

namespace tern::raft::test {

void RaftInvariants::fail(std::string what) {
  if (failures_.size() < 20) failures_.push_back(std::move(what));
}

Offset RaftInvariants::committed_end() const {
  return committed_.empty() ? Offset(0) : committed_.rbegin()->second.last.next();
}

void RaftInvariants::on_applied(int32_t node, uint64_t incarnation, Offset applied,
                                uint64_t state_hash) {
  auto [it, fresh] = applied_hash_.emplace(applied, state_hash);
  if (!fresh && it->second != state_hash)
    fail(fmt::format("node {} (incarnation {}) applied state at offset {} differs from another "
                     "node's: the applied sequence is not a prefix of the committed history",
                     node, incarnation, applied));
}

void RaftInvariants::check_committed(const NodeView& v, Offset from) {
  const RaftNode& n = *v.node;
  const Offset hw = n.high_watermark();
  const auto& entries = n.entries();
  // The first batch ending at or after `from` (batches are ordered).
  size_t lo = 0, hi = entries.size();
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (entries[mid].last < from) lo = mid + 1; else hi = mid;
  }
  for (size_t i = lo; i < entries.size(); ++i) {
    const EntryInfo& e = entries[i];
    if (e.last >= hw) break;
    auto it = committed_.find(e.base);
    if (it != committed_.end()) {
      const EntryInfo& c = it->second;
      if (c.last != e.last || c.epoch != e.epoch || c.hash != e.hash)
        fail(fmt::format("committed batch at {} changed on node {}: was [{}..{}] epoch {} hash "
                         "{:08x}, now [{}..{}] epoch {} hash {:08x}",
                         e.base, v.id, c.base, c.last, c.epoch, c.hash, e.base, e.last, e.epoch,
                         e.hash));
      int32_t& seen = commit_epoch_[e.base];
      seen = std::min(seen, n.epoch());
      continue;
    }
    // No committed batch may overlap it from an earlier base.
    auto after = committed_.upper_bound(e.base);
    if (after != committed_.begin() && std::prev(after)->second.last >= e.base)
      fail(fmt::format("node {} holds batch [{}..{}] inside committed batch [{}..{}]", v.id,
                       e.base, e.last, std::prev(after)->second.base,
                       std::prev(after)->second.last));
    else if (after != committed_.end() && after->first <= e.last)
      fail(fmt::format("node {} holds batch [{}..{}] overlapping committed batch at {}", v.id,
                       e.base, e.last, after->first));
    committed_.emplace(e.base, e);
    commit_epoch_.emplace(e.base, n.epoch());
  }
}

void RaftInvariants::check_leader_completeness(const NodeView& v) {
  const RaftNode& n = *v.node;
  const auto& entries = n.entries();
  const Offset start = n.log_start_offset();
  size_t i = 0;
  for (const auto& [base, c] : committed_) {
    if (c.last < start) continue;
    // Committed in this epoch or a later one: a leader elected by votes cast before (a vote
    // answer delayed past a newer epoch's commit) need not hold it. quorum-3-combined seed
    // 487: [27..31] of epoch 5 committed in epoch 7; the leader of epoch 6 won with a vote
    // granted 3 s earlier, when the voter lacked it too.
    auto ce = commit_epoch_.find(base);
    if (ce != commit_epoch_.end() && n.epoch() <= ce->second) continue;
    while (i < entries.size() && entries[i].base < base) ++i;
    if (i == entries.size() || entries[i].base != base || entries[i].hash != c.hash ||
        entries[i].epoch != c.epoch) {
      fail(fmt::format("leader {} of epoch {} lacks committed batch [{}..{}] epoch {} (log "
                       "[{}, {}))",
                       v.id, n.epoch(), c.base, c.last, c.epoch, start, n.log_end_offset()));
      return;
    }
  }
}

std::optional<std::string> RaftInvariants::check(const std::vector<NodeView>& nodes, bool full,
                                                 Instant now) {
  const size_t before = failures_.size();
  for (const NodeView& v : nodes) {
    PerNode& pn = nodes_[v.id];
    if (v.node == nullptr || !v.node->running()) continue;
    const RaftNode& n = *v.node;
    if (pn.incarnation != v.incarnation) {
      pn.incarnation = v.incarnation;
      pn.hw = Offset(0);
      pn.checked_upto = Offset(0);
    }
    if (n.epoch() < pn.max_epoch)
      fail(fmt::format("node {} epoch went back from {} to {}", v.id, pn.max_epoch, n.epoch()));
    pn.max_epoch = std::max(pn.max_epoch, n.epoch());
    if (n.high_watermark() < pn.hw)
      fail(fmt::format("node {} high watermark went back from {} to {}", v.id, pn.hw,
                       n.high_watermark()));
    pn.hw = std::max(pn.hw, n.high_watermark());
    if (n.log_end_offset() < n.high_watermark())
      fail(fmt::format("node {} log ends at {} below its high watermark {}", v.id,
                       n.log_end_offset(), n.high_watermark()));
    if (n.role() == Role::leader) {
      auto [it, fresh] = leader_of_epoch_.emplace(n.epoch(), v.id);
      if (!fresh && it->second != v.id)
        fail(fmt::format("two leaders in epoch {}: {} and {}", n.epoch(), it->second, v.id));
      if (fresh) {
        check_committed(v, Offset(0));
        check_leader_completeness(v);
      }
      // Check quorum, with slack: the node's own rule uses one fetch_timeout.
      const Duration limit = n.config().fetch_timeout * 2;
      const Instant since = std::max(n.leader_since(), v.active_since);
      if (!now.is_never() && !v.paused && now - since > limit) {
        size_t heard = 1;
        for (const auto& [id, p] : n.progress())
          if (id != v.id && n.config().is_voter(id) && !p.last_fetch.is_never() &&
              now - p.last_fetch <= limit)
            ++heard;
        if (heard < n.config().majority())
          fail(fmt::format("leader {} of epoch {} has not heard from a majority for {} ms and "
                           "still leads (check quorum)",
                           v.id, n.epoch(), limit.to_millis()));
      }
    }
    if (full || n.high_watermark() > pn.checked_upto) {
      check_committed(v, full ? Offset(0) : pn.checked_upto);
      pn.checked_upto = n.high_watermark();
    }
  }
  if (failures_.size() > before) return failures_[before];
  return std::nullopt;
}

}  // namespace tern::raft::test
