// KeyTable::Impl (private to src/core): the table's state and the item-level helpers
// shared by key_table.cc (lookups and mutations) and key_table_iteration.cc (SCAN,
// random sampling, active expiry).
//
// Incremental resize: when the live index reaches its load limit (7/8 of its slots full
// or deleted) it becomes the `old` index and a new live index of 1.5x the groups (or the
// same size when most of the load is tombstones) takes its place. Every mutating call
// (set, set_int, erase, set_expiry, expire_step) first migrates kMigrateGroupsPerStep old
// groups: at most 8 * 16 = 128 slot reads, and per full slot one hash_key() and one insert
// into the live index. Migrated slots are marked deleted, so probe chains in `old` stay
// intact for lookups of entries not yet moved. Lookups check `live`, then `old`.
// Migration ends within old.groups() / 8 mutating calls; new keys added meanwhile (one
// per call at most) keep the new index below 60% load, so it never fills up mid-way.
//
// Invariants (beyond key_table.h's): size == live.used() + old.used(); with_expiry counts
// items with kHasExpiry; cas_counter only grows; out_of_line_bytes is the malloc_usable_size sum of all blocks.
//
// Thread safety: none; the table belongs to one data worker.
#pragma once

#include <malloc.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/item_layout.h"
#include "core/key_table.h"
#include "core/key_table_internal.h"
#include "core/slab_arena.h"
#include "core/slot_index.h"

namespace tessera::core {

struct KeyTable::Impl {
  static constexpr size_t kMinGroups = 1;
  static constexpr size_t kMaxLoadNum = 7;  // the index grows past 7/8 of its slots in use
  static constexpr size_t kMaxLoadDen = 8;
  static constexpr size_t kGrowNum = 3;  // growth factor 3/2
  static constexpr size_t kGrowDen = 2;
  static constexpr size_t kMigrateGroupsPerStep = 8;
  static constexpr size_t kMigrateAhead = 16;  // prefetch distance in entries (8-32 measure alike)
  static constexpr size_t kRandomTries = 32;
  static constexpr size_t kGreedyDoubleLimit = size_t{1} << 20;  // Redis's SDS_MAX_PREALLOC
  static constexpr unsigned __int128 kHashSpaceEnd = static_cast<unsigned __int128>(1) << 64;

  // splitmix64 (Steele, Lea, Flood 2014) with its published constants: a cheap stream of
  // well-mixed values from the caller's one random word.
  static uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  static void copy_bytes(void* dst, const void* src, size_t n) {
    if (n != 0) {
      std::memmove(dst, src, n);
    }
  }

  static bool overlaps(std::string_view s, const void* begin, size_t len) {
    auto* b = static_cast<const char*>(begin);
    return !s.empty() && len != 0 && s.data() < b + len && b < s.data() + s.size();
  }

  struct Value {
    bool is_int = false;
    int64_t int_value = 0;
    std::string_view bytes;  // raw values only
  };

  struct Loc {
    SlotIndex* index = nullptr;
    size_t slot = 0;
    explicit operator bool() const { return index != nullptr; }
  };

  SlabArena arena;
  SlotIndex live;
  SlotIndex old;  // groups() == 0 unless a resize is in progress
  size_t migrate_next = 0;
  size_t size = 0;
  size_t with_expiry = 0;
  size_t out_of_line_bytes = 0;
  size_t expire_cursor = 0;
  uint64_t cas_counter = 0;  // last value handed out by next_cas(); kept across clear()

  bool migrating() const { return old.groups() != 0; }
  uint8_t* item_at(uint32_t h) const { return static_cast<uint8_t*>(arena.pointer(h)); }

  static bool expired(const uint8_t* p, int64_t now_ms) {
    if (!(*p & item::kHasExpiry)) {
      return false;
    }
    return item::decode(p).expiry() <= now_ms;
  }

  Loc locate(std::string_view key, uint64_t hash) {
    auto eq = [&](uint32_t h) {
      item::Decoded d = item::decode(item_at(h));
      return d.key_len == key.size() &&
             (key.empty() || std::memcmp(d.key, key.data(), key.size()) == 0);
    };
    size_t s = live.find(hash, eq);
    if (s != SlotIndex::kNotFound) {
      return {&live, s};
    }
    if (migrating()) {
      s = old.find(hash, eq);
      if (s != SlotIndex::kNotFound) {
        return {&old, s};
      }
    }
    return {};
  }

  void release_out_of_line(const item::Decoded& d) {
    if (item::value_out_of_line(d.flags)) {
      uint8_t* block = d.out_of_line_block();
      out_of_line_bytes -= malloc_usable_size(block);
      std::free(block);
    }
  }

  void remove_at(Loc loc) {
    uint32_t h = loc.index->handle(loc.slot);
    item::Decoded d = item::decode(item_at(h));
    release_out_of_line(d);
    if (d.flags & item::kHasExpiry) {
      --with_expiry;
    }
    arena.free(h, d.size);
    loc.index->erase(loc.slot);
    --size;
  }

  // Allocates the out-of-line block an item with these flags needs (nullptr if none).
  uint8_t* allocate_out_of_line(uint8_t flags, std::string_view key, const Value& v) {
    if (!item::value_out_of_line(flags)) {
      return nullptr;
    }
    size_t key_part = item::key_out_of_line(flags) ? key.size() : 0;
    auto* block = static_cast<uint8_t*>(std::malloc(std::max<size_t>(1, key_part + v.bytes.size())));
    if (block == nullptr) {
      throw std::bad_alloc();
    }
    out_of_line_bytes += malloc_usable_size(block);
    copy_bytes(block, key.data(), key_part);
    copy_bytes(block + key_part, v.bytes.data(), v.bytes.size());
    return block;
  }

  // Header flags for the metadata fields that `meta` needs stored (non-zero ones only).
  static uint8_t meta_flags(const ItemMeta& meta) {
    return static_cast<uint8_t>((meta.client_flags != 0 ? item::kHasClientFlags : 0) |
                                (meta.cas != 0 ? item::kHasCas : 0) |
                                (meta.access.tracked() ? item::kHasAccess : 0));
  }

  void write_item(uint32_t h, uint8_t flags, std::string_view key, const Value& v,
                  int64_t expire_at_ms, const ItemMeta& meta, uint8_t* block) {
    uint8_t* p = item_at(h);
    *p++ = flags;
    p = item::write_varint(p, key.size());
    if (!item::is_int(flags)) {
      p = item::write_varint(p, v.bytes.size());
    }
    if (!item::key_out_of_line(flags)) {
      copy_bytes(p, key.data(), key.size());
      p += key.size();
    }
    if (item::is_int(flags)) {
      std::memcpy(p, &v.int_value, item::kIntBytes);
      p += item::kIntBytes;
    } else if (item::value_out_of_line(flags)) {
      std::memcpy(p, &block, item::kPointerBytes);
      p += item::kPointerBytes;
    } else {
      copy_bytes(p, v.bytes.data(), v.bytes.size());
      p += v.bytes.size();
    }
    if (flags & item::kHasClientFlags) {
      std::memcpy(p, &meta.client_flags, item::kClientFlagsBytes);
      p += item::kClientFlagsBytes;
    }
    if (flags & item::kHasCas) {
      std::memcpy(p, &meta.cas, item::kCasBytes);
      p += item::kCasBytes;
    }
    if (flags & item::kHasAccess) {
      std::memcpy(p, &meta.access.word, item::kAccessBytes);
      p += item::kAccessBytes;
    }
    if (flags & item::kHasExpiry) {
      std::memcpy(p, &expire_at_ms, item::kExpiryBytes);
    }
  }

  // Flags for a new item; may turn an int into text (kept in `text`) when the key is too
  // long for an inline int item.
  static uint8_t layout_for(std::string_view key, Value& v, int64_t expire_at_ms,
                            const ItemMeta& meta, std::string& text) {
    uint8_t flags =
        static_cast<uint8_t>((expire_at_ms != kNoExpiry ? item::kHasExpiry : 0) | meta_flags(meta));
    if (v.is_int) {
      uint8_t int_flags = item::with_storage(flags, item::kInlineInt);
      if (item::encoded_size(int_flags, key.size(), 0) <= SlabArena::kMaxBlockBytes) {
        return int_flags;
      }
      text = std::to_string(v.int_value);
      v = Value{false, 0, text};
    }
    return item::choose_layout(flags, key.size(), v.bytes.size());
  }

  // Moves the next kMigrateGroupsPerStep old groups' entries into the live index. Each
  // entry's hash is recomputed from its item's key, and the items lie anywhere in the
  // arena: the step lists its slots first, then moves them with the item kMigrateAhead
  // entries on already prefetched, so the cache misses overlap instead of following one
  // another. Read one at a time, they were half of a growing table's insert time
  // (bench_key_table BM_SetInsert1M, bench/results/migrate_prefetch.txt; prefetching all
  // of a step's items at once gained about half as much).
  void migrate_step() {
    if (!migrating()) {
      return;
    }
    size_t end = std::min(old.groups(), migrate_next + kMigrateGroupsPerStep);
    std::array<size_t, kMigrateGroupsPerStep * SlotIndex::kGroupSize> slots;
    size_t n = 0;
    for (size_t g = migrate_next; g < end; ++g) {
      for (uint32_t m = old.match_full(g); m != 0; m &= m - 1) {
        slots[n++] = g * SlotIndex::kGroupSize + static_cast<size_t>(__builtin_ctz(m));
      }
    }
    for (size_t i = 0; i < std::min(n, kMigrateAhead); ++i) {
      __builtin_prefetch(item_at(old.handle(slots[i])));
    }
    for (size_t i = 0; i < n; ++i) {
      if (i + kMigrateAhead < n) {
        __builtin_prefetch(item_at(old.handle(slots[i + kMigrateAhead])));
      }
      uint32_t h = old.handle(slots[i]);
      item::Decoded d = item::decode(item_at(h));
      live.insert(hash_key({reinterpret_cast<const char*>(d.key), d.key_len}), h);
      old.erase(slots[i]);
    }
    migrate_next = end;
    if (migrate_next == old.groups()) {
      old = SlotIndex();
      migrate_next = 0;
    }
  }

  // Makes room in the live index for one more entry, starting a resize if needed.
  void ensure_room() {
    if (live.groups() == 0) {
      live = SlotIndex(kMinGroups);
      return;
    }
    if ((live.used() + live.deleted() + 1) * kMaxLoadDen <= live.capacity() * kMaxLoadNum) {
      return;
    }
    while (migrating()) {  // not reached with 1.5x growth; kept as a safety net
      migrate_step();
    }
    size_t groups = live.groups();
    bool mostly_live = live.used() * 2 * kMaxLoadDen > live.capacity() * kMaxLoadNum;
    size_t new_groups = mostly_live ? (groups * kGrowNum + kGrowDen - 1) / kGrowDen : groups;
    old = std::move(live);
    live = SlotIndex(new_groups);
    migrate_next = 0;
    migrate_step();
  }

  // Returns the written item.
  uint8_t* upsert(std::string_view key, uint64_t hash, Value v, int64_t expire_at_ms, TtlPolicy ttl,
                  const ItemMeta& meta) {
    migrate_step();
    Loc loc = locate(key, hash);
    std::string int_text;
    if (!loc) {
      ensure_room();
      uint8_t flags = layout_for(key, v, expire_at_ms, meta, int_text);
      uint32_t h = arena.allocate(item::encoded_size(flags, key.size(), v.bytes.size()));
      uint8_t* block = allocate_out_of_line(flags, key, v);
      write_item(h, flags, key, v, expire_at_ms, meta, block);
      live.insert(hash, h);
      ++size;
      with_expiry += expire_at_ms != kNoExpiry;
      return item_at(h);
    }
    uint32_t old_h = loc.index->handle(loc.slot);
    const uint8_t* old_p = item_at(old_h);
    item::Decoded od = item::decode(old_p);
    if (ttl == TtlPolicy::kKeep && expire_at_ms == kNoExpiry) {
      expire_at_ms = od.expiry();
    }
    // The inputs may be views of this very item (e.g. from find()); copy them out first.
    std::string key_copy;
    std::string value_copy;
    size_t block_len = item::value_out_of_line(od.flags)
                           ? od.value_len + (item::key_out_of_line(od.flags) ? od.key_len : 0)
                           : 0;
    const void* old_block = block_len != 0 ? od.out_of_line_block() : nullptr;
    if (overlaps(key, old_p, od.size) || overlaps(key, old_block, block_len)) {
      key_copy.assign(key);
      key = key_copy;
    }
    if (overlaps(v.bytes, old_p, od.size) || overlaps(v.bytes, old_block, block_len)) {
      value_copy.assign(v.bytes);
      v.bytes = value_copy;
    }
    uint8_t flags = layout_for(key, v, expire_at_ms, meta, int_text);
    size_t new_size = item::encoded_size(flags, key.size(), v.bytes.size());
    uint32_t h = old_h;
    bool same_class = SlabArena::size_class(new_size) == SlabArena::size_class(od.size);
    if (!same_class) {
      h = arena.allocate(new_size);  // before any release, so a throw leaves the table intact
    }
    uint8_t* block = allocate_out_of_line(flags, key, v);
    release_out_of_line(od);
    if (!same_class) {
      arena.free(old_h, od.size);
      loc.index->set_handle(loc.slot, h);
    }
    with_expiry -= (od.flags & item::kHasExpiry) ? 1 : 0;
    with_expiry += expire_at_ms != kNoExpiry;
    write_item(h, flags, key, v, expire_at_ms, meta, block);
    return item_at(h);
  }

  // Redis's sdsMakeRoomFor reserve: the block size a value that needs `need` bytes grows to.
  static size_t greedy_capacity(size_t need) {
    return need < kGreedyDoubleLimit ? need * 2 : need + kGreedyDoubleLimit;
  }

  // KeyTable::grow_value for the item at `loc` (key_table.h). Returns nullptr, changing
  // nothing, unless its value is out of line and the re-encoded item still fits a block.
  // Everything that can throw (the arena block, the key copy, the realloc) happens before
  // the item changes.
  uint8_t* grow_out_of_line_value(Loc loc, size_t new_len) {
    const uint32_t h = loc.index->handle(loc.slot);
    uint8_t* p = item_at(h);
    const item::Decoded d = item::decode(p);
    if (!item::value_out_of_line(d.flags)) {
      return nullptr;
    }
    const auto flags = static_cast<uint8_t>(
        d.flags & ~(item::kHasClientFlags | item::kHasCas | item::kHasAccess | item::kMarks));
    const size_t new_size = item::encoded_size(flags, d.key_len, new_len);
    if (new_size > SlabArena::kMaxBlockBytes) {
      return nullptr;
    }
    const bool key_inline = !item::key_out_of_line(flags);
    const size_t key_part = key_inline ? 0 : d.key_len;
    const bool same_layout = flags == d.flags && new_size == d.size;
    const bool same_class = SlabArena::size_class(new_size) == SlabArena::size_class(d.size);
    // An inline key may move by a byte when the length varint grows: write it from a copy.
    std::string key_copy;
    if (!same_layout && key_inline) {
      key_copy.assign(reinterpret_cast<const char*>(d.key), d.key_len);
    }
    const uint32_t nh = same_class ? h : arena.allocate(new_size);
    uint8_t* block = d.out_of_line_block();
    const size_t need = key_part + new_len;
    const size_t capacity = malloc_usable_size(block);
    if (need > capacity) {
      auto* grown = static_cast<uint8_t*>(std::realloc(block, greedy_capacity(need)));
      if (grown == nullptr) {
        if (nh != h) {
          arena.free(nh, new_size);
        }
        throw std::bad_alloc();
      }
      out_of_line_bytes = out_of_line_bytes - capacity + malloc_usable_size(grown);
      block = grown;
    }
    std::memset(block + key_part + d.value_len, 0, new_len - d.value_len);
    uint8_t* value = block + key_part;
    if (same_layout) {  // only the length and the pointer change, each at the same width
      item::write_varint(p + item::kFlagsBytes + item::varint_size(d.key_len), new_len);
      std::memcpy(p + (d.payload - p), &block, item::kPointerBytes);
      return value;
    }
    // write_item copies an inline key and only measures an out-of-line one.
    const std::string_view key =
        key_inline ? std::string_view(key_copy)
                   : std::string_view(reinterpret_cast<const char*>(block), d.key_len);
    const Value v{false, 0, {reinterpret_cast<const char*>(value), new_len}};
    write_item(nh, flags, key, v, d.expiry(), ItemMeta{}, block);
    if (nh != h) {
      arena.free(h, d.size);
      loc.index->set_handle(loc.slot, nh);
    }
    return value;
  }

  // Keeps the first `keep` bytes of the item at `loc`, with its flags byte set to `flags`,
  // and puts `tail` after them: how a trailer field is added or dropped in place. The item
  // moves to a new block when its size class changes. Returns the item.
  // REQUIRES: keep + tail_len <= SlabArena::kMaxBlockBytes; `tail` is not inside the item.
  uint8_t* replace_tail(Loc loc, size_t old_size, size_t keep, uint8_t flags, const uint8_t* tail,
                        size_t tail_len) {
    const uint32_t h = loc.index->handle(loc.slot);
    uint8_t* p = item_at(h);
    const size_t new_size = keep + tail_len;
    if (SlabArena::size_class(new_size) != SlabArena::size_class(old_size)) {
      const uint32_t nh = arena.allocate(new_size);
      uint8_t* dst = item_at(nh);
      std::memcpy(dst, p, keep);
      arena.free(h, old_size);
      loc.index->set_handle(loc.slot, nh);
      p = dst;
    }
    p[0] = flags;
    copy_bytes(p + keep, tail, tail_len);
    return p;
  }

  // Writes the item at `p` again through upsert with a new expiry and metadata, keeping its
  // value and marks: for a trailer change that would outgrow the largest block (the value
  // then moves out of line). Returns the new item.
  uint8_t* rewrite(std::string_view key, uint64_t hash, const uint8_t* p, int64_t expire_at_ms,
                   const ItemMeta& meta) {
    const uint8_t marks = *p & item::kMarks;
    const ItemView view(p);
    const Value v = view.encoding() == ValueEncoding::kInt ? Value{true, view.int_value(), {}}
                                                           : Value{false, 0, view.raw_value()};
    uint8_t* written = upsert(key, hash, v, expire_at_ms, TtlPolicy::kReplace, meta);
    *written |= marks;
    return written;
  }

  // Walks every full slot of both indices (clear and destruction).
  void release_all_out_of_line() {
    if (out_of_line_bytes == 0) {
      return;
    }
    for (SlotIndex* idx : {&live, &old}) {
      for (size_t slot = 0; slot < idx->capacity(); ++slot) {
        if (SlotIndex::is_full(idx->ctrl(slot))) {
          release_out_of_line(item::decode(item_at(idx->handle(slot))));
        }
      }
    }
  }

  // Reports the keys of `idx` whose hash lies in [start, end): the groups covering that
  // range, then following groups while a probe chain can still run on (see slot_index.h).
  void scan_index(const SlotIndex& idx, uint64_t start, unsigned __int128 end, int64_t now_ms,
                  void (*cb)(void*, ItemView), void* ctx) const {
    if (idx.groups() == 0) {
      return;
    }
    size_t first = idx.home_group(start);
    size_t last = end == kHashSpaceEnd ? idx.groups() - 1
                                       : idx.home_group(static_cast<uint64_t>(end - 1));
    size_t span = last - first + 1;
    size_t g = first;
    for (size_t visited = 0; visited < idx.groups(); ++visited) {
      for (uint32_t m = idx.match_full(g); m != 0; m &= m - 1) {
        size_t slot = g * SlotIndex::kGroupSize + static_cast<size_t>(__builtin_ctz(m));
        const uint8_t* p = item_at(idx.handle(slot));
        item::Decoded d = item::decode(p);
        uint64_t h = hash_key({reinterpret_cast<const char*>(d.key), d.key_len});
        if (h >= start && h < end && !expired(p, now_ms)) {
          cb(ctx, ItemView(p));
        }
      }
      if (visited + 1 >= span && idx.match_empty(g) != 0) {
        break;
      }
      g = idx.next_group(g);
    }
  }
};

}  // namespace tessera::core
