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
#include <vector>

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

// A fixed-width column read in a row-group pass: its cell's byte offset in the group's
// row, its width, and where its packed output goes.
struct GatherTarget {
  size_t offset = 0;
  size_t width = 0;
  std::byte* out = nullptr;
};

// The targets of one row-group pass, bucketed by width so that each bucket is a loop of
// fixed-size copies (no branch on the type per cell).
struct GroupPass {
  static constexpr size_t kWidthBuckets = 5;  // widths 1, 2, 4, 8, anything else
  std::vector<GatherTarget> buckets[kWidthBuckets];
  size_t lo = SIZE_MAX;  // the byte range of a row the pass reads: [lo, hi)
  size_t hi = 0;

  void add(const GatherTarget& t) {
    size_t b = t.width == 1 ? 0 : t.width == 2 ? 1 : t.width == 4 ? 2 : t.width == 8 ? 3 : 4;
    buckets[b].push_back(t);
    lo = t.offset < lo ? t.offset : lo;
    hi = t.offset + t.width > hi ? t.offset + t.width : hi;
  }
};

template <size_t kWidth>
inline void copy_row_cells(const std::byte* src, size_t i, const std::vector<GatherTarget>& targets) {
  for (const GatherTarget& t : targets) {
    const size_t w = kWidth != 0 ? kWidth : t.width;
    std::memcpy(t.out + i * w, src + t.offset, w);
  }
}

// Copies every target's cell of every row in one walk over the rows: a random row's group
// line(s) are fetched once for all of the group's requested columns.
inline void gather_group_pass(const std::byte* base, size_t stride, const uint32_t* rows, size_t n,
                              const GroupPass& pass) {
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n) {
      prefetch_cell(base + pass.lo, stride, pass.hi - pass.lo, rows[i + kPrefetchDistance]);
    }
    uint32_t r = rows[i];
    if (r == kNoRow) {
      for (const auto& bucket : pass.buckets) {
        for (const GatherTarget& t : bucket) {
          std::memset(t.out + i * t.width, 0, t.width);
        }
      }
      continue;
    }
    const std::byte* src = base + static_cast<size_t>(r) * stride;
    copy_row_cells<1>(src, i, pass.buckets[0]);
    copy_row_cells<2>(src, i, pass.buckets[1]);
    copy_row_cells<4>(src, i, pass.buckets[2]);
    copy_row_cells<8>(src, i, pass.buckets[3]);
    copy_row_cells<0>(src, i, pass.buckets[4]);
  }
}

// ceil(n / 8) bytes: bit i set when rows[i] is present (not kNoRow).
inline void presence_bits(const uint32_t* rows, size_t n, uint8_t* out) {
  for (size_t base = 0; base < n; base += 8) {
    uint8_t byte = 0;
    for (size_t i = base; i < n && i < base + 8; ++i) {
      byte |= static_cast<uint8_t>(rows[i] != kNoRow) << (i - base);
    }
    out[base / 8] = byte;
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
