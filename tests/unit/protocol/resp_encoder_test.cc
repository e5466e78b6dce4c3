// Tests for the RESP2/RESP3 encoder (resp_encoder.h): every model tag in both versions,
// nested aggregates, integer edge values and double formatting, all byte-exact. The RESP
// forms were checked against redis-server 7.0.15 (DEBUG PROTOCOL, ZSCORE, HELLO 3).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "protocol/reply.h"
#include "protocol/resp_encoder.h"

using tessera::protocol::encode_resp;
using tessera::protocol::encode_resp_one;
using tessera::protocol::ReplyBuffer;
using tessera::protocol::ReplyWriter;
using tessera::protocol::RespVersion;

namespace {

std::string encode(const std::function<void(ReplyWriter&)>& build, RespVersion v) {
  ReplyBuffer buf;
  ReplyWriter w(buf);
  build(w);
  std::string out;
  encode_resp(buf.view(), v, out);
  return out;
}

std::string resp2(const std::function<void(ReplyWriter&)>& build) {
  return encode(build, RespVersion::kResp2);
}
std::string resp3(const std::function<void(ReplyWriter&)>& build) {
  return encode(build, RespVersion::kResp3);
}

std::string dbl3(double d) {
  return resp3([d](ReplyWriter& w) { w.dbl(d); });
}

}  // namespace

TEST_CASE("scalars in RESP2 and RESP3") {
  auto ok = [](ReplyWriter& w) { w.ok(); };
  CHECK(resp2(ok) == "+OK\r\n");
  CHECK(resp3(ok) == "+OK\r\n");
  auto simple = [](ReplyWriter& w) { w.simple("PONG"); };
  CHECK(resp2(simple) == "+PONG\r\n");
  CHECK(resp3(simple) == "+PONG\r\n");
  auto error = [](ReplyWriter& w) { w.error("ERR syntax error"); };
  CHECK(resp2(error) == "-ERR syntax error\r\n");
  CHECK(resp3(error) == "-ERR syntax error\r\n");
  auto bulk = [](ReplyWriter& w) { w.bulk(std::string_view("a\r\n\0b", 5)); };
  CHECK(resp2(bulk) == std::string("$5\r\na\r\n\0b\r\n", 11));
  CHECK(resp3(bulk) == std::string("$5\r\na\r\n\0b\r\n", 11));
  auto empty = [](ReplyWriter& w) { w.bulk(""); };
  CHECK(resp2(empty) == "$0\r\n\r\n");
  auto null = [](ReplyWriter& w) { w.null(); };
  CHECK(resp2(null) == "$-1\r\n");
  CHECK(resp3(null) == "_\r\n");
  auto null_array = [](ReplyWriter& w) { w.null_array(); };
  CHECK(resp2(null_array) == "*-1\r\n");
  CHECK(resp3(null_array) == "_\r\n");
  auto yes = [](ReplyWriter& w) { w.boolean(true); };
  auto no = [](ReplyWriter& w) { w.boolean(false); };
  CHECK(resp2(yes) == ":1\r\n");
  CHECK(resp2(no) == ":0\r\n");
  CHECK(resp3(yes) == "#t\r\n");
  CHECK(resp3(no) == "#f\r\n");
  auto verbatim = [](ReplyWriter& w) { w.verbatim("txt", "This is a verbatim\nstring"); };
  CHECK(resp2(verbatim) == "$25\r\nThis is a verbatim\nstring\r\n");
  CHECK(resp3(verbatim) == "=29\r\ntxt:This is a verbatim\nstring\r\n");
  auto big = [](ReplyWriter& w) { w.big_number("1234567999999999999999999999999999999"); };
  CHECK(resp2(big) == "$37\r\n1234567999999999999999999999999999999\r\n");
  CHECK(resp3(big) == "(1234567999999999999999999999999999999\r\n");
  auto dbl = [](ReplyWriter& w) { w.dbl(3.141); };
  CHECK(resp2(dbl) == "$5\r\n3.141\r\n");
  CHECK(resp3(dbl) == ",3.141\r\n");
}

TEST_CASE("an error stays one line: CR and LF in its text become spaces") {
  auto build = [](ReplyWriter& w) { w.error("ERR Unknown client type 'a\r\nb\n'"); };
  CHECK(encode(build, RespVersion::kResp2) == "-ERR Unknown client type 'a  b '\r\n");
  CHECK(encode(build, RespVersion::kResp3) == "-ERR Unknown client type 'a  b '\r\n");
}

TEST_CASE("integers: edge values") {
  auto integer = [](int64_t v) {
    return resp2([v](ReplyWriter& w) { w.integer(v); });
  };
  CHECK(integer(0) == ":0\r\n");
  CHECK(integer(1) == ":1\r\n");
  CHECK(integer(-1) == ":-1\r\n");
  CHECK(integer(9) == ":9\r\n");
  CHECK(integer(10) == ":10\r\n");
  CHECK(integer(99) == ":99\r\n");
  CHECK(integer(100) == ":100\r\n");
  CHECK(integer(1234567) == ":1234567\r\n");
  CHECK(integer(-1000000) == ":-1000000\r\n");
  CHECK(integer(INT64_MAX) == ":9223372036854775807\r\n");
  CHECK(integer(INT64_MIN) == ":-9223372036854775808\r\n");
  for (int64_t v = -1500; v <= 1500; v += 7) {
    CHECK(integer(v) == ":" + std::to_string(v) + "\r\n");
  }
  CHECK(resp3([](ReplyWriter& w) { w.integer(42); }) == ":42\r\n");
}

TEST_CASE("bulks of every size class") {
  for (size_t n : {0, 1, 9, 10, 95, 96, 97, 100, 1000, 100000}) {
    std::string s(n, 'x');
    INFO(n);
    CHECK(resp2([&](ReplyWriter& w) { w.bulk(s); }) == "$" + std::to_string(n) + "\r\n" + s + "\r\n");
  }
  ReplyBuffer buf;
  ReplyWriter w(buf);
  char* p = w.bulk_uninitialized(3);
  std::memcpy(p, "abc", 3);
  std::string out;
  encode_resp(buf.view(), RespVersion::kResp2, out);
  CHECK(out == "$3\r\nabc\r\n");
}

TEST_CASE("doubles: shortest round-trip digits in %.17g layout") {
  // Identical to Redis 7.0's "%.17g" where that is already shortest.
  CHECK(dbl3(3) == ",3\r\n");
  CHECK(dbl3(-0.5) == ",-0.5\r\n");
  CHECK(dbl3(0) == ",0\r\n");
  CHECK(dbl3(-0.0) == ",-0\r\n");
  CHECK(dbl3(1e20) == ",1e+20\r\n");
  CHECK(dbl3(1e17) == ",1e+17\r\n");
  CHECK(dbl3(1e16) == ",10000000000000000\r\n");
  CHECK(dbl3(123456789012) == ",123456789012\r\n");
  CHECK(dbl3(0.0001) == ",0.0001\r\n");
  CHECK(dbl3(0.00012345) == ",0.00012345\r\n");
  CHECK(dbl3(1.5e-5) == ",1.5e-05\r\n");
  CHECK(dbl3(1e300) == ",1e+300\r\n");
  CHECK(dbl3(-2.5e-300) == ",-2.5e-300\r\n");
  CHECK(dbl3(123.456) == ",123.456\r\n");
  CHECK(dbl3(12345678901234567.0) == ",12345678901234568\r\n");
  CHECK(dbl3(123456789012345678.0) == ",1.2345678901234568e+17\r\n");
  // Where Redis 7.0 prints round-off noise, the shortest form is used (as newer Redis does).
  CHECK(dbl3(1.1) == ",1.1\r\n");
  CHECK(dbl3(0.1 + 0.2) == ",0.30000000000000004\r\n");
  CHECK(dbl3(1e-5) == ",1e-05\r\n");
  CHECK(dbl3(5e-324) == ",5e-324\r\n");
  CHECK(dbl3(std::numeric_limits<double>::max()) == ",1.7976931348623157e+308\r\n");
  // Special values, written as Redis writes them.
  CHECK(dbl3(std::numeric_limits<double>::infinity()) == ",inf\r\n");
  CHECK(dbl3(-std::numeric_limits<double>::infinity()) == ",-inf\r\n");
  CHECK(dbl3(std::nan("")) == ",nan\r\n");
  CHECK(resp2([](ReplyWriter& w) { w.dbl(-std::numeric_limits<double>::infinity()); }) ==
        "$4\r\n-inf\r\n");
  CHECK(resp2([](ReplyWriter& w) { w.dbl(1.1); }) == "$3\r\n1.1\r\n");
  // Every formatted value reads back as the same double.
  for (double d : {1.1, 2.0 / 3, 1e-7, 6.02214076e23, 4.9e-324, 0.1, 123456.789e-10}) {
    std::string s = dbl3(d);
    CHECK(std::strtod(s.substr(1, s.size() - 3).c_str(), nullptr) == d);  // stod rejects denormals
  }
}

TEST_CASE("aggregates: arrays, maps, sets, pushes, nested") {
  auto nested = [](ReplyWriter& w) {
    w.map(2);
    w.simple("first");
    w.array(2);
    w.integer(1);
    w.set(1);
    w.bulk("x");
    w.bulk("second");
    w.push(2);
    w.null();
    w.boolean(true);
  };
  CHECK(resp3(nested) ==
        "%2\r\n+first\r\n*2\r\n:1\r\n~1\r\n$1\r\nx\r\n$6\r\nsecond\r\n>2\r\n_\r\n#t\r\n");
  CHECK(resp2(nested) ==
        "*4\r\n+first\r\n*2\r\n:1\r\n*1\r\n$1\r\nx\r\n$6\r\nsecond\r\n*2\r\n$-1\r\n:1\r\n");
  auto empty = [](ReplyWriter& w) {
    w.array(0);
    w.map(0);
    w.set(0);
  };
  CHECK(resp2(empty) == "*0\r\n*0\r\n*0\r\n");
  CHECK(resp3(empty) == "*0\r\n%0\r\n~0\r\n");
  auto with_nulls = [](ReplyWriter& w) {
    w.array(3);
    w.bulk("a");
    w.null();
    w.null_array();
  };
  CHECK(resp2(with_nulls) == "*3\r\n$1\r\na\r\n$-1\r\n*-1\r\n");
  CHECK(resp3(with_nulls) == "*3\r\n$1\r\na\r\n_\r\n_\r\n");
}

TEST_CASE("encode_resp_one consumes exactly one top-level value") {
  ReplyBuffer buf;
  ReplyWriter w(buf);
  w.array(2);
  w.array(1);
  w.integer(7);
  w.bulk("b");
  w.ok();
  w.map(1);
  w.bulk("k");
  w.dbl(2.5);
  std::string out;
  size_t first = encode_resp_one(buf.view(), RespVersion::kResp3, out);
  CHECK(out == "*2\r\n*1\r\n:7\r\n$1\r\nb\r\n");
  out.clear();
  size_t second = encode_resp_one(buf.view().substr(first), RespVersion::kResp3, out);
  CHECK(out == "+OK\r\n");
  out.clear();
  size_t third = encode_resp_one(buf.view().substr(first + second), RespVersion::kResp2, out);
  CHECK(out == "*2\r\n$1\r\nk\r\n$3\r\n2.5\r\n");
  CHECK(first + second + third == buf.size());
  // encode_resp appends; it does not clear `out`.
  std::string all = "prefix";
  encode_resp(buf.view(), RespVersion::kResp3, all);
  CHECK(all == "prefix*2\r\n*1\r\n:7\r\n$1\r\nb\r\n+OK\r\n%1\r\n$1\r\nk\r\n,2.5\r\n");
}
