// The packed key list of TABLE.MGET (`KEYBLOB <blob>` in place of `KEYS k1 .. kN`), for
// clients that hold their keys in arrays (numpy): one argument to build and send instead of
// N. Layout, all integers little-endian (the key section of a binary columnar batch,
// README "Tables", preceded by its count):
//
//   uint32 N; uint32 off[N + 1] (off[0] = 0, non-decreasing); off[N] key bytes
//   key i = bytes[off[i], off[i + 1]); no trailing bytes; 1 <= N <= kMaxBlobKeys
//
// The runtime expands the blob into the KEYS form before routing (CommandSpec::
// rewrite_args = expand_mget_key_blob in table_commands.cc, which parses the command with
// TABLE.MGET's own parser), so splitting by shard, the handler and the join are those of KEYS.
// Pure functions, any thread. Cost: O(N).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::engine {

inline constexpr size_t kMaxBlobKeys = size_t{1} << 20;

// Appends the keys of `blob` to `keys` (views into blob). Returns "" or the error reply,
// e.g. "ERR invalid KEYBLOB: offsets are not non-decreasing".
std::string decode_key_blob(std::string_view blob, std::vector<std::string_view>& keys);

}  // namespace tessera::engine
