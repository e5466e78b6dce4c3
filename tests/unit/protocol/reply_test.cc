// Tests for the reply model (reply.h): every value written with ReplyWriter reads back
// unchanged with ReplyReader, and skip_value() steps over whole nested values.
#include <doctest/doctest.h>

#include <cstring>
#include <limits>
#include <string>

#include "protocol/reply.h"

using tessera::protocol::ReplyBuffer;
using tessera::protocol::ReplyReader;
using tessera::protocol::ReplyTag;
using tessera::protocol::ReplyValue;
using tessera::protocol::ReplyWriter;

TEST_CASE("every tag round-trips") {
  ReplyBuffer buf;
  ReplyWriter w(buf);
  std::string binary("x\0\r\ny", 5);
  w.simple("OK");
  w.error("ERR boom");
  w.integer(std::numeric_limits<int64_t>::min());
  w.bulk(binary);
  w.bulk("");
  w.null();
  w.null_array();
  w.array(3);
  w.map(2);
  w.set(1);
  w.push(4);
  w.dbl(-1.25);
  w.boolean(true);
  w.boolean(false);
  w.verbatim("mkd", "# title");
  w.big_number("-123456789012345678901234567890");

  ReplyReader r(buf.view());
  ReplyValue v = r.next();
  CHECK(v.tag == ReplyTag::kSimple);
  CHECK(v.str == "OK");
  v = r.next();
  CHECK(v.tag == ReplyTag::kError);
  CHECK(v.str == "ERR boom");
  v = r.next();
  CHECK(v.tag == ReplyTag::kInteger);
  CHECK(v.integer == std::numeric_limits<int64_t>::min());
  v = r.next();
  CHECK(v.tag == ReplyTag::kBulk);
  CHECK(v.str == binary);
  v = r.next();
  CHECK(v.tag == ReplyTag::kBulk);
  CHECK(v.str.empty());
  CHECK(r.next().tag == ReplyTag::kNull);
  CHECK(r.next().tag == ReplyTag::kNullArray);
  v = r.next();
  CHECK(v.tag == ReplyTag::kArray);
  CHECK(v.count == 3);
  v = r.next();
  CHECK(v.tag == ReplyTag::kMap);
  CHECK(v.count == 2);
  v = r.next();
  CHECK(v.tag == ReplyTag::kSet);
  CHECK(v.count == 1);
  v = r.next();
  CHECK(v.tag == ReplyTag::kPush);
  CHECK(v.count == 4);
  v = r.next();
  CHECK(v.tag == ReplyTag::kDouble);
  CHECK(v.dbl == -1.25);
  v = r.next();
  CHECK(v.tag == ReplyTag::kBoolean);
  CHECK(v.boolean);
  v = r.next();
  CHECK(v.tag == ReplyTag::kBoolean);
  CHECK(!v.boolean);
  v = r.next();
  CHECK(v.tag == ReplyTag::kVerbatim);
  CHECK(v.verbatim_format == "mkd");
  CHECK(v.str == "# title");
  v = r.next();
  CHECK(v.tag == ReplyTag::kBigNumber);
  CHECK(v.str == "-123456789012345678901234567890");
  CHECK(r.at_end());
  CHECK(r.position() == buf.data() + buf.size());
}

TEST_CASE("bulk_uninitialized reserves exactly len bytes for the caller") {
  ReplyBuffer buf;
  ReplyWriter w(buf);
  char* p = w.bulk_uninitialized(4);
  std::memcpy(p, "data", 4);
  w.integer(5);
  ReplyReader r(buf.view());
  ReplyValue v = r.next();
  CHECK(v.tag == ReplyTag::kBulk);
  CHECK(v.str == "data");
  CHECK(r.next().integer == 5);
  CHECK(r.at_end());
  ReplyBuffer empty;
  ReplyWriter we(empty);
  we.bulk_uninitialized(0);
  CHECK(ReplyReader(empty.view()).next().str.empty());
}

TEST_CASE("skip_value steps over nested values and returns their bytes") {
  ReplyBuffer buf;
  ReplyWriter w(buf);
  w.map(2);
  w.bulk("k1");
  w.array(2);
  w.set(0);
  w.push(1);
  w.verbatim("txt", "v");
  w.bulk("k2");
  w.null();
  size_t first_end = buf.size();
  w.integer(9);
  w.array(0);

  ReplyReader r(buf.view());
  std::string_view first = r.skip_value();
  CHECK(first.data() == buf.data());
  CHECK(first.size() == first_end);
  CHECK(r.next().integer == 9);
  std::string_view empty_array = r.skip_value();
  CHECK(empty_array.size() == 1 + sizeof(uint32_t));
  CHECK(r.at_end());
}

TEST_CASE("buffer reuse keeps working after clear and truncate") {
  ReplyBuffer buf;
  ReplyWriter w(buf);
  w.bulk("first");
  size_t mark = buf.size();
  w.bulk("dropped");
  buf.truncate(mark);
  ReplyReader r(buf.view());
  CHECK(r.next().str == "first");
  CHECK(r.at_end());
  buf.clear();
  CHECK(buf.empty());
  w.simple("again");
  CHECK(ReplyReader(buf.view()).next().str == "again");
}
