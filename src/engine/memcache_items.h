// memcached semantics over the shared keyspace (private to src/engine): exptime rules,
// stores with their modes and CAS checks, incr/decr arithmetic, and CAS uniques assigned
// on demand. Used by the text and meta command handlers; every function runs on the data
// worker that owns the key and works on database 0, the memcached keyspace.
//
// CAS uniques are lazy: a store drops the item's CAS (it reads back as 0, and an item
// without one pays nothing for it); the first read that reports a CAS (gets, gats, mg c,
// ms c, ma c) assigns a fresh one from the shard's counter and stores it with the item. A
// client can only hold a CAS that was reported after the latest change, so a stale one
// never matches: any later change drops the stored CAS, and a fresh one is never reused.
// Values are unique across shards: counter * shard_count + shard_id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/key_table.h"
#include "engine/command.h"
#include "engine/memcache_request.h"

namespace tessera::engine::memcache {

inline constexpr int kMemcacheDb = 0;

// memcached's realtime(): 0 = never; negative = already expired; up to 30 days = seconds
// from now; beyond = an absolute unix time (one in the past = already expired).
struct Expiry {
  int64_t at_ms = core::kNoExpiry;
  bool expired = false;
};
Expiry to_expiry(int64_t exptime, int64_t now_ms);
// Remaining seconds for t / me exp=, or -1 without expiry.
int64_t remaining_seconds(int64_t expire_at_ms, int64_t now_ms);

core::KeyTable& table(CommandContext& ctx);
// The key at args[kMemcacheFirstKey + index] and its hash.
std::string_view key_arg(const CommandContext& ctx, size_t index = 0);
uint64_t key_hash(const CommandContext& ctx, size_t index = 0);

// A memcached fetch of `key` (get, gets, gat, gats, mg, binary get): the item, counting a
// keyspace hit or miss and recording the access in the item's access record (mg h, l).
// *before (if given) receives the record as it was before this fetch.
core::ItemView fetch_counted(CommandContext& ctx, std::string_view key, uint64_t hash,
                             core::ItemAccess* before = nullptr);
// The same without recording the access (mg u).
core::ItemView peek_counted(CommandContext& ctx, std::string_view key, uint64_t hash);
// The access record a memcached store gives its new item: stored now, not fetched.
core::ItemAccess stored_now(const CommandContext& ctx);
// Gives `item` a CAS unique if it has none, keeping the rest of its metadata and its meta
// marks (a win token out, stale); returns the (refreshed) view. The view passed in is invalid afterwards.
core::ItemView ensure_cas(CommandContext& ctx, std::string_view key, uint64_t hash, core::ItemView item);
// Gives `item` a fresh CAS unique (its value changed in memcached's eyes: md I), keeping its
// value, flags, access record and expiry; its meta marks afterwards are `marks`. The view
// passed in is invalid afterwards.
void renew_cas(CommandContext& ctx, std::string_view key, uint64_t hash, core::ItemView item,
               uint8_t marks);
// The value of a stored item as bytes; `scratch` holds an int's decimal text.
std::string_view item_value(core::ItemView item, std::string& scratch);

enum class StoreMode : uint8_t { kSet, kAdd, kReplace, kAppend, kPrepend };
enum class StoreOutcome : uint8_t { kStored, kNotStored, kExists, kNotFound };

struct StoreRequest {
  StoreMode mode = StoreMode::kSet;
  std::string_view data;
  uint32_t client_flags = 0;
  int64_t exptime = 0;
  std::optional<uint64_t> compare_cas;  // cas / ms C: the item must exist with this CAS
  uint64_t new_cas = 0;                 // ms E: store this CAS (0: none until asked)
};
// On kStored, *stored_cas (if given) receives a CAS unique for the new value (assigned now).
StoreOutcome store_item(CommandContext& ctx, const StoreRequest& request, uint64_t* stored_cas = nullptr);

enum class ArithOutcome : uint8_t { kDone, kNotFound, kNonNumeric, kExists };
struct ArithRequest {
  bool increment = true;
  uint64_t delta = 1;
  std::optional<uint64_t> compare_cas;  // ma C
  uint64_t new_cas = 0;                 // ma E
};
// incr wraps at 2^64 as memcached's does; decr stops at 0. Keeps flags and expiry; the
// result is a new item to mg h and l, as in memcached.
ArithOutcome arith_item(CommandContext& ctx, const ArithRequest& request, uint64_t& result);

// Stores `value` as a decimal number (an int when it fits int64, else its text).
void store_number(core::KeyTable& table, std::string_view key, uint64_t hash, uint64_t value, int64_t expire_at_ms,
                  const core::ItemMeta& meta);

// flush_all / FLUSH: clears database 0 now (delay <= 0) or once `delay` (an exptime) comes.
void flush_keyspace(CommandContext& ctx, int64_t delay);

// Applies a new exptime to a live key (touch, gat, mg T); false if missing.
bool touch_item(CommandContext& ctx, std::string_view key, uint64_t hash, int64_t exptime);

}  // namespace tessera::engine::memcache
