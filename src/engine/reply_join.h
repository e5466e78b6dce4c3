// Joining the parts of a command that ran on several shards into the one reply the client
// sees, in key order. Called by the replier thread once every part has arrived.
//
//   kArrayInKeyOrder  part i replies an array whose element j belongs at key position
//                     positions_i[j]; the join is one array of total_keys elements.
//   kSumIntegers      integers summed; the first error wins.
//   kAllOk            +OK unless a part replied an error (the first error wins).
//   kConcatArrays     arrays concatenated in part order.
//   kAnyNonNull       the first non-null part (null if all are null).
//   kFirstPart        the first part as is (every part wrote the same reply, or none)
//   kColumnarInKeyOrder  TABLE.* parts in the tagged form of table_join.h (columnar
//                     columns, rows or JSON rows merged by positions; or integers summed).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/command.h"
#include "protocol/reply.h"

namespace tessera::engine {

struct ReplyPart {
  std::string_view model;               // one model value
  std::span<const uint32_t> positions;  // kArrayInKeyOrder and kColumnarInKeyOrder
};

void join_parts(Join join, std::span<const ReplyPart> parts, uint32_t total_keys,
                protocol::ReplyWriter& out);

}  // namespace tessera::engine
