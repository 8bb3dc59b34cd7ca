// Every seed that ever found a bug, replayed. Each entry names the bug it found; the fix must
// keep the seed passing. (Seeds are tied to the code: when a change reshapes what a seed
// does, the entry still guards the scenario, and the unit test named beside it guards the
// mechanism itself.)
#include <gtest/gtest.h>

#include "scenarios/runner.h"

namespace tern::scenarios {
namespace {

struct Regression {
  const char* scenario;
  uint64_t seed;
  const char* bug;
};

constexpr Regression kRegressions[] = {
    {"produce-consume-2p", 15,
     "a bit flipped on a segment read (in a batch header's base offset) was served to a "
     "consumer, which skipped an offset; PartitionLog::read now verifies CRCs and offsets "
     "(unit: PartitionLog.ReadDetectsBitFlips)"},
    {"produce-consume", 3,
     "an fsync error failed the partition logs and the broker kept running without them, so "
     "nothing was writable again; now a failed log stops the broker (Kafka: log directory "
     "failure) and its supervisor restarts it"},
    {"produce-consume-2p", 46,
     "a bit flipped while recovery read a segment looked like a torn tail and recovery cut "
     "acknowledged data; now only a stop that repeats on a second pass is trusted"},
    {"produce-consume", 23,
     "fsyncgate: after a failed fsync the pages stay readable but never reach the disk; the "
     "restarted broker took them as durable and a later crash lost acknowledged writes; now "
     "the newest segments are rewritten before the open-time fsync"},
    {"produce-consume", 93,
     "the rewrite of the newest segments copied back a batch whose base offset (outside the "
     "CRC) had flipped on read; now rewritten windows must also line up offset by offset"},
    {"produce-consume-2p", 93,
     "with one batch per segment (buggify log.roll.early) every flipped bit read stops a "
     "recovery pass at position 0, so two flipped passes looked stable and recovery cut "
     "acknowledged data; now two passes must agree on the reason too (unit: "
     "PartitionLog.RecoveryOfOneBatchSegmentsSurvivesReadBitFlips)"},
    {"admin-churn", 66,
     "a bit flipped in a batch's length field on the first of two header reads made a 1-byte "
     "fetch return two batches (beyond KIP-74's bound); found by the consumer's fetch-bound "
     "check; Segment::read_batches now keeps whole batches within max_bytes, the first always"},
    {"produce-consume-2p", 12,
     "a full disk took part of an append; the undo truncated the segment but did not fsync "
     "the cut, a flush had made the partial bytes durable, and after a power loss recovery "
     "ended the log at the torn batch, dropping later acknowledged segments; the undo is now "
     "fsynced (Segment::append)"},
    {"quorum-3-combined", 3,
     "a closing producer with a full in-flight window woke on `closing` and looped without "
     "yielding (a wall-clock hang); it now waits for the window only"},
    {"quorum-3-combined", 10,
     "an fsync error failed the metadata log and Raft kept running on it: the node's image "
     "froze and it answered stale Metadata forever; a failed Raft log now stops the node"},
    {"quorum-3-combined", 49,
     "a new leader's LeaderChange append hit a full disk and was never retried: a leader "
     "that committed nothing for the rest of the run; leader_loop now retries it"},
    {"quorum-3-combined", 79,
     "a flipped bit in a read of meta.properties failed storage format and the runner "
     "asserted; a node supervisor now retries like any failed start"},
    {"quorum-3-combined", 136,
     "a peer closed right after answering ApiVersions and the handshake asserted the "
     "connection was intact; it is a lost connection"},
    {"quorum-5-separate", 3,
     "a forwarded DeleteTopics committed, its answer was lost, and the forwarding broker "
     "sent it again: UNKNOWN_TOPIC_OR_PARTITION for a topic it had deleted; requests that "
     "went out are no longer resent and an appended-not-committed write is indeterminate"},
    {"quorum-5-separate", 46,
     "a stopping broker's controller channel kept retrying a forwarded request for 30 s, "
     "holding its shutdown and restart; a closed channel now ends forwarding"},
    {"quorum-3-combined", 58,
     "a stopping broker's ControllerChannel kept forwarding an AlterConfigs to a stale leader "
     "(NOT_CONTROLLER every 50 ms) until its 30 s deadline, holding the admin connection and "
     "the shutdown open: sends after the heal were refused; close() now ends forwarding"},
    {"quorum-3-combined", 88,
     "Cluster::any_connection walked the bootstrap slots from rbegin(), a broker's slot once "
     "one was known, so bootstrap addresses were never retried; with an empty broker list "
     "the clients went silent for the rest of the run"},
    {"quorum-3-combined", 106, "as seed 88: a consumer stuck without a broker address"},
    {"quorum-3-combined", 118, "as seed 88: a consumer stuck without a broker address"},
    {"quorum-3-combined", 142, "as seed 88: a consumer stuck without a broker address"},
    {"quorum-3-combined", 71, "as seed 88: the final read's client without a broker address"},
    {"quorum-3-combined", 22, "as seed 88: a vacuous run, clients silent from early on"},
    {"quorum-5-separate", 52, "as quorum-3-combined seed 88"},
    {"quorum-5-separate", 148, "as quorum-3-combined seed 88: the final read found nothing"},
    {"quorum-5-separate", 88, "as quorum-3-combined seed 88: a vacuous run"},
    {"quorum-5-separate", 19,
     "a Metadata answer with an auto-creation listed the brokers of the image before it (none) "
     "beside the new partitions' leaders; the producer cached leader 2 and later failed with "
     "BROKER_NOT_AVAILABLE; brokers now come from the final image, an empty list is ignored "
     "by the client (Kafka: a failed update) and an unlisted leader is an unknown one"},
    {"quorum-5-separate", 106,
     "a Metadata answer without brokers made the client forget every broker; the final read "
     "found no topic; now ignored as Kafka's clients do"},
    {"quorum-3-combined", 96,
     "admin_churn believed only the key an alter set, but AlterConfigs writes the whole "
     "override set read (DescribeConfigs) from a broker that may lag: a legal revert of "
     "retention.ms; the checker now takes the set the client wrote"},
    {"quorum-3-combined", 64,
     "a controller write cancelled mid-wait released the write lock while its TopicRecord was "
     "appended, not applied; a second CreateTopics of the name passed the 'exists' check and "
     "the topic was created twice, so every node failed applying the log; writes now wait "
     "for the image to reach the epoch's last appended offset"},
    {"quorum-3-combined", 165, "as quorum-3-combined seed 64: topic churn-2 created twice"},
    {"quorum-3-combined", 487,
     "the raft checker required a leader of epoch 6, elected with a delayed vote, to hold a "
     "batch committed in epoch 7; Raft's leader completeness covers later epochs only"},
    {"quorum-3-combined", 568,
     "Connection::handshake asserted the connection unbroken after its ApiVersions answer; "
     "the stream can end before the task resumes: now a failed connect"},
    {"quorum-3-combined", 592,
     "a bit flipped in a batch's leader epoch (outside its CRC) on a metadata log read gave a "
     "follower a wrong epoch, and it was told to truncate below its high watermark; RaftLog "
     "now checks every batch it reads against its index, built from two agreeing reads"},
};

TEST(Regressions, EverySeedThatFoundABugPasses) {
  for (const auto& r : kRegressions) {
    const Scenario* sc = find_scenario(r.scenario);
    ASSERT_NE(sc, nullptr) << r.scenario;
    Outcome o = run_scenario(*sc, r.seed);
    EXPECT_TRUE(o.passed) << r.scenario << " seed " << r.seed << " (" << r.bug << "): "
                          << (o.violations.empty() ? o.first_error : o.violations[0].message);
  }
}

}  // namespace
}  // namespace tern::scenarios
