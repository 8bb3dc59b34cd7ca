// Goal: after any crash, PartitionLog recovers to a prefix of what was appended that holds
// every record whose wait_durable returned ok, offsets contiguous, and takes new appends;
// corruption anywhere in any segment is found on open and the log is cut there, never served.
// Method: RapidCheck over seeds in the simulated world — concurrent writers with random
// flushes, a crash at a random instant (unsynced prefixes kept or not, last write torn or
// not), reopen and compare with the history; and byte flips written through the Disk API.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "broker/log/partition_log.h"
#include "sim/runtime/sync/event.h"
#include "sim/simulated/world.h"
#include "tests/log/log_test_util.h"

namespace tern {
namespace {

using test::make_batch;

#define CHECK(cond) LOG_CHECK(failures, cond)

// The batch with its baseOffset zeroed: what the writer submitted.
Bytes submitted_form(ByteView stored) {
  Bytes b(stored.begin(), stored.end());
  set_base_offset(b, Offset(0));
  return b;
}

struct CrashRun {
  std::map<Offset, Bytes> appended;  // base offset -> stored batch (append returned ok)
  std::set<Bytes> submitted;         // every batch handed to append, offset zeroed
  Offset acked_end{0};               // one past the highest offset wait_durable confirmed
  uint64_t acks = 0;
  // After the restart:
  bool checked = false;
  Offset recovered_end{0};
  uint64_t truncated_bytes = 0;
  std::vector<std::string> failures;
};

void crash_and_recover(uint64_t seed, CrashRun& run) {
  std::vector<std::string>& failures = run.failures;
  Rng rng(seed);
  sim::World world({.seed = seed, .trace = {}});
  LogConfig c;
  c.segment_bytes = 400 + static_cast<int64_t>(rng.below(5000));
  c.index_interval_bytes = static_cast<int64_t>(rng.below(1024));
  if (rng.one_in(3)) c.flush_messages = 1 + static_cast<int64_t>(rng.below(20));
  const int writers = 1 + static_cast<int>(rng.below(4));
  const int64_t op_latency_us = static_cast<int64_t>(rng.below(40));
  const sim::CrashOptions crash{.keep_unsynced_prefix = rng.one_in(2),
                                .tear_last_write = rng.one_in(2)};
  int phase = 0;
  sim::World* w = &world;
  const uint32_t n = world.add_node("n1", [&](Runtime& rt) {
    if (phase == 0) {
      w->disk(0).faults().op_latency = Duration::micros(op_latency_us);
      auto opened = PartitionLog::open(rt, "data", "t", 0, c);
      CHECK(opened.ok());
      auto& log = *opened.value();
      std::vector<TaskHandle> tasks;
      for (int wi = 0; wi < writers; ++wi)
        tasks.push_back(rt.spawn("writer", [&, wi] {
          Rng r = rt.rng().fork(fmt::format("writer{}", wi));
          for (int i = 0; i < 60; ++i) {
            // Unique content (writer and sequence in the value) of random size.
            Bytes value = to_bytes(fmt::format("{}-{}:", wi, i));
            value.resize(value.size() + r.below(200), 'v');
            RecordBatchBuilder b;
            const uint64_t records = 1 + r.below(4);
            for (uint64_t k = 0; k < records; ++k) b.add(i, std::nullopt, ByteView(value));
            Bytes batch = std::move(b.build().value());
            run.submitted.insert(batch);
            auto res = log.append(batch);
            CHECK(res.ok());
            set_base_offset(batch, res->base_offset);
            run.appended[res->base_offset] = batch;
            if (r.one_in(3)) {
              if (log.wait_durable(res->last_offset).ok()) {
                run.acked_end = std::max(run.acked_end, res->last_offset.next());
                ++run.acks;
              }
            }
            if (r.one_in(10)) (void)log.flush();
            if (r.one_in(4))
              (void)rt.sleep_for(Duration::micros(static_cast<int64_t>(r.below(500))));
          }
        }));
      for (auto& t : tasks) (void)t.join();
      Event never(rt);
      (void)never.wait();
    } else {
      w->disk(0).faults().op_latency = Duration{0};
      auto opened = PartitionLog::open(rt, "data", "t", 0, c);
      CHECK(opened.ok());
      auto& log = *opened.value();
      run.recovered_end = log.log_end_offset();
      run.truncated_bytes = log.recovery().truncated_bytes;
      CHECK(log.log_start_offset() == Offset(0));
      // Every acknowledged record survived.
      CHECK(log.log_end_offset() >= run.acked_end);
      // A prefix of the history: contiguous (read_all checks), each batch either the one
      // appended at that offset or a submitted one whose append was cut short by the crash.
      auto all = test::read_all(log);
      std::set<Bytes> seen;
      for (const auto& b : all) {
        auto h = parse_batch_header(b);
        CHECK(h.ok());
        auto it = run.appended.find(h->base_offset);
        if (it != run.appended.end()) {
          CHECK(it->second == b);
        } else {
          CHECK(run.submitted.count(submitted_form(b)) == 1u);
        }
        CHECK(seen.insert(submitted_form(b)).second);
      }
      // Nothing appended at a lower offset is missing: the log is a prefix.
      for (const auto& [base, bytes] : run.appended)
        if (base < log.log_end_offset()) CHECK(seen.count(submitted_form(bytes)) == 1u);
      // And the log goes on.
      auto more = log.append(make_batch(2, 10, 0));
      CHECK(more.ok());
      CHECK(more->base_offset == run.recovered_end);
      CHECK(log.wait_durable(more->last_offset).ok());
      CHECK(log.close().ok());
      run.checked = true;
    }
  });
  world.start_node(n);
  world.run_for(Duration::micros(static_cast<int64_t>(rng.below(40'000))));
  world.crash_node(n, crash);
  phase = 1;
  world.restart_node(n);
  world.run_until_idle(world.now() + Duration::seconds(60));
}

RC_GTEST_PROP(LogRecovery, CrashKeepsAPrefixWithEveryDurableRecord, (uint64_t seed)) {
  CrashRun run;
  crash_and_recover(seed, run);
  if (!run.failures.empty()) RC_FAIL(run.failures.front());
  RC_ASSERT(run.checked);
  RC_TAG(run.truncated_bytes > 0 ? "torn tail cut" : "clean tail");
  RC_TAG(run.acks > 0 ? "had acks" : "no acks");
}

// Over a fixed set of seeds the crash test does meet the cases it is about.
TEST(LogRecovery, CrashRunsCoverTornTailsAndAcknowledgedData) {
  uint64_t torn = 0, acked = 0, lost_unacked = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    CrashRun run;
    crash_and_recover(seed, run);
    ASSERT_TRUE(run.failures.empty()) << "seed " << seed << ": " << run.failures.front();
    ASSERT_TRUE(run.checked) << "seed " << seed;
    torn += run.truncated_bytes > 0;
    acked += run.acks > 0;
    Offset appended_end{0};
    if (!run.appended.empty()) {
      auto h = parse_batch_header(run.appended.rbegin()->second);
      appended_end = h->next_offset();
    }
    lost_unacked += run.recovered_end < appended_end;
  }
  std::printf("60 crash runs: %lu cut a torn/corrupt tail, %lu had acks, %lu lost unacked data\n",
              static_cast<unsigned long>(torn), static_cast<unsigned long>(acked),
              static_cast<unsigned long>(lost_unacked));
  EXPECT_GT(torn, 3u);
  EXPECT_GT(acked, 10u);
  EXPECT_GT(lost_unacked, 10u);
}

// A flipped byte anywhere in any segment (except partitionLeaderEpoch, which Kafka's format
// leaves unchecked) makes recovery cut the log at the batch holding it and drop later
// segments; nothing from the corrupt batch on is ever served.
RC_GTEST_PROP(LogRecovery, CorruptByteInAnySegmentTruncatesThere, (uint64_t seed)) {
  Rng rng(seed);
  sim::World world({.seed = seed, .trace = {}});
  LogConfig c;
  c.segment_bytes = 1000 + static_cast<int64_t>(rng.below(3000));
  c.index_interval_bytes = 300;
  int phase = 0;
  std::vector<std::string> failures;
  std::vector<Bytes> appended;
  bool checked = false;
  const uint32_t n = world.add_node("n1", [&](Runtime& rt) {
    if (phase == 0) {
      auto log = PartitionLog::open(rt, "data", "t", 0, c);
      CHECK(log.ok());
      for (int i = 0; i < 80; ++i) {
        auto r = log.value()->append(make_batch(1 + i % 3, 10 + rng.below(200), i));
        CHECK(r.ok());
      }
      appended = test::read_all(*log.value());
      CHECK(log.value()->close().ok());
      return;
    }
    // Pick a segment and a byte in it, flip it through the Disk API, then reopen.
    auto names = rt.disk().list("data/t-0");
    CHECK(names.ok());
    std::vector<std::string> logs;
    for (auto& nm : names.value())
      if (parse_segment_file_name(nm, ".log")) logs.push_back(nm);
    CHECK(logs.size() > 2u);
    const size_t which = rng.below(logs.size());
    auto f = rt.disk().open("data/t-0/" + logs[which], OpenMode::read_write);
    CHECK(f.ok());
    const uint64_t size = f.value()->size().value();
    CHECK(size > 0u);
    Bytes content(size);
    CHECK(f.value()->pread(0, content).value() == size);
    auto split = split_batches(content);
    CHECK(!split.error && split.valid_bytes == size);
    uint64_t pos = 0;
    size_t batch_index = 0;
    while (true) {
      pos = rng.below(size);
      uint64_t start = 0;
      for (batch_index = 0; batch_index < split.batches.size(); ++batch_index) {
        const uint64_t len = split.batches[batch_index].size_bytes();
        if (pos < start + len) break;
        start += len;
      }
      const uint64_t within = pos - start;
      if (within < 12 || within >= 16) break;  // not partitionLeaderEpoch
    }
    const Offset cut = split.batches[batch_index].base_offset;
    uint8_t byte = content[pos] ^ static_cast<uint8_t>(1u << rng.below(8));
    CHECK(f.value()->pwrite(pos, ByteView(&byte, 1)).ok());
    CHECK(f.value()->fsync().ok());
    auto log = PartitionLog::open(rt, "data", "t", 0, c);
    if (!log.ok()) failures.push_back("reopen: " + log.error().message());
    CHECK(log.ok());
    CHECK(log.value()->log_end_offset() == cut);
    CHECK(log.value()->recovery().truncated_bytes > 0u);
    CHECK(log.value()->recovery().removed_segments == logs.size() - which - 1);
    auto all = test::read_all(*log.value());
    CHECK(all.size() <= appended.size());
    for (size_t i = 0; i < all.size(); ++i) CHECK(all[i] == appended[i]);
    auto r = log.value()->append(make_batch(1, 5, 0));
    CHECK(r.ok() && r->base_offset == cut);
    CHECK(log.value()->close().ok());
    checked = true;
  });
  world.start_node(n);
  world.run_until_idle(Instant{0} + Duration::seconds(60));
  world.crash_node(n);  // the log was closed: everything is durable
  phase = 1;
  world.restart_node(n);
  world.run_until_idle(world.now() + Duration::seconds(60));
  if (!failures.empty()) RC_FAIL(failures.front());
  RC_ASSERT(checked);
}

}  // namespace
}  // namespace tern
