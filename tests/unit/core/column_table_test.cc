// ColumnTable against a reference model (std::map of key -> row of optional cells) under
// randomized upserts, partial updates, batch scatters, nulls, deletes, compaction steps and
// expiry, for every column type, in both storage layouts. After each round every key of
// the pool is looked up and every column gathered; cells are compared byte by byte and
// validity bitmaps bit by bit.
#include "core/column_table.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/key_table.h"

namespace {

using tessera::core::ColumnTable;
using tessera::core::ColumnTypeSpec;
using tessera::core::ColumnType;
using tessera::core::hash_key;
using tessera::core::kNoRow;
using tessera::core::parse_column_type;
using tessera::core::Schema;
using tessera::core::StorageLayout;
using tessera::core::VarCells;

using Cell = std::optional<std::string>;

struct ModelRow {
  std::vector<Cell> cells;
  int64_t expire_at = 0;
};

const char* const kAllTypes[] = {"int8",   "int16",   "int32",   "int64",  "uint8",
                                 "uint16", "uint32",  "uint64",  "float32", "float64",
                                 "bool",   "utf8",    "bytes",   "vector:float32:3",
                                 "float32", "vector:float32:20", "int64", "utf8"};

Schema make_schema(int64_t ttl_ms) {
  Schema s;
  int i = 0;
  for (const char* t : kAllTypes) {
    REQUIRE_FALSE(s.add_column("c" + std::to_string(i++), *parse_column_type(t)).has_value());
  }
  s.set_ttl_ms(ttl_ms);
  return s;
}

// Keys of the pool: mixed lengths from the start (variable key storage), one length
// (fixed key storage), or one length until the odd keys join mid-run (the switch from
// fixed to variable storage with live rows).
enum class KeyStyle { kMixed, kFixed, kFixedThenMixed };

// Dense: every write gives every column a value (no nulls), so reads take the path of
// columns without null rows; otherwise cells are nulled at random.
enum class Density { kSparse, kDense };

class Harness {
 public:
  Harness(const Schema& schema, StorageLayout layout, uint64_t seed, size_t pool,
          KeyStyle style = KeyStyle::kMixed, Density density = Density::kSparse)
      : schema_(schema), table_(schema, layout), rng_(seed), dense_(density == Density::kDense) {
    for (size_t i = 0; i < pool; ++i) {
      if (style == KeyStyle::kMixed) {
        // Mixed key lengths, including long ones (multi-byte varint) and the empty key.
        keys_.push_back(i == 0 ? std::string() : "k" + std::to_string(i) + std::string(i % 7 == 0 ? 150 : 0, 'x'));
      } else {
        // 12 bytes (two overlapping 8-byte compares) or 7 (two 4-byte ones).
        char buf[16];
        std::snprintf(buf, sizeof buf, style == KeyStyle::kFixed ? "key-%08zu" : "k%06zu", i);
        keys_.push_back(buf);
      }
    }
    usable_ = keys_.size();
    if (style == KeyStyle::kFixedThenMixed) {
      for (size_t i = 0; i < pool / 10; ++i) {
        keys_.push_back("odd" + std::to_string(i) + std::string(i % 3 == 0 ? 140 : 0, 'y'));
      }
    }
  }

  // Lets the keys added after the pool (KeyStyle::kFixedThenMixed) be written from now on.
  void allow_all_keys() { usable_ = keys_.size(); }

  std::string random_value(uint32_t column) {
    const ColumnTypeSpec& spec = schema_.column(column).spec;
    if (spec.type == ColumnType::kBool) {
      return std::string(1, static_cast<char>(rng_() % 2));
    }
    size_t len = spec.is_variable_width() ? rng_() % 40 : spec.width();
    std::string v(len, '\0');
    for (char& ch : v) {
      ch = static_cast<char>(rng_());
    }
    return v;
  }

  bool visible(const std::string& key) const {
    auto it = model_.find(key);
    return it != model_.end() && !(it->second.expire_at != 0 && it->second.expire_at <= now_);
  }

  ModelRow& model_upsert(const std::string& key) {
    if (!visible(key)) {
      model_[key] = ModelRow{std::vector<Cell>(schema_.size()), 0};
    }
    ModelRow& row = model_[key];
    if (schema_.ttl_ms() != 0) {
      row.expire_at = now_ + schema_.ttl_ms();
    }
    return row;
  }

  const std::string& pick_key() { return keys_[rng_() % usable_]; }

  void op_upsert() {
    const std::string& key = pick_key();
    uint32_t row = table_.upsert_row(key, hash_key(key), now_);
    ModelRow& m = model_upsert(key);
    size_t writes = dense_ ? schema_.size() : rng_() % 5;
    for (size_t w = 0; w < writes; ++w) {
      auto c = static_cast<uint32_t>(dense_ ? w : rng_() % schema_.size());
      if (!dense_ && rng_() % 4 == 0) {
        table_.set_null(row, c);
        m.cells[c].reset();
      } else {
        std::string v = random_value(c);
        table_.set_cell(row, c, v);
        m.cells[c] = v;
      }
    }
    if (schema_.ttl_ms() == 0 && rng_() % 10 == 0) {
      int64_t at = now_ + 1 + static_cast<int64_t>(rng_() % 50);
      table_.set_expiry(row, at);
      m.expire_at = at;
    }
  }

  void op_scatter() {
    std::set<std::string> picked;
    size_t n = 1 + rng_() % 30;
    while (picked.size() < n && picked.size() < usable_) {
      picked.insert(pick_key());
    }
    std::vector<std::string_view> keys(picked.begin(), picked.end());
    std::vector<uint64_t> hashes;
    for (auto k : keys) {
      hashes.push_back(hash_key(k));
    }
    std::vector<uint32_t> rows(keys.size());
    table_.upsert_rows(keys, hashes, now_, rows);
    std::vector<ModelRow*> mrows;
    for (auto k : keys) {
      mrows.push_back(&model_upsert(std::string(k)));
    }
    for (uint32_t c = 0; c < schema_.size(); ++c) {
      if (dense_ || c == 0) {
        scatter_column(dense_ ? c : static_cast<uint32_t>(rng_() % schema_.size()), keys, rows, mrows);
      }
    }
  }

  void scatter_column(uint32_t c, const std::vector<std::string_view>& keys, const std::vector<uint32_t>& rows,
                      const std::vector<ModelRow*>& mrows) {
    bool with_validity = !dense_ && rng_() % 2 == 0;
    std::vector<uint8_t> validity((keys.size() + 7) / 8);
    std::string packed;
    std::vector<uint32_t> offsets{0};
    for (size_t i = 0; i < keys.size(); ++i) {
      bool valid = !with_validity || rng_() % 3 != 0;
      std::string v = valid ? random_value(c) : std::string(schema_.column(c).spec.width(), '\0');
      if (valid) {
        validity[i / 8] |= static_cast<uint8_t>(1u << (i % 8));
        mrows[i]->cells[c] = v;
      } else {
        mrows[i]->cells[c].reset();
      }
      packed += v;
      offsets.push_back(static_cast<uint32_t>(packed.size()));
    }
    const uint8_t* vp = with_validity ? validity.data() : nullptr;
    if (schema_.column(c).spec.is_variable_width()) {
      table_.scatter_variable(c, rows, VarCells{offsets, packed}, vp);
    } else {
      table_.scatter(c, rows, reinterpret_cast<const std::byte*>(packed.data()), vp);
    }
  }

  void op_erase() {
    const std::string& key = pick_key();
    bool expect = visible(key);
    CHECK(table_.erase(key, hash_key(key), now_) == expect);
    model_.erase(key);
  }

  void step() {
    switch (rng_() % 10) {
      case 0: case 1: case 2: case 3: op_upsert(); break;
      case 4: op_scatter(); break;
      case 5: case 6: op_erase(); break;
      case 7: table_.compact_step(rng_() % 8); break;
      case 8: table_.expire_step(now_, rng_() % 16); break;
      default: now_ += static_cast<int64_t>(rng_() % 5); break;
    }
  }

  void verify() {
    const size_t n = keys_.size() + 1;
    std::vector<std::string_view> keys(keys_.begin(), keys_.end());
    keys.push_back("never-inserted");
    std::vector<uint64_t> hashes;
    for (auto k : keys) {
      hashes.push_back(hash_key(k));
    }
    // Request order with repeats: reversed pool, then a duplicate of the first key.
    std::reverse(keys.begin(), keys.end());
    std::reverse(hashes.begin(), hashes.end());
    keys.push_back(keys.front());
    hashes.push_back(hashes.front());
    std::vector<uint32_t> rows(keys.size());
    table_.lookup_rows(keys, hashes, now_, rows);
    // Telling the lookup which columns come next (every column, one twice: variable-width
    // ones and groups without cells are skipped) only loads their rows early.
    std::vector<uint32_t> will_read;
    for (uint32_t c = 0; c < schema_.size(); ++c) {
      will_read.push_back(c);
    }
    will_read.push_back(0);
    std::vector<uint32_t> rows_will_read(keys.size());
    table_.lookup_rows(keys, hashes, now_, rows_will_read, will_read);
    CHECK(rows_will_read == rows);
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string k(keys[i]);
      REQUIRE((rows[i] != kNoRow) == visible(k));
      CHECK(table_.find_row(k, hashes[i], now_) == rows[i]);
      if (rows[i] != kNoRow) {
        CHECK(table_.key_of(rows[i]) == k);
      }
    }
    (void)n;
    for (uint32_t c = 0; c < schema_.size(); ++c) {
      verify_column(c, keys, rows);
    }
    verify_gather_fixed(rows);
    CHECK(table_.null_counts_consistent());
    verify_scan();
  }

  // gather_fixed over every fixed-width column in a random order gives, per column, the
  // bytes and validity of gather() of that column alone (checked against the model above).
  void verify_gather_fixed(const std::vector<uint32_t>& rows) {
    const size_t n = rows.size();
    const size_t vbytes = (n + 7) / 8;
    std::vector<uint32_t> columns;
    for (uint32_t c = 0; c < schema_.size(); ++c) {
      if (!schema_.column(c).spec.is_variable_width()) {
        columns.push_back(c);
      }
    }
    std::shuffle(columns.begin(), columns.end(), rng_);
    columns.resize(1 + rng_() % columns.size());
    std::vector<std::string> values(columns.size());
    std::vector<std::vector<uint8_t>> validity(columns.size(), std::vector<uint8_t>(vbytes, 0xCD));
    std::vector<std::byte*> outs;
    std::vector<uint8_t*> vouts;
    for (size_t j = 0; j < columns.size(); ++j) {
      values[j].assign(n * schema_.column(columns[j]).spec.width(), '\x77');
      outs.push_back(reinterpret_cast<std::byte*>(values[j].data()));
      vouts.push_back(validity[j].data());
    }
    table_.gather_fixed(columns, rows, outs, vouts);
    for (size_t j = 0; j < columns.size(); ++j) {
      CAPTURE(columns[j]);
      std::string one(values[j].size(), '\0');
      std::vector<uint8_t> one_validity(vbytes);
      table_.gather(columns[j], rows, reinterpret_cast<std::byte*>(one.data()), one_validity.data());
      CHECK(values[j] == one);
      CHECK(validity[j] == one_validity);
    }
  }

  void verify_column(uint32_t c, const std::vector<std::string_view>& keys, const std::vector<uint32_t>& rows) {
    const ColumnTypeSpec& spec = schema_.column(c).spec;
    const size_t n = rows.size();
    std::vector<uint8_t> validity((n + 7) / 8, 0xAB);
    std::string data;
    std::vector<uint32_t> offsets(n + 1);
    size_t w = spec.width();
    if (spec.is_variable_width()) {
      table_.gather_variable(c, rows, offsets, data, validity.data());
    } else {
      data.assign(n * w, '\x5A');
      table_.gather(c, rows, reinterpret_cast<std::byte*>(data.data()), validity.data());
    }
    for (size_t i = 0; i < n; ++i) {
      CAPTURE(c);
      CAPTURE(i);
      std::string k(keys[i]);
      Cell expect;
      if (visible(k)) {
        expect = model_.at(k).cells[c];
      }
      bool bit = ((validity[i / 8] >> (i % 8)) & 1) != 0;
      CHECK(bit == expect.has_value());
      std::string got = spec.is_variable_width() ? data.substr(offsets[i], offsets[i + 1] - offsets[i])
                                                 : data.substr(i * w, w);
      std::string want = expect.value_or(spec.is_variable_width() ? std::string() : std::string(w, '\0'));
      CHECK(got == want);
      if (rows[i] != kNoRow) {
        auto cell = table_.read_cell(rows[i], c);
        CHECK(cell.has_value() == expect.has_value());
        if (cell && expect) {
          CHECK(std::string(*cell) == *expect);
        }
      }
    }
    for (size_t i = n; i < validity.size() * 8; ++i) {  // padding bits are zero
      CHECK(((validity[i / 8] >> (i % 8)) & 1) == 0);
    }
    if (spec.is_variable_width()) {
      CHECK(offsets[0] == 0);
      CHECK(offsets[n] == data.size());
    }
  }

  void verify_scan() {
    std::set<std::string> seen;
    uint64_t cursor = 0;
    do {
      size_t count = 1 + rng_() % 20;
      cursor = table_.scan(cursor, count, now_, [&](uint32_t row, std::string_view key) {
        CHECK(table_.key_of(row) == key);
        CHECK(seen.insert(std::string(key)).second);
      });
    } while (cursor != 0);
    std::set<std::string> want;
    for (auto& [k, r] : model_) {
      if (visible(k)) {
        want.insert(k);
      }
    }
    CHECK(seen == want);
  }

  ColumnTable& table() { return table_; }
  size_t visible_rows() const {
    size_t n = 0;
    for (auto& [k, r] : model_) {
      n += visible(k) ? 1 : 0;
    }
    return n;
  }

 private:
  const Schema& schema_;
  ColumnTable table_;
  std::mt19937_64 rng_;
  std::vector<std::string> keys_;
  std::map<std::string, ModelRow> model_;
  int64_t now_ = 1000;
  bool dense_ = false;
  size_t usable_ = 0;  // keys_[0, usable_) may be written
};

void run_random(int64_t ttl_ms, StorageLayout layout, uint64_t seed, KeyStyle style = KeyStyle::kMixed,
                Density density = Density::kSparse) {
  Schema schema = make_schema(ttl_ms);
  constexpr size_t kPool = 300;
  constexpr int kRounds = 40;
  constexpr int kStepsPerRound = 400;
  Harness h(schema, layout, seed, kPool, style, density);
  for (int round = 0; round < kRounds; ++round) {
    if (round == kRounds / 2) {
      h.allow_all_keys();
    }
    for (int s = 0; s < kStepsPerRound; ++s) {
      h.step();
    }
    h.verify();
  }
  // Drain: compaction to the end leaves no holes and the same visible contents.
  while (h.table().compact_step(16) != 0) {
  }
  CHECK(h.table().holes() == 0);
  h.verify();
}

}  // namespace

TEST_CASE("randomized against the model: pure columns, no ttl") { run_random(0, StorageLayout{0}, 1); }
TEST_CASE("randomized against the model: row groups, no ttl") { run_random(0, StorageLayout{64}, 2); }
TEST_CASE("randomized against the model: pure columns, table ttl") { run_random(40, StorageLayout{0}, 3); }
TEST_CASE("randomized against the model: row groups, table ttl") { run_random(40, StorageLayout{64}, 4); }
TEST_CASE("randomized against the model: default layout") {
  run_random(0, ColumnTable::kDefaultLayout, 5);
}

TEST_CASE("randomized against the model: one key length (fixed key storage)") {
  run_random(0, ColumnTable::kDefaultLayout, 6, KeyStyle::kFixed);
}
TEST_CASE("randomized against the model: fixed key storage switching to variable mid-run") {
  run_random(40, ColumnTable::kDefaultLayout, 7, KeyStyle::kFixedThenMixed);
  run_random(0, StorageLayout{0}, 8, KeyStyle::kFixedThenMixed);
}
TEST_CASE("randomized against the model: dense columns (no null rows), fixed keys") {
  run_random(0, ColumnTable::kDefaultLayout, 9, KeyStyle::kFixed, Density::kDense);
  run_random(40, StorageLayout{0}, 10, KeyStyle::kFixedThenMixed, Density::kDense);
}

TEST_CASE("sparse columns cost nothing until written") {
  Schema schema;
  for (int i = 0; i < 4; ++i) {
    REQUIRE_FALSE(schema.add_column("f" + std::to_string(i), ColumnTypeSpec{ColumnType::kFloat64, 0}).has_value());
  }
  REQUIRE_FALSE(schema.add_column("s", ColumnTypeSpec{ColumnType::kUtf8, 0}).has_value());
  ColumnTable t(schema, StorageLayout{0});
  constexpr int kRows = 1000;
  for (int i = 0; i < kRows; ++i) {
    std::string k = "k" + std::to_string(i);
    uint32_t row = t.upsert_row(k, hash_key(k), 0);
    double v = i;
    t.set_cell(row, 0, std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
  }
  CHECK(t.column_memory_bytes(0) >= kRows * sizeof(double));
  for (uint32_t c = 1; c < schema.size(); ++c) {
    CHECK(t.column_memory_bytes(c) == 0);
  }
  std::vector<uint32_t> rows{0, kNoRow, 5};
  std::vector<double> out(3, 1.5);
  uint8_t validity = 0xFF;
  t.gather(2, rows, reinterpret_cast<std::byte*>(out.data()), &validity);
  CHECK(validity == 0);
  CHECK(out == std::vector<double>{0, 0, 0});
  t.gather(0, rows, reinterpret_cast<std::byte*>(out.data()), &validity);
  CHECK(validity == 0b101);
  CHECK(out == std::vector<double>{0, 0, 5});
}

// Fixed-width keys move into the rows of the first allocated row group (column_table.h,
// "Embedded keys"): they must survive growth through mremap, row resets, compaction moves
// and the switch to variable keys, which takes them out again.
TEST_CASE("embedded fixed keys: growth, reset, compaction, switch to variable keys") {
  Schema schema;
  for (int i = 0; i < 10; ++i) {
    REQUIRE_FALSE(schema.add_column("f" + std::to_string(i), ColumnTypeSpec{ColumnType::kFloat32, 0}).has_value());
  }
  schema.set_ttl_ms(1000);
  ColumnTable t(schema);
  constexpr int kRows = 120000;  // group cells of 6 MB: grown with mremap
  auto key = [](int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "e:%08d", i);
    return std::string(buf);
  };
  auto f32 = [](const float& v) { return std::string_view(reinterpret_cast<const char*>(&v), sizeof v); };
  for (int i = 0; i < kRows; ++i) {
    std::string k = key(i);
    uint32_t row = t.upsert_row(k, hash_key(k), 0);
    float v = static_cast<float>(i);
    t.set_cell(row, static_cast<uint32_t>(i % 10), f32(v));
  }
  auto check_all = [&](int step, int64_t now_ms) {
    for (int i = 0; i < kRows; i += step) {
      std::string k = key(i);
      uint32_t row = t.find_row(k, hash_key(k), now_ms);
      REQUIRE(row != kNoRow);
      CHECK(t.key_of(row) == k);
      float v = static_cast<float>(i);
      CHECK(*t.read_cell(row, static_cast<uint32_t>(i % 10)) == f32(v));
    }
  };
  CHECK(t.keys_embedded());
  check_all(1, 0);
  // An expired row written again is reset to all-null and keeps its key.
  uint32_t row7 = t.upsert_row(key(7), hash_key(key(7)), 5000);
  CHECK_FALSE(t.read_cell(row7, 7).has_value());
  CHECK(t.find_row(key(7), hash_key(key(7)), 5000) == row7);
  CHECK(t.key_of(row7) == key(7));
  float seven = 7;
  t.set_cell(row7, 7, f32(seven));
  // Delete most rows (at a time the others have not expired) and compact: rows move down.
  for (int i = 0; i < kRows; ++i) {
    if (i % 10 != 7) {
      REQUIRE(t.erase(key(i), hash_key(key(i)), 0));
    }
  }
  while (t.compact_step(1000) != 0) {
  }
  CHECK(t.row_limit() == kRows / 10);
  for (int i = 7; i < kRows; i += 10) {
    std::string k = key(i);
    uint32_t row = t.upsert_row(k, hash_key(k), 0);  // refreshes the TTL of the survivors
    CHECK(t.key_of(row) == k);
  }
  auto check_survivors = [&]() {
    for (int i = 7; i < kRows; i += 10) {
      std::string k = key(i);
      uint32_t row = t.find_row(k, hash_key(k), 0);
      REQUIRE(row != kNoRow);
      CHECK(t.key_of(row) == k);
      float v = static_cast<float>(i);
      CHECK(*t.read_cell(row, 7) == f32(v));
    }
  };
  check_survivors();
  // A key of another length: keys become variable and leave the rows; cells stay.
  uint32_t odd = t.upsert_row("odd", hash_key("odd"), 0);
  float one = 1;
  t.set_cell(odd, 0, f32(one));
  CHECK_FALSE(t.keys_embedded());
  check_survivors();
  CHECK(t.key_of(t.find_row("odd", hash_key("odd"), 0)) == "odd");
  CHECK(*t.read_cell(odd, 0) == f32(one));
}

TEST_CASE("partial upsert keeps other columns; in-place update; ttl restarts on write") {
  Schema schema;
  REQUIRE_FALSE(schema.add_column("a", ColumnTypeSpec{ColumnType::kInt32, 0}).has_value());
  REQUIRE_FALSE(schema.add_column("b", ColumnTypeSpec{ColumnType::kInt32, 0}).has_value());
  schema.set_ttl_ms(100);
  ColumnTable t(schema);
  auto i32 = [](const int32_t& v) { return std::string_view(reinterpret_cast<const char*>(&v), sizeof v); };
  int32_t one = 1, two = 2, three = 3;
  uint32_t row = t.upsert_row("x", hash_key("x"), 0);
  t.set_cell(row, 0, i32(one));
  t.set_cell(row, 1, i32(two));
  CHECK(t.expire_at_ms(row) == 100);
  uint32_t again = t.upsert_row("x", hash_key("x"), 50);
  CHECK(again == row);
  CHECK(t.expire_at_ms(row) == 150);
  t.set_cell(row, 0, i32(three));
  CHECK(*t.read_cell(row, 0) == i32(three));
  CHECK(*t.read_cell(row, 1) == i32(two));
  CHECK(t.find_row("x", hash_key("x"), 149) == row);
  CHECK(t.find_row("x", hash_key("x"), 150) == kNoRow);
  // Written again after expiry: a fresh all-null row.
  uint32_t fresh = t.upsert_row("x", hash_key("x"), 200);
  CHECK_FALSE(t.read_cell(fresh, 0).has_value());
  CHECK_FALSE(t.read_cell(fresh, 1).has_value());
  CHECK(t.expire_step(1000, 10) == 1);
  CHECK(t.size() == 0);
}

TEST_CASE("compaction shrinks memory after mass delete, bounded per step") {
  Schema schema;
  REQUIRE_FALSE(schema.add_column("f", ColumnTypeSpec{ColumnType::kFloat32, 0}).has_value());
  REQUIRE_FALSE(schema.add_column("s", ColumnTypeSpec{ColumnType::kBytes, 0}).has_value());
  ColumnTable t(schema);
  constexpr int kRows = 20000;
  for (int i = 0; i < kRows; ++i) {
    std::string k = "key" + std::to_string(i);
    uint32_t row = t.upsert_row(k, hash_key(k), 0);
    float f = static_cast<float>(i);
    t.set_cell(row, 0, std::string_view(reinterpret_cast<const char*>(&f), sizeof f));
    t.set_cell(row, 1, k + k);
  }
  size_t full = t.memory_bytes();
  for (int i = 0; i < kRows; ++i) {
    if (i % 10 != 0) {
      std::string k = "key" + std::to_string(i);
      REQUIRE(t.erase(k, hash_key(k), 0));
    }
  }
  CHECK(t.size() == kRows / 10);
  constexpr size_t kStep = 100;
  size_t before = t.holes();
  size_t after = t.compact_step(kStep);
  CHECK(before - after <= kStep);
  while (t.compact_step(kStep) != 0) {
  }
  CHECK(t.row_limit() == kRows / 10);
  CHECK(t.memory_bytes() < full / 2);
  for (int i = 0; i < kRows; i += 10) {
    std::string k = "key" + std::to_string(i);
    uint32_t row = t.find_row(k, hash_key(k), 0);
    REQUIRE(row != kNoRow);
    float f = static_cast<float>(i);
    CHECK(*t.read_cell(row, 0) == std::string_view(reinterpret_cast<const char*>(&f), sizeof f));
    CHECK(*t.read_cell(row, 1) == k + k);
  }
}

namespace {

// Buffers of 2 MiB and more grow and shrink with mremap (column_buffer.h): a table big
// enough to cross that size, grown row by row, shrunk by compaction, must keep every cell.
TEST_CASE("large tables keep their cells across mremap growth and compaction shrink") {
  Schema schema;
  REQUIRE_FALSE(schema.add_column("v", ColumnTypeSpec{ColumnType::kFloat64, 0}).has_value());
  REQUIRE_FALSE(schema.add_column("s", ColumnTypeSpec{ColumnType::kUtf8, 0}).has_value());
  ColumnTable t(schema, StorageLayout{0});
  constexpr int kRows = 400000;  // 3.2 MB of float64 cells, several MB of keys and strings
  auto key_of = [](int i) { return "row:" + std::to_string(i); };
  for (int i = 0; i < kRows; ++i) {
    std::string k = key_of(i);
    uint32_t row = t.upsert_row(k, hash_key(k), 0);
    double v = i * 0.5;
    t.set_cell(row, 0, std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
    if (i % 3 == 0) {
      t.set_cell(row, 1, k);
    }
  }
  REQUIRE(t.column_memory_bytes(0) >= size_t{2} << 20);
  auto check_row = [&](int i) {
    std::string k = key_of(i);
    uint32_t row = t.find_row(k, hash_key(k), 0);
    REQUIRE(row != kNoRow);
    double v = i * 0.5;
    CHECK(*t.read_cell(row, 0) == std::string_view(reinterpret_cast<const char*>(&v), sizeof v));
    if (i % 3 == 0) {
      CHECK(*t.read_cell(row, 1) == k);
    } else {
      CHECK_FALSE(t.read_cell(row, 1).has_value());
    }
  };
  for (int i = 0; i < kRows; i += 997) {
    check_row(i);
  }
  for (int i = 0; i < kRows; ++i) {
    if (i % 4 != 0) {
      std::string k = key_of(i);
      REQUIRE(t.erase(k, hash_key(k), 0));
    }
  }
  while (t.compact_step(4096) != 0) {
  }
  CHECK(t.size() == kRows / 4);
  for (int i = 0; i < kRows; i += 4 * 101) {
    check_row(i);
  }
}

}  // namespace

// Embedded keys of every width class (1 byte to kMaxFixedBytes), in both layouts: embedded
// exactly when key and the first allocated group's cells fit one line; reads through
// lookup_rows (with will_read) and key_of after deletes and compaction, and again after a
// key of another length takes them out.
TEST_CASE("embedded keys of many widths, both layouts") {
  for (size_t width : {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 40, 55, 56, 63, 64}) {
    for (uint32_t layout : {0U, 64U}) {
      CAPTURE(width);
      CAPTURE(layout);
      Schema schema;
      REQUIRE_FALSE(schema.add_column("b", ColumnTypeSpec{ColumnType::kBool, 0}).has_value());
      REQUIRE_FALSE(schema.add_column("f", ColumnTypeSpec{ColumnType::kFloat64, 0}).has_value());
      ColumnTable t(schema, StorageLayout{layout});
      const int n = width == 1 ? 200 : 3000;
      auto key = [&](int i) {  // distinct keys of exactly `width` bytes
        std::string k(width, 'a');
        for (size_t j = 0; j < width && j < sizeof(int); ++j) {
          k[width - 1 - j] = static_cast<char>((i >> (8 * j)) & 0xFF);
        }
        return k;
      };
      auto f64 = [](const double& v) { return std::string_view(reinterpret_cast<const char*>(&v), sizeof v); };
      std::map<std::string, double> model;
      for (int i = 0; i < n; ++i) {
        std::string k = key(i);
        uint32_t r = t.upsert_row(k, hash_key(k), 0);
        double v = i * 1.5;
        t.set_cell(r, 1, f64(v));  // first write: allocates f's group (f alone, or b and f)
        if (i % 3 == 0) {
          t.set_cell(r, 0, std::string_view("\x01", 1));
        }
        model[k] = v;
      }
      // Row groups: b and f share a 9-byte group. Pure columns: f's group comes first, and
      // when the key does not fit next to f, b's 1-byte group takes it.
      const size_t smallest_fit = layout == 0 ? 1 : 1 + sizeof(double);
      CHECK(t.keys_embedded() == (width + smallest_fit <= 64));
      for (int i = 0; i < n; i += 2) {
        std::string k = key(i);
        REQUIRE(t.erase(k, hash_key(k), 0));
        model.erase(k);
      }
      while (t.compact_step(7) != 0) {
      }
      auto check = [&]() {
        std::vector<std::string> ks;
        std::vector<uint64_t> hs;
        for (const auto& [k, v] : model) {
          ks.push_back(k);
          hs.push_back(hash_key(k));
        }
        std::vector<std::string_view> views(ks.begin(), ks.end());
        std::vector<uint32_t> rows(ks.size());
        std::vector<uint32_t> will_read{0, 1};
        t.lookup_rows(views, hs, 0, rows, will_read);
        for (size_t i = 0; i < ks.size(); ++i) {
          REQUIRE(rows[i] != kNoRow);
          CHECK(t.key_of(rows[i]) == ks[i]);
          CHECK(*t.read_cell(rows[i], 1) == f64(model[ks[i]]));
        }
      };
      check();
      std::string odd(width == 64 ? 3 : width + 1, 'z');
      uint32_t r = t.upsert_row(odd, hash_key(odd), 0);
      double minus_one = -1;
      t.set_cell(r, 1, f64(minus_one));
      model[odd] = minus_one;
      CHECK_FALSE(t.keys_embedded());
      check();
    }
  }
}

TEST_CASE("a table TTL past the end of int64 saturates: the row never expires") {
  // TABLE.CREATE accepts TTLs up to INT64_MAX ms; now + ttl must not overflow.
  const int64_t now = 1'795'306'600'231;
  const int64_t latest = std::numeric_limits<int64_t>::max();
  const Schema schema = make_schema(latest / 1000 * 1000);  // the table keeps a reference
  ColumnTable t(schema, StorageLayout{0});
  const uint32_t row = t.upsert_row("k", hash_key("k"), now);
  CHECK(t.expire_at_ms(row) == latest);
  CHECK(t.find_row("k", hash_key("k"), now + 1000LL * 86400 * 365 * 1000) == row);
}
