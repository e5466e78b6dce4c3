// String command family (string_commands.cc, string_edit_commands.cc): every command,
// option and error path, with replies and error texts checked against Redis 7.0.
#include <doctest/doctest.h>

#include <string>

#include "engine/string_util.h"
#include "command_test_util.h"

namespace tessera::engine {
namespace {

using test::TestServer;

constexpr std::string_view kSyntax = "(error) ERR syntax error";
constexpr std::string_view kNotInt = "(error) ERR value is not an integer or out of range";
constexpr std::string_view kNotFloat = "(error) ERR value is not a valid float";

TEST_CASE("string_util: strict integer parsing as Redis string2ll") {
  CHECK(parse_int64("0") == 0);
  CHECK(parse_int64("-1") == -1);
  CHECK(parse_int64("9223372036854775807") == INT64_MAX);
  CHECK(parse_int64("-9223372036854775808") == INT64_MIN);
  for (std::string_view bad : {"", "-", "+1", "01", "-0", " 1", "1 ", "1a", "9223372036854775808",
                               "-9223372036854775809", "99999999999999999999"}) {
    CHECK_MESSAGE(!parse_int64(bad), bad);
  }
}

TEST_CASE("string_util: long double parsing and human formatting") {
  CHECK(parse_long_double("1.5") == 1.5L);
  CHECK(parse_long_double("inf"));
  CHECK(!parse_long_double("nan"));
  CHECK(!parse_long_double(" 1"));
  CHECK(!parse_long_double("1x"));
  CHECK(!parse_long_double(std::string_view("1\0" "2", 3)));  // strtold stops at the NUL
  CHECK(!parse_long_double(""));
  char buf[kLongDoubleTextMax];
  auto fmt = [&](long double v) { return std::string(buf, format_long_double(buf, v)); };
  CHECK(fmt(10.6L) == "10.6");
  CHECK(fmt(3.0L) == "3");
  CHECK(fmt(-0.0L) == "0");
  CHECK(fmt(1e20L) == "100000000000000000000");
  CHECK(fmt(0.1L) == "0.1");
}

TEST_CASE("string_util: SCAN cursor parsing as strtoul") {
  CHECK(parse_cursor("0") == 0u);
  CHECK(parse_cursor("") == 0u);
  CHECK(parse_cursor("18446744073709551615") == UINT64_MAX);
  CHECK(parse_cursor("-1") == UINT64_MAX);
  CHECK(!parse_cursor("abc"));
  CHECK(!parse_cursor(" 1"));
  CHECK(!parse_cursor("18446744073709551616"));
}

TEST_CASE("GET and SET basics") {
  TestServer s;
  CHECK(s.run({"get", "k"}) == "(nil)");
  CHECK(s.run({"set", "k", "v"}) == "OK");
  CHECK(s.run({"get", "k"}) == "\"v\"");
  CHECK(s.run({"set", "n", "12345"}) == "OK");
  CHECK(s.run({"get", "n"}) == "\"12345\"");
  CHECK(s.run({"set", "n", "-9223372036854775808"}) == "OK");
  CHECK(s.run({"get", "n"}) == "\"-9223372036854775808\"");
  CHECK(s.run({"set", "e", ""}) == "OK");
  CHECK(s.run({"get", "e"}) == "\"\"");
  CHECK(s.run({"get"}) == "(error) ERR wrong number of arguments for 'get' command");
  CHECK(s.run({"set", "k"}) == "(error) ERR wrong number of arguments for 'set' command");
}

TEST_CASE("SET NX XX GET") {
  TestServer s;
  CHECK(s.run({"set", "k", "1", "xx"}) == "(nil)");
  CHECK(s.run({"set", "k", "1", "NX"}) == "OK");
  CHECK(s.run({"set", "k", "2", "nx"}) == "(nil)");
  CHECK(s.run({"set", "k", "3", "xx"}) == "OK");
  CHECK(s.run({"set", "k", "4", "get"}) == "\"3\"");
  CHECK(s.run({"set", "k", "5", "nx", "get"}) == "\"4\"");
  CHECK(s.run({"get", "k"}) == "\"4\"");
  CHECK(s.run({"set", "new", "x", "GET"}) == "(nil)");
  CHECK(s.run({"get", "new"}) == "\"x\"");
  CHECK(s.run({"set", "none", "x", "xx", "get"}) == "(nil)");
  CHECK(s.run({"get", "none"}) == "(nil)");
  CHECK(s.run({"set", "k", "v", "nx", "xx"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "xx", "nx"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "bogus"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "persist"}) == kSyntax);
}

TEST_CASE("SET expiry options and their combination errors") {
  TestServer s;
  CHECK(s.run({"set", "k", "v", "ex", "10"}) == "OK");
  CHECK(s.run({"pttl", "k"}) == "(integer) 10000");
  CHECK(s.run({"set", "k", "v", "px", "1500"}) == "OK");
  CHECK(s.run({"pttl", "k"}) == "(integer) 1500");
  CHECK(s.run({"set", "k", "v", "exat", std::to_string(test::kStartMs / 1000 + 20)}) == "OK");
  CHECK(s.run({"pttl", "k"}) == "(integer) 20000");
  CHECK(s.run({"set", "k", "v", "pxat", std::to_string(test::kStartMs + 30)}) == "OK");
  CHECK(s.run({"pttl", "k"}) == "(integer) 30");
  CHECK(s.run({"set", "k", "v2", "keepttl"}) == "OK");
  CHECK(s.run({"pttl", "k"}) == "(integer) 30");
  CHECK(s.run({"set", "k", "v3"}) == "OK");
  CHECK(s.run({"pttl", "k"}) == "(integer) -1");
  CHECK(s.run({"set", "k", "v", "ex", "5", "ex", "7"}) == "OK");  // same option repeated
  CHECK(s.run({"ttl", "k"}) == "(integer) 7");
  // An absolute time in the past stores an already-expired key.
  CHECK(s.run({"set", "k", "v", "pxat", "1"}) == "OK");
  CHECK(s.run({"get", "k"}) == "(nil)");
  // KEEPTTL on a key whose time has passed keeps nothing: the key was already gone.
  CHECK(s.run({"set", "k", "v", "pxat", "1"}) == "OK");
  CHECK(s.run({"set", "k", "v2", "keepttl"}) == "OK");
  CHECK(s.run({"get", "k"}) == "\"v2\"");
  CHECK(s.run({"pttl", "k"}) == "(integer) -1");
  CHECK(s.run({"set", "k", "v", "pxat", std::to_string(test::kStartMs + 30)}) == "OK");
  s.now_ms += 30;
  CHECK(s.run({"set", "k", "v3", "keepttl", "get"}) == "(nil)");
  CHECK(s.run({"pttl", "k"}) == "(integer) -1");
  s.now_ms -= 30;

  CHECK(s.run({"set", "k", "v", "ex", "10", "px", "5"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "ex", "10", "exat", "5"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "pxat", "10", "px", "5"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "keepttl", "ex", "5"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "ex", "5", "keepttl"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "ex"}) == kSyntax);
  CHECK(s.run({"set", "k", "v", "ex", "abc"}) == kNotInt);
  CHECK(s.run({"set", "k", "v", "ex", "0"}) ==
        "(error) ERR invalid expire time in 'set' command");
  CHECK(s.run({"set", "k", "v", "px", "-5"}) ==
        "(error) ERR invalid expire time in 'set' command");
  CHECK(s.run({"set", "k", "v", "exat", "0"}) ==
        "(error) ERR invalid expire time in 'set' command");
  CHECK(s.run({"set", "k", "v", "ex", "9223372036854775"}) ==
        "(error) ERR invalid expire time in 'set' command");  // overflows with now added
  CHECK(s.run({"set", "k", "v", "ex", "9223372036854776"}) ==
        "(error) ERR invalid expire time in 'set' command");  // overflows * 1000
  CHECK(s.run({"set", "k", "v", "px", "9223372036854775807"}) ==
        "(error) ERR invalid expire time in 'set' command");
  CHECK(s.run({"set", "k", "v", "exat", "9223372036854775807"}) ==
        "(error) ERR invalid expire time in 'set' command");
}

TEST_CASE("keys expire lazily when time passes") {
  TestServer s;
  CHECK(s.run({"set", "k", "v", "px", "100"}) == "OK");
  s.now_ms += 99;
  CHECK(s.run({"get", "k"}) == "\"v\"");
  s.now_ms += 1;
  CHECK(s.run({"get", "k"}) == "(nil)");
}

TEST_CASE("SETNX SETEX PSETEX") {
  TestServer s;
  CHECK(s.run({"setnx", "k", "a"}) == "(integer) 1");
  CHECK(s.run({"setnx", "k", "b"}) == "(integer) 0");
  CHECK(s.run({"get", "k"}) == "\"a\"");
  CHECK(s.run({"setex", "k", "100", "b"}) == "OK");
  CHECK(s.run({"get", "k"}) == "\"b\"");
  CHECK(s.run({"ttl", "k"}) == "(integer) 100");
  CHECK(s.run({"psetex", "k", "2500", "c"}) == "OK");
  CHECK(s.run({"pttl", "k"}) == "(integer) 2500");
  CHECK(s.run({"setex", "k", "0", "v"}) == "(error) ERR invalid expire time in 'setex' command");
  CHECK(s.run({"setex", "k", "-1", "v"}) ==
        "(error) ERR invalid expire time in 'setex' command");
  CHECK(s.run({"psetex", "k", "-1", "v"}) ==
        "(error) ERR invalid expire time in 'psetex' command");
  CHECK(s.run({"setex", "k", "x", "v"}) == kNotInt);
  CHECK(s.run({"setex", "k", "1"}) == "(error) ERR wrong number of arguments for 'setex' command");
}

TEST_CASE("GETSET clears the TTL, GETDEL deletes") {
  TestServer s;
  CHECK(s.run({"getset", "k", "a"}) == "(nil)");
  CHECK(s.run({"expire", "k", "100"}) == "(integer) 1");
  CHECK(s.run({"getset", "k", "b"}) == "\"a\"");
  CHECK(s.run({"ttl", "k"}) == "(integer) -1");
  CHECK(s.run({"getdel", "k"}) == "\"b\"");
  CHECK(s.run({"getdel", "k"}) == "(nil)");
  CHECK(s.run({"exists", "k"}) == "(integer) 0");
}

TEST_CASE("GETEX") {
  TestServer s;
  CHECK(s.run({"getex", "k"}) == "(nil)");
  CHECK(s.run({"getex", "k", "ex", "0"}) == "(nil)");  // missing key wins over bad expiry
  CHECK(s.run({"set", "k", "v"}) == "OK");
  CHECK(s.run({"getex", "k"}) == "\"v\"");
  CHECK(s.run({"getex", "k", "ex", "50"}) == "\"v\"");
  CHECK(s.run({"ttl", "k"}) == "(integer) 50");
  CHECK(s.run({"getex", "k", "px", "700"}) == "\"v\"");
  CHECK(s.run({"pttl", "k"}) == "(integer) 700");
  CHECK(s.run({"getex", "k", "exat", std::to_string(test::kStartMs / 1000 + 9)}) == "\"v\"");
  CHECK(s.run({"ttl", "k"}) == "(integer) 9");
  CHECK(s.run({"getex", "k", "pxat", std::to_string(test::kStartMs + 5)}) == "\"v\"");
  CHECK(s.run({"pttl", "k"}) == "(integer) 5");
  CHECK(s.run({"getex", "k", "persist"}) == "\"v\"");
  CHECK(s.run({"ttl", "k"}) == "(integer) -1");
  CHECK(s.run({"getex", "k", "ex", "0"}) == "(error) ERR invalid expire time in 'getex' command");
  CHECK(s.run({"getex", "k", "px", "x"}) == kNotInt);
  CHECK(s.run({"getex", "k", "persist", "ex", "5"}) == kSyntax);
  CHECK(s.run({"getex", "k", "ex", "5", "persist"}) == kSyntax);
  CHECK(s.run({"getex", "k", "ex", "5", "px", "5"}) == kSyntax);
  CHECK(s.run({"getex", "k", "nx"}) == kSyntax);
  CHECK(s.run({"getex", "k", "keepttl"}) == kSyntax);
  CHECK(s.run({"getex", "k", "foo"}) == kSyntax);
  // An absolute time in the past replies the value, then deletes the key.
  CHECK(s.run({"getex", "k", "exat", "1"}) == "\"v\"");
  CHECK(s.run({"exists", "k"}) == "(integer) 0");
}

TEST_CASE("MGET MSET MSETNX on one shard") {
  TestServer s;
  CHECK(s.run({"mset", "a", "1", "b", "2"}) == "OK");
  CHECK(s.run({"mget", "a", "x", "b", "a"}) == "[\"1\", (nil), \"2\", \"1\"]");
  CHECK(s.run({"mset", "a"}) == "(error) ERR wrong number of arguments for 'mset' command");
  CHECK(s.run({"mset", "a", "1", "b"}) ==
        "(error) ERR wrong number of arguments for 'mset' command");
  CHECK(s.run({"msetnx", "a", "1", "b"}) ==
        "(error) ERR wrong number of arguments for 'msetnx' command");
  CHECK(s.run({"msetnx", "c", "3", "a", "9"}) == "(integer) 0");
  CHECK(s.run({"exists", "c"}) == "(integer) 0");
  CHECK(s.run({"msetnx", "c", "3", "d", "4"}) == "(integer) 1");
  CHECK(s.run({"mget", "c", "d"}) == "[\"3\", \"4\"]");
  CHECK(s.run({"expire", "a", "10"}) == "(integer) 1");
  CHECK(s.run({"mset", "a", "5"}) == "OK");
  CHECK(s.run({"ttl", "a"}) == "(integer) -1");  // MSET clears the TTL
}

TEST_CASE("MGET and MSET split over four shards join in key order") {
  TestServer s(4);
  std::vector<std::string> mset = {"mset"};
  std::vector<std::string> mget = {"mget"};
  std::string expected = "[";
  for (int i = 0; i < 20; ++i) {
    std::string key = "key:" + std::to_string(i);
    mset.push_back(key);
    mset.push_back("v" + std::to_string(i));
    mget.push_back(key);
    mget.push_back("missing:" + std::to_string(i));
    expected += (i ? ", \"v" : "\"v") + std::to_string(i) + "\", (nil)";
  }
  expected += "]";
  CHECK(render(s.call(mset)) == "OK");
  CHECK(render(s.call(mget)) == expected);
  CHECK(s.run({"dbsize"}) == "(integer) 20");
}

TEST_CASE("APPEND and STRLEN") {
  TestServer s;
  CHECK(s.run({"strlen", "k"}) == "(integer) 0");
  CHECK(s.run({"append", "k", "hello"}) == "(integer) 5");
  CHECK(s.run({"append", "k", " world"}) == "(integer) 11");
  CHECK(s.run({"get", "k"}) == "\"hello world\"");
  CHECK(s.run({"strlen", "k"}) == "(integer) 11");
  CHECK(s.run({"set", "n", "42", "ex", "100"}) == "OK");
  CHECK(s.run({"strlen", "n"}) == "(integer) 2");
  CHECK(s.run({"append", "n", "7"}) == "(integer) 3");
  CHECK(s.run({"get", "n"}) == "\"427\"");
  CHECK(s.run({"ttl", "n"}) == "(integer) 100");  // edits keep the TTL
  CHECK(s.run({"append", "k", ""}) == "(integer) 11");
}

TEST_CASE("GETRANGE") {
  TestServer s;
  CHECK(s.run({"getrange", "k", "0", "1"}) == "\"\"");
  CHECK(s.run({"set", "k", "hello"}) == "OK");
  CHECK(s.run({"getrange", "k", "0", "-1"}) == "\"hello\"");
  CHECK(s.run({"getrange", "k", "-3", "-1"}) == "\"llo\"");
  CHECK(s.run({"getrange", "k", "1", "2"}) == "\"el\"");
  CHECK(s.run({"getrange", "k", "-1", "-5"}) == "\"\"");
  CHECK(s.run({"getrange", "k", "3", "1"}) == "\"\"");
  CHECK(s.run({"getrange", "k", "-100", "100"}) == "\"hello\"");
  CHECK(s.run({"getrange", "k", "10", "20"}) == "\"\"");
  CHECK(s.run({"getrange", "k", "a", "1"}) == kNotInt);
  CHECK(s.run({"getrange", "k", "0", "b"}) == kNotInt);
  CHECK(s.run({"set", "n", "-12345"}) == "OK");
  CHECK(s.run({"getrange", "n", "1", "3"}) == "\"123\"");
  CHECK(s.run({"set", "e", ""}) == "OK");
  CHECK(s.run({"getrange", "e", "0", "-1"}) == "\"\"");
}

TEST_CASE("SETRANGE") {
  TestServer s;
  CHECK(s.run({"setrange", "k", "0", ""}) == "(integer) 0");
  CHECK(s.run({"exists", "k"}) == "(integer) 0");
  CHECK(s.run({"setrange", "k", "3", "ab"}) == "(integer) 5");
  CHECK(s.call({"get", "k"}).str == std::string("\0\0\0ab", 5));
  CHECK(s.run({"set", "k", "hello world", "ex", "100"}) == "OK");
  CHECK(s.run({"setrange", "k", "6", "Redis"}) == "(integer) 11");
  CHECK(s.run({"get", "k"}) == "\"hello Redis\"");
  CHECK(s.run({"setrange", "k", "9", "xyz"}) == "(integer) 12");
  CHECK(s.run({"get", "k"}) == "\"hello Redxyz\"");
  CHECK(s.run({"setrange", "k", "100", ""}) == "(integer) 12");
  CHECK(s.run({"ttl", "k"}) == "(integer) 100");
  CHECK(s.run({"set", "n", "1234"}) == "OK");
  CHECK(s.run({"setrange", "n", "1", "9"}) == "(integer) 4");
  CHECK(s.run({"get", "n"}) == "\"1934\"");
  CHECK(s.run({"setrange", "k", "-1", "x"}) == "(error) ERR offset is out of range");
  CHECK(s.run({"setrange", "k", "x", "x"}) == kNotInt);
  CHECK(s.run({"setrange", "k", "536870911", "xx"}) ==
        "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(s.run({"setrange", "new", "536870912", "x"}) ==
        "(error) ERR string exceeds maximum allowed size (proto-max-bulk-len)");
  CHECK(s.run({"exists", "new"}) == "(integer) 0");
}

TEST_CASE("INCR DECR INCRBY DECRBY") {
  TestServer s;
  CHECK(s.run({"incr", "n"}) == "(integer) 1");
  CHECK(s.run({"incrby", "n", "10"}) == "(integer) 11");
  CHECK(s.run({"decr", "n"}) == "(integer) 10");
  CHECK(s.run({"decrby", "n", "-5"}) == "(integer) 15");
  CHECK(s.run({"decrby", "m", "3"}) == "(integer) -3");
  CHECK(s.run({"get", "n"}) == "\"15\"");
  CHECK(s.run({"set", "t", "5", "ex", "100"}) == "OK");
  CHECK(s.run({"incr", "t"}) == "(integer) 6");
  CHECK(s.run({"ttl", "t"}) == "(integer) 100");  // counters keep the TTL
  CHECK(s.run({"set", "r", "  7"}) == "OK");
  CHECK(s.run({"incr", "r"}) == kNotInt);
  CHECK(s.run({"set", "r", "abc"}) == "OK");
  CHECK(s.run({"incr", "r"}) == kNotInt);
  CHECK(s.run({"set", "r", "007"}) == "OK");
  CHECK(s.run({"incr", "r"}) == kNotInt);
  CHECK(s.run({"incrby", "n", "+1"}) == kNotInt);
  CHECK(s.run({"incrby", "n", "01"}) == kNotInt);
  CHECK(s.run({"incrby", "n", "1.5"}) == kNotInt);
  CHECK(s.run({"set", "big", "9223372036854775807"}) == "OK");
  CHECK(s.run({"incr", "big"}) == "(error) ERR increment or decrement would overflow");
  CHECK(s.run({"set", "small", "-9223372036854775808"}) == "OK");
  CHECK(s.run({"decr", "small"}) == "(error) ERR increment or decrement would overflow");
  CHECK(s.run({"decrby", "n", "-9223372036854775808"}) ==
        "(error) ERR decrement would overflow");
  CHECK(s.run({"decrby", "r", "-9223372036854775808"}) ==
        "(error) ERR decrement would overflow");  // checked before the value
  CHECK(s.run({"incrby", "small", "9223372036854775807"}) == "(integer) -1");
}

TEST_CASE("INCRBYFLOAT") {
  TestServer s;
  CHECK(s.run({"incrbyfloat", "f", "10.5"}) == "\"10.5\"");
  CHECK(s.run({"incrbyfloat", "f", "0.1"}) == "\"10.6\"");
  CHECK(s.run({"incrbyfloat", "f", "-10.6"}) == "\"0\"");
  CHECK(s.run({"incrbyfloat", "f", "5.0e3"}) == "\"5000\"");
  CHECK(s.run({"get", "f"}) == "\"5000\"");
  CHECK(s.run({"incr", "f"}) == "(integer) 5001");  // an integral result is an integer
  CHECK(s.run({"set", "i", "1"}) == "OK");
  CHECK(s.run({"incrbyfloat", "i", "1e20"}) == "\"100000000000000000000\"");
  CHECK(s.run({"set", "t", "1.5", "px", "900"}) == "OK");
  CHECK(s.run({"incrbyfloat", "t", "1"}) == "\"2.5\"");
  CHECK(s.run({"pttl", "t"}) == "(integer) 900");
  CHECK(s.run({"incrbyfloat", "x", "inf"}) ==
        "(error) ERR increment would produce NaN or Infinity");
  CHECK(s.run({"incrbyfloat", "x", "abc"}) == kNotFloat);
  CHECK(s.run({"incrbyfloat", "x", "nan"}) == kNotFloat);
  CHECK(s.run({"incrbyfloat", "x", " 1"}) == kNotFloat);
  CHECK(s.run({"set", "s", "hello"}) == "OK");
  CHECK(s.run({"incrbyfloat", "s", "1"}) == kNotFloat);
  CHECK(s.run({"exists", "x"}) == "(integer) 0");
}

TEST_CASE("keyspace hits and misses count reads only, as Redis does") {
  TestServer s;
  ShardStats& stats = s.shard(0).stats();
  s.run({"set", "k", "v"});
  s.run({"incr", "n"});
  s.run({"append", "k", "x"});
  CHECK(stats.keyspace_hits == 0);
  CHECK(stats.keyspace_misses == 0);
  s.run({"get", "k"});
  s.run({"get", "nope"});
  s.run({"mget", "k", "nope", "n"});
  s.run({"strlen", "k"});
  s.run({"set", "k", "v2", "get"});
  CHECK(stats.keyspace_hits == 5);
  CHECK(stats.keyspace_misses == 2);
}

TEST_CASE("every string command is registered with sane metadata") {
  for (const CommandSpec& spec : string_commands()) {
    CHECK(static_cast<bool>(spec.handler));
    CHECK(!spec.summary.empty());
    CHECK(spec.group == "string");
    CHECK(((spec.flags & kWrite) != 0) != ((spec.flags & kReadOnly) != 0));
  }
  CHECK(string_commands().size() == 20);
}

}  // namespace
}  // namespace tessera::engine
