#pragma once
// Every size the broker accepts has a limit (TigerBeetle: "put a limit on everything"). The
// defaults mirror Apache Kafka's config defaults where Kafka has one; the hard maxima are tern's
// own and bound what any config may ask for. Relations between them are checked at compile time.
#include <cstdint>

namespace tern {

inline constexpr int64_t kKiB = 1024;
inline constexpr int64_t kMiB = 1024 * kKiB;
inline constexpr int64_t kGiB = 1024 * kMiB;

// --- requests ---
// socket.request.max.bytes (Kafka default 104857600).
inline constexpr int64_t kRequestBytesMaxDefault = 100 * kMiB;
// A request (or response) frame length is an int32 on the wire.
inline constexpr int64_t kFrameBytesMax = INT32_MAX;

// --- record batches ---
// RecordBatch v2 header: baseOffset..recordsCount (8+4+4+1+4+2+4+8+8+8+2+4+4).
inline constexpr int64_t kBatchHeaderBytes = 61;
// A record's smallest encoding: length, attributes, timestampDelta, offsetDelta, key length,
// value length, header count, one byte each.
inline constexpr int64_t kRecordBytesMin = 7;
// message.max.bytes (Kafka default 1048588 = 1 MiB + the 12-byte log overhead).
inline constexpr int64_t kBatchBytesMaxDefault = 1 * kMiB + 12;
// No config may allow batches bigger than this (compressed, on the wire / on disk).
inline constexpr int64_t kBatchBytesHardMax = 64 * kMiB;
// Decompression-bomb guard: the most bytes one compressed batch may expand to.
inline constexpr int64_t kDecompressedBatchBytesMax = 256 * kMiB;
// Records in one batch (bounded by the smallest record encoding of the decompressed bound).
inline constexpr int64_t kRecordsPerBatchMax = kDecompressedBatchBytesMax / kRecordBytesMin;
// Headers on one record (each costs >= 2 bytes, so the batch bound covers it; this is a
// tighter sanity bound so one record cannot allocate millions of header views).
inline constexpr int64_t kHeadersPerRecordMax = 64 * 1024;

// --- fetch ---
// fetch.max.bytes consumer default (52428800) and max.partition.fetch.bytes (1048576).
inline constexpr int64_t kFetchBytesMaxDefault = 50 * kMiB;
inline constexpr int64_t kPartitionFetchBytesMaxDefault = 1 * kMiB;

// --- log ---
// log.segment.bytes (Kafka default 1073741824).
inline constexpr int64_t kSegmentBytesDefault = 1 * kGiB;
// Segment positions are int32 in Kafka's index files.
inline constexpr int64_t kSegmentBytesMax = INT32_MAX;

// --- names ---
// Kafka's topic name limit (Topic.MAX_NAME_LENGTH).
inline constexpr int64_t kTopicNameBytesMax = 249;
// Strings on the wire carry an int16 length.
inline constexpr int64_t kStringBytesMax = INT16_MAX;

static_assert(kBatchHeaderBytes == 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4);
static_assert(kBatchBytesMaxDefault <= kBatchBytesHardMax);
// A maximal batch must fit in a request, in a segment and in a fetch response.
static_assert(kBatchBytesHardMax < kRequestBytesMaxDefault);
static_assert(kRequestBytesMaxDefault < kFrameBytesMax);
static_assert(kBatchBytesHardMax <= kSegmentBytesDefault);
static_assert(kSegmentBytesDefault <= kSegmentBytesMax);
// The default partition fetch must be able to return at least one default-sized batch's worth
// (Kafka returns the first batch even if larger, but the defaults should not rely on that).
static_assert(kPartitionFetchBytesMaxDefault <= kFetchBytesMaxDefault);
static_assert(kDecompressedBatchBytesMax >= kBatchBytesHardMax);
static_assert(kDecompressedBatchBytesMax <= INT32_MAX, "decompressed sizes are int32 in Java");
static_assert(kRecordsPerBatchMax <= INT32_MAX, "record count is an int32 on the wire");
static_assert(kTopicNameBytesMax < kStringBytesMax);

}  // namespace tern
