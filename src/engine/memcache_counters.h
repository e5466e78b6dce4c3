// The per-shard counters memcached's `stats` reports (cmd_get, get_hits, ...), kept by the
// memcached command handlers in ShardStats and published with the shard's gauges.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace tessera::engine {

enum class MemcacheCounter : uint8_t {
  kCmdGet, kGetHits, kGetMisses, kCmdSet, kCmdTouch, kTouchHits, kTouchMisses,
  kDeleteHits, kDeleteMisses, kIncrHits, kIncrMisses, kDecrHits, kDecrMisses,
  kCasHits, kCasMisses, kCasBadval, kCmdFlush, kCount,
};

inline constexpr size_t kMemcacheCounterCount = static_cast<size_t>(MemcacheCounter::kCount);

// memcached's stat names, indexed by MemcacheCounter.
inline constexpr std::array<std::string_view, kMemcacheCounterCount> kMemcacheCounterNames = {
    "cmd_get",      "get_hits",      "get_misses",  "cmd_set",     "cmd_touch",  "touch_hits",
    "touch_misses", "delete_hits",   "delete_misses", "incr_hits", "incr_misses", "decr_hits",
    "decr_misses",  "cas_hits",      "cas_misses",  "cas_badval",  "cmd_flush",
};

using MemcacheCounters = std::array<uint64_t, kMemcacheCounterCount>;

}  // namespace tessera::engine
