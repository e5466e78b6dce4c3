// RowKeys: the key of every row of a ColumnTable partition (private to src/core/column_*).
//
// Two representations, chosen from the keys themselves:
//   - fixed: while every key stored so far has the same length W (1..kMaxFixedBytes), row
//     r's key is the W bytes at r * W of one array. No per-row offset: a lookup checks a
//     candidate row's key with one access computed from the row number alone, and a row
//     costs W bytes. Feature tables usually have such keys ("user:%08d").
//   - variable: an append-only heap of (varint length, bytes) entries plus a uint32 offset
//     per row (VarHeap garbage rules, column_var_heap.h).
// The first key of an empty partition picks the mode; a key of another length switches a
// fixed partition to variable for good, once (O(rows)).
//
// Embedded fixed keys: the owner may move fixed keys into rows of its own storage (embed():
// row r's key at base + r * stride), so that a lookup finds a row's key on the line(s) of
// the row's cells instead of a line of its own (ColumnTable puts them at the end of the
// rows of its first row group, column_table.h). The owner then sizes that storage (set_capacity
// only records the capacity) and calls rebase() whenever it moves. A switch to variable
// reads the keys from there and ends the embedding (embedded() turns false; the owner then
// takes the key bytes out of its rows).
//
// Invariants: storage has room for capacity() rows; a live row's key is readable with
// key(); a hole's slot holds stale bytes (fixed) or nothing the heap still counts (variable).
//
// Thread safety: none; owned by the partition's data worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/column_buffer.h"
#include "core/column_var_heap.h"

namespace tessera::core {

class RowKeys {
 public:
  static constexpr size_t kMaxFixedBytes = 64;
  static constexpr size_t kMaxHeapBytes = size_t{1} << 32;  // uint32 offsets

  bool fixed() const { return width_ != 0; }
  uint32_t width() const { return width_; }  // 0 unless fixed
  bool embedded() const { return embedded_; }
  uint32_t capacity() const { return capacity_; }

  std::string_view key(uint32_t row) const {
    if (width_ != 0) {
      return {reinterpret_cast<const char*>(fixed_at(row)), width_};
    }
    return variable_key(row);
  }
  bool equals(uint32_t row, std::string_view k) const {
    if (width_ != 0) {
      return k.size() == width_ && fixed_equal(fixed_at(row), k.data(), width_);
    }
    return variable_key(row) == k;
  }

  // Lookup stages for a candidate row < capacity(). touch_locate() loads what finds the
  // key (the key itself when fixed, its offset when variable) and returns a value to sink
  // so the load is kept: a demand load also walks the page tables on a TLB miss, which a
  // software prefetch may drop. Against prefetches, loads took less server CPU per TABLE.MGET
  // batch (bench/table_read_ab.sh, two builds side by side). Then, once the
  // offset is in, prefetch_bytes() starts loading a variable key's bytes (no-op if fixed).
  uint64_t touch_locate(uint32_t row) const {
    if (width_ != 0) {
      const auto* p = reinterpret_cast<const uint8_t*>(fixed_at(row));
      return uint64_t{p[0]} + p[width_ - 1];  // both lines of a key that straddles two
    }
    return offsets_.empty() ? 0 : offsets_.as<uint32_t>()[row];
  }
  void prefetch_bytes(uint32_t row) const {
    if (width_ == 0 && !offsets_.empty()) {
      __builtin_prefetch(heap_.data() + offsets_.as<uint32_t>()[row]);
    }
  }

  // Room for `rows` rows; rows below min(rows, old capacity) keep their keys. When embedded,
  // the owner has already sized its storage and calls rebase().
  void set_capacity(uint32_t rows);
  // Fixed keys move to base + r * stride (room for capacity() rows, owned by the caller,
  // which keeps it alive and calls rebase() when it moves). REQUIRES: fixed(), !embedded().
  void embed(std::byte* base, size_t stride);
  void rebase(std::byte* base) { base_ = base; }
  // Stores the key of a new row (row < capacity(); rows [0, used_rows) may be live per the
  // `live` bitmap, which a mode switch or heap rewrite reads). Throws std::length_error when
  // a variable heap cannot hold it even after dropping its garbage; nothing changes then.
  void assign(uint32_t row, std::string_view key, const uint64_t* live, uint32_t used_rows);
  // The row stops being live: its key is garbage.
  void release(uint32_t row);
  // Row `from`'s key becomes row `to`'s (compaction). REQUIRES: to is not live.
  void move(uint32_t from, uint32_t to);

  // Variable heap only: at least half of it is garbage; rebuild() rewrites it, O(live bytes).
  bool wants_rebuild() const { return width_ == 0 && heap_.wants_rebuild(); }
  void rebuild(const uint64_t* live, uint32_t used_rows);

  size_t memory_bytes() const { return fixed_.size() + offsets_.size() + heap_.capacity(); }

 private:
  // Compares n bytes reading none beyond them (memcmp's vector loads may read past a short
  // key into a line the lookup did not load) and without a call: keys of 4 to 16 bytes take
  // two overlapping loads.
  static bool fixed_equal(const std::byte* a, const char* b, size_t n) {
    constexpr size_t kWord = sizeof(uint64_t);
    constexpr size_t kHalf = sizeof(uint32_t);
    if (n >= kWord && n <= 2 * kWord) {
      return load<uint64_t>(a) == load<uint64_t>(b) && load<uint64_t>(a + n - kWord) == load<uint64_t>(b + n - kWord);
    }
    if (n >= kHalf && n < kWord) {
      return load<uint32_t>(a) == load<uint32_t>(b) && load<uint32_t>(a + n - kHalf) == load<uint32_t>(b + n - kHalf);
    }
    if (n < kHalf) {
      for (size_t i = 0; i < n; ++i) {
        if (static_cast<char>(a[i]) != b[i]) {
          return false;
        }
      }
      return true;
    }
    return std::memcmp(a, b, n) == 0;  // long keys: rare, and memcmp over-reads at most one line
  }
  template <class T, class P>
  static T load(const P* p) {
    T v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  std::string_view variable_key(uint32_t row) const;
  void to_variable(const uint64_t* live, uint32_t used_rows);
  const std::byte* fixed_at(uint32_t row) const { return base_ + size_t{row} * stride_; }
  std::byte* fixed_at(uint32_t row) { return base_ + size_t{row} * stride_; }
  void own_fixed() { base_ = fixed_.data(), stride_ = width_; }  // after fixed_ changes

  uint32_t width_ = 0;  // fixed key length; 0 = variable (or no key stored yet)
  bool embedded_ = false;
  std::byte* base_ = nullptr;  // fixed: row r's key at base_ + r * stride_ (fixed_ or embedded)
  size_t stride_ = 0;
  bool undecided_ = true;  // no key stored since the partition was created
  uint32_t capacity_ = 0;
  ByteBuffer fixed_;    // fixed, not embedded: capacity_ * width_ bytes
  ByteBuffer offsets_;  // variable: uint32 per row into heap_
  VarHeap heap_;        // variable: varint length + bytes per live key
};

}  // namespace tessera::core
