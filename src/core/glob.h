// Redis-compatible glob matching (KEYS, SCAN MATCH, CONFIG GET, CLIENT KILL patterns):
// `*`, `?`, `[abc]`, `[^a-z]`, `\x` escapes, exactly as Redis's stringmatchlen, including
// its bound on backtracking for pathological patterns. Pure function, any thread.
#pragma once

#include <string_view>

namespace tessera::core {

bool glob_match(std::string_view pattern, std::string_view text, bool nocase = false);

}  // namespace tessera::core
