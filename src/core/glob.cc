// glob_match: a port of Redis's stringmatchlen (util.c, Redis 7.x), over string_view
// instead of NUL-terminated buffers. Semantics kept exactly, including its quirks: a
// '[' without ']' matches up to the pattern end, "[a-]" is a range ending at ']', ranges
// compare (signed) chars, a '\' inside brackets escapes one character case-sensitively.
//
// Backtracking bound: each '*' recurses; two guards keep pathological patterns such as
// "a*a*a*a*...b" polynomial: recursion deeper than kMaxNesting fails the match, and once
// the rest of the pattern after a '*' failed to match at every later position, no
// earlier '*' retries longer matches (Redis's skipLongerMatches).
//
// One deliberate difference: the pattern "*" matches the empty string (Redis's KEYS/SCAN
// shortcut for "*"), where stringmatchlen alone would not; "**" keeps Redis's behaviour.
//
// Pure function; any thread.
#include "core/glob.h"

#include <cstddef>

namespace tessera::core {
namespace {

constexpr int kMaxNesting = 1000;  // Redis: "Protection against abusive patterns"

int to_lower(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

// Chars as Redis sees them (char is signed on x86-64 Linux).
int char_at(const char* p) { return static_cast<int>(static_cast<signed char>(*p)); }

bool match_impl(const char* pattern, size_t pattern_len, const char* str, size_t str_len,
                bool nocase, bool* skip_longer, int nesting) {
  if (nesting > kMaxNesting) {
    return false;
  }
  while (pattern_len != 0 && str_len != 0) {
    switch (pattern[0]) {
      case '*': {
        while (pattern_len > 1 && pattern[1] == '*') {
          ++pattern;
          --pattern_len;
        }
        if (pattern_len == 1) {
          return true;
        }
        while (str_len != 0) {
          if (match_impl(pattern + 1, pattern_len - 1, str, str_len, nocase, skip_longer,
                         nesting + 1)) {
            return true;
          }
          if (*skip_longer) {
            return false;
          }
          ++str;
          --str_len;
        }
        *skip_longer = true;
        return false;
      }
      case '?':
        ++str;
        --str_len;
        break;
      case '[': {
        ++pattern;
        --pattern_len;
        bool negate = pattern_len != 0 && pattern[0] == '^';
        if (negate) {
          ++pattern;
          --pattern_len;
        }
        bool match = false;
        for (;;) {
          if (pattern_len == 0) {
            --pattern;  // unterminated class: stay on the last character
            ++pattern_len;
            break;
          }
          if (pattern[0] == '\\' && pattern_len >= 2) {
            ++pattern;
            --pattern_len;
            if (pattern[0] == str[0]) {
              match = true;
            }
          } else if (pattern[0] == ']') {
            break;
          } else if (pattern_len >= 3 && pattern[1] == '-') {
            int start = char_at(pattern);
            int end = char_at(pattern + 2);
            int c = char_at(str);
            if (start > end) {
              int t = start;
              start = end;
              end = t;
            }
            if (nocase) {
              start = to_lower(start);
              end = to_lower(end);
              c = to_lower(c);
            }
            pattern += 2;
            pattern_len -= 2;
            if (c >= start && c <= end) {
              match = true;
            }
          } else if (!nocase ? pattern[0] == str[0]
                             : to_lower(char_at(pattern)) == to_lower(char_at(str))) {
            match = true;
          }
          ++pattern;
          --pattern_len;
        }
        if (negate) {
          match = !match;
        }
        if (!match) {
          return false;
        }
        ++str;
        --str_len;
        break;
      }
      case '\\':
        if (pattern_len >= 2) {
          ++pattern;
          --pattern_len;
        }
        [[fallthrough]];
      default:
        if (!nocase ? pattern[0] != str[0]
                    : to_lower(char_at(pattern)) != to_lower(char_at(str))) {
          return false;
        }
        ++str;
        --str_len;
        break;
    }
    ++pattern;
    --pattern_len;
    if (str_len == 0) {
      while (pattern_len != 0 && pattern[0] == '*') {
        ++pattern;
        --pattern_len;
      }
      break;
    }
  }
  return pattern_len == 0 && str_len == 0;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool nocase) {
  // stringmatchlen("*", "") is false, but KEYS and SCAN treat a lone "*" as "all keys"
  // before matching, so the empty key is reported; do the same here for every caller.
  if (pattern == "*") {
    return true;
  }
  bool skip_longer = false;
  return match_impl(pattern.data(), pattern.size(), text.data(), text.size(), nocase,
                    &skip_longer, 0);
}

}  // namespace tessera::core
