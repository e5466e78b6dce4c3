// TABLE.* handlers on Shards driven directly (command_test_util.h's harness does not know
// find_keys or the table family): single-shard behaviour of every command, and the
// multi-shard TABLE.MGET/INFO join (parts written with key positions, then join_parts).
#include <doctest/doctest.h>

#include <cstring>
#include <string>
#include <vector>

#include "engine/command.h"
#include "engine/reply_join.h"
#include "engine/shard.h"
#include "command_test_util.h"

namespace tessera::engine {
namespace {

using test::Value;


std::string run_model(Shard& shard, std::vector<std::string> argv, std::span<const uint32_t> positions = {}) {
  std::vector<std::string_view> args(argv.begin(), argv.end());
  const CommandSpec* spec = find_command(args[0]);
  REQUIRE(spec != nullptr);
  REQUIRE(arity_ok(spec->arity, args.size()));
  protocol::ReplyBuffer buffer;
  protocol::ReplyWriter writer(buffer);
  CommandContext ctx{args, writer, test::kStartMs, 0, &shard};
  ctx.key_positions = positions;
  spec->handler(ctx);
  return std::string(buffer.view());
}

Value decode(std::string_view model) {
  protocol::ReplyReader reader(model);
  return test::decode_value(reader);
}

std::string run(Shard& shard, std::vector<std::string> argv) { return test::render(decode(run_model(shard, std::move(argv)))); }

TEST_CASE("table: create, schema, list, drop and their errors") {
  Shard shard(0, 1);
  CHECK(run(shard, {"TABLE.CREATE", "t", "COLUMNS", "a", "int8", "v", "vector:float32:2", "TTL", "5"}) == "OK");
  CHECK(run(shard, {"TABLE.CREATE", "t", "COLUMNS", "a", "int8"}) == "(error) ERR table 't' already exists");
  CHECK(run(shard, {"TABLE.CREATE", "u", "COLUMNS", "a", "int9"}) == "(error) ERR unknown type 'int9' for column 'a'");
  CHECK(run(shard, {"TABLE.CREATE", "u", "COLUMNS", "a", "int8", "a", "utf8"}) == "(error) ERR duplicate column 'a'");
  CHECK(run(shard, {"TABLE.CREATE", "u", "COLUMNS", "key", "int8"}) ==
        "(error) ERR column name 'key' is reserved for the row key");
  CHECK(run(shard, {"TABLE.CREATE", "u", "COLUMNS", "a", "int8", "TTL", "0"}).starts_with("(error) ERR invalid TTL"));
  CHECK(run(shard, {"TABLE.CREATE", "u", "FIELDS", "a", "int8"}) == "(error) ERR syntax error");
  CHECK(run(shard, {"TABLE.LIST"}) == "[\"t\"]");
  CHECK(run(shard, {"TABLE.SCHEMA", "t"}) ==
        "\"{\"name\":\"t\",\"ttl_seconds\":5,\"columns\":[{\"name\":\"a\",\"type\":\"int8\"},"
        "{\"name\":\"v\",\"type\":\"vector:float32:2\"}]}\"");
  CHECK(run(shard, {"TABLE.DROP", "t"}) == "OK");
  CHECK(run(shard, {"TABLE.DROP", "t"}) == "(error) ERR no such table 't'");
  CHECK(run(shard, {"TABLE.LIST"}) == "[]");
}

TEST_CASE("table: upsert is partial and all-or-nothing; mget RESP/JSON/COLUMNAR") {
  Shard shard(0, 1);
  run(shard, {"TABLE.CREATE", "t", "COLUMNS", "a", "int16", "f", "float64", "s", "utf8", "b", "bool"});
  CHECK(run(shard, {"TABLE.UPSERT", "t", "k1", "a", "7", "s", "hi"}) == "(integer) 1");
  CHECK(run(shard, {"TABLE.UPSERT", "t", "k1", "f", "0.5"}) == "(integer) 0");
  CHECK(run(shard, {"TABLE.UPSERT", "t", "k1", "b", "TRUE", "a", "40000"}) ==
        "(error) ERR invalid value for column 'a' (int16): out of range");
  CHECK(run(shard, {"TABLE.UPSERT", "t", "k1", "a", "1", "a", "2"}) == "(error) ERR duplicate column 'a'");
  CHECK(run(shard, {"TABLE.UPSERT", "t", "k1", "zz", "1"}) == "(error) ERR no such column 'zz' in table 't'");
  CHECK(run(shard, {"TABLE.MGET", "t", "COLUMNS", "a", "f", "s", "b", "KEYS", "k1", "k2", "FORMAT", "resp"}) ==
        "[[(integer) 7, \"0.5\", \"hi\", (nil)], (nil)]");
  CHECK(run(shard, {"TABLE.MGET", "t", "COLUMNS", "s", "a", "KEYS", "k2", "k1", "FORMAT", "JSON"}) ==
        "\"[null,{\"s\":\"hi\",\"a\":7}]\"");
  Value columnar = decode(run_model(shard, {"TABLE.MGET", "t", "COLUMNS", "a", "s", "KEYS", "k2", "k1"}));
  REQUIRE(columnar.elems.size() == 2);
  CHECK(columnar.elems[0].elems[0].str == "int16");
  CHECK(columnar.elems[0].elems[1].str == std::string("\0\0\x07\0", 4));
  CHECK(columnar.elems[0].elems[2].str == "\x02");
  CHECK(columnar.elems[1].elems[1].str == "hi");
  CHECK(columnar.elems[1].elems[3].str == std::string("\0\0\0\0\0\0\0\0\x02\0\0\0", 12));
  CHECK(run(shard, {"TABLE.MGET", "t", "COLUMNS", "a", "KEYS", "k1", "FORMAT", "xml"}).starts_with(
      "(error) ERR unknown FORMAT"));
  CHECK(run(shard, {"TABLE.DEL", "t", "k1", "k9"}) == "(integer) 1");
  CHECK(run(shard, {"TABLE.MGET", "t", "COLUMNS", "a", "KEYS", "k1", "FORMAT", "RESP"}) == "[(nil)]");
}

TEST_CASE("table: mget find_keys skips the FORMAT option") {
  const CommandSpec* spec = find_command("table.mget");
  REQUIRE(spec != nullptr);
  REQUIRE(static_cast<bool>(spec->find_keys));
  std::vector<std::string_view> args = {"TABLE.MGET", "t", "COLUMNS", "a", "b", "KEYS", "k1", "k2", "FORMAT", "json"};
  KeySpan span = spec->find_keys(args);
  CHECK(span.first == 6);
  CHECK(span.last == 7);
  args = {"TABLE.MGET", "t", "COLUMNS", "a", "KEYS", "FORMAT", "json"};  // keys FORMAT and json
  span = spec->find_keys(args);
  CHECK(span.first == 5);
  CHECK(span.last == 6);
  args = {"TABLE.MGET", "t", "COLUMNS", "a", "b"};
  CHECK(spec->find_keys(args).empty());
}

TEST_CASE("table: batches are validated before writing and split by shard") {
  Shard s0(0, 2);
  Shard s1(1, 2);
  for (Shard* s : {&s0, &s1}) {
    run(*s, {"TABLE.CREATE", "t", "COLUMNS", "a", "int8", "s", "utf8"});
  }
  std::string json = "[";
  for (int i = 0; i < 20; ++i) {
    json += (i ? "," : "") + std::string("{\"key\":\"k") + std::to_string(i) + "\",\"a\":" + std::to_string(i) + "}";
  }
  std::string bad = json + ",{\"key\":\"z\",\"a\":1000}]";
  json += "]";
  CHECK(run(s0, {"TABLE.INSERT", "t", "JSON", bad}) == "(error) ERR invalid value for column 'a': out of range");
  CHECK(run(s0, {"TABLE.INSERT", "t", "JSON", "[{\"key\":1}]"}).find("\"key\" is not a string") != std::string::npos);
  Value w0 = decode(run_model(s0, {"TABLE.INSERT", "t", "JSON", json}));
  Value w1 = decode(run_model(s1, {"TABLE.INSERT", "t", "JSON", json}));
  CHECK(w0.integer + w1.integer == 20);
  CHECK(w0.integer > 0);
  CHECK(w1.integer > 0);
  CHECK(run(s0, {"TABLE.INSERT", "t", "CSV", "x"}).starts_with("(error) ERR unknown batch format"));
  CHECK(run(s0, {"TABLE.INSERT", "t", "COLUMNAR", "TCB1"}) == "(error) ERR columnar batch: truncated header");
}

TEST_CASE("table: mget and info parts join into the single-shard reply") {
  Shard s0(0, 2);
  Shard s1(1, 2);
  Shard single(0, 1);
  for (Shard* s : {&s0, &s1, &single}) {
    run(*s, {"TABLE.CREATE", "t", "COLUMNS", "a", "int32", "s", "bytes"});
  }
  std::vector<std::string> keys = {"a", "b", "c", "d", "e", "f", "g", "h"};
  for (size_t i = 0; i < keys.size(); ++i) {
    Shard& owner = core::hash_key(keys[i]) % 2 == 0 ? s0 : s1;
    for (Shard* s : {&owner, &single}) {
      run(*s, {"TABLE.UPSERT", "t", keys[i], "a", std::to_string(i), "s", std::string(i, 'x')});
    }
  }
  keys.push_back("missing");
  for (std::string format : {"COLUMNAR", "RESP", "JSON"}) {
    std::vector<std::string> base = {"TABLE.MGET", "t", "COLUMNS", "s", "a", "KEYS"};
    std::vector<std::string> all = base;
    all.insert(all.end(), keys.begin(), keys.end());
    all.insert(all.end(), {"FORMAT", format});
    std::string expected = run_model(single, all);
    // One part per shard, as the runtime splits it.
    std::vector<std::string> argv[2] = {base, base};
    std::vector<uint32_t> positions[2];
    for (uint32_t k = 0; k < keys.size(); ++k) {
      size_t s = core::hash_key(keys[k]) % 2;
      argv[s].push_back(keys[k]);
      positions[s].push_back(k);
    }
    std::string models[2];
    for (size_t s = 0; s < 2; ++s) {
      argv[s].insert(argv[s].end(), {"FORMAT", format});
      REQUIRE(!positions[s].empty());
      models[s] = run_model(s == 0 ? s0 : s1, argv[s], positions[s]);
    }
    ReplyPart parts[2] = {{models[0], positions[0]}, {models[1], positions[1]}};
    protocol::ReplyBuffer joined;
    protocol::ReplyWriter writer(joined);
    join_parts(Join::kColumnarInKeyOrder, parts, static_cast<uint32_t>(keys.size()), writer);
    CHECK_MESSAGE(joined.view() == expected, format);
  }
  std::string info[2] = {run_model(s0, {"TABLE.INFO", "t"}), run_model(s1, {"TABLE.INFO", "t"})};
  ReplyPart parts[2] = {{info[0], {}}, {info[1], {}}};
  protocol::ReplyBuffer joined;
  protocol::ReplyWriter writer(joined);
  join_parts(Join::kColumnarInKeyOrder, parts, 0, writer);
  Value v = decode(joined.view());
  REQUIRE(v.elems.size() >= 2);
  CHECK(v.elems[0].str == "rows");
  CHECK(v.elems[1].integer == 8);
}

TEST_CASE("table: scan walks every shard through the cursor") {
  Shard s0(0, 2);
  Shard s1(1, 2);
  std::vector<std::string> keys;
  for (Shard* s : {&s0, &s1}) {
    run(*s, {"TABLE.CREATE", "t", "COLUMNS", "a", "int8"});
  }
  for (int i = 0; i < 30; ++i) {
    std::string key = "k" + std::to_string(i);
    run(core::hash_key(key) % 2 == 0 ? s0 : s1, {"TABLE.UPSERT", "t", key, "a", "1"});
  }
  std::string cursor = "0";
  size_t seen = 0;
  for (int guard = 0; guard < 100; ++guard) {
    // As the runtime routes Routing::kCursor: the low 8 bits of the cursor name the shard.
    uint64_t shard = (std::stoull(cursor) & 0xFF) % 2;
    Shard& owner = shard == 0 ? s0 : s1;
    Shard& other = shard == 0 ? s1 : s0;
    Value answer = decode(run_model(owner, {"TABLE.SCAN", "t", cursor, "COUNT", "4"}));
    REQUIRE(answer.tag == protocol::ReplyTag::kArray);
    CHECK(decode(run_model(other, {"TABLE.SCAN", "t", cursor, "COUNT", "4"})).tag == protocol::ReplyTag::kError);
    seen += answer.elems[1].elems.size();
    cursor = answer.elems[0].str;
    if (cursor == "0") {
      break;
    }
  }
  CHECK(cursor == "0");
  CHECK(seen == 30);
}

}  // namespace
}  // namespace tessera::engine
