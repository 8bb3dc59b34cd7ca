#pragma once
// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's RecordBatch v2
// (KIP-98) and of tern's own on-disk structures. Two implementations giving identical results:
// the SSE4.2 `crc32` instruction when the CPU has it (checked at run time, so one binary runs
// everywhere) and a portable slicing-by-8 table fallback.
#include <cstdint>

#include "broker/base/bytes.h"

namespace tern {

// CRC-32C of `data`. crc32c(std::span("123456789")) == 0xE3069283.
uint32_t crc32c(ByteView data);

// Continues a checksum: crc32c_extend(crc32c(a), b) == crc32c(a ++ b).
uint32_t crc32c_extend(uint32_t crc, ByteView data);

// The checksum of a ++ b from crc32c(a), crc32c(b) and b's length, without the bytes: lets a
// writer checksum data while it is still in cache and prepend a header it fills in later.
// O(log len_b) carry-less multiplications in software (about a microsecond for megabytes).
uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);

// The two implementations, exposed so tests can prove they agree.
uint32_t crc32c_extend_sw(uint32_t crc, ByteView data);
// REQUIRES: crc32c_hw_available().
uint32_t crc32c_extend_hw(uint32_t crc, ByteView data);
bool crc32c_hw_available();

}  // namespace tern
