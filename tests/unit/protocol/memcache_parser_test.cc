// Tests for MemcacheParser (memcache_parser.h): every text and meta command, meta flags,
// noreply, malformed lines with memcached 1.6.18's exact texts, pipelined input split at
// every byte, large values in chunks (linear scanning), bad data chunk resync, swallowing
// of too-large values, line-length closes and binary-protocol detection. Expected
// behaviour was checked against memcached 1.6.18 on loopback.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "protocol/memcache_parser.h"

using tessera::protocol::MemcacheCommand;
using tessera::protocol::MemcacheLimits;
using tessera::protocol::MemcacheParser;
using tessera::protocol::MemcacheParseResult;
using tessera::protocol::MemcacheParseStatus;
using tessera::protocol::MemcacheRequest;

namespace {

// A parse outcome flattened to a string, so whole streams compare with one CHECK.
std::string describe(const MemcacheParseResult& r, const MemcacheRequest& q) {
  switch (r.status) {
    case MemcacheParseStatus::kError:
      return std::string(r.suppressed ? "silent:" : "error:") + std::string(r.error);
    case MemcacheParseStatus::kClose: return "close";
    case MemcacheParseStatus::kBinary: return "binary";
    case MemcacheParseStatus::kNeedMore: return "needmore";
    case MemcacheParseStatus::kOk: break;
  }
  std::string s = "cmd" + std::to_string(static_cast<int>(q.command));
  for (auto k : q.keys) {
    s += " k=" + std::string(k);
  }
  for (auto a : q.args) {
    s += " a=" + std::string(a);
  }
  s += " f=" + std::to_string(q.flags) + " e=" + std::to_string(q.exptime) +
       " c=" + std::to_string(q.cas_unique) + " d=" + std::to_string(q.delta);
  if (q.noreply) {
    s += " noreply";
  }
  if (!q.data.empty() || q.bytes > 0) {
    s += " data=" + std::string(q.data);
  }
  for (size_t i = 0; i < q.meta.count; ++i) {
    s += " " + std::string(1, q.meta.list[i].flag) + std::string(q.meta.list[i].token);
  }
  return s;
}

// Parses a whole stream; returns one description per outcome (no trailing needmore).
std::vector<std::string> parse_all(MemcacheParser& parser, std::string_view input) {
  std::vector<std::string> out;
  MemcacheRequest q;
  size_t pos = 0;
  while (true) {
    MemcacheParseResult r = parser.parse(input.substr(pos), q);
    pos += r.consumed;
    if (r.status == MemcacheParseStatus::kNeedMore) {
      return out;
    }
    out.push_back(describe(r, q));
    if (r.status == MemcacheParseStatus::kClose || r.status == MemcacheParseStatus::kBinary) {
      return out;
    }
  }
}

std::vector<std::string> parse_all(std::string_view input, const MemcacheLimits& limits = {}) {
  MemcacheParser parser(limits);
  return parse_all(parser, input);
}

std::string first(std::string_view input) {
  auto v = parse_all(input);
  return v.empty() ? "needmore" : v[0];
}

// Feeds `input` with a buffer that grows one byte at a time, like a connection would.
std::vector<std::string> parse_bytewise(std::string_view input) {
  MemcacheParser parser;
  std::vector<std::string> out;
  MemcacheRequest q;
  std::string buffer;
  for (char c : input) {
    buffer.push_back(c);
    while (true) {
      MemcacheParseResult r = parser.parse(buffer, q);
      std::string d = describe(r, q);
      buffer.erase(0, r.consumed);
      if (r.status == MemcacheParseStatus::kNeedMore) {
        break;
      }
      out.push_back(d);
      if (r.status == MemcacheParseStatus::kClose) {
        return out;
      }
    }
  }
  return out;
}

constexpr const char* kBadFormat = "error:CLIENT_ERROR bad command line format";

}  // namespace

TEST_CASE("memcache text retrieval commands") {
  CHECK(first("get a\r\n") == "cmd0 k=a f=0 e=0 c=0 d=0");
  CHECK(first("gets a b c\r\n") == "cmd1 k=a k=b k=c f=0 e=0 c=0 d=0");
  CHECK(first("  get   a  \r\n") == "cmd0 k=a f=0 e=0 c=0 d=0");
  CHECK(first("get a\n") == "cmd0 k=a f=0 e=0 c=0 d=0");
  CHECK(first("gat 10 a b\r\n") == "cmd2 k=a k=b f=0 e=10 c=0 d=0");
  CHECK(first("gats -1 a\r\n") == "cmd3 k=a f=0 e=-1 c=0 d=0");
  CHECK(first("gat 10\r\n") == "cmd2 f=0 e=10 c=0 d=0");  // memcached: END
  CHECK(first("gat x a\r\n") == "error:CLIENT_ERROR invalid exptime argument");
  CHECK(first("get\r\n") == "error:ERROR");
  CHECK(first("gat\r\n") == "error:ERROR");
  CHECK(first("get a" + std::string(1, '\0') + "b\r\n") == "cmd0 k=a f=0 e=0 c=0 d=0");
  CHECK(first("get noreply\r\n") == "cmd0 k=noreply f=0 e=0 c=0 d=0");
  std::string many = "get";
  for (int i = 0; i < 100; ++i) {
    many += " k" + std::to_string(i);
  }
  MemcacheParser p;
  MemcacheRequest q;
  many += "\r\n";
  REQUIRE(p.parse(many, q).status == MemcacheParseStatus::kOk);
  CHECK(q.keys.size() == 100);
}

TEST_CASE("memcache key length limit is 250") {
  std::string k250(250, 'k');
  std::string k251(251, 'k');
  CHECK(first("get " + k250 + "\r\n").starts_with("cmd0"));
  CHECK(first("get " + k251 + "\r\n") == kBadFormat);
  CHECK(first("get a " + k251 + " a\r\n") == kBadFormat);
  CHECK(parse_all("set " + k251 + " 0 0 1\r\nz\r\n") ==
        std::vector<std::string>{kBadFormat, "error:ERROR"});  // data not swallowed
  CHECK(first("set " + k251 + " 0 0 1 noreply\r\nz\r\n") ==
        "silent:CLIENT_ERROR bad command line format");
  CHECK(first("incr " + k251 + " 1\r\n") == kBadFormat);
  CHECK(first("delete " + k251 + " noreply\r\n") ==
        "silent:CLIENT_ERROR bad command line format");
  CHECK(first("touch " + k251 + " 1\r\n") == kBadFormat);
}

TEST_CASE("memcache storage commands") {
  CHECK(first("set a 5 10 3\r\nabc\r\n") == "cmd4 k=a f=5 e=10 c=0 d=0 data=abc");
  CHECK(first("add a 0 0 1\r\nz\r\n").starts_with("cmd5 "));
  CHECK(first("replace a 0 0 1\r\nz\r\n").starts_with("cmd6 "));
  CHECK(first("append a 0 0 1\r\nz\r\n").starts_with("cmd7 "));
  CHECK(first("prepend a 0 0 1\r\nz\r\n").starts_with("cmd8 "));
  CHECK(first("cas a 1 2 1 99\r\nz\r\n") == "cmd9 k=a f=1 e=2 c=99 d=0 data=z");
  CHECK(first("cas a 1 2 1 99 noreply\r\nz\r\n") == "cmd9 k=a f=1 e=2 c=99 d=0 noreply data=z");
  CHECK(first("set a 0 0 1 noreply\r\nz\r\n") == "cmd4 k=a f=0 e=0 c=0 d=0 noreply data=z");
  CHECK(first("set a 0 0 1 bogus\r\nz\r\n") == "cmd4 k=a f=0 e=0 c=0 d=0 data=z");
  CHECK(first("set a 0 0 0\r\n\r\n") == "cmd4 k=a f=0 e=0 c=0 d=0");
  CHECK(first("set a 0 0 2\r\n\r\n\r\n") == "cmd4 k=a f=0 e=0 c=0 d=0 data=\r\n");
  // Numbers as memcached's strtoul/strtol read them.
  CHECK(first("set a 4294967297 0 1\r\nz\r\n").starts_with("cmd4 k=a f=1 "));
  CHECK(first("set a 4294967295 0 1\r\nz\r\n").starts_with("cmd4 k=a f=4294967295 "));
  CHECK(first("set a 0 -1 1\r\nz\r\n").starts_with("cmd4 k=a f=0 e=-1 "));
  CHECK(first("set a 0 0 01\r\nz\r\n").ends_with("data=z"));
  CHECK(first("set a 0 0 +1\r\nz\r\n").ends_with("data=z"));
  CHECK(parse_all("set a 0 0 4294967296\r\nabc\r\n") ==  // read as 0 bytes
        std::vector<std::string>{"error:CLIENT_ERROR bad data chunk", "error:ERROR"});
  for (const char* bad : {"set a x 0 1\r\nz\r\n", "set a 0 x 1\r\nz\r\n", "set a 0 0 abc\r\nz\r\n",
                          "set a -1 0 1\r\nz\r\n", "set a 0 1a 1\r\nz\r\n",
                          "set a 0 0 2147483646\r\nz\r\n", "cas a 0 0 1 x\r\nz\r\n",
                          "cas a 0 0 1 -1\r\nz\r\n"}) {
    CHECK(parse_all(bad) == std::vector<std::string>{kBadFormat, "error:ERROR"});
  }
  CHECK(parse_all("set a 0 0 -1\r\n") == std::vector<std::string>{kBadFormat});
  CHECK(first("set a 0 0\r\n") == "error:ERROR");
  CHECK(parse_all("set a 0 0 1 noreply extra\r\nz\r\n") ==
        std::vector<std::string>{"error:ERROR", "error:ERROR"});
  CHECK(parse_all("cas a 0 0 1\r\nz\r\n") == std::vector<std::string>{"error:ERROR", "error:ERROR"});
  CHECK(first("set a x 0 1 noreply\r\nz\r\n") == "silent:CLIENT_ERROR bad command line format");
}

TEST_CASE("memcache bad data chunk consumes bytes + 2 and resynchronises") {
  // Observed on memcached 1.6.18: CLIENT_ERROR bad data chunk, then ERROR for the rest of
  // the line, then the next command runs normally.
  std::vector<std::string> want{"error:CLIENT_ERROR bad data chunk", "error:ERROR",
                                "cmd0 k=a f=0 e=0 c=0 d=0"};
  CHECK(parse_all("set a 0 0 1\r\nxy\r\nget a\r\n") == want);
  CHECK(parse_all("set a 0 0 1\r\nxyz\r\nget a\r\n") == want);
  CHECK(parse_all("set a 0 0 1\r\nxyzw\r\nget a\r\n") == want);
  CHECK(parse_all("set a 0 0 1 noreply\r\nzz\r\n") ==
        std::vector<std::string>{"silent:CLIENT_ERROR bad data chunk", "error:ERROR"});
  CHECK(parse_bytewise("set a 0 0 1\r\nxy\r\nget a\r\n") == want);
}

TEST_CASE("memcache too-large value is swallowed") {
  MemcacheLimits limits;
  limits.item_size_max = 16;
  std::string value(17, 'x');
  std::string input = "set big 0 0 17\r\n" + value + "\r\nget big\r\n";
  CHECK(parse_all(input, limits) ==
        std::vector<std::string>{"error:SERVER_ERROR object too large for cache",
                                 "cmd0 k=big f=0 e=0 c=0 d=0"});
  // Across reads: the rest of the block is discarded as it arrives.
  MemcacheParser parser(limits);
  MemcacheRequest q;
  std::string head = "set big 0 0 17\r\n" + value.substr(0, 5);
  MemcacheParseResult r = parser.parse(head, q);
  CHECK(r.status == MemcacheParseStatus::kError);
  CHECK(r.consumed == head.size());
  CHECK(q.value_too_large);
  CHECK(q.keys.at(0) == "big");
  r = parser.parse(value.substr(5, 4), q);
  CHECK(r.status == MemcacheParseStatus::kNeedMore);
  CHECK(r.consumed == 4);
  CHECK(parse_all(parser, value.substr(9) + "\r\nmn\r\n") == std::vector<std::string>{"cmd19 f=0 e=0 c=0 d=0"});
  CHECK(first("set big 0 0 2000000 noreply\r\n") == "silent:SERVER_ERROR object too large for cache");
  CHECK(parse_all("add big 0 0 17\r\n" + value + "\r\n", limits).size() == 1);
}

TEST_CASE("memcache delete incr decr touch") {
  CHECK(first("delete a\r\n") == "cmd10 k=a f=0 e=0 c=0 d=0");
  CHECK(first("delete a 0\r\n") == "cmd10 k=a f=0 e=0 c=0 d=0");
  CHECK(first("delete a noreply\r\n") == "cmd10 k=a f=0 e=0 c=0 d=0 noreply");
  CHECK(first("delete a 0 noreply\r\n") == "cmd10 k=a f=0 e=0 c=0 d=0 noreply");
  std::string usage = "error:CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
  CHECK(first("delete a 5\r\n") == usage);
  CHECK(first("delete a 0 x\r\n") == usage);
  CHECK(first("delete\r\n") == "error:ERROR");
  CHECK(first("delete a 0 noreply x\r\n") == "error:ERROR");
  CHECK(first("incr n 5\r\n") == "cmd11 k=n f=0 e=0 c=0 d=5");
  CHECK(first("decr n 18446744073709551615 noreply\r\n") ==
        "cmd12 k=n f=0 e=0 c=0 d=18446744073709551615 noreply");
  for (const char* bad : {"incr n abc\r\n", "incr n -1\r\n", "incr n 18446744073709551616\r\n"}) {
    CHECK(first(bad) == "error:CLIENT_ERROR invalid numeric delta argument");
  }
  CHECK(first("incr n abc noreply\r\n") == "silent:CLIENT_ERROR invalid numeric delta argument");
  CHECK(first("incr n\r\n") == "error:ERROR");
  CHECK(first("touch a 10\r\n") == "cmd13 k=a f=0 e=10 c=0 d=0");
  CHECK(first("touch a -1 noreply\r\n") == "cmd13 k=a f=0 e=-1 c=0 d=0 noreply");
  CHECK(first("touch a x\r\n") == "error:CLIENT_ERROR invalid exptime argument");
  CHECK(first("touch a x noreply\r\n") == "silent:CLIENT_ERROR invalid exptime argument");
  CHECK(first("touch a\r\n") == "error:ERROR");
}

TEST_CASE("memcache flush_all version verbosity quit stats and unknown commands") {
  CHECK(first("flush_all\r\n") == "cmd14 f=0 e=0 c=0 d=0");
  CHECK(first("flush_all 10 noreply\r\n") == "cmd14 f=0 e=10 c=0 d=0 noreply");
  CHECK(first("flush_all -1\r\n") == "cmd14 f=0 e=-1 c=0 d=0");
  CHECK(first("flush_all 1 2\r\n") == "cmd14 f=0 e=1 c=0 d=0");
  CHECK(first("flush_all x\r\n") == "error:CLIENT_ERROR invalid exptime argument");
  CHECK(first("flush_all x noreply\r\n") == "silent:CLIENT_ERROR invalid exptime argument");
  CHECK(first("flush_all 1 2 3\r\n") == "error:ERROR");
  CHECK(first("version\r\n") == "cmd15 f=0 e=0 c=0 d=0");
  CHECK(first("version x\r\n") == "cmd15 f=0 e=0 c=0 d=0");
  CHECK(first("verbosity 1\r\n") == "cmd16 f=0 e=0 c=0 d=0");
  CHECK(first("verbosity 1 2\r\n") == "cmd16 f=0 e=0 c=0 d=0");
  CHECK(first("verbosity\r\n") == "error:ERROR");
  CHECK(first("verbosity x\r\n") == kBadFormat);
  CHECK(first("verbosity x noreply\r\n") == "silent:CLIENT_ERROR bad command line format");
  CHECK(first("verbosity 1 2 3\r\n") == "error:ERROR");
  CHECK(first("quit\r\n") == "cmd17 f=0 e=0 c=0 d=0");
  CHECK(first("quit x\r\n") == "cmd17 f=0 e=0 c=0 d=0");
  CHECK(first("stats\r\n") == "cmd18 f=0 e=0 c=0 d=0");
  CHECK(first("stats settings\r\n") == "cmd18 a=settings f=0 e=0 c=0 d=0");
  CHECK(first("foo\r\n") == "error:ERROR");
  CHECK(first("GET a\r\n") == "error:ERROR");
  CHECK(first("\r\n") == "error:ERROR");
  CHECK(first("\n") == "error:ERROR");
  CHECK(first("GET / HTTP/1.1\r\n") == "close");
  CHECK(first("gopher HTTP/1.0\r\n") == "error:ERROR");
}

TEST_CASE("memcache line without newline: close past 2048 bytes unless multiget") {
  CHECK(parse_all("xx " + std::string(2045, 'a')).empty());  // 2048 bytes: wait
  CHECK(parse_all("xx " + std::string(2046, 'a')) == std::vector<std::string>{"close"});
  CHECK(parse_all("mg " + std::string(2100, 'a')) == std::vector<std::string>{"close"});
  CHECK(parse_all("get " + std::string(3000, 'a')).empty());
  CHECK(parse_all(std::string(101, ' ') + "get " + std::string(2046, 'a')) ==
        std::vector<std::string>{"close"});
  MemcacheLimits limits;
  limits.max_multiget_line = 4096;
  CHECK(parse_all("get " + std::string(5000, 'a'), limits) == std::vector<std::string>{"close"});
}

TEST_CASE("memcache binary protocol detection") {
  std::string bin = "\x80\x0a";
  bin += std::string(22, '\0');
  CHECK(parse_all(bin) == std::vector<std::string>{"binary"});
  // Only a connection's first byte decides: later, 0x80 starts a text line like any other.
  const std::vector<std::string> later = parse_all("mn\r\n" + bin);
  REQUIRE(later.size() >= 2);
  CHECK(later[0] == "cmd19 f=0 e=0 c=0 d=0");
  CHECK(later[1] == "error:ERROR");
  MemcacheParser parser;
  MemcacheRequest q;
  CHECK(parser.parse(bin, q).consumed == 0);
}

TEST_CASE("memcache pipelined stream split at every byte gives identical requests") {
  std::string stream =
      "get a b\r\nset k 7 0 5\r\nhello\r\ngets k\r\ncas k 1 2 3 44 noreply\r\nabc\r\n"
      "incr n 3\r\ndecr n 1 noreply\r\ndelete k\r\ntouch k 5\r\ngat 9 k\r\n"
      "flush_all 0\r\nversion\r\nverbosity 1\r\nstats items\r\nfoo\r\n"
      "set a 0 0 1\r\nxy\r\nmn\r\nmg k v f t O7 q\r\nms k 3 T5 F9 MA\r\nxyz\r\n"
      "md YWJj b q\r\nma n D2 J5 N0 v\r\nme k\r\nmg k zz\r\nquit\r\n";
  std::vector<std::string> whole = parse_all(stream);
  CHECK(whole.size() == 24);
  CHECK(parse_bytewise(stream) == whole);
  for (size_t split = 1; split < stream.size(); ++split) {
    MemcacheParser parser;
    MemcacheRequest q;
    std::vector<std::string> got;
    std::string buffer = stream.substr(0, split);
    for (int part = 0; part < 2; ++part) {
      while (true) {
        MemcacheParseResult r = parser.parse(buffer, q);
        std::string d = describe(r, q);
        buffer.erase(0, r.consumed);
        if (r.status == MemcacheParseStatus::kNeedMore) {
          break;
        }
        got.push_back(d);
      }
      buffer += stream.substr(split);
    }
    CHECK_MESSAGE(got == whole, "split at " << split);
  }
}

TEST_CASE("memcache large value in chunks is scanned linearly") {
  std::string value(1000000, 'v');
  std::string input = "set big 0 0 1000000\r\n" + value + "\r\n";
  MemcacheParser parser;
  MemcacheRequest q;
  std::string buffer;
  constexpr size_t kChunk = 1000;
  MemcacheParseResult r;
  for (size_t pos = 0; pos < input.size(); pos += kChunk) {
    buffer.append(input, pos, kChunk);
    r = parser.parse(buffer, q);
    if (r.status != MemcacheParseStatus::kNeedMore) {
      break;
    }
    CHECK(parser.needed_hint() == input.size());
  }
  REQUIRE(r.status == MemcacheParseStatus::kOk);
  CHECK(r.consumed == input.size());
  CHECK(q.data.size() == value.size());
  CHECK(parser.scanned_bytes() < 100);
}

TEST_CASE("memcache meta commands and flags") {
  CHECK(first("mn\r\n") == "cmd19 f=0 e=0 c=0 d=0");
  CHECK(first("mn x\r\n") == "cmd19 f=0 e=0 c=0 d=0");
  CHECK(first("mg a\r\n") == "cmd20 k=a f=0 e=0 c=0 d=0");
  CHECK(first("mg a v f t c s k h l u O99 q N30 R10 T60 P L I E5 M0\r\n") ==
        "error:CLIENT_ERROR options flags are too long");
  CHECK(first("mg a v f t c s k h l u Oop q N30 R10 T60 E5\r\n") ==
        "cmd20 k=a f=0 e=0 c=0 d=0 noreply v f t c s k h l u Oop q N30 R10 T60 E5");
  MemcacheParser parser;
  MemcacheRequest q;
  REQUIRE(parser.parse("mg a T-5 N30 R7 O123 q\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.meta.ttl == -5);
  CHECK(q.meta.vivify_ttl == 30);
  CHECK(q.meta.recache_ttl == 7);
  CHECK(q.meta.opaque == "123");
  CHECK(q.meta.quiet);
  CHECK(q.meta.has('T'));
  CHECK_FALSE(q.meta.has('v'));
  REQUIRE(q.meta.find('N') != nullptr);
  CHECK(q.meta.find('N')->token == "30");
  REQUIRE(parser.parse("ms k 3 F7 C9 E10 T0 MA I\r\nabc\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.command == MemcacheCommand::kMetaSet);
  CHECK(q.data == "abc");
  CHECK(q.meta.client_flags == 7);
  CHECK(q.meta.compare_cas == 9);
  CHECK(q.meta.new_cas == 10);
  CHECK(q.meta.mode == 'A');
  REQUIRE(parser.parse("ma n N0 J13 D2 MD v t c\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.command == MemcacheCommand::kMetaArithmetic);
  CHECK(q.meta.initial == 13);
  CHECK(q.meta.delta == 2);
  CHECK(q.meta.mode == 'D');
  REQUIRE(parser.parse("ma n\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.meta.delta == 1);
  REQUIRE(parser.parse("md a q C5 I\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.command == MemcacheCommand::kMetaDelete);
  CHECK(q.noreply);
  REQUIRE(parser.parse("me a\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.command == MemcacheCommand::kMetaDebug);
}

TEST_CASE("memcache meta base64 keys") {
  MemcacheParser parser;
  MemcacheRequest q;
  REQUIRE(parser.parse("mg YQ== b v k\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.keys.at(0) == "a");
  CHECK(q.meta.base64_key);
  REQUIRE(parser.parse("mg AAEC/w== b\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.keys.at(0) == std::string("\x00\x01\x02\xff", 4));
  REQUIRE(parser.parse("me YWJj b\r\n", q).status == MemcacheParseStatus::kOk);
  CHECK(q.keys.at(0) == "abc");
  CHECK(first("mg Y b v\r\n") == "error:CLIENT_ERROR error decoding key");
  CHECK(first("mg !!!! b v\r\n") == "error:CLIENT_ERROR error decoding key");
  CHECK(first("md !!!! b\r\n") == "error:CLIENT_ERROR invalid or duplicate flag");
  CHECK(first("me a b\r\n") == kBadFormat);
  CHECK(first("ms !!! 1 b\r\nz\r\nmn\r\n") == "error:CLIENT_ERROR error decoding key");
}

TEST_CASE("memcache meta errors with memcached 1.6.18 texts") {
  CHECK(first("mg\r\n") == "error:ERROR");
  CHECK(first("ms\r\n") == "error:ERROR");
  CHECK(first("md\r\n") == "error:ERROR");
  CHECK(first("ma\r\n") == "error:ERROR");
  CHECK(first("mx a\r\n") == "error:ERROR");
  CHECK(first("me\r\n") == kBadFormat);
  CHECK(first("mg " + std::string(251, 'k') + " v\r\n") == kBadFormat);
  CHECK(first("me " + std::string(251, 'k') + "\r\n") == kBadFormat);
  CHECK(first("mg a zz\r\n") == "error:CLIENT_ERROR invalid flag");
  CHECK(first("mg a Z\r\n") == "error:CLIENT_ERROR invalid flag");
  CHECK(first("mg a 1\r\n") == "error:CLIENT_ERROR invalid flag");
  CHECK(first("mg a x\r\n") == "error:CLIENT_ERROR invalid flag");
  CHECK(first("mg a S1\r\n") == "error:CLIENT_ERROR invalid flag");
  CHECK(first("mg a v v\r\n") == "error:CLIENT_ERROR duplicate flag");
  CHECK(first("mg a \xff\r\n") == "error:CLIENT_ERROR duplicate flag");
  CHECK(first("mg a Tx\r\n") == "error:CLIENT_ERROR bad token in command line format");
  CHECK(first("mg a T\r\n") == "error:CLIENT_ERROR bad token in command line format");
  CHECK(first("mg a Nx\r\n") == "error:CLIENT_ERROR bad token in command line format");
  CHECK(first("mg a Cx\r\n") == "error:CLIENT_ERROR bad token in command line format");
  CHECK(first("mg a Fx\r\n") == kBadFormat);
  CHECK(first("mg a MXY\r\n") == "error:CLIENT_ERROR incorrect length for M token");
  CHECK(first("mg a Mx\r\n").starts_with("cmd20"));
  CHECK(first("mg a Jx\r\n") == "error:CLIENT_ERROR invalid numeric initial value");
  CHECK(first("mg a Dx\r\n") == "error:CLIENT_ERROR invalid numeric delta value");
  CHECK(first("mg a O" + std::string(40, 'o') + "\r\n") == "error:CLIENT_ERROR opaque token too long");
  CHECK(first("mg a O" + std::string(31, 'o') + "\r\n").starts_with("cmd20"));
  CHECK(first("mg a O\r\n").starts_with("cmd20"));
  CHECK(first("md a zz\r\n") == "error:CLIENT_ERROR invalid or duplicate flag");
  CHECK(first("md a Cx\r\n") == "error:CLIENT_ERROR invalid or duplicate flag");
  CHECK(first("md a O" + std::string(40, 'o') + "\r\n") == "error:CLIENT_ERROR opaque token too long");
  CHECK(first("ma n Dx\r\n") == "error:CLIENT_ERROR invalid or duplicate flag");
  CHECK(first("ma n MX\r\n") == "error:CLIENT_ERROR invalid mode for ma M token");
  CHECK(first("ma n Mi\r\n") == "error:CLIENT_ERROR invalid mode for ma M token");
  CHECK(first("ma n M+\r\n").starts_with("cmd23"));
  std::string flags18 = " v f t c s k h l u O1 q T1 N1 R1 P L I C1";
  CHECK(first("md a" + flags18 + "\r\n") == "error:CLIENT_ERROR options flags too long");
  CHECK(first("ma a" + flags18 + "\r\n") == "error:CLIENT_ERROR options flags too long");
  CHECK(first("mg a\tv\r\n") == "cmd20 k=a\tv f=0 e=0 c=0 d=0");
}

TEST_CASE("memcache ms errors: which ones swallow the data block") {
  auto expect = [&](const std::string& input, const std::string& error, bool swallowed) {
    std::vector<std::string> want{error};
    if (!swallowed) {
      want.push_back("error:ERROR");
    }
    want.push_back("cmd19 f=0 e=0 c=0 d=0");
    CHECK_MESSAGE(parse_all(input + "z\r\nmn\r\n") == want, input);
  };
  expect("ms a\r\n", kBadFormat, false);
  expect("ms a x\r\n", kBadFormat, false);
  expect("ms a -1\r\n", kBadFormat, false);
  expect("ms a 2147483646\r\n", kBadFormat, false);
  expect("ms " + std::string(251, 'k') + " 1\r\n", kBadFormat, false);
  expect("ms a 1 v f t c s k h l u O1 q T1 N1 R1 P L E1\r\n", "error:CLIENT_ERROR options flags too long", false);
  CHECK(first("ms a 1 v f t c s k h l u O1 q T1 N1 R1 P L\r\nz\r\n").starts_with("cmd21"));
  expect("ms a 1 zz\r\n", "error:CLIENT_ERROR invalid flag", true);
  expect("ms a 1 c c\r\n", "error:CLIENT_ERROR duplicate flag", true);
  expect("ms a 1 Fx\r\n", kBadFormat, true);
  expect("ms a 1 Tx\r\n", "error:CLIENT_ERROR bad token in command line format", true);
  expect("ms a 1 MX\r\n", "error:CLIENT_ERROR invalid mode for ms M token", true);
  expect("ms a 1 O" + std::string(40, 'o') + "\r\n", "error:CLIENT_ERROR opaque token too long", true);
  CHECK(parse_all("ms a 1\r\nzz\r\nmn\r\n") ==
        std::vector<std::string>{"error:CLIENT_ERROR bad data chunk", "error:ERROR",
                                 "cmd19 f=0 e=0 c=0 d=0"});
  expect("ms a 1 Ma\r\n", "error:CLIENT_ERROR invalid mode for ms M token", true);
  CHECK(parse_all("ms a 1 q\r\nzz\r\n") ==
        std::vector<std::string>{"error:CLIENT_ERROR bad data chunk", "error:ERROR"});
  MemcacheLimits limits;
  limits.item_size_max = 4;
  CHECK(parse_all("ms a 5 T1\r\nabcde\r\nmn\r\n", limits) ==
        std::vector<std::string>{"error:SERVER_ERROR object too large for cache",
                                 "cmd19 f=0 e=0 c=0 d=0"});
}
