// Column type names, widths and Schema lookups.
#include "core/column_schema.h"

#include <doctest/doctest.h>

#include <string>

using tessera::core::column_type_name;
using tessera::core::ColumnType;
using tessera::core::ColumnTypeSpec;
using tessera::core::kMaxColumns;
using tessera::core::kMaxVectorDims;
using tessera::core::parse_column_type;
using tessera::core::Schema;

TEST_CASE("every type name parses, has its width and prints back") {
  struct Case {
    const char* name;
    ColumnType type;
    size_t width;
  };
  const Case cases[] = {
      {"int8", ColumnType::kInt8, 1},       {"int16", ColumnType::kInt16, 2},
      {"int32", ColumnType::kInt32, 4},     {"int64", ColumnType::kInt64, 8},
      {"uint8", ColumnType::kUint8, 1},     {"uint16", ColumnType::kUint16, 2},
      {"uint32", ColumnType::kUint32, 4},   {"uint64", ColumnType::kUint64, 8},
      {"float32", ColumnType::kFloat32, 4}, {"float64", ColumnType::kFloat64, 8},
      {"bool", ColumnType::kBool, 1},       {"utf8", ColumnType::kUtf8, 0},
      {"bytes", ColumnType::kBytes, 0},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    auto spec = parse_column_type(c.name);
    REQUIRE(spec.has_value());
    CHECK(spec->type == c.type);
    CHECK(spec->width() == c.width);
    CHECK(spec->is_variable_width() == (c.width == 0));
    CHECK(column_type_name(*spec) == c.name);
  }
}

TEST_CASE("vector:float32:N") {
  auto v = parse_column_type("vector:float32:128");
  REQUIRE(v.has_value());
  CHECK(v->type == ColumnType::kVectorFloat32);
  CHECK(v->vector_dims == 128);
  CHECK(v->width() == 512);
  CHECK_FALSE(v->is_variable_width());
  CHECK(column_type_name(*v) == "vector:float32:128");
  CHECK(parse_column_type("vector:float32:1")->width() == 4);
  CHECK(parse_column_type("vector:float32:" + std::to_string(kMaxVectorDims)).has_value());
}

TEST_CASE("bad type names are rejected") {
  for (const char* bad : {"", "float", "INT8", "int8 ", "string", "vector", "vector:float32",
                          "vector:float32:", "vector:float32:0", "vector:float32:01",
                          "vector:float32:-3", "vector:float32:3x", "vector:int8:3",
                          "vector:float32:65537", "vector:float32:99999999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_column_type(bad).has_value());
  }
}

TEST_CASE("schema: ordered columns, lookup by name, duplicates, ttl") {
  Schema s;
  CHECK(s.size() == 0);
  CHECK(s.ttl_ms() == Schema::kNoTtl);
  CHECK_FALSE(s.add_column("score", ColumnTypeSpec{ColumnType::kFloat32, 0}).has_value());
  CHECK_FALSE(s.add_column("name", ColumnTypeSpec{ColumnType::kUtf8, 0}).has_value());
  CHECK_FALSE(s.add_column("emb", *parse_column_type("vector:float32:4")).has_value());
  REQUIRE(s.size() == 3);
  CHECK(s.column(0).name == "score");
  CHECK(s.column(2).spec.width() == 16);
  CHECK(s.find("name") == 1u);
  CHECK(s.find("emb") == 2u);
  CHECK_FALSE(s.find("nope").has_value());
  CHECK_FALSE(s.find("").has_value());

  auto dup = s.add_column("name", ColumnTypeSpec{ColumnType::kInt8, 0});
  REQUIRE(dup.has_value());
  CHECK(*dup == "duplicate column 'name'");
  CHECK(s.size() == 3);
  CHECK(s.add_column("", ColumnTypeSpec{}).has_value());
  CHECK(s.add_column(std::string(300, 'x'), ColumnTypeSpec{}).has_value());

  s.set_ttl_ms(5000);
  CHECK(s.ttl_ms() == 5000);
}

TEST_CASE("schema: column limit") {
  Schema s;
  for (size_t i = 0; i < kMaxColumns; ++i) {
    REQUIRE_FALSE(s.add_column("c" + std::to_string(i), ColumnTypeSpec{}).has_value());
  }
  CHECK(s.add_column("one_more", ColumnTypeSpec{}).has_value());
  CHECK(s.find("c1023") == 1023u);
}
