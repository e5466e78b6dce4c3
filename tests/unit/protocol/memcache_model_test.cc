// Tests for the memcached shapes of the reply model and their text encoding
// (memcache_model.h).
#include <doctest/doctest.h>

#include <string>

#include "protocol/memcache_model.h"

using namespace tessera::protocol;

namespace {

std::string encode(const ReplyBuffer& model) {
  std::string out;
  encode_memcache_text(model.view(), out);
  return out;
}

}  // namespace

TEST_CASE("lines and errors end in CRLF") {
  ReplyBuffer model;
  ReplyWriter w(model);
  w.simple("STORED");
  w.error("CLIENT_ERROR bad data chunk");
  w.simple("42");
  CHECK(encode(model) == "STORED\r\nCLIENT_ERROR bad data chunk\r\n42\r\n");
}

TEST_CASE("values: hits in order, misses skipped, END appended") {
  ReplyBuffer model;
  ReplyWriter w(model);
  w.array(3);
  write_memcache_value(w, "a", 5, "hi");
  w.null();
  write_memcache_value_cas(w, "c", 0, "", 77);
  CHECK(encode(model) == "VALUE a 5 2\r\nhi\r\nVALUE c 0 0 77\r\n\r\nEND\r\n");

  ReplyBuffer empty;
  ReplyWriter e(empty);
  e.array(1);
  e.null();
  CHECK(encode(empty) == "END\r\n");
}

TEST_CASE("meta replies: code with flags, VA with its value") {
  ReplyBuffer model;
  ReplyWriter w(model);
  write_meta_reply(w, MetaCode::kHd, nullptr, " c5 O1");
  const std::string_view value = "xyz";
  write_meta_reply(w, MetaCode::kVa, &value, " f0");
  write_meta_reply(w, MetaCode::kEn, nullptr, "");
  CHECK(encode(model) == "HD c5 O1\r\nVA 3 f0\r\nxyz\r\nEN\r\n");
}

TEST_CASE("a shape the encoder does not know is replaced, and the stream stays aligned") {
  ReplyBuffer model;
  ReplyWriter w(model);
  w.map(1);
  w.bulk("k");
  w.bulk("v");
  w.simple("END");
  CHECK(encode(model) == "SERVER_ERROR unexpected reply\r\nEND\r\n");
}

TEST_CASE("an empty model (a noreply command) encodes to nothing") {
  ReplyBuffer model;
  CHECK(encode(model).empty());
}
