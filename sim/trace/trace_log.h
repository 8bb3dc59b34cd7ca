#pragma once
// The run's trace: every event of every node, in the order they happened. It keeps a running
// 64-bit hash (the proof that two runs were identical), optionally the events themselves (for
// the text trace and the Graphviz picture) and optionally the hash after each event (so the
// determinism guard can name the first event where two runs diverge).
#include <cstdint>
#include <cstdio>
#include <vector>

#include "sim/runtime/trace.h"

namespace tern {

class TraceLog {
 public:
  struct Options {
    bool keep_events = false;        // keep every event in memory
    bool keep_hashes = false;        // keep the running hash after each event
    std::FILE* echo = nullptr;       // write each event as a line here
    Severity echo_level = Severity::debug;
  };
  TraceLog() = default;
  explicit TraceLog(Options options) : options_(options) {}

  void add(TraceEvent event);
  // The same as add() for an event that only needs hashing (no events, hashes or echo kept,
  // not an error); false if the event must be built and add()ed instead.
  bool add_fast(Instant time, std::string_view node, Severity severity, std::string_view kind,
                std::initializer_list<TraceField> fields);
  // Folds a value that is not an event (e.g. the final PRNG draw) into the hash.
  void fold(uint64_t value);

  uint64_t hash() const { return hash_; }
  uint64_t count() const { return count_; }
  uint64_t errors() const { return errors_; }
  const std::vector<TraceEvent>& events() const { return events_; }
  const std::vector<uint64_t>& hashes() const { return hashes_; }
  const TraceEvent* first_error() const { return first_error_index_ < events_.size() ? &events_[first_error_index_] : nullptr; }
  const std::string& first_error_line() const { return first_error_line_; }

  static uint64_t hash_event(uint64_t h, const TraceEvent& e);
  static uint64_t hash_fields(uint64_t h, Instant time, std::string_view node, Severity severity,
                              std::string_view kind, std::initializer_list<TraceField> fields);

 private:
  Options options_;
  uint64_t hash_ = 0xcbf29ce484222325ULL;
  uint64_t count_ = 0;
  uint64_t errors_ = 0;
  size_t first_error_index_ = SIZE_MAX;
  std::string first_error_line_;
  std::vector<TraceEvent> events_;
  std::vector<uint64_t> hashes_;
};

}  // namespace tern
