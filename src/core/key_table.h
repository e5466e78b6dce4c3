// KeyTable: one database of one shard: a compact hash table from byte-string keys to
// values (strings, stored as raw bytes or as int64 when canonical), each with an optional
// absolute expiry in unix milliseconds and optional memcached metadata (32-bit client
// flags, 64-bit CAS unique, access record; see ItemMeta).
//
// Owner: exactly one data worker thread. No internal locking; not thread-safe.
//
// Layout (the reason this file exists: per-key overhead is what a cache is bought by):
//   - Items live in a per-table SlabArena (slab_arena.h): one allocation per key holding a
//     small header, the key bytes and the value bytes (or an int64, or a pointer to an
//     out-of-line value for large values), plus an 8-byte expiry only when the key has one,
//     and 4 bytes of memcached client flags / 8 bytes of CAS only when they are non-zero
//     (an item that never used them pays nothing), 4 bytes of memcached access record
//     only on items memcached stored or fetched (a Redis-only item pays nothing).
//     Items are addressed by 32-bit handles (8-byte units inside the arena), not pointers.
//   - The index is open addressing over groups of 16 slots, each slot a 1-byte tag (7 hash
//     bits + state) and a 4-byte item handle. Capacity is not a power of two (the group
//     is picked by multiply-shift "fastrange" on the hash) so it grows by 1.5x, and the
//     resize is incremental: a bounded number of groups move per mutating call.
//
// Invariants:
//   - A key appears at most once across the live and the migrating index.
//   - `size()` counts stored items, including expired ones not yet reclaimed.
//   - Callers pass the xxh3-64 hash of the key (computed once by the parser for routing).
//
// Expiry: `find` is lazy (an expired key is deleted and reported missing). The active
// cycle is `expire_step`, with a bounded cost per call (see there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tessera::core {

// Absolute unix time in milliseconds; kNoExpiry means "persistent".
inline constexpr int64_t kNoExpiry = 0;

enum class ValueEncoding : uint8_t {
  kRaw = 0,  // bytes
  kInt = 1,  // int64, stored as 8 bytes; its string form is the canonical decimal text
};

// memcached's per-item access record, behind mg's h (fetched before?) and l (seconds since
// the last access) flags. Packed in 32 bits: bit 31 says the item was fetched since it was
// stored; bits 0..30 hold the last access (its store, or its latest fetch) in whole seconds
// since kEpochSeconds (2020-01-01, so the field lasts past 2080). Word 0 means "not
// tracked": only items stored or fetched through memcached carry a record.
struct ItemAccess {
  static constexpr uint32_t kFetched = 1u << 31;
  static constexpr int64_t kEpochSeconds = 1577836800;  // 2020-01-01T00:00:00Z

  uint32_t word = 0;

  static ItemAccess stored_at(int64_t now_ms);   // not fetched yet, accessed now
  static ItemAccess fetched_at(int64_t now_ms);  // fetched, accessed now
  bool tracked() const { return word != 0; }
  bool fetched() const { return (word & kFetched) != 0; }
  // Whole seconds from the last access to now_ms (0 if the clock went back).
  int64_t seconds_since_access(int64_t now_ms) const;

 private:
  static uint32_t seconds_field(int64_t now_ms);
};

// memcached per-item metadata. A zero field is not stored (and reads back as 0), so
// ItemMeta{} stores nothing and costs nothing.
struct ItemMeta {
  uint32_t client_flags = 0;
  uint64_t cas = 0;
  ItemAccess access{};
};

// A borrowed view of one stored item. Valid until the next mutating call on the table.
class ItemView {
 public:
  ItemView() = default;
  explicit operator bool() const { return item_ != nullptr; }

  std::string_view key() const;
  ValueEncoding encoding() const;
  // REQUIRES: encoding() == kRaw.
  std::string_view raw_value() const;
  // REQUIRES: encoding() == kInt.
  int64_t int_value() const;
  // The value as bytes whatever the encoding; `scratch` holds the decimal text of an int.
  std::string_view value_bytes(std::string& scratch) const;
  size_t value_length() const;
  int64_t expire_at_ms() const;  // kNoExpiry if none
  uint32_t client_flags() const;  // memcached client flags; 0 if none stored
  uint64_t cas() const;           // memcached CAS unique; 0 if none stored
  uint8_t marks() const;          // memcached meta marks (kMarkStale | kMarkWinSent)
  ItemAccess access() const;      // memcached access record; untracked if none stored
  ItemMeta meta() const;          // client flags, CAS and access record together

 private:
  friend class KeyTable;
  explicit ItemView(const void* item) : item_(item) {}
  const void* item_ = nullptr;
};

// memcached's meta protocol marks on an item (mg N/R, ms I, md I): stale, and "a win token
// was sent". They live in spare bits of the item header: no byte is added for them. Any
// new value clears them.
inline constexpr uint8_t kMarkStale = 1;
inline constexpr uint8_t kMarkWinSent = 2;

// How `set` treats an existing key's expiry when the caller passes kNoExpiry.
enum class TtlPolicy : uint8_t { kReplace, kKeep };

class KeyTable {
 public:
  KeyTable();
  ~KeyTable();
  KeyTable(const KeyTable&) = delete;
  KeyTable& operator=(const KeyTable&) = delete;

  // Starts loading the index group of `hash` into the cache: a batch of commands calls it
  // for the next command's key while running the current one.
  void prefetch(uint64_t hash) const;
  // Second stage, a little later: starts loading the item the index points at for `hash`.
  void prefetch_item(uint64_t hash) const;

  // Lookup. An item whose expiry is <= now_ms is deleted and not returned.
  ItemView find(std::string_view key, uint64_t hash, int64_t now_ms);

  // A memcached fetch: find, then record the access in the item's access record (fetched,
  // accessed now), adding a record to an item that has none (one stored through Redis:
  // tracking starts at its first memcached fetch). *before receives the record as it was
  // (untracked if there was none). Costs one in-place 4-byte write on tracked items.
  ItemView fetch(std::string_view key, uint64_t hash, int64_t now_ms, ItemAccess* before);

  // Insert or overwrite. `value` is stored as kInt when it is the canonical decimal form of
  // an int64 (no leading zeros or '+', fits, not "-0"), otherwise raw. With kKeep and
  // expire_at_ms == kNoExpiry an existing key keeps its expiry.
  void set(std::string_view key, uint64_t hash, std::string_view value, int64_t expire_at_ms,
           TtlPolicy ttl = TtlPolicy::kReplace);
  // Same, storing an int64 directly (INCR and friends).
  void set_int(std::string_view key, uint64_t hash, int64_t value, int64_t expire_at_ms,
               TtlPolicy ttl = TtlPolicy::kReplace);
  // The plain forms above store no metadata: overwriting an item that had client flags or
  // a CAS drops them (a Redis SET is a new value). The forms below store `meta` with the
  // value (each field only when non-zero), replacing whatever metadata the item had.
  // `ttl` applies to the expiry only, never to the metadata.
  void set(std::string_view key, uint64_t hash, std::string_view value, int64_t expire_at_ms,
           TtlPolicy ttl, const ItemMeta& meta);
  void set_int(std::string_view key, uint64_t hash, int64_t value, int64_t expire_at_ms,
               TtlPolicy ttl, const ItemMeta& meta);

  // A Redis edit of a live raw value (APPEND, SETRANGE): makes it `new_len` bytes long
  // (REQUIRES: new_len >= its length), keeping its bytes and its expiry, zero-filling the
  // new tail, and returns its bytes for the caller to write. Like any new value it drops
  // memcached metadata and marks. Only values kept out of line are edited here: their block
  // grows with Redis's greedy reserve (double below 1 MiB, +1 MiB above), so a run of
  // appends costs amortized O(bytes appended). Returns nullptr, changing nothing, for a
  // missing key, an int or an inline value: the caller then stores the whole new value with
  // set (an inline value is at most SlabArena::kMaxBlockBytes to copy).
  char* grow_value(std::string_view key, uint64_t hash, size_t new_len);

  // Next value of this table's CAS counter: 1, 2, 3, ... (never 0, which means "no CAS").
  // Monotonic for the table's lifetime, including across clear(). memcached's CAS unique is
  // per server; this counter is per table (one database of one shard), so the engine must
  // combine it with the shard id (e.g. (counter << shard_bits) | shard) when CAS values
  // have to be unique across shards, or compare them only per key, which memcached's `cas`
  // command does. Tables do not share the counter.
  uint64_t next_cas();

  // Returns true if the key existed (and was not expired) and was removed.
  bool erase(std::string_view key, uint64_t hash, int64_t now_ms);

  // Adds `marks` (kMarkStale, kMarkWinSent) to a live key's item, in place. Returns false if
  // the key is missing.
  bool add_marks(std::string_view key, uint64_t hash, uint8_t marks, int64_t now_ms);

  // Sets or clears (kNoExpiry) the expiry of a live key. Returns false if the key is missing.
  // The value, its metadata (client flags, CAS, access) and its marks are kept.
  bool set_expiry(std::string_view key, uint64_t hash, int64_t expire_at_ms, int64_t now_ms);

  size_t size() const;
  size_t keys_with_expiry() const;
  void clear();

  // Bytes held by this table: index arrays, arena pages in use, out-of-line values.
  size_t memory_bytes() const;

  // Active expiry, one step. Examines at most `max_slots` index slots starting where the
  // previous step stopped (wrapping), deletes items with expiry <= now_ms, and returns how
  // many it deleted. Cost: O(max_slots) slot reads plus one item read per occupied slot.
  size_t expire_step(int64_t now_ms, size_t max_slots);

  // Cursor iteration with Redis SCAN's guarantee: every key present for the whole scan is
  // reported at least once, even across resizes (cursor = position in hash order). Starts
  // at cursor 0, returns 0 when complete. Visits about `count` live keys per call; expired
  // keys are skipped (not deleted). `fn(ItemView)` is called per key.
  template <class Fn>
  uint64_t scan(uint64_t cursor, size_t count, int64_t now_ms, Fn&& fn);

  // A uniformly-ish random live key, or an empty view if the table has none live.
  // `random` is a caller-supplied random 64-bit value.
  ItemView random_item(uint64_t random, int64_t now_ms);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  // Type-erased form of scan(); the template above forwards here.
  uint64_t scan_impl(uint64_t cursor, size_t count, int64_t now_ms,
                     void (*cb)(void*, ItemView), void* ctx);
};

template <class Fn>
uint64_t KeyTable::scan(uint64_t cursor, size_t count, int64_t now_ms, Fn&& fn) {
  return scan_impl(cursor, count, now_ms,
                   [](void* ctx, ItemView item) { (*static_cast<Fn*>(ctx))(item); }, &fn);
}

// xxh3-64 of a key: the one hash used for routing (hash % workers) and for the index.
uint64_t hash_key(std::string_view key);

}  // namespace tessera::core
