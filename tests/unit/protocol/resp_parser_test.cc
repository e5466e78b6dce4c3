// Tests for RespParser (resp_parser.h): multibulk and inline requests, incremental parsing
// at every split point, large bulks arriving in pieces (linear scanning), Redis 7.0's exact
// error texts, and sdssplitargs quoting. Expected behaviour was checked against
// redis-server 7.0.15 on loopback.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocol/resp_parser.h"

using tessera::protocol::ParseResult;
using tessera::protocol::ParseStatus;
using tessera::protocol::RespLimits;
using tessera::protocol::RespParser;

namespace {

using Args = std::vector<std::string>;

Args to_strings(const std::vector<std::string_view>& args) { return Args(args.begin(), args.end()); }

struct ParseAll {
  std::vector<Args> commands;  // empty commands included (as empty Args)
  std::vector<size_t> ends;    // end offset of each command in the input
  ParseStatus last = ParseStatus::kNeedMore;
  std::string error;
  size_t consumed = 0;
};

ParseAll parse_all(RespParser& parser, std::string_view input) {
  ParseAll out;
  std::vector<std::string_view> args;
  while (true) {
    ParseResult r = parser.parse(input.substr(out.consumed), args);
    out.last = r.status;
    if (r.status == ParseStatus::kError) {
      out.error = std::string(r.error);
      return out;
    }
    if (r.status == ParseStatus::kNeedMore) {
      CHECK(r.consumed == 0);
      return out;
    }
    REQUIRE(r.consumed > 0);
    out.consumed += r.consumed;
    out.commands.push_back(to_strings(args));
    out.ends.push_back(out.consumed);
  }
}

std::string parse_error(std::string_view input, const RespLimits& limits = {}) {
  RespParser parser(limits);
  return parse_all(parser, input).error;
}

std::string multibulk(const Args& args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (const auto& a : args) {
    s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  }
  return s;
}

// Parses one inline line; returns its args, or {"<error>"} on error.
Args inline_args(std::string_view line) {
  RespParser parser;
  std::vector<std::string_view> args;
  ParseResult r = parser.parse(line, args);
  if (r.status == ParseStatus::kError) {
    return {"<" + std::string(r.error) + ">"};
  }
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.consumed == line.size());
  return to_strings(args);
}

const std::string kBinary = std::string("a\r\nb\0c\r\n\n*1\r\n$", 15);

// A pipeline mixing every request shape; the expected commands follow it.
std::string mixed_pipeline() {
  return multibulk({"SET", "key:000001", "0123456789abcdef"}) + multibulk({"GET", "key:000001"}) +
         "*0\r\n" + "PING\r\n" + multibulk({"ECHO", kBinary}) + "*-1\r\n" + "\r\n" +
         "set k \"a b\\x41\" 'c\\'d'\n" + multibulk({"", "x"}) + "  \r\n" +
         multibulk({"MSET", "a", "1", "b", "2"}) + "GET plain\r\n";
}

const std::vector<Args> kMixedExpected = {
    {"SET", "key:000001", "0123456789abcdef"},
    {"GET", "key:000001"},
    {},
    {"PING"},
    {"ECHO", kBinary},
    {},
    {},
    {"set", "k", "a bA", "c'd"},
    {"", "x"},
    {},
    {"MSET", "a", "1", "b", "2"},
    {"GET", "plain"},
};

}  // namespace

TEST_CASE("multibulk: one command, args view the input") {
  RespParser parser;
  std::string in = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n";
  std::vector<std::string_view> args;
  ParseResult r = parser.parse(in, args);
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(r.consumed == in.size());
  REQUIRE(args.size() == 2);
  CHECK(args[0] == "GET");
  CHECK(args[1] == "key");
  CHECK(args[0].data() == in.data() + 8);
  CHECK(parser.needed_hint() == 0);
}

TEST_CASE("pipeline: many commands of every shape in one read") {
  RespParser parser;
  std::string in = mixed_pipeline();
  ParseAll all = parse_all(parser, in);
  CHECK(all.last == ParseStatus::kNeedMore);
  CHECK(all.consumed == in.size());
  CHECK(all.commands == kMixedExpected);
}

TEST_CASE("pipeline: every command split at every byte boundary") {
  std::string in = mixed_pipeline();
  RespParser reference;
  ParseAll all = parse_all(reference, in);
  REQUIRE(all.commands.size() == kMixedExpected.size());
  RespParser parser;
  std::vector<std::string_view> args;
  size_t start = 0;
  for (size_t c = 0; c < all.ends.size(); ++c) {
    size_t end = all.ends[c];
    for (size_t k = start; k < end; ++k) {
      std::string prefix = in.substr(start, k - start);  // its own buffer: memory moves
      ParseResult r = parser.parse(prefix, args);
      INFO("command " << c << " prefix " << (k - start));
      REQUIRE(r.status == ParseStatus::kNeedMore);
      CHECK(r.consumed == 0);
      if (parser.needed_hint() != 0) {
        CHECK(parser.needed_hint() > prefix.size());
        CHECK(parser.needed_hint() <= end - start);
      }
    }
    std::string rest = in.substr(start);
    ParseResult r = parser.parse(rest, args);
    INFO("command " << c);
    REQUIRE(r.status == ParseStatus::kOk);
    CHECK(r.consumed == end - start);
    CHECK(to_strings(args) == kMixedExpected[c]);
    start = end;
  }
}

TEST_CASE("pipeline: byte-by-byte growth of the whole pipeline gives the same commands") {
  std::string in = mixed_pipeline();
  RespParser parser;
  std::vector<std::string_view> args;
  std::vector<Args> got;
  std::string buffered;
  for (char ch : in) {
    buffered.push_back(ch);
    while (true) {
      std::string copy = buffered;  // the caller may move its bytes between calls
      ParseResult r = parser.parse(copy, args);
      REQUIRE(r.status != ParseStatus::kError);
      if (r.status == ParseStatus::kNeedMore) {
        break;
      }
      got.push_back(to_strings(args));
      buffered.erase(0, r.consumed);
    }
  }
  CHECK(buffered.empty());
  CHECK(got == kMixedExpected);
}

TEST_CASE("binary-safe bulks: CR, LF, NUL and protocol bytes inside") {
  std::string value("\r\n\0$3\r\n*2\r\n\xff", 13);
  RespParser parser;
  ParseAll all = parse_all(parser, multibulk({"SET", value, "x"}) + multibulk({"GET", value}));
  REQUIRE(all.commands.size() == 2);
  CHECK(all.commands[0] == Args{"SET", value, "x"});
  CHECK(all.commands[1] == Args{"GET", value});
  CHECK(multibulk({""}) == "*1\r\n$0\r\n\r\n");
  CHECK(parse_all(parser, multibulk({""})).commands == std::vector<Args>{{""}});
}

TEST_CASE("large bulk fed in small chunks is scanned once") {
  constexpr size_t kBulkLen = 8 * 1024 * 1024;
  constexpr size_t kChunk = 4096;
  std::string value(kBulkLen, 'v');
  value[0] = '\r';
  value[kBulkLen / 2] = '\n';
  std::string in = multibulk({"SET", "big", value});
  const size_t header_end = in.size() - kBulkLen - 2;  // where the payload starts

  RespParser parser;
  std::vector<std::string_view> args;
  std::string buffered;
  size_t scanned_before = parser.scanned_bytes();
  size_t calls = 0;
  ParseResult r{ParseStatus::kNeedMore};
  for (size_t off = 0; off < in.size(); off += kChunk) {
    buffered.append(in, off, kChunk);
    r = parser.parse(buffered, args);
    ++calls;
    if (r.status == ParseStatus::kOk) {
      break;
    }
    REQUIRE(r.status == ParseStatus::kNeedMore);
    if (buffered.size() > header_end) {
      CHECK(parser.needed_hint() == in.size());
    }
  }
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(calls == (in.size() + kChunk - 1) / kChunk);
  CHECK(r.consumed == in.size());
  REQUIRE(args.size() == 3);
  CHECK(args[2].size() == kBulkLen);
  CHECK(args[2] == value);
  // Only the headers were examined, never the 8 MiB payload, despite ~2000 calls.
  CHECK(parser.scanned_bytes() - scanned_before <= header_end);
  CHECK(parser.needed_hint() == 0);
}

TEST_CASE("proto-max-bulk-len: 512 MiB is accepted from its header, one more is not") {
  RespParser parser;
  std::vector<std::string_view> args;
  std::string header = "*2\r\n$3\r\nSET\r\n$536870912\r\n";
  ParseResult r = parser.parse(header, args);
  CHECK(r.status == ParseStatus::kNeedMore);
  CHECK(parser.needed_hint() == header.size() + 536870912 + 2);
  CHECK(parse_error("*1\r\n$536870913\r\n") == "ERR Protocol error: invalid bulk length");

  RespLimits small;
  small.proto_max_bulk_len = 10;
  CHECK(parse_error("*1\r\n$11\r\n", small) == "ERR Protocol error: invalid bulk length");
  RespParser limited(small);
  CHECK(parse_all(limited, "*1\r\n$10\r\n0123456789\r\n").commands.size() == 1);
}

TEST_CASE("bulk headers: the one-pass path (up to 18 digits) and the general one agree") {
  RespLimits unlimited;
  unlimited.proto_max_bulk_len = INT64_MAX;
  // 18 digits (one pass) and 19 digits (general path): both are lengths still to arrive.
  for (std::string digits : {std::string("100000000000000000"), std::string("1000000000000000000")}) {
    RespParser parser(unlimited);
    std::vector<std::string_view> args;
    std::string header = "*1\r\n$" + digits + "\r\n";
    CHECK(parser.parse(header, args).status == ParseStatus::kNeedMore);
    CHECK(parser.needed_hint() == header.size() + std::stoull(digits) + 2);
  }
  // Past INT64_MAX, a zero with a leading zero, and a header missing the byte after '\r'.
  CHECK(parse_error("*1\r\n$10000000000000000000\r\n", unlimited) == "ERR Protocol error: invalid bulk length");
  CHECK(parse_error("*1\r\n$00\r\n") == "ERR Protocol error: invalid bulk length");
  RespParser parser;
  std::vector<std::string_view> args;
  CHECK(parser.parse("*1\r\n$3\r", args).status == ParseStatus::kNeedMore);
  RespParser fresh;
  CHECK(parse_all(fresh, "*2\r\n$0\r\n\r\n$3\r\nabc\r\n").commands.at(0) == Args{"", "abc"});
}

TEST_CASE("inline line arriving byte by byte is scanned once") {
  std::string line = "SET k " + std::string(60000, 'x') + "\r\n";
  RespParser parser;
  std::vector<std::string_view> args;
  ParseResult r{ParseStatus::kNeedMore};
  for (size_t n = 1; n <= line.size(); ++n) {
    r = parser.parse(std::string_view(line).substr(0, n), args);
    if (n < line.size()) {
      REQUIRE(r.status == ParseStatus::kNeedMore);
    }
  }
  REQUIRE(r.status == ParseStatus::kOk);
  CHECK(args.size() == 3);
  CHECK(parser.scanned_bytes() == line.size());
}

TEST_CASE("empty commands are consumed with zero args") {
  for (std::string in : {"*0\r\n", "*-1\r\n", "*-5\r\n", "\r\n", "\n", "   \r\n", " \t\v\f\n"}) {
    RespParser parser;
    std::vector<std::string_view> args{"stale"};
    ParseResult r = parser.parse(in, args);
    INFO(in);
    CHECK(r.status == ParseStatus::kOk);
    CHECK(r.consumed == in.size());
    CHECK(args.empty());
  }
  RespParser parser;
  std::vector<std::string_view> args;
  CHECK(parser.parse("", args).status == ParseStatus::kNeedMore);
}

TEST_CASE("malformed multibulk: exact Redis 7.0 error texts") {
  const std::string kMbulk = "ERR Protocol error: invalid multibulk length";
  const std::string kBulk = "ERR Protocol error: invalid bulk length";
  for (std::string in : {"*abc\r\n", "*01\r\n", "*-0\r\n", "*+1\r\n", "*\r\n", "*1 \r\n",
                         "*2147483648\r\n", "*99999999999999999999\r\n", "*123456789012345678901\r\n"}) {
    INFO(in);
    CHECK(parse_error(in) == kMbulk);
  }
  for (std::string in : {"*1\r\n$-1\r\n", "*1\r\n$04\r\n", "*1\r\n$abc\r\n", "*1\r\n$\r\n",
                         "*1\r\n$+3\r\n", "*1\r\n$3 \r\n", "*1\r\n$-0\r\n"}) {
    INFO(in);
    CHECK(parse_error(in) == kBulk);
  }
  CHECK(parse_error("*1\r\nx\r\n") == "ERR Protocol error: expected '$', got 'x'");
  CHECK(parse_error("*1\r\n:1\r\n") == "ERR Protocol error: expected '$', got ':'");
  CHECK(parse_error("*1\r\n\xff\r\n") == "ERR Protocol error: expected '$', got '\xff'");
  // addReplyErrorFormat maps CR/LF to spaces; a NUL ends the formatted text.
  CHECK(parse_error("*1\r\n\r\r\n") == "ERR Protocol error: expected '$', got ' '");
  CHECK(parse_error("*1\r\n\n\r\n") == "ERR Protocol error: expected '$', got ' '");
  CHECK(parse_error(std::string("*1\r\n\0\r\n", 7)) == "ERR Protocol error: expected '$', got '");
  CHECK(parse_error("*2\r\n$1\r\na\r\n*1\r\n") == "ERR Protocol error: expected '$', got '*'");
  // The largest count Redis 7.0 accepts (INT_MAX) waits for its arguments.
  RespParser parser;
  std::vector<std::string_view> args;
  CHECK(parser.parse("*2147483647\r\n", args).status == ParseStatus::kNeedMore);
}

TEST_CASE("too big headers and inline lines: the 64 KiB boundary") {
  constexpr size_t kMax = 64 * 1024;
  CHECK(parse_error("*" + std::string(kMax, '1')) == "ERR Protocol error: too big mbulk count string");
  CHECK(parse_error("*" + std::string(kMax - 1, '1')).empty());
  CHECK(parse_error("*1\r\n$" + std::string(kMax, '1')) ==
        "ERR Protocol error: too big bulk count string");
  CHECK(parse_error("*1\r\n$" + std::string(kMax - 1, '1')).empty());
  CHECK(parse_error(std::string(kMax + 1, 'a')) == "ERR Protocol error: too big inline request");
  CHECK(parse_error(std::string(kMax, 'a')).empty());
  // A '\r' as the last byte means "wait", whatever the size (Redis checks size only without one).
  CHECK(parse_error("*" + std::string(kMax + 10, '1') + "\r").empty());
  // A line longer than 64 KiB is fine when its newline is already there.
  Args big = inline_args("echo " + std::string(70000, 'x') + "\r\n");
  CHECK(big.size() == 2);
  CHECK(big[1].size() == 70000);
}

TEST_CASE("errors come after the complete commands before them") {
  RespParser parser;
  ParseAll all = parse_all(parser, "PING\r\n" + multibulk({"GET", "a"}) + "*x\r\nPING\r\n");
  CHECK(all.commands == std::vector<Args>{{"PING"}, {"GET", "a"}});
  CHECK(all.error == "ERR Protocol error: invalid multibulk length");
  // After an error and reset() the parser starts clean.
  parser.reset();
  CHECK(parse_all(parser, "PING\r\n").commands == std::vector<Args>{{"PING"}});
}

TEST_CASE("Redis quirks: the bytes after CR and after a payload are not checked") {
  RespParser parser;
  CHECK(parse_all(parser, "*1\r\n$4\r\nPINGxyPING\r\n").commands ==
        std::vector<Args>{{"PING"}, {"PING"}});
  CHECK(parse_all(parser, "*1\rX$4\rYPINGzz").commands == std::vector<Args>{{"PING"}});
}

TEST_CASE("reset() forgets a partial command") {
  RespParser parser;
  std::vector<std::string_view> args;
  CHECK(parser.parse("*2\r\n$3\r\nGET\r\n$100\r\nabc", args).status == ParseStatus::kNeedMore);
  CHECK(parser.needed_hint() == 121);
  parser.reset();
  CHECK(parser.needed_hint() == 0);
  CHECK(parse_all(parser, "PING\r\n").commands == std::vector<Args>{{"PING"}});
}

TEST_CASE("inline: sdssplitargs quoting") {
  CHECK(inline_args("GET key\r\n") == Args{"GET", "key"});
  CHECK(inline_args("GET key\n") == Args{"GET", "key"});
  CHECK(inline_args("  GET \t key  \r\n") == Args{"GET", "key"});
  CHECK(inline_args("\v echo x\r\n") == Args{"echo", "x"});
  CHECK(inline_args("echo a\tb\vc\r\n") == Args{"echo", "a", "b\vc"});
  CHECK(inline_args("echo a\rb\n") == Args{"echo", "a", "b"});
  CHECK(inline_args("echo a\r\r\n") == Args{"echo", "a"});
  CHECK(inline_args("echo \"\"\r\n") == Args{"echo", ""});
  CHECK(inline_args("echo ''\r\n") == Args{"echo", ""});
  CHECK(inline_args("echo \"a b\"\r\n") == Args{"echo", "a b"});
  CHECK(inline_args("echo \"a\\x41\\x4\\n\"\r\n") == Args{"echo", "aAx4\n"});
  CHECK(inline_args("echo \"\\xff\\x00\\xZZ\"\r\n") == Args{"echo", std::string("\xff\0xZZ", 5)});
  CHECK(inline_args("echo \"\\r\\t\\b\\a\\q\\\\\\\"\"\r\n") == Args{"echo", "\r\t\b\aq\\\""});
  CHECK(inline_args("echo 'a\\'b'\r\n") == Args{"echo", "a'b"});
  CHECK(inline_args("echo 'a\\nb\\x41'\r\n") == Args{"echo", "a\\nb\\x41"});
  CHECK(inline_args("echo a\"b c\"\r\n") == Args{"echo", "ab c"});
  CHECK(inline_args("echo \"a\"\vb\r\n") == Args{"echo", "a", "b"});
  CHECK(inline_args("echo \"a\"\tb\r\n") == Args{"echo", "a", "b"});
  // The line is a C string to sdssplitargs: a NUL ends it.
  CHECK(inline_args(std::string("echo a\0b c\r\n", 12)) == Args{"echo", "a"});
}

TEST_CASE("inline: unbalanced quotes") {
  const Args kUnbalanced = {"<ERR Protocol error: unbalanced quotes in request>"};
  for (std::string line : {"set a \"b\"c\r\n", "echo \"unb\r\n", "echo 'x\r\n", "echo 'a'b\r\n",
                           "echo \"\\\"\r\n", "echo \"a\\\r\n", "echo \"x\"\"\r\n"}) {
    INFO(line);
    CHECK(inline_args(line) == kUnbalanced);
  }
}

TEST_CASE("inline: plain args view the input, unescaped ones parser storage") {
  RespParser parser;
  std::string in = "SET \"k\\x41\" plain \"quoted\"\r\n";
  std::vector<std::string_view> args;
  ParseResult r = parser.parse(in, args);
  REQUIRE(r.status == ParseStatus::kOk);
  REQUIRE(args.size() == 4);
  auto inside = [&](std::string_view a) {
    return a.data() >= in.data() && a.data() + a.size() <= in.data() + in.size();
  };
  CHECK(inside(args[0]));
  CHECK(!inside(args[1]));
  CHECK(args[1] == "kA");
  CHECK(inside(args[2]));
  CHECK(inside(args[3]));
  CHECK(args[3] == "quoted");
}
