// Generic key commands (key_commands.cc, expire_commands.cc) and Shard::expire_step:
// every command, option and error path, with Redis 7.0's replies and error texts.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "command_test_util.h"

namespace tessera::engine {
namespace {

using test::TestServer;
using test::Value;

constexpr std::string_view kSyntax = "(error) ERR syntax error";
constexpr std::string_view kNotInt = "(error) ERR value is not an integer or out of range";

std::string seconds_from_now(int64_t seconds) {
  return std::to_string(test::kStartMs / 1000 + seconds);
}

TEST_CASE("DEL UNLINK EXISTS TOUCH") {
  TestServer s;
  s.run({"mset", "a", "1", "b", "2", "c", "3"});
  CHECK(s.run({"exists", "a", "a", "x", "b"}) == "(integer) 3");
  CHECK(s.run({"touch", "a", "x", "c"}) == "(integer) 2");
  CHECK(s.run({"del", "a", "x", "a"}) == "(integer) 1");
  CHECK(s.run({"unlink", "b", "c"}) == "(integer) 2");
  CHECK(s.run({"exists", "a", "b", "c"}) == "(integer) 0");
  CHECK(s.run({"del"}) == "(error) ERR wrong number of arguments for 'del' command");
  CHECK(s.run({"set", "t", "v", "px", "10"}) == "OK");
  s.now_ms += 10;
  CHECK(s.run({"del", "t"}) == "(integer) 0");  // expired keys are not deleted again
}

TEST_CASE("multi-key counts are summed across shards") {
  TestServer s(3);
  std::vector<std::string> del = {"del"};
  std::vector<std::string> exists = {"exists"};
  for (int i = 0; i < 12; ++i) {
    std::string key = "k" + std::to_string(i);
    s.call({"set", key, "v"});
    exists.push_back(key);
    exists.push_back("missing" + std::to_string(i));
    if (i % 2 == 0) {
      del.push_back(key);
    }
  }
  CHECK(render(s.call(exists)) == "(integer) 12");
  CHECK(render(s.call(del)) == "(integer) 6");
  CHECK(s.run({"dbsize"}) == "(integer) 6");
}

TEST_CASE("TYPE") {
  TestServer s;
  s.run({"set", "k", "v"});
  CHECK(s.run({"type", "k"}) == "string");
  CHECK(s.run({"type", "nope"}) == "none");
}

TEST_CASE("KEYS with glob patterns over several shards") {
  TestServer s(2);
  for (std::string key : {"hello", "hallo", "hxllo", "world", "h*llo"}) {
    s.call({"set", key, "1"});
  }
  s.call({"set", "gone", "1", "px", "1"});
  s.now_ms += 1;
  auto sorted_keys = [&](std::string pattern) {
    std::vector<std::string> keys;
    for (const Value& v : s.call({"keys", pattern}).elems) {
      keys.push_back(v.str);
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  CHECK(sorted_keys("*") == std::vector<std::string>{"h*llo", "hallo", "hello", "hxllo", "world"});
  CHECK(sorted_keys("h?llo") == std::vector<std::string>{"h*llo", "hallo", "hello", "hxllo"});
  CHECK(sorted_keys("h[ae]llo") == std::vector<std::string>{"hallo", "hello"});
  CHECK(sorted_keys("h\\*llo") == std::vector<std::string>{"h*llo"});
  CHECK(sorted_keys("nomatch*").empty());
  s.db = 3;
  CHECK(s.run({"keys", "*"}) == "[]");
}

// Runs a full SCAN and returns every key it reported (with repeats) and the call count.
std::multiset<std::string> full_scan(TestServer& s, std::vector<std::string> options,
                                     size_t* calls = nullptr) {
  std::multiset<std::string> seen;
  std::string cursor = "0";
  size_t n = 0;
  do {
    std::vector<std::string> argv = {"scan", cursor};
    argv.insert(argv.end(), options.begin(), options.end());
    Value reply = s.call(argv);
    REQUIRE(reply.elems.size() == 2);
    cursor = reply.elems[0].str;
    for (const Value& key : reply.elems[1].elems) {
      seen.insert(key.str);
    }
    REQUIRE(++n < 100000);
  } while (cursor != "0");
  if (calls != nullptr) {
    *calls = n;
  }
  return seen;
}

TEST_CASE("SCAN visits every key across shards and terminates") {
  for (uint32_t shards : {1u, 3u}) {
    TestServer s(shards);
    constexpr int kKeys = 1000;
    for (int i = 0; i < kKeys; ++i) {
      s.call({"set", "key:" + std::to_string(i), "v"});
    }
    size_t calls = 0;
    std::multiset<std::string> seen = full_scan(s, {}, &calls);
    std::set<std::string> unique(seen.begin(), seen.end());
    CHECK(unique.size() == kKeys);
    CHECK(calls > 10);
    std::multiset<std::string> big = full_scan(s, {"COUNT", "100000"}, &calls);
    CHECK(std::set<std::string>(big.begin(), big.end()).size() == kKeys);
    CHECK(calls == shards);
  }
}

TEST_CASE("SCAN cursor encodes the shard in its low byte") {
  TestServer s(3);
  for (int i = 0; i < 300; ++i) {
    s.call({"set", "k" + std::to_string(i), "v"});
  }
  Value reply = s.call({"scan", "0", "count", "5"});
  uint64_t cursor = std::stoull(reply.elems[0].str);
  CHECK(cursor != 0);
  CHECK((cursor & 0xFF) == 0);
  Value last_shard = s.call({"scan", "2", "count", "100000"});
  CHECK(last_shard.elems[0].str == "0");
  Value middle = s.call({"scan", "1", "count", "100000"});
  CHECK(middle.elems[0].str == "2");
}

TEST_CASE("SCAN skips the shards that hold no keys of its database") {
  TestServer s(3);
  CHECK(s.run({"scan", "0"}) == R"(["0", []])");  // an empty database: done at once, as Redis's
  std::string in_shard[3];
  for (int i = 0; in_shard[0].empty() || in_shard[2].empty(); ++i) {
    std::string key = "k" + std::to_string(i);
    in_shard[s.shard_of(key)] = key;
  }
  s.call({"set", in_shard[2], "v"});
  CHECK(s.run({"scan", "0"}) == R"(["2", []])");  // shard 1 is empty too: straight to shard 2
  CHECK(s.run({"scan", "2"}) == R"(["0", [")" + in_shard[2] + R"("]])");
  s.call({"set", in_shard[0], "v"});
  s.db = 1;
  s.call({"set", in_shard[2], "v"});  // another database's keys do not count
  s.db = 0;
  s.call({"del", in_shard[2]});
  CHECK(s.run({"scan", "0"}) == R"(["0", [")" + in_shard[0] + R"("]])");
}

TEST_CASE("SCAN keeps reporting every key while the table grows") {
  TestServer s;
  for (int i = 0; i < 200; ++i) {
    s.call({"set", "old:" + std::to_string(i), "v"});
  }
  std::set<std::string> seen;
  std::string cursor = "0";
  int added = 0;
  do {
    Value reply = s.call({"scan", cursor, "count", "7"});
    cursor = reply.elems[0].str;
    for (const Value& key : reply.elems[1].elems) {
      seen.insert(key.str);
    }
    for (int j = 0; j < 50; ++j) {
      s.call({"set", "new:" + std::to_string(added++), "v"});
    }
  } while (cursor != "0");
  for (int i = 0; i < 200; ++i) {
    CHECK_MESSAGE(seen.count("old:" + std::to_string(i)) == 1, i);
  }
}

TEST_CASE("SCAN MATCH TYPE COUNT and errors") {
  TestServer s;
  for (int i = 0; i < 50; ++i) {
    s.call({"set", (i % 5 == 0 ? "user:" : "item:") + std::to_string(i), "v"});
  }
  // Keys may repeat across calls (never be skipped): count distinct ones.
  auto distinct = [&](std::vector<std::string> options) {
    std::multiset<std::string> seen = full_scan(s, std::move(options));
    return std::set<std::string>(seen.begin(), seen.end()).size();
  };
  CHECK(distinct({"MATCH", "user:*"}) == 10);
  CHECK(distinct({"match", "*"}) == 50);
  CHECK(distinct({"TYPE", "STRING"}) == 50);
  CHECK(distinct({"type", "hash"}) == 0);
  CHECK(distinct({"type", "foo"}) == 0);  // Redis 7.0: unknown types match nothing
  // item:1 and item:11..19 except item:15 (a user key).
  CHECK(distinct({"count", "3", "match", "item:1*", "type", "string"}) == 9);
  CHECK(s.run({"scan", "abc"}) == "(error) ERR invalid cursor");
  CHECK(s.run({"scan", " 1"}) == "(error) ERR invalid cursor");
  CHECK(s.run({"scan", "0", "count", "0"}) == kSyntax);
  CHECK(s.run({"scan", "0", "count", "x"}) == kNotInt);
  CHECK(s.run({"scan", "0", "match"}) == kSyntax);
  CHECK(s.run({"scan", "0", "foo", "bar"}) == kSyntax);
  CHECK(s.run({"scan"}) == "(error) ERR wrong number of arguments for 'scan' command");
  s.db = 5;
  CHECK(s.run({"scan", "0"}) == "[\"0\", []]");
}

TEST_CASE("RANDOMKEY") {
  TestServer s(2);
  CHECK(s.run({"randomkey"}) == "(nil)");
  s.run({"set", "only", "v"});
  CHECK(s.run({"randomkey"}) == "\"only\"");
  s.run({"set", "other", "v"});
  std::string key = s.call({"randomkey"}).str;
  CHECK((key == "only" || key == "other"));
}

TEST_CASE("RENAME and RENAMENX") {
  TestServer s;
  CHECK(s.run({"rename", "nope", "x"}) == "(error) ERR no such key");
  CHECK(s.run({"renamenx", "nope", "x"}) == "(error) ERR no such key");
  s.run({"set", "a", "va", "ex", "100"});
  s.run({"set", "b", "vb"});
  CHECK(s.run({"rename", "a", "a"}) == "OK");
  CHECK(s.run({"renamenx", "a", "a"}) == "(integer) 0");
  CHECK(s.run({"renamenx", "a", "b"}) == "(integer) 0");
  CHECK(s.run({"rename", "a", "b"}) == "OK");
  CHECK(s.run({"get", "b"}) == "\"va\"");
  CHECK(s.run({"ttl", "b"}) == "(integer) 100");  // the TTL moves with the value
  CHECK(s.run({"exists", "a"}) == "(integer) 0");
  s.run({"set", "n", "42"});
  CHECK(s.run({"renamenx", "n", "m"}) == "(integer) 1");
  CHECK(s.run({"get", "m"}) == "\"42\"");
  CHECK(s.run({"ttl", "m"}) == "(integer) -1");
  // An expired destination does not block RENAMENX.
  s.run({"set", "dead", "x", "px", "1"});
  s.now_ms += 1;
  CHECK(s.run({"renamenx", "m", "dead"}) == "(integer) 1");
  CHECK(s.run({"get", "dead"}) == "\"42\"");
}

TEST_CASE("EXPIRE family: units, past times and overflow") {
  TestServer s;
  CHECK(s.run({"expire", "nope", "10"}) == "(integer) 0");
  s.run({"set", "k", "v"});
  CHECK(s.run({"expire", "k", "10"}) == "(integer) 1");
  CHECK(s.run({"pttl", "k"}) == "(integer) 10000");
  CHECK(s.run({"pexpire", "k", "1234"}) == "(integer) 1");
  CHECK(s.run({"pttl", "k"}) == "(integer) 1234");
  CHECK(s.run({"expireat", "k", seconds_from_now(50)}) == "(integer) 1");
  CHECK(s.run({"ttl", "k"}) == "(integer) 50");
  CHECK(s.run({"pexpireat", "k", std::to_string(test::kStartMs + 77)}) == "(integer) 1");
  CHECK(s.run({"pttl", "k"}) == "(integer) 77");
  CHECK(s.run({"expire", "k", "0"}) == "(integer) 1");  // now or earlier deletes
  CHECK(s.run({"exists", "k"}) == "(integer) 0");
  s.run({"set", "k", "v"});
  CHECK(s.run({"expire", "k", "-5"}) == "(integer) 1");
  CHECK(s.run({"exists", "k"}) == "(integer) 0");
  s.run({"set", "k", "v"});
  CHECK(s.run({"pexpireat", "k", "1"}) == "(integer) 1");
  CHECK(s.run({"exists", "k"}) == "(integer) 0");
  s.run({"set", "k", "v"});
  CHECK(s.run({"expire", "k", "abc"}) == kNotInt);
  CHECK(s.run({"expire", "k", "9223372036854775807"}) ==
        "(error) ERR invalid expire time in 'expire' command");
  CHECK(s.run({"expire", "k", "-9223372036854775807"}) ==
        "(error) ERR invalid expire time in 'expire' command");
  CHECK(s.run({"pexpire", "k", "9223372036854775807"}) ==
        "(error) ERR invalid expire time in 'pexpire' command");
  CHECK(s.run({"expireat", "k", "9223372036854776"}) ==
        "(error) ERR invalid expire time in 'expireat' command");
  CHECK(s.run({"pexpireat", "k", "9223372036854775807"}) == "(integer) 1");
  CHECK(s.run({"expire", "k"}) == "(error) ERR wrong number of arguments for 'expire' command");
}

TEST_CASE("EXPIRE NX XX GT LT") {
  TestServer s;
  s.run({"set", "k", "v"});
  CHECK(s.run({"expire", "k", "100", "xx"}) == "(integer) 0");
  CHECK(s.run({"expire", "k", "100", "gt"}) == "(integer) 0");  // no TTL = infinite
  CHECK(s.run({"expire", "k", "100", "NX"}) == "(integer) 1");
  CHECK(s.run({"expire", "k", "200", "nx"}) == "(integer) 0");
  CHECK(s.run({"expire", "k", "200", "xx"}) == "(integer) 1");
  CHECK(s.run({"expire", "k", "150", "gt"}) == "(integer) 0");
  CHECK(s.run({"expire", "k", "300", "GT"}) == "(integer) 1");
  CHECK(s.run({"expire", "k", "400", "lt"}) == "(integer) 0");
  CHECK(s.run({"expire", "k", "300", "lt"}) == "(integer) 0");
  CHECK(s.run({"expire", "k", "250", "lt", "xx"}) == "(integer) 1");
  CHECK(s.run({"ttl", "k"}) == "(integer) 250");
  s.run({"persist", "k"});
  CHECK(s.run({"expire", "k", "50", "lt"}) == "(integer) 1");  // no TTL: LT passes
  CHECK(s.run({"expire", "k", "50", "nx", "xx"}) ==
        "(error) ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(s.run({"expire", "k", "50", "nx", "gt"}) ==
        "(error) ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(s.run({"expire", "k", "50", "lt", "nx"}) ==
        "(error) ERR NX and XX, GT or LT options at the same time are not compatible");
  CHECK(s.run({"expire", "k", "50", "gt", "lt"}) ==
        "(error) ERR GT and LT options at the same time are not compatible");
  CHECK(s.run({"expire", "k", "50", "foo"}) == "(error) ERR Unsupported option foo");
  CHECK(s.run({"expire", "k", "abc", "nx"}) == kNotInt);
  CHECK(s.run({"pexpire", "k", "10", "bar"}) == "(error) ERR Unsupported option bar");
}

TEST_CASE("TTL PTTL EXPIRETIME PEXPIRETIME PERSIST") {
  TestServer s;
  CHECK(s.run({"ttl", "nope"}) == "(integer) -2");
  CHECK(s.run({"pttl", "nope"}) == "(integer) -2");
  CHECK(s.run({"expiretime", "nope"}) == "(integer) -2");
  CHECK(s.run({"pexpiretime", "nope"}) == "(integer) -2");
  CHECK(s.run({"persist", "nope"}) == "(integer) 0");
  s.run({"set", "k", "v"});
  CHECK(s.run({"ttl", "k"}) == "(integer) -1");
  CHECK(s.run({"pttl", "k"}) == "(integer) -1");
  CHECK(s.run({"expiretime", "k"}) == "(integer) -1");
  CHECK(s.run({"pexpiretime", "k"}) == "(integer) -1");
  CHECK(s.run({"persist", "k"}) == "(integer) 0");
  CHECK(s.run({"pexpire", "k", "10499"}) == "(integer) 1");
  CHECK(s.run({"ttl", "k"}) == "(integer) 10");  // rounded to the nearest second
  CHECK(s.run({"pexpire", "k", "10500"}) == "(integer) 1");
  CHECK(s.run({"ttl", "k"}) == "(integer) 11");
  CHECK(s.run({"pexpiretime", "k"}) == "(integer) " + std::to_string(test::kStartMs + 10500));
  CHECK(s.run({"expiretime", "k"}) ==
        "(integer) " + std::to_string((test::kStartMs + 10500 + 500) / 1000));
  CHECK(s.run({"persist", "k"}) == "(integer) 1");
  CHECK(s.run({"ttl", "k"}) == "(integer) -1");
  // The latest expiry there is: seconds round to nearest without overflowing (Redis 7 answers
  // 9223372036854776).
  CHECK(s.run({"set", "far", "v", "pxat", "9223372036854775807"}) == "OK");
  CHECK(s.run({"pexpiretime", "far"}) == "(integer) 9223372036854775807");
  CHECK(s.run({"expiretime", "far"}) == "(integer) 9223372036854776");
}

TEST_CASE("DBSIZE FLUSHDB FLUSHALL and SELECTed databases") {
  TestServer s(2);
  for (int i = 0; i < 10; ++i) {
    s.call({"set", "k" + std::to_string(i), "v"});
  }
  s.db = 1;
  s.run({"set", "other", "v"});
  CHECK(s.run({"dbsize"}) == "(integer) 1");
  s.db = 0;
  CHECK(s.run({"dbsize"}) == "(integer) 10");
  CHECK(s.run({"flushdb", "foo"}) == kSyntax);
  CHECK(s.run({"flushdb", "async", "extra"}) == kSyntax);
  CHECK(s.run({"flushdb", "ASYNC"}) == "OK");
  CHECK(s.run({"dbsize"}) == "(integer) 0");
  s.db = 1;
  CHECK(s.run({"dbsize"}) == "(integer) 1");
  CHECK(s.run({"flushall", "nope"}) == kSyntax);
  CHECK(s.run({"flushall", "sync"}) == "OK");
  CHECK(s.run({"dbsize"}) == "(integer) 0");
  CHECK(s.run({"flushall"}) == "OK");
  CHECK(s.run({"flushdb"}) == "OK");
}

TEST_CASE("keyspace stats: reads count, writes and deletes do not") {
  TestServer s;
  ShardStats& stats = s.shard(0).stats();
  s.run({"set", "k", "v"});
  s.run({"del", "x"});
  s.run({"expire", "k", "100"});
  s.run({"persist", "k"});
  s.run({"rename", "k", "k2"});
  CHECK(stats.keyspace_hits + stats.keyspace_misses == 0);
  s.run({"exists", "k2", "nope"});
  s.run({"type", "k2"});
  s.run({"ttl", "nope"});
  s.run({"touch", "k2"});
  CHECK(stats.keyspace_hits == 3);
  CHECK(stats.keyspace_misses == 2);
}

TEST_CASE("Shard::expire_step reclaims expired keys in every database within budget") {
  Shard shard(0, 1);
  const int64_t now = test::kStartMs;
  constexpr int kPerDb = 100;
  for (int db : {0, 7, 15}) {
    core::KeyTable& table = shard.db(db);
    for (int i = 0; i < kPerDb; ++i) {
      std::string key = "k" + std::to_string(i);
      table.set(key, core::hash_key(key), "v", now + (i % 2 == 0 ? 10 : 1'000'000));
    }
  }
  CHECK(shard.expire_step(now, 100000) == 0);  // nothing expired yet
  size_t total = 0;
  for (int step = 0; step < 1000 && total < 3 * kPerDb / 2; ++step) {
    size_t deleted = shard.expire_step(now + 10, 8);
    CHECK(deleted <= 8);  // examines at most 8 slots, so deletes at most 8 keys
    total += deleted;
  }
  CHECK(total == 3 * kPerDb / 2);
  CHECK(shard.stats().expired_keys == total);
  for (int db : {0, 7, 15}) {
    CHECK(shard.db(db).size() == kPerDb / 2);
  }
  CHECK(shard.expire_step(now + 10, 0) == 0);
  Shard empty(0, 1);
  CHECK(empty.expire_step(now, 100) == 0);
}

TEST_CASE("every key command is registered with sane metadata") {
  for (const CommandSpec& spec : key_commands()) {
    CHECK(static_cast<bool>(spec.handler));
    CHECK(!spec.summary.empty());
    CHECK(((spec.flags & kWrite) != 0) != ((spec.flags & kReadOnly) != 0));
  }
  CHECK(key_commands().size() == 22);
}

}  // namespace
}  // namespace tessera::engine
