// Tests for the memcached commands (memcache_text_commands.cc, memcache_meta_commands.cc,
// memcache_binary_commands.cc, memcache_items.cc): wire bytes in, wire bytes out, through
// the real parsers and encoders, on one shard and on several (multi-key get split and
// joined in key order). Expected bytes are memcached 1.6.18's, except where a comment says
// Tessera deviates.
#include <doctest/doctest.h>

#include <string>

#include "memcache_test_util.h"

using tessera::engine::test::MemcacheHarness;

namespace {

constexpr int64_t kMs = 1000;

// "VALUE k f n <cas>" -> the cas number.
uint64_t cas_of(const std::string& reply) {
  size_t line_end = reply.find("\r\n");
  size_t space = reply.rfind(' ', line_end);
  return std::stoull(reply.substr(space + 1, line_end - space - 1));
}

std::string binary_packet(uint8_t opcode, std::string_view key, std::string_view extras = {},
                          std::string_view value = {}, uint32_t opaque = 0, uint64_t cas = 0) {
  std::string p(24, '\0');
  p[0] = static_cast<char>(0x80);
  p[1] = static_cast<char>(opcode);
  p[2] = static_cast<char>(key.size() >> 8);
  p[3] = static_cast<char>(key.size());
  p[4] = static_cast<char>(extras.size());
  const uint32_t body = static_cast<uint32_t>(extras.size() + key.size() + value.size());
  for (int i = 0; i < 4; ++i) {
    p[8 + i] = static_cast<char>(body >> (24 - 8 * i));
    p[12 + i] = static_cast<char>(opaque >> (24 - 8 * i));
  }
  for (int i = 0; i < 8; ++i) {
    p[16 + i] = static_cast<char>(cas >> (56 - 8 * i));
  }
  return p + std::string(extras) + std::string(key) + std::string(value);
}

uint16_t binary_status(std::string_view response) {
  return static_cast<uint16_t>((static_cast<unsigned char>(response[6]) << 8) | static_cast<unsigned char>(response[7]));
}

}  // namespace

TEST_CASE("text storage commands and get") {
  MemcacheHarness mc;
  CHECK(mc.send("set a 5 0 2\r\nhi\r\nget a\r\n") == "STORED\r\nVALUE a 5 2\r\nhi\r\nEND\r\n");
  CHECK(mc.send("add a 0 0 1\r\nx\r\nadd b 0 0 1\r\nx\r\n") == "NOT_STORED\r\nSTORED\r\n");
  CHECK(mc.send("replace zz 0 0 1\r\nx\r\nreplace b 7 0 1\r\ny\r\n") == "NOT_STORED\r\nSTORED\r\n");
  // append/prepend keep the item's flags; the ones sent are ignored.
  CHECK(mc.send("append a 9 0 3\r\n!!!\r\nprepend a 9 0 1\r\n<\r\nget a\r\n") ==
        "STORED\r\nSTORED\r\nVALUE a 5 6\r\n<hi!!!\r\nEND\r\n");
  CHECK(mc.send("append nope 0 0 1\r\nx\r\n") == "NOT_STORED\r\n");
  CHECK(mc.send("get a b missing\r\n") == "VALUE a 5 6\r\n<hi!!!\r\nVALUE b 7 1\r\ny\r\nEND\r\n");
  CHECK(mc.send("delete a\r\ndelete a\r\nget a\r\n") == "DELETED\r\nNOT_FOUND\r\nEND\r\n");
}

TEST_CASE("noreply suppresses every reply, errors included") {
  MemcacheHarness mc;
  CHECK(mc.send("set a 0 0 3 noreply\r\nabc\r\nincr a 1 noreply\r\ndelete zz noreply\r\nget a\r\n") ==
        "VALUE a 0 3\r\nabc\r\nEND\r\n");
  CHECK(mc.send("flush_all noreply\r\nget a\r\n") == "END\r\n");
}

TEST_CASE("cas uniques are assigned on demand and change with the value") {
  MemcacheHarness mc;
  mc.send("set k 0 0 1\r\nx\r\n");
  const std::string first = mc.send("gets k\r\n");
  const uint64_t cas = cas_of(first);
  CHECK(cas != 0);
  CHECK(cas_of(mc.send("gets k\r\n")) == cas);  // stable while the value is
  CHECK(mc.send("cas k 0 0 1 " + std::to_string(cas + 1) + "\r\ny\r\n") == "EXISTS\r\n");
  CHECK(mc.send("cas k 3 0 1 " + std::to_string(cas) + "\r\ny\r\n") == "STORED\r\n");
  // The CAS just used no longer matches: the store dropped it.
  CHECK(mc.send("cas k 0 0 1 " + std::to_string(cas) + "\r\nz\r\n") == "EXISTS\r\n");
  const uint64_t next = cas_of(mc.send("gets k\r\n"));
  CHECK(next != cas);
  CHECK(mc.send("cas gone 0 0 1 1\r\nz\r\n") == "NOT_FOUND\r\n");
  // An item nobody asked the CAS of matches no CAS, not even 0.
  mc.send("set fresh 0 0 1\r\nx\r\n");
  CHECK(mc.send("cas fresh 0 0 1 0\r\nz\r\n") == "EXISTS\r\n");
}

TEST_CASE("incr and decr as memcached: wrap, floor at zero, non-numeric") {
  MemcacheHarness mc;
  mc.send("set n 4 0 2\r\n10\r\n");
  CHECK(mc.send("incr n 5\r\ndecr n 100\r\n") == "15\r\n0\r\n");
  // Flags kept; a shorter number is stored as the number (memcached pads it with spaces).
  CHECK(mc.send("get n\r\n") == "VALUE n 4 1\r\n0\r\nEND\r\n");
  mc.send("set big 0 0 20\r\n18446744073709551615\r\n");
  CHECK(mc.send("incr big 2\r\n") == "1\r\n");
  mc.send("set huge 0 0 19\r\n9223372036854775807\r\n");
  CHECK(mc.send("incr huge 1\r\nget huge\r\n") == "9223372036854775808\r\nVALUE huge 0 19\r\n9223372036854775808\r\nEND\r\n");
  mc.send("set s 0 0 3\r\nabc\r\nset neg 0 0 2\r\n-1\r\n");
  CHECK(mc.send("incr s 1\r\nincr neg 1\r\nincr missing 1\r\n") ==
        "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n"
        "CLIENT_ERROR cannot increment or decrement non-numeric value\r\nNOT_FOUND\r\n");
}

TEST_CASE("exptime: relative, absolute, negative; touch and gat") {
  MemcacheHarness mc;
  mc.send("set rel 0 10 1\r\nx\r\n");
  const int64_t absolute = mc.now_ms / kMs + 100;
  mc.send("set abs 0 " + std::to_string(absolute) + " 1\r\ny\r\n");
  CHECK(mc.send("set neg 0 -1 1\r\nz\r\nget neg\r\n") == "STORED\r\nEND\r\n");
  CHECK(mc.send("set past 0 1000000000 1\r\nz\r\nget past\r\n") == "STORED\r\nEND\r\n");
  mc.now_ms += 11 * kMs;
  CHECK(mc.send("get rel abs\r\n") == "VALUE abs 0 1\r\ny\r\nEND\r\n");
  CHECK(mc.send("touch abs 5\r\ntouch rel 5\r\n") == "TOUCHED\r\nNOT_FOUND\r\n");
  CHECK(mc.send("gat 100 abs\r\n") == "VALUE abs 0 1\r\ny\r\nEND\r\n");
  mc.now_ms += 50 * kMs;
  CHECK(mc.send("get abs\r\n") == "VALUE abs 0 1\r\ny\r\nEND\r\n");  // gat extended it
  CHECK(mc.send("gat -1 abs\r\nget abs\r\n") == "VALUE abs 0 1\r\ny\r\nEND\r\nEND\r\n");
}

TEST_CASE("flush_all with a delay clears what exists when the time comes") {
  MemcacheHarness mc(3);
  mc.send("set a 0 0 1\r\n1\r\nset b 0 0 1\r\n2\r\nset c 0 0 1\r\n3\r\n");
  CHECK(mc.send("flush_all 5\r\n") == "OK\r\n");
  CHECK(mc.send("get a b c\r\n") == "VALUE a 0 1\r\n1\r\nVALUE b 0 1\r\n2\r\nVALUE c 0 1\r\n3\r\nEND\r\n");
  mc.now_ms += 5 * kMs;
  CHECK(mc.send("get a b c\r\n") == "END\r\n");
  CHECK(mc.send("set a 0 0 1\r\n1\r\nflush_all\r\nget a\r\n") == "STORED\r\nOK\r\nEND\r\n");
}

TEST_CASE("a multi-key get across shards answers in request order") {
  MemcacheHarness mc(4);
  std::string sets;
  std::string expected;
  std::string keys;
  for (int i = 0; i < 40; ++i) {
    const std::string key = "key" + std::to_string(i);
    if (i % 3 != 0) {
      sets += "set " + key + " " + std::to_string(i) + " 0 1\r\nv\r\n";
      expected += "VALUE " + key + " " + std::to_string(i) + " 1\r\nv\r\n";
    }
    keys += " " + key;
  }
  mc.send(sets);
  CHECK(mc.send("get" + keys + "\r\n") == expected + "END\r\n");
}

TEST_CASE("too large values unlink the key; bad data chunks resynchronise") {
  MemcacheHarness mc;
  mc.send("set big 0 0 1\r\nx\r\n");
  const std::string value(1024 * 1024 + 1, 'v');
  CHECK(mc.send("set big 0 0 " + std::to_string(value.size()) + "\r\n" + value + "\r\nget big\r\n") ==
        "SERVER_ERROR object too large for cache\r\nEND\r\n");
  CHECK(mc.send("set a 0 0 1\r\nxy\r\nget a\r\n") == "CLIENT_ERROR bad data chunk\r\nERROR\r\nEND\r\n");
}

TEST_CASE("meta get, set, delete and return flags") {
  MemcacheHarness mc;
  CHECK(mc.send("mg missing v\r\nmg missing v k O123\r\n") == "EN\r\nEN kmissing O123\r\n");
  CHECK(mc.send("ms a 2 F5 T100\r\nhi\r\n") == "HD\r\n");
  CHECK(mc.send("mg a v k f t s O1\r\n") == "VA 2 ka f5 t100 s2 O1\r\nhi\r\n");
  CHECK(mc.send("mg a h l\r\nmg a h l\r\n") == "HD h1 l0\r\nHD h1 l0\r\n");  // fetched by the mg above
  CHECK(mc.send("mg missing v q\r\nmn\r\n") == "MN\r\n");
  CHECK(mc.send("ms a 1 q\r\nz\r\nmn\r\n") == "MN\r\n");
  CHECK(mc.send("ms a 1 ME\r\nz\r\nms new 1 MR\r\nz\r\nms a 2 MA\r\n!!\r\nmg a v\r\n") ==
        "NS\r\nNS\r\nHD\r\nVA 3\r\nz!!\r\n");
  // ms reports c whatever the outcome: 0 when nothing was stored (memcached 1.6.18).
  CHECK(mc.send("ms a 1 ME c k\r\nz\r\nms nope 1 C5 c\r\nz\r\nms a 1 C5 c O2\r\nz\r\n") ==
        "NS c0 ka\r\nNF c0\r\nEX c0 O2\r\n");
  // Add mode ignores a CAS: it stores a missing key and refuses an existing one (NS, not EX).
  CHECK(mc.send("ms fresh 1 ME C999\r\nz\r\nms fresh 1 ME C999\r\ny\r\nmg fresh v\r\n") ==
        "HD\r\nNS\r\nVA 1\r\nz\r\n");
  // C0 matches nothing in set and replace mode; append, prepend and ma take it as no CAS.
  CHECK(mc.send("ms z 1\r\nv\r\nms z 1 C0\r\nw\r\nms z 1 MR C0\r\nw\r\nms z 1 MA C0\r\na\r\n"
                "ms z 1 MP C0\r\np\r\nmg z v\r\n") == "HD\r\nEX\r\nEX\r\nHD\r\nHD\r\nVA 3\r\npva\r\n");
  CHECK(mc.send("ms n 1\r\n5\r\nma n C0 v\r\n") == "HD\r\nVA 1\r\n6\r\n");
  // Stored already expired: HD with the CAS the item got, and the key is gone.
  const std::string expired = mc.send("ms gone 1 T-1 c\r\nz\r\nmg gone v\r\n");
  CHECK(expired.starts_with("HD c"));
  CHECK(!expired.starts_with("HD c0\r\n"));
  CHECK(expired.ends_with("\r\nEN\r\n"));
  CHECK(mc.send("md a q\r\nmd a\r\nmn\r\n") == "NF\r\nMN\r\n");
}

TEST_CASE("meta h and l: fetched since stored, seconds since the last access") {
  MemcacheHarness mc;
  CHECK(mc.send("ms a 1\r\nx\r\n") == "HD\r\n");
  mc.now_ms += 5'500;
  // u looks without fetching; the first real fetch reports the store, the next one it.
  CHECK(mc.send("mg a h l u\r\nme a\r\nmg a h l\r\nmg a l h\r\n") ==
        "HD h0 l5\r\nME a exp=-1 la=5 cas=0 fetch=no cls=1 size=58\r\nHD h0 l5\r\nHD l0 h1\r\n");
  mc.now_ms += 2'000;
  CHECK(mc.send("get a\r\nmg a h l v\r\n") == "VALUE a 0 1\r\nx\r\nEND\r\nVA 1 h1 l0\r\nx\r\n");
  // touch, gat, gets and binary-free stores: touch fetches; every store starts over.
  CHECK(mc.send("set t 0 0 1\r\nx\r\ntouch t 100\r\nmg t h\r\n") == "STORED\r\nTOUCHED\r\nHD h1\r\n");
  // incr rewrites a number no longer than before in place, keeping the record (memcached
  // does so unless another reference holds the item, e.g. an unsent reply of a pipeline);
  // a longer number is a new item.
  CHECK(mc.send("set n 0 0 1\r\n5\r\nmg n h\r\nincr n 1\r\nmg n h\r\n") == "STORED\r\nHD h0\r\n6\r\nHD h1\r\n");
  CHECK(mc.send("incr n 10\r\nmg n h\r\n") == "16\r\nHD h0\r\n");
  CHECK(mc.send("append n 0 0 1\r\n7\r\nmg n h\r\nmd n I\r\nmg n h\r\n") ==
        "STORED\r\nHD h0\r\nHD\r\nHD h1 X W\r\n");
  // A vivified item: this mg is its first fetch.
  CHECK(mc.send("mg v N30 h l\r\nmg v h l\r\n") == "HD h0 l0 W\r\nHD h1 l0 Z\r\n");
  // An item stored without memcached (as by a Redis SET) has no record until fetched.
  mc.shard_for("r").db(0).set("r", tessera::core::hash_key("r"), "v", tessera::core::kNoExpiry);
  mc.now_ms += 9'000;
  CHECK(mc.send("mg r h l\r\nmg r h l\r\n") == "HD h0 l0\r\nHD h1 l0\r\n");
}

TEST_CASE("meta stale-while-revalidate: N vivifies, R recaches, I invalidates") {
  MemcacheHarness mc;
  CHECK(mc.send("mg v v N30 t\r\nmg v v N30 t\r\n") == "VA 0 t30 W\r\n\r\nVA 0 t30 Z\r\n\r\n");
  CHECK(mc.send("ms v 2\r\nok\r\nmg v v\r\n") == "HD\r\nVA 2\r\nok\r\n");  // a new value clears the marks
  CHECK(mc.send("md v I T30\r\nmg v v t\r\nmg v v\r\n") == "HD\r\nVA 2 t30 X W\r\nok\r\nVA 2 Z X\r\nok\r\n");
  CHECK(mc.send("ms r 1 T10\r\nx\r\nmg r R5\r\nmg r R30\r\nmg r R30\r\n") == "HD\r\nHD\r\nHD W\r\nHD Z\r\n");
  // ms I with a CAS older than the item's: stored, but stale, with the old expiry.
  const std::string first = mc.send("ms i 1 T100 c\r\na\r\n");
  REQUIRE(first.starts_with("HD c"));
  const std::string old_cas = first.substr(4, first.size() - 6);
  mc.send("mg i c\r\n");
  CHECK(mc.send("md i I\r\nms i 1 I C" + old_cas + "\r\nb\r\nmg i v t\r\n") == "HD\r\nHD\r\nVA 1 t100 X W\r\nb\r\n");
  CHECK(mc.send("ms i 1 I C999999\r\nc\r\n") == "EX\r\n");
  // ms I with the CAS of a value since replaced (which has no CAS yet): that CAS is older.
  const std::string given = mc.send("ms s 1 c\r\na\r\n");
  REQUIRE(given.starts_with("HD c"));
  CHECK(mc.send("ms s 1\r\nb\r\nms s 1 I C" + given.substr(4, given.size() - 6) + "\r\nc\r\nmg s v\r\n") ==
        "HD\r\nHD\r\nVA 1 X W\r\nc\r\n");
  // I applies in set and replace mode only, and C0 is older than nothing.
  const std::string t = mc.send("ms t 1 c\r\na\r\n");
  const std::string t_cas = t.substr(4, t.size() - 6);
  CHECK(mc.send("ms t 1\r\nb\r\nms t 1 I C0\r\nx\r\nms t 1 MA I C" + t_cas + "\r\nx\r\nmg t v\r\n") ==
        "HD\r\nEX\r\nEX\r\nVA 1\r\nb\r\n");
  // md I takes back a win token already out: the next mg wins again.
  CHECK(mc.send("mg w N30\r\nmd w I\r\nmg w\r\nmg w\r\n") == "HD W\r\nHD\r\nHD X W\r\nHD Z X\r\n");
  // Handing out a CAS (gets, mg c) keeps the marks: the token stays out.
  CHECK(mc.send("mg n N30\r\ngets n\r\nmg n\r\n").ends_with("END\r\nHD Z\r\n"));
  CHECK(mc.send("mg p N30\r\nmg p c\r\nmg p\r\n").ends_with(" Z\r\nHD Z\r\n"));
}

TEST_CASE("meta T and N apply in flag order, and t reports the TTL at its place") {
  MemcacheHarness mc;
  // A vivified item has no TTL until N: t before N reports -1.
  CHECK(mc.send("mg a t N1000\r\nmg a t\r\n") == "HD t-1 W\r\nHD t1000 Z\r\n");
  // N then T: T is the TTL kept; T then N: N is.
  CHECK(mc.send("mg b N1000 t T50\r\nmg b t\r\n") == "HD t1000 W\r\nHD t50 Z\r\n");
  CHECK(mc.send("mg c T50 t N1000\r\nmg c t\r\n") == "HD t50 W\r\nHD t1000 Z\r\n");
  // On a stored item, t before T reports the TTL it had.
  CHECK(mc.send("ms d 1 T100\r\nx\r\nmg d t T60\r\nmg d t\r\n") == "HD\r\nHD t100\r\nHD t60\r\n");
  CHECK(mc.send("ms n 1 T100\r\n5\r\nma n t T50\r\nma n T60 t\r\n") == "HD\r\nHD t100\r\nHD t60\r\n");
  CHECK(mc.send("ma m t N1000 T50\r\nmg m t\r\nma m2 N1000 t\r\n") == "HD t-1\r\nHD t50\r\nHD t1000\r\n");
  // A T that expires the item still reports the item it applied to (its CAS).
  const std::string expired = mc.send("ma m2 T-1 c v\r\nmg m2 v\r\n");
  CHECK(expired.starts_with("VA 1 c"));
  CHECK(expired.ends_with("\r\n1\r\nEN\r\n"));  // and the item is gone
  // R tests the TTL left where it stands: after a T before it, not after one behind it.
  CHECK(mc.send("ms x 1 T1000\r\nv\r\nmg x R30 T10\r\nms x 1 T1000\r\nv\r\nmg x T10 R30\r\n") ==
        "HD\r\nHD\r\nHD\r\nHD W\r\n");
  CHECK(mc.send("ms y 1\r\nv\r\nmg y T-1 R30\r\nms z 1\r\nv\r\nmg z T0 R30\r\n") ==
        "HD\r\nHD W\r\nHD\r\nHD\r\n");
}

TEST_CASE("meta cas: c returns, C compares, E sets") {
  MemcacheHarness mc;
  CHECK(mc.send("ms k 1 E77\r\nv\r\nmg k c v\r\n") == "HD\r\nVA 1 c77\r\nv\r\n");
  CHECK(mc.send("ms k 1 C1\r\nw\r\nmd k C1\r\n") == "EX\r\nEX\r\n");
  CHECK(mc.send("ms k 1 C77 c\r\nw\r\n").starts_with("HD c"));
  CHECK(mc.send("md k q\r\nmn\r\nmg k\r\n") == "MN\r\nEN\r\n");
  CHECK(mc.send("ms k 1 C5\r\nw\r\n") == "NF\r\n");
}

TEST_CASE("meta arithmetic") {
  MemcacheHarness mc;
  CHECK(mc.send("ma n\r\n") == "NF\r\n");
  CHECK(mc.send("ma n N0 J7 v\r\nma n v t\r\nma n MD D100 v\r\n") == "VA 1\r\n7\r\nVA 1 t-1\r\n8\r\nVA 1\r\n0\r\n");
  CHECK(mc.send("ma n q D5\r\nmn\r\nmg n v\r\n") == "MN\r\nVA 1\r\n5\r\n");
  // Quiet mode drops ma's value too, but not the reply of a vivifying ma.
  CHECK(mc.send("ma n q v\r\nma fresh q v N0 J3\r\nmn\r\nmg n v\r\n") == "VA 1\r\n3\r\nMN\r\nVA 1\r\n6\r\n");
  mc.send("set s 0 0 1\r\nx\r\n");
  CHECK(mc.send("ma s\r\n") == "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n");
}

TEST_CASE("base64 keys round-trip and are echoed encoded") {
  MemcacheHarness mc;
  // "a b" is not a valid text key; its base64 form is "YSBi".
  CHECK(mc.send("ms YSBi 1 b\r\nx\r\nmg YSBi b v k\r\n") == "HD\r\nVA 1 kYSBi b\r\nx\r\n");
  CHECK(mc.shard_for("a b").db(0).find("a b", tessera::core::hash_key("a b"), mc.now_ms));
}

TEST_CASE("binary protocol: set, get, getk miss, quiet get, incr, add conflict") {
  MemcacheHarness mc;
  const std::string flags_exp("\x00\x00\x00\x07\x00\x00\x00\x00", 8);
  std::string reply = mc.send(binary_packet(0x01, "k", flags_exp, "value", 42));
  REQUIRE(reply.size() == 24);
  CHECK(static_cast<unsigned char>(reply[0]) == 0x81);
  CHECK(binary_status(reply) == 0);
  CHECK(reply.substr(12, 4) == std::string("\x00\x00\x00\x2a", 4));  // opaque echoed
  CHECK(reply.substr(16, 8) != std::string(8, '\0'));                 // a CAS

  reply = mc.send(binary_packet(0x00, "k"));
  REQUIRE(reply.size() == 24 + 4 + 5);
  CHECK(reply.substr(24, 4) == std::string("\x00\x00\x00\x07", 4));
  CHECK(reply.substr(28) == "value");

  reply = mc.send(binary_packet(0x0c, "nope"));  // GETK miss: key and "not found"
  CHECK(binary_status(reply) == 0x01);
  CHECK(reply.substr(24) == "nope");
  CHECK(mc.send(binary_packet(0x09, "nope")).empty());  // GETQ miss: silent

  const std::string arith("\x00\x00\x00\x00\x00\x00\x00\x02" "\x00\x00\x00\x00\x00\x00\x00\x0a" "\x00\x00\x00\x00", 20);
  reply = mc.send(binary_packet(0x05, "ctr", arith));  // created with the initial value
  CHECK(reply.substr(24) == std::string("\x00\x00\x00\x00\x00\x00\x00\x0a", 8));
  reply = mc.send(binary_packet(0x05, "ctr", arith));
  CHECK(reply.substr(24) == std::string("\x00\x00\x00\x00\x00\x00\x00\x0c", 8));
  CHECK(binary_status(mc.send(binary_packet(0x05, "k", arith))) == 0x06);  // non-numeric

  reply = mc.send(binary_packet(0x02, "k", flags_exp, "again"));
  CHECK(binary_status(reply) == 0x02);
  CHECK(reply.substr(24) == "Data exists for key.");

  // ADD and REPLACE carrying a CAS are memcached's `cas`: a missing key is "Not found", a
  // present one is compared (and replaced on a match, also by ADD).
  CHECK(binary_status(mc.send(binary_packet(0x02, "fresh", flags_exp, "v", 0, 77))) == 0x01);
  CHECK(binary_status(mc.send(binary_packet(0x03, "fresh", flags_exp, "v", 0, 77))) == 0x01);
  CHECK(binary_status(mc.send(binary_packet(0x02, "k", flags_exp, "v", 0, 12345))) == 0x02);
  reply = mc.send(binary_packet(0x01, "k", flags_exp, "value"));
  const std::string k_cas = reply.substr(16, 8);
  uint64_t k_cas_value = 0;
  for (char c : k_cas) {
    k_cas_value = (k_cas_value << 8) | static_cast<unsigned char>(c);
  }
  CHECK(binary_status(mc.send(binary_packet(0x02, "k", flags_exp, "added", 0, k_cas_value))) == 0);
  CHECK(mc.send(binary_packet(0x00, "k")).substr(28) == "added");

  // APPEND/PREPEND on a missing key: "Not stored." even with a CAS (memcached checks the key
  // first); on a present key a wrong CAS is "Data exists for key.".
  CHECK(binary_status(mc.send(binary_packet(0x0e, "missing", {}, "v", 0, 5))) == 0x05);
  CHECK(binary_status(mc.send(binary_packet(0x0f, "missing", {}, "v", 0, 5))) == 0x05);
  CHECK(binary_status(mc.send(binary_packet(0x0e, "missing", {}, "v"))) == 0x05);
  CHECK(binary_status(mc.send(binary_packet(0x0e, "k", {}, "v", 0, 12345))) == 0x02);

  // INCR with a wrong CAS: an empty value is non-numeric before the CAS is compared, any
  // other value is compared first (memcached's do_add_delta order).
  CHECK(binary_status(mc.send(binary_packet(0x01, "empty", flags_exp, ""))) == 0);
  CHECK(binary_status(mc.send(binary_packet(0x05, "empty", arith, {}, 0, 999999))) == 0x06);
  CHECK(binary_status(mc.send(binary_packet(0x05, "k", arith, {}, 0, 999999))) == 0x02);
  CHECK(binary_status(mc.send(binary_packet(0x05, "ctr", arith, {}, 0, 999999))) == 0x02);

  // Exptimes are unsigned: 0x80000000 is a unix time in 2038, so the item lives.
  const std::string exp_2038("\x00\x00\x00\x00\x80\x00\x00\x00", 8);
  CHECK(binary_status(mc.send(binary_packet(0x01, "late", exp_2038, "x"))) == 0);
  reply = mc.send(binary_packet(0x00, "late"));
  CHECK(binary_status(reply) == 0);
  CHECK(reply.substr(reply.size() - 1) == "x");
}
