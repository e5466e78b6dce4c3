// The join of TABLE.* replies that ran on several shards (Join::kColumnarInKeyOrder), and
// the tagged "part" form the handlers write when they know their reply is one of several.
//
// A handler writes its final reply form when it is the only part (TABLE.MGET: no
// key_positions, i.e. all keys on one shard; TABLE.INFO: one shard), because the replier
// forwards a single part unchanged. Otherwise it writes a part:
//
//   array(2): integer kind, payload
//     kColumnar  payload = the COLUMNAR reply for this part's keys (README "Tables"): per
//                column [type, values, validity] or [type, data, validity, offsets]; the
//                join learns a fixed-width column's cell width as values.size() / keys.
//     kRows      payload = array with one element per key (a row array, or null).
//     kJson      payload = array with one bulk per key: that row's JSON text.
//     kSums      payload = flat array name1, int1, name2, int2 ...; every part lists the
//                same names in the same order.
//
// Joined: kColumnar -> the COLUMNAR reply for all keys in request order (positions);
// kRows -> array of rows in request order; kJson -> one bulk "[row,row,...]"; kSums -> map
// name -> sum. The join needs no schema. Runs on the replier thread; cost O(reply bytes).
#pragma once

#include <cstdint>
#include <span>

#include "engine/reply_join.h"
#include "protocol/reply.h"

namespace tessera::engine {

enum class TablePartKind : int64_t {
  kColumnar = 1,
  kRows = 2,
  kJson = 3,
  kSums = 4,
};

// Writes a part header; the caller then writes exactly one payload value.
inline void begin_table_part(protocol::ReplyWriter& out, TablePartKind kind) {
  constexpr uint32_t kPartElements = 2;
  out.array(kPartElements);
  out.integer(static_cast<int64_t>(kind));
}

// REQUIRES: parts.size() >= 2, no part is an error, every part was begun with
// begin_table_part with the same kind.
void join_table_parts(std::span<const ReplyPart> parts, uint32_t total_keys, protocol::ReplyWriter& out);

}  // namespace tessera::engine
