// Redis-exact number parsing and formatting (see string_util.h).
#include "engine/string_util.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace tessera::engine {

std::optional<int64_t> parse_int64(std::string_view s) {
  if (s.empty() || s.size() > kInt64TextMax) {
    return std::nullopt;
  }
  if (s.size() == 1 && s[0] == '0') {
    return 0;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    i = 1;
    if (s.size() == 1) {
      return std::nullopt;
    }
  }
  // The first digit must be 1-9: no leading zeros, and "-0" is not canonical.
  if (s[i] < '1' || s[i] > '9') {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) {
      return std::nullopt;
    }
    v = v * 10 + digit;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) {
      return std::nullopt;
    }
    return static_cast<int64_t>(0 - v);
  }
  if (v > static_cast<uint64_t>(INT64_MAX)) {
    return std::nullopt;
  }
  return static_cast<int64_t>(v);
}

std::optional<long double> parse_long_double(std::string_view s) {
  char buf[kLongDoubleTextMax];
  if (s.empty() || s.size() >= sizeof buf) {
    return std::nullopt;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  errno = 0;
  char* end = nullptr;
  long double v = std::strtold(buf, &end);
  // end must reach the real end: an embedded NUL would stop strtold early.
  if (std::isspace(static_cast<unsigned char>(buf[0])) || end != buf + s.size() ||
      (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0)) || errno == EINVAL ||
      std::isnan(v)) {
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> parse_cursor(std::string_view s) {
  char buf[kInt64TextMax + 2];
  if (s.size() >= sizeof buf) {
    return std::nullopt;  // too long for any valid cursor (strtoul would hit ERANGE)
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(buf, &end, 10);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' || errno == ERANGE) {
    return std::nullopt;
  }
  return static_cast<uint64_t>(v);
}

size_t format_int64(char* out, int64_t v) {
  auto result = std::to_chars(out, out + kInt64TextMax, v);
  return static_cast<size_t>(result.ptr - out);
}

size_t format_uint64(char* out, uint64_t v) {
  auto result = std::to_chars(out, out + kInt64TextMax, v);
  return static_cast<size_t>(result.ptr - out);
}

size_t format_long_double(char* out, long double v) {
  int n = std::snprintf(out, kLongDoubleTextMax, "%.17Lf", v);
  if (n < 0 || static_cast<size_t>(n) + 1 > kLongDoubleTextMax) {
    return 0;
  }
  size_t len = static_cast<size_t>(n);
  if (std::memchr(out, '.', len) != nullptr) {
    while (out[len - 1] == '0') {
      --len;
    }
    if (out[len - 1] == '.') {
      --len;
    }
  }
  if (len == 2 && out[0] == '-' && out[1] == '0') {
    out[0] = '0';
    len = 1;
  }
  return len;
}

}  // namespace tessera::engine
