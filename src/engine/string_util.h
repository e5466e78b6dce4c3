// Number parsing and formatting with Redis's exact rules, for the string and key command
// families: string2ll (strict int64: no spaces, no '+', no leading zeros, no "-0"),
// string2ld (long double through strtold, rejecting spaces, NaN and overflow), ld2string's
// human form ("%.17Lf" with trailing zeros trimmed), and the cursor parse of SCAN.
//
// Pure functions over caller memory; any thread. No allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessera::engine {

// Redis's proto-max-bulk-len default: the largest string APPEND/SETRANGE may build.
inline constexpr int64_t kProtoMaxBulkLen = 512LL * 1024 * 1024;

// Longest decimal text of an int64 ("-9223372036854775808").
inline constexpr size_t kInt64TextMax = 20;
// Redis's MAX_LONG_DOUBLE_CHARS: bound on float inputs and on the formatted result.
inline constexpr size_t kLongDoubleTextMax = 5 * 1024;

// Strict int64 parse (Redis string2ll). Nullopt on any deviation or overflow.
std::optional<int64_t> parse_int64(std::string_view s);

// Long double parse (Redis string2ld). Accepts "inf"; rejects NaN, leading spaces,
// trailing bytes, overflow and empty input.
std::optional<long double> parse_long_double(std::string_view s);

// SCAN cursor (Redis parseScanCursorOrReply: strtoul base 10, so a sign is accepted and
// "-1" wraps; "" is 0). Nullopt on leading space, trailing bytes or overflow.
std::optional<uint64_t> parse_cursor(std::string_view s);

// Writes the decimal text of `v` to `out` (at least kInt64TextMax bytes); returns length.
size_t format_int64(char* out, int64_t v);
size_t format_uint64(char* out, uint64_t v);

// Redis ld2string(LD_STR_HUMAN): "%.17Lf", trailing zeros and a bare '.' trimmed, "-0"
// becomes "0". REQUIRES: `v` finite; `out` holds kLongDoubleTextMax bytes. Returns the
// length, or 0 if the text does not fit.
size_t format_long_double(char* out, long double v);

// What C's "%s" prints of an argument, as Redis's error texts echo it: the bytes before its
// first NUL.
inline std::string_view as_c_string(std::string_view arg) { return arg.substr(0, arg.find('\0')); }

// ASCII lower and upper case (command, subcommand and option names).
inline char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
inline char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string ascii_lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = ascii_lower(c);
  }
  return out;
}

inline std::string ascii_uppercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = ascii_upper(c);
  }
  return out;
}

// ASCII case-insensitive equality for option names.
inline bool equals_nocase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) {
      return false;
    }
  }
  return true;
}

}  // namespace tessera::engine
