// glob_match against Redis stringmatchlen behaviour.
#include "core/glob.h"

#include <doctest/doctest.h>

#include <string>

using tessera::core::glob_match;

TEST_CASE("literals, ? and *") {
  CHECK(glob_match("", ""));
  CHECK_FALSE(glob_match("", "a"));
  CHECK(glob_match("*", ""));        // KEYS * / SCAN report the empty key
  CHECK_FALSE(glob_match("**", ""));  // stringmatchlen's own answer
  CHECK_FALSE(glob_match("?", ""));
  CHECK(glob_match("*", "anything"));
  CHECK(glob_match("**", "x"));
  CHECK(glob_match("hello", "hello"));
  CHECK_FALSE(glob_match("hello", "hell"));
  CHECK_FALSE(glob_match("hell", "hello"));
  CHECK(glob_match("h?llo", "hallo"));
  CHECK_FALSE(glob_match("h?llo", "hllo"));
  CHECK(glob_match("h*llo", "hllo"));
  CHECK(glob_match("h*llo", "heeeello"));
  CHECK(glob_match("user:*", "user:42"));
  CHECK_FALSE(glob_match("user:*", "users:42"));
  CHECK(glob_match("*:*:*", "a:b:c"));
  CHECK(glob_match("a*", "a"));
  CHECK(glob_match("a**", "a"));
  CHECK_FALSE(glob_match("a*?", "a"));
}

TEST_CASE("brackets, ranges, negation") {
  CHECK(glob_match("h[ae]llo", "hello"));
  CHECK(glob_match("h[ae]llo", "hallo"));
  CHECK_FALSE(glob_match("h[ae]llo", "hillo"));
  CHECK(glob_match("h[^e]llo", "hallo"));
  CHECK_FALSE(glob_match("h[^e]llo", "hello"));
  CHECK(glob_match("h[a-b]llo", "hbllo"));
  CHECK_FALSE(glob_match("h[a-b]llo", "hcllo"));
  CHECK(glob_match("h[b-a]llo", "hallo"));  // reversed range
  CHECK(glob_match("[0-9][0-9]", "42"));
  CHECK(glob_match("[\\]]", "]"));
  CHECK(glob_match("[\\-]", "-"));
  CHECK(glob_match("[abc", "a"));  // unterminated: matches to the end of the pattern
  CHECK(glob_match("[a-]", "]"));  // Redis quirk: the range from ']' to 'a'
}

TEST_CASE("escapes and nocase") {
  CHECK(glob_match("\\*", "*"));
  CHECK_FALSE(glob_match("\\*", "a"));
  CHECK(glob_match("a\\?b", "a?b"));
  CHECK_FALSE(glob_match("a\\?b", "axb"));
  CHECK(glob_match("\\", "\\"));  // trailing backslash is literal
  CHECK(glob_match("HeLLo", "hello", true));
  CHECK_FALSE(glob_match("HeLLo", "hello", false));
  CHECK(glob_match("[A-Z]", "q", true));
  CHECK_FALSE(glob_match("[A-Z]", "q", false));
  CHECK(glob_match("[Q]", "q", true));
}

TEST_CASE("binary bytes and embedded NULs") {
  std::string text("a\0b", 3);
  CHECK(glob_match(std::string("a\0b", 3), text));
  CHECK(glob_match("a?b", text));
  CHECK(glob_match("*b", text));
  CHECK_FALSE(glob_match("ab", text));
  CHECK(glob_match("\xff*", "\xff\xfe"));
}

TEST_CASE("pathological patterns finish quickly") {
  std::string pattern;
  for (int i = 0; i < 40; ++i) {
    pattern += "a*";
  }
  pattern += "b";
  std::string text(200, 'a');
  CHECK_FALSE(glob_match(pattern, text));
  std::string deep(5000, '*');
  deep += "x";
  CHECK(glob_match(deep, "yyyx"));
}
