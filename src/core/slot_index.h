// BasicSlotIndex: the open-addressing index of a KeyTable (SlotIndex) and a ColumnTable
// (LineSlotIndex), private to src/core. Slots come in groups of kGroupSize; each slot is a
// 1-byte control (kEmpty, kDeleted, or a 7-bit hash tag for a full slot) and a 32-bit handle
// (a SlabArena handle or a row number). A group is stored as one record, [16 control
// bytes][kGroupSize handles], so a probe touches one page (an 80-byte group straddles a page
// boundary once per 4 KiB), where parallel control and handle arrays cost two pages (two TLB
// misses) per probe. Two geometries (BasicSlotIndex<kSlots>):
//   - SlotIndex, 16 slots: 80-byte records over two cache lines, 5 bytes per slot (the
//     KeyTable, whose bytes per key are the budget);
//   - LineSlotIndex, 12 slots: 64-byte records, one cache line per probe, 5.33 bytes per slot
//     (the ColumnTable, whose batch reads wait on the lines they touch: a 1000-key
//     TABLE.MGET on cold caches, bench_column_gather's *_Cold cases).
// Control bytes past kGroupSize are padding that never matches (masked off).
// A key's home group is fastrange(hash, groups) = (hash * groups) >> 64,
// so any group count works and group order is monotone in hash order; probing visits
// the following groups linearly (wrapping) and stops at the first group with an empty
// slot. Group matching uses SSE2 (compare 16 control bytes at once, movemask).
//
// Invariants:
//   - A slot only goes empty -> full -> deleted -> full ...; never back to empty (only a
//     fresh index has empty slots). Hence an entry whose home is group h and which sits in
//     group g has no empty slot in any group from h up to (not including) g.
//   - used_ counts full slots, deleted_ counts kDeleted slots.
//
// Thread safety: none; owned by the table's thread. Key comparison is the caller's.
#pragma once

#include <emmintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include "core/huge_pages.h"


namespace tessera::core {

template <size_t kSlots>
class BasicSlotIndex {
  // Groups stay 16-byte aligned (the SSE2 control load) when kSlots is a multiple of 4.
  static_assert(kSlots >= 4 && kSlots <= 16 && kSlots % 4 == 0);

 public:
  static constexpr size_t kGroupSize = kSlots;
  static constexpr uint8_t kEmpty = 0x80;
  static constexpr uint8_t kDeleted = 0xFE;
  static constexpr uint8_t kTagMask = 0x7F;
  static constexpr size_t kNotFound = ~size_t{0};

  BasicSlotIndex() = default;
  explicit BasicSlotIndex(size_t groups) : groups_(groups) {
    size_t bytes = groups * kGroupBytes;
    if (bytes >= kHugePageBytes) {
      mem_ = static_cast<uint8_t*>(huge_alloc(bytes));  // see huge_pages.h
    } else {
      // Cache-line aligned, so a 64-byte group is exactly one line (aligned_alloc wants a
      // size that is a multiple of the alignment).
      mem_ = static_cast<uint8_t*>(std::aligned_alloc(kLineBytes, (bytes + kLineBytes - 1) / kLineBytes * kLineBytes));
      if (mem_ == nullptr) {
        throw std::bad_alloc();
      }
    }
    for (size_t g = 0; g < groups; ++g) {
      std::memset(ctrl_at(g), kEmpty, kCtrlBytes);
    }
  }
  ~BasicSlotIndex() {
    if (mem_ != nullptr && bytes() >= kHugePageBytes) {
      huge_free(mem_, bytes());
    } else {
      std::free(mem_);
    }
  }
  BasicSlotIndex(BasicSlotIndex&& o) noexcept { swap(o); }
  BasicSlotIndex& operator=(BasicSlotIndex&& o) noexcept {
    BasicSlotIndex tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  BasicSlotIndex(const BasicSlotIndex&) = delete;
  BasicSlotIndex& operator=(const BasicSlotIndex&) = delete;

  size_t groups() const { return groups_; }
  size_t capacity() const { return groups_ * kGroupSize; }
  size_t used() const { return used_; }
  size_t deleted() const { return deleted_; }
  size_t bytes() const { return groups_ * kGroupBytes; }

  // The tag comes from middle bits: the low bits pick the shard (hash % workers) and the
  // high bits the group, so either would repeat across a group's entries.
  static constexpr int kTagShift = 32;
  static uint8_t tag_of(uint64_t hash) { return static_cast<uint8_t>((hash >> kTagShift) & kTagMask); }
  static bool is_full(uint8_t ctrl) { return (ctrl & kEmpty) == 0; }

  // REQUIRES: groups() > 0.
  size_t home_group(uint64_t hash) const {
    return static_cast<size_t>((static_cast<unsigned __int128>(hash) * groups_) >> 64);
  }
  // The smallest hash whose home group is >= g; 2^64 when g == groups().
  unsigned __int128 group_start_hash(size_t g) const {
    unsigned __int128 num = (static_cast<unsigned __int128>(g) << 64) + groups_ - 1;
    return num / groups_;
  }
  size_t next_group(size_t g) const { return g + 1 == groups_ ? 0 : g + 1; }

  // Starts loading the home group of `hash` (control bytes and handles) into the cache.
  void prefetch(uint64_t hash) const {
    if (groups_ != 0) {
      size_t g = home_group(hash);
      __builtin_prefetch(ctrl_at(g));
      __builtin_prefetch(ctrl_at(g) + kGroupBytes - 1);
    }
  }

  // Loads the home group of `hash` (its first and last byte: both lines of an 80-byte
  // group, the one line of a 64-byte group twice) and returns a value the caller
  // sinks so the loads are kept: for batch lookups whose first touch of a line may miss
  // the TLB, where a demand load walks the page tables and a prefetch may be dropped.
  uint64_t touch(uint64_t hash) const {
    if (groups_ == 0) {
      return 0;
    }
    const uint8_t* p = ctrl_at(home_group(hash));
    return uint64_t{p[0]} + p[kGroupBytes - 1];
  }

  // The handle of the first slot of the home group whose tag matches, or 0 (null handle).
  // Meant for a second prefetch stage, once prefetch() has brought the group in.
  uint32_t first_tag_match(uint64_t hash) const {
    if (groups_ == 0) {
      return 0;
    }
    size_t g = home_group(hash);
    uint32_t m = match_tag(g, tag_of(hash));
    return m == 0 ? 0 : handles_at(g)[__builtin_ctz(m)];
  }

  uint8_t ctrl(size_t slot) const { return ctrl_at(slot / kGroupSize)[slot % kGroupSize]; }
  uint32_t handle(size_t slot) const { return handles_at(slot / kGroupSize)[slot % kGroupSize]; }
  void set_handle(size_t slot, uint32_t h) { handles_at(slot / kGroupSize)[slot % kGroupSize] = h; }

  // Bit i set when slot i of group g matches.
  uint32_t match_tag(size_t g, uint8_t tag) const { return match_byte(g, tag); }
  uint32_t match_empty(size_t g) const { return match_byte(g, kEmpty); }
  uint32_t match_free(size_t g) const {  // empty or deleted: the high bit is set
    return static_cast<uint32_t>(_mm_movemask_epi8(load(g))) & kGroupMask;
  }
  uint32_t match_full(size_t g) const { return ~match_free(g) & kGroupMask; }

  // Slot of the entry for which eq(handle) holds, or kNotFound.
  // Cost: one group compare per probed group, one eq() call per tag match.
  template <class Eq>
  size_t find(uint64_t hash, Eq&& eq) const {
    if (groups_ == 0) {
      return kNotFound;
    }
    uint8_t tag = tag_of(hash);
    size_t g = home_group(hash);
    for (size_t probes = 0; probes < groups_; ++probes) {
      for (uint32_t m = match_tag(g, tag); m != 0; m &= m - 1) {
        auto i = static_cast<size_t>(__builtin_ctz(m));
        if (eq(handles_at(g)[i])) {
          return g * kGroupSize + i;
        }
      }
      if (match_empty(g) != 0) {
        return kNotFound;
      }
      g = next_group(g);
    }
    return kNotFound;
  }

  // Places a new entry in the first free slot of its probe sequence.
  // REQUIRES: the key is not present; used() + deleted() < capacity().
  size_t insert(uint64_t hash, uint32_t handle) {
    size_t g = home_group(hash);
    for (;;) {
      uint32_t m = match_free(g);
      if (m != 0) {
        auto i = static_cast<size_t>(__builtin_ctz(m));
        if (ctrl_at(g)[i] == kDeleted) {
          --deleted_;
        }
        ctrl_at(g)[i] = tag_of(hash);
        handles_at(g)[i] = handle;
        ++used_;
        return g * kGroupSize + i;
      }
      g = next_group(g);
    }
  }

  // REQUIRES: slot is full.
  void erase(size_t slot) {
    ctrl_at(slot / kGroupSize)[slot % kGroupSize] = kDeleted;
    --used_;
    ++deleted_;
  }

 private:
  static constexpr size_t kLineBytes = 64;
  static constexpr size_t kCtrlBytes = 16;  // one SSE2 load; bytes past kGroupSize are padding
  static constexpr size_t kGroupBytes = kCtrlBytes + kGroupSize * sizeof(uint32_t);  // 16-aligned
  static constexpr uint32_t kGroupMask = (1u << kGroupSize) - 1;

  uint8_t* ctrl_at(size_t g) const { return mem_ + g * kGroupBytes; }
  uint32_t* handles_at(size_t g) const { return reinterpret_cast<uint32_t*>(ctrl_at(g) + kCtrlBytes); }
  __m128i load(size_t g) const {
    return _mm_load_si128(reinterpret_cast<const __m128i*>(ctrl_at(g)));
  }
  uint32_t match_byte(size_t g, uint8_t b) const {
    __m128i v = _mm_set1_epi8(static_cast<char>(b));
    return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(load(g), v))) & kGroupMask;
  }
  void swap(BasicSlotIndex& o) noexcept {
    std::swap(mem_, o.mem_);
    std::swap(groups_, o.groups_);
    std::swap(used_, o.used_);
    std::swap(deleted_, o.deleted_);
  }

  uint8_t* mem_ = nullptr;  // groups_ records of [kCtrlBytes control bytes][kGroupSize uint32 handles]
  size_t groups_ = 0;
  size_t used_ = 0;
  size_t deleted_ = 0;
};

using SlotIndex = BasicSlotIndex<16>;      // 80-byte groups: the KeyTable
using LineSlotIndex = BasicSlotIndex<12>;  // 64-byte groups, one cache line: the ColumnTable

}  // namespace tessera::core
