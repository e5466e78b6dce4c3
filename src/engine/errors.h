// The error texts clients see, exactly as Redis 7 words them. Command code uses these
// constants instead of spelling messages inline, so every message has one source.
#pragma once

#include <string>
#include <string_view>

#include "engine/string_util.h"

namespace tessera::engine::err {

inline constexpr std::string_view kSyntax = "ERR syntax error";
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
inline constexpr std::string_view kIncrFloatNanInf = "ERR increment would produce NaN or Infinity";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
inline constexpr std::string_view kInvalidExpire = "ERR invalid expire time in '%s' command";
inline constexpr std::string_view kDbIndexOutOfRange = "ERR DB index is out of range";
// An integer argument Redis reads as a C int (getIntFromObjectOrReply).
inline constexpr std::string_view kNotInt32 =
    "ERR value is out of range, value must between -2147483648 and 2147483647";
inline constexpr std::string_view kStringTooLong = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
inline constexpr std::string_view kOffsetOutOfRange = "ERR offset is out of range";
inline constexpr std::string_view kInvalidCursor = "ERR invalid cursor";

inline constexpr std::string_view kDecrementOverflow = "ERR decrement would overflow";
inline constexpr std::string_view kUnsupportedOptionPrefix = "ERR Unsupported option ";
inline constexpr std::string_view kExpireNxWithOthers =
    "ERR NX and XX, GT or LT options at the same time are not compatible";
inline constexpr std::string_view kExpireGtAndLt =
    "ERR GT and LT options at the same time are not compatible";
inline constexpr std::string_view kWrongArity = "ERR wrong number of arguments for '%s' command";

// kWrongArity for a subcommand of a container command, named as Redis 7 names it:
// "container|sub", the subcommand lower-cased ("ERR ... for 'config|set' command").
inline std::string subcommand_arity(std::string_view container, std::string_view sub) {
  const std::string name = std::string(container) + '|' + ascii_lowercase(sub);
  const size_t at = kWrongArity.find("%s");
  return std::string(kWrongArity.substr(0, at)) + name + std::string(kWrongArity.substr(at + 2));
}

}  // namespace tessera::engine::err
