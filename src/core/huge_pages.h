// Large arrays (indexes, column buffers) straight from mmap, on a 2 MiB boundary and marked
// for transparent huge pages: a random probe over millions of entries then rarely misses the
// TLB, and freeing returns the memory to the kernel at once (glibc's heap would keep a freed
// multi-megabyte index of a resized table resident after its mmap threshold adapts).
// Pure functions, any thread.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace tessera::core {

inline constexpr size_t kHugePageBytes = size_t{2} << 20;

inline size_t huge_rounded(size_t bytes) { return (bytes + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes; }

// Zero-filled, 2 MiB-aligned memory of huge_rounded(bytes). Throws std::bad_alloc.
inline void* huge_alloc(size_t bytes) {
  const size_t size = huge_rounded(bytes);
  void* raw = mmap(nullptr, size + kHugePageBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    throw std::bad_alloc();
  }
  auto start = reinterpret_cast<uintptr_t>(raw);
  uintptr_t aligned = (start + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes;
  if (aligned > start) {
    munmap(raw, aligned - start);  // the unaligned head
  }
  const uintptr_t end = start + size + kHugePageBytes;
  if (end > aligned + size) {
    munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));  // the tail
  }
  madvise(reinterpret_cast<void*>(aligned), size, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(aligned);
}

// REQUIRES: p came from huge_alloc(bytes) with the same `bytes`.
inline void huge_free(void* p, size_t bytes) { munmap(p, huge_rounded(bytes)); }

}  // namespace tessera::core
