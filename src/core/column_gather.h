// Batch kernels of ColumnTable (private to src/core/column_*): gather a column's cells for a
// list of rows into a packed caller buffer, and the validity bits with them.
//
// The callers dispatch on the cell width once per column (gather_fixed_cells below picks
// an instantiation), so each row loop is a tight loop over one width: no virtual call, no
// allocation and no branch on the type per cell. The only per-row branch is "row missing"
// (kNoRow), which writes zeros and a null bit. Rows kPrefetchDistance ahead are
// prefetched: a random-row gather is bound by cache misses, and having several in flight
// is what makes it fast.
//
// Cell storage seen by a kernel: cell of row r at base + r * stride (stride == width for
// a pure column, the row width of the group for a row-group layout).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/column_buffer.h"

namespace tessera::core {

inline constexpr uint32_t kNoRow = ~uint32_t{0};
inline constexpr size_t kPrefetchDistance = 16;
inline constexpr size_t kCacheLineBytes = 64;

// Starts loading the cache lines of one cell (a no-op on a missing row's bogus address:
// a prefetch never faults; the address is computed in integers).
inline void prefetch_cell(const std::byte* base, size_t stride, size_t width, uint32_t row) {
  uintptr_t first = reinterpret_cast<uintptr_t>(base) + static_cast<uintptr_t>(row) * stride;
  uintptr_t last = first + width - 1;
  for (uintptr_t a = first & ~uintptr_t{kCacheLineBytes - 1}; a <= last; a += kCacheLineBytes) {
    __builtin_prefetch(reinterpret_cast<const void*>(a));
  }
}

// Width known at compile time (1, 2, 4, 8 and the common vector sizes) or, for kWidth
// == 0, the runtime `width`.
template <size_t kWidth>
void gather_cells(const std::byte* base, size_t stride, size_t width, const uint32_t* rows,
                  size_t n, std::byte* out) {
  const size_t w = kWidth != 0 ? kWidth : width;
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n) {
      prefetch_cell(base, stride, w, rows[i + kPrefetchDistance]);
    }
    uint32_t r = rows[i];
    if (r == kNoRow) {
      std::memset(out + i * w, 0, w);
    } else {
      std::memcpy(out + i * w, base + static_cast<size_t>(r) * stride, w);
    }
  }
}

// Writes ceil(n / 8) validity bytes (bit i set when rows[i] is present and valid).
// `valid` null means "column has no values": every bit is 0.
inline void gather_validity(const uint64_t* valid, const uint32_t* rows, size_t n, uint8_t* out) {
  size_t out_bytes = (n + 7) / 8;
  if (valid == nullptr) {
    std::memset(out, 0, out_bytes);
    return;
  }
  for (size_t base = 0; base < n; base += kBitsPerWord) {
    size_t end = base + kBitsPerWord < n ? base + kBitsPerWord : n;
    uint64_t word = 0;
    for (size_t i = base; i < end; ++i) {
      if (i + kPrefetchDistance < n && rows[i + kPrefetchDistance] != kNoRow) {
        __builtin_prefetch(valid + rows[i + kPrefetchDistance] / kBitsPerWord);
      }
      uint32_t r = rows[i];
      uint64_t bit = r == kNoRow ? 0 : (valid[r / kBitsPerWord] >> (r % kBitsPerWord)) & 1;
      word |= bit << (i - base);
    }
    size_t bytes = (end - base + 7) / 8;
    std::memcpy(out + base / 8, &word, bytes);  // little-endian host (x86-64)
  }
}

// One switch per column, then the loop for that width.
inline void gather_fixed_cells(const std::byte* base, size_t stride, size_t width,
                               const uint32_t* rows, size_t n, std::byte* out) {
  constexpr size_t kVec32 = 32 * sizeof(float);
  constexpr size_t kVec64 = 64 * sizeof(float);
  constexpr size_t kVec128 = 128 * sizeof(float);
  switch (width) {
    case 1: gather_cells<1>(base, stride, width, rows, n, out); break;
    case 2: gather_cells<2>(base, stride, width, rows, n, out); break;
    case 4: gather_cells<4>(base, stride, width, rows, n, out); break;
    case 8: gather_cells<8>(base, stride, width, rows, n, out); break;
    case kVec32: gather_cells<kVec32>(base, stride, width, rows, n, out); break;
    case kVec64: gather_cells<kVec64>(base, stride, width, rows, n, out); break;
    case kVec128: gather_cells<kVec128>(base, stride, width, rows, n, out); break;
    default: gather_cells<0>(base, stride, width, rows, n, out); break;
  }
}

}  // namespace tessera::core
