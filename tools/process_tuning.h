#pragma once
// Process-wide allocator tuning for `tern` commands. It changes where memory comes from, never
// what the program does, so simulated runs stay identical with or without it.
#include <malloc.h>

namespace tern::tools {

// Requests and fetch responses are ~256 KiB-1 MiB buffers allocated and freed per request.
// glibc would hand blocks that big to mmap/munmap, or trim the heap top after each free, so
// every request paid page faults on fresh memory (profiled: half of the broker's consume CPU).
// Keeping freed memory in the heap lets the next request reuse warm pages. `tern sim` gains
// the same way: each seed builds a world (fiber stacks of 256 KiB, simulated files) and frees
// it, and the next seed in the same worker reused nothing (page clearing was 6% of a sweep).
inline void tune_allocator_for_large_buffers() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
}

}  // namespace tern::tools
