// Metadata records: every type round-trips, strict decoding, apply semantics, snapshots.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "broker/controller/image_apply.h"
#include "broker/controller/metadata_records.h"

namespace tern::controller {
namespace {

protocol::Uuid uuid(uint8_t b) {
  protocol::Uuid u;
  u.bytes.fill(b);
  return u;
}

std::vector<MetadataRecord> one_of_each() {
  return {
      RegisterBrokerRecord{1, uuid(1), -1, {{"PLAINTEXT", "127.0.0.1", 9092}}, "rack-a", true},
      UnregisterBrokerRecord{1, 5},
      TopicRecord{"orders", uuid(7)},
      PartitionRecord{uuid(7), 0, {1}, {1}, 1, 0, 0},
      ConfigRecord{2, "orders", "retention.ms", "1000"},
      ConfigRecord{2, "orders", "retention.ms", std::nullopt},
      PartitionChangeRecord{uuid(7), 0, -1, std::nullopt, std::vector<int32_t>{2}},
      FenceBrokerRecord{1, 3},
      UnfenceBrokerRecord{1, 3},
      RemoveTopicRecord{uuid(7)},
      ProducerIdsRecord{1, 3, 2000},
      NoOpRecord{},
  };
}

TEST(MetadataRecords, EveryTypeRoundTrips) {
  for (const auto& r : one_of_each()) {
    const Bytes b = encode_record(r);
    auto d = decode_record(b);
    ASSERT_TRUE(d.ok()) << describe_record(r);
    EXPECT_EQ(d.value(), r) << describe_record(r);
  }
}

TEST(MetadataRecords, DecodingIsStrict) {
  for (const auto& r : one_of_each()) {
    Bytes b = encode_record(r);
    b.push_back(0);
    EXPECT_FALSE(decode_record(b).ok()) << "trailing byte accepted: " << describe_record(r);
    b.pop_back();
    for (size_t cut = 0; cut < b.size(); ++cut) {
      EXPECT_FALSE(decode_record(std::span(b).first(cut)).ok())
          << "truncated at " << cut << " accepted: " << describe_record(r);
    }
  }
  Bytes unknown = encode_record(NoOpRecord{});
  unknown[1] = 99;  // record type
  EXPECT_FALSE(decode_record(unknown).ok());
}

RC_GTEST_PROP(MetadataRecords, PartitionChangeRoundTrips,
              (int32_t partition, bool has_leader, int32_t leader, bool has_isr,
               std::vector<int32_t> isr)) {
  PartitionChangeRecord r{uuid(3), partition,
                          has_leader ? std::optional<int32_t>(leader) : std::nullopt,
                          has_isr ? std::optional(isr) : std::nullopt, std::nullopt};
  auto d = decode_record(encode_record(r));
  RC_ASSERT(d.ok());
  RC_ASSERT(d.value() == MetadataRecord(r));
}

MetadataImage sample_image() {
  MetadataImage im;
  int64_t o = 0;
  auto ap = [&](MetadataRecord r) { ASSERT_TRUE(apply_record(im, r, o++).ok()); };
  ap(RegisterBrokerRecord{1, uuid(1), -1, {{"PLAINTEXT", "h1", 9092}}, std::nullopt, true});
  ap(RegisterBrokerRecord{2, uuid(2), -1, {{"PLAINTEXT", "h2", 9092}}, "r2", true});
  ap(UnfenceBrokerRecord{1, 0});
  ap(TopicRecord{"t", uuid(9)});
  ap(PartitionRecord{uuid(9), 0, {1}, {1}, 1, 0, 0});
  ap(PartitionRecord{uuid(9), 1, {2}, {2}, -1, 0, 0});
  ap(ConfigRecord{2, "t", "cleanup.policy", "delete"});
  ap(ProducerIdsRecord{1, 0, 1000});
  return im;
}

TEST(ImageApply, BuildsTheImage) {
  const MetadataImage im = sample_image();
  EXPECT_EQ(im.offset, 7);
  ASSERT_EQ(im.brokers.size(), 2u);
  EXPECT_EQ(im.brokers.at(1).epoch, 0);  // the registration's own offset
  EXPECT_EQ(im.brokers.at(2).epoch, 1);
  EXPECT_FALSE(im.brokers.at(1).fenced);
  EXPECT_TRUE(im.brokers.at(2).fenced);
  EXPECT_EQ(im.live_brokers(), std::vector<int32_t>{1});
  const PartitionInfo* p = im.find_partition("t", 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->leader, -1);
  EXPECT_EQ(im.find_topic("t")->configs.at("cleanup.policy"), "delete");
  EXPECT_EQ(im.next_producer_id, 1000);
}

TEST(ImageApply, LeaderChangesBumpTheLeaderEpoch) {
  MetadataImage im = sample_image();
  ASSERT_TRUE(apply_record(im, PartitionChangeRecord{uuid(9), 0, -1, {}, {}}, 8).ok());
  EXPECT_EQ(im.find_partition("t", 0)->leader_epoch, 1);
  EXPECT_EQ(im.find_partition("t", 0)->partition_epoch, 1);
  ASSERT_TRUE(apply_record(im, PartitionChangeRecord{uuid(9), 0, -1, {}, {}}, 9).ok());
  EXPECT_EQ(im.find_partition("t", 0)->leader_epoch, 1) << "same leader: same epoch";
  EXPECT_EQ(im.find_partition("t", 0)->partition_epoch, 2);
}

TEST(ImageApply, ContradictionsAreErrors) {
  MetadataImage im = sample_image();
  EXPECT_FALSE(apply_record(im, TopicRecord{"t", uuid(10)}, 20).ok()) << "duplicate name";
  EXPECT_FALSE(apply_record(im, PartitionRecord{uuid(4), 0, {1}, {1}, 1, 0, 0}, 21).ok());
  EXPECT_FALSE(apply_record(im, PartitionRecord{uuid(9), 5, {1}, {1}, 1, 0, 0}, 22).ok())
      << "partition out of order";
  EXPECT_FALSE(apply_record(im, FenceBrokerRecord{1, 99}, 23).ok()) << "stale broker epoch";
  EXPECT_FALSE(apply_record(im, ConfigRecord{2, "nope", "a", "b"}, 24).ok());
  EXPECT_FALSE(apply_record(im, RemoveTopicRecord{uuid(4)}, 25).ok());
  EXPECT_FALSE(apply_record(im, ProducerIdsRecord{1, 0, 10}, 26).ok()) << "going backwards";
}

TEST(Snapshot, RoundTripsTheImage) {
  MetadataImage im = sample_image();
  im.epoch = 4;
  const Bytes snap = encode_snapshot(im);
  auto back = decode_snapshot(snap);
  ASSERT_TRUE(back.ok()) << back.error().message();
  EXPECT_EQ(back.value(), im);
}

TEST(Snapshot, CorruptionIsDetected) {
  const Bytes snap = encode_snapshot(sample_image());
  for (size_t i = 0; i < snap.size(); i += 7) {
    Bytes bad = snap;
    bad[i] ^= 0x40;
    EXPECT_FALSE(decode_snapshot(bad).ok()) << "flip at " << i;
  }
  EXPECT_FALSE(decode_snapshot(std::span(snap).first(snap.size() - 1)).ok());
}

}  // namespace
}  // namespace tern::controller
