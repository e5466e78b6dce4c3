// Small helpers shared by key_table.cc and item_view.cc (private to src/core).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tessera::core {

// "-9223372036854775808" is 20 characters.
inline constexpr size_t kMaxInt64Digits = 20;

// True when `s` is the canonical decimal text of an int64 (no '+', no leading zeros,
// not "-0", in range); stores the value in *out.
bool parse_canonical_int64(std::string_view s, int64_t* out);

}  // namespace tessera::core
