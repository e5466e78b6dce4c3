// SCAN-style cursors, shared by SCAN and TABLE.SCAN: the low 8 bits of a cursor name the
// shard being scanned (the runtime routes a cursor command by them), the rest is where that
// shard's scan continues. A shard that finishes hands over to a later shard at position 0
// (SCAN skips the shards that hold no keys of its database); the cursor is 0 again after
// the last shard.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "engine/string_util.h"
#include "protocol/reply.h"

namespace tessera::engine {

inline constexpr uint64_t kCursorShardMask = 0xFF;
inline constexpr unsigned kCursorShardBits = 8;

// Replies [next cursor, keys] for one page of shard `shard` of `shards`. `position` is where
// the shard's scan stopped, its low kCursorShardBits clear; 0 means the shard is done, and
// the scan goes on at the start of `next_shard` (`shards`, or more: the scan is complete).
inline void reply_scan_page(protocol::ReplyWriter& out, uint64_t position, uint32_t shard, uint32_t next_shard,
                            uint32_t shards, std::span<const std::string_view> keys) {
  uint64_t next = 0;
  if (position != 0) {
    next = position | shard;
  } else if (next_shard < shards) {
    next = next_shard;  // this shard is done: start the next one at 0
  }
  char text[kInt64TextMax];
  out.array(2);
  out.bulk({text, format_uint64(text, next)});
  out.array(static_cast<uint32_t>(keys.size()));
  for (std::string_view key : keys) {
    out.bulk(key);
  }
}

}  // namespace tessera::engine
