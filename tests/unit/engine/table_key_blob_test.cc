// TABLE.MGET's KEYBLOB: decoding of the packed key list and the rewrite to the KEYS form
// (table_key_blob.h), including every malformed-blob error.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/table_key_blob.h"

namespace tessera::engine {
namespace {

void put_u32(std::string& out, uint32_t v) {
  char b[sizeof v];
  std::memcpy(b, &v, sizeof v);
  out.append(b, sizeof v);
}

std::string blob_of(const std::vector<std::string>& keys) {
  std::string out;
  put_u32(out, static_cast<uint32_t>(keys.size()));
  uint32_t at = 0;
  put_u32(out, 0);
  for (const auto& k : keys) {
    at += static_cast<uint32_t>(k.size());
    put_u32(out, at);
  }
  for (const auto& k : keys) {
    out += k;
  }
  return out;
}

std::vector<std::string> strings(const std::vector<std::string_view>& v) { return {v.begin(), v.end()}; }

TEST_CASE("key blob: decodes keys of any length, including empty and binary ones") {
  std::vector<std::string> keys = {"e:00000001", "", std::string("a\0b\r\n", 5), "k"};
  std::string blob = blob_of(keys);
  std::vector<std::string_view> out;
  CHECK(decode_key_blob(blob, out).empty());
  CHECK(strings(out) == keys);
}

TEST_CASE("key blob: malformed blobs are rejected with the reason") {
  std::vector<std::string_view> out;
  CHECK(decode_key_blob("ab", out) == "ERR invalid KEYBLOB: shorter than its key count");
  CHECK(decode_key_blob(blob_of({}), out) == "ERR invalid KEYBLOB: no keys");
  std::string big;
  put_u32(big, (1u << 20) + 1);
  CHECK(decode_key_blob(big, out) == "ERR invalid KEYBLOB: more than 1048576 keys");
  std::string good = blob_of({"ab", "cd"});
  CHECK(decode_key_blob(good.substr(0, 10), out) == "ERR invalid KEYBLOB: shorter than its offsets");
  CHECK(decode_key_blob(good + "x", out) == "ERR invalid KEYBLOB: trailing bytes after the last key");
  CHECK(decode_key_blob(good.substr(0, good.size() - 1), out) ==
        "ERR invalid KEYBLOB: an offset is past the end of the key bytes");
  std::string first = good;
  first[4] = 1;
  CHECK(decode_key_blob(first, out) == "ERR invalid KEYBLOB: the first offset is not 0");
  std::string order = blob_of({"abc", "d", "ef"});
  uint32_t back = 1;  // off[2] = 1 < off[1] = 3
  std::memcpy(order.data() + 12, &back, sizeof back);
  CHECK(decode_key_blob(order, out) == "ERR invalid KEYBLOB: offsets are not non-decreasing");
}

TEST_CASE("key blob: TABLE.MGET ... KEYBLOB b [FORMAT f] becomes the KEYS form") {
  const CommandSpec* spec = find_command("table.mget");
  REQUIRE(spec != nullptr);
  REQUIRE((spec->rewrite_args != nullptr));
  std::string blob = blob_of({"u1", "u2"});
  std::vector<std::string_view> out;

  std::vector<std::string_view> args = {"TABLE.MGET", "t", "COLUMNS", "a", "b", "keyblob", blob};
  CHECK(spec->rewrite_args(args, out).empty());
  CHECK(strings(out) == std::vector<std::string>{"TABLE.MGET", "t", "COLUMNS", "a", "b", "KEYS", "u1", "u2"});

  out.clear();
  args = {"TABLE.MGET", "t", "COLUMNS", "a", "KEYBLOB", blob, "FORMAT", "json"};
  CHECK(spec->rewrite_args(args, out).empty());
  CHECK(strings(out) == std::vector<std::string>{"TABLE.MGET", "t", "COLUMNS", "a", "KEYS", "u1", "u2", "FORMAT", "json"});

  // The KEYS form, and a column list with no KEYS/KEYBLOB word, are left to the handler.
  out.clear();
  args = {"TABLE.MGET", "t", "COLUMNS", "a", "KEYS", "keyblob", "x"};
  CHECK(spec->rewrite_args(args, out).empty());
  CHECK(out.empty());
  args = {"TABLE.MGET", "t", "COLUMNS", "a", "b", "c", "d"};
  CHECK(spec->rewrite_args(args, out).empty());
  CHECK(out.empty());

  // A KEYBLOB with extra arguments, or a bad blob, is an error reply.
  args = {"TABLE.MGET", "t", "COLUMNS", "a", "KEYBLOB", blob, "extra"};
  CHECK(spec->rewrite_args(args, out) == "ERR syntax error");
  args = {"TABLE.MGET", "t", "COLUMNS", "a", "KEYBLOB", "xyz"};
  CHECK(spec->rewrite_args(args, out) == "ERR invalid KEYBLOB: shorter than its key count");
  CHECK(out.empty());
}

}  // namespace
}  // namespace tessera::engine
