// Column types and table schemas of the typed columnar tables (TABLE.* commands).
//
// Owns: the closed set of column types, their names as written in TABLE.CREATE
// ("int8" ... "bytes", "vector:float32:N"), the packed width of one cell, and Schema, the
// ordered list of named columns of one table with its optional row TTL. The engine builds
// a Schema once per TABLE.CREATE and every partition (ColumnTable) of the table shares it
// read-only; no thread synchronisation is needed because a Schema never changes after
// construction.
//
// Cell encoding (the same in storage, in gathers and in the columnar wire format):
//   - integers and floats: little-endian, natural width (int8 = 1 byte ... float64 = 8);
//   - bool: one byte, 0 or 1 (numpy's bool_);
//   - vector:float32:N: N consecutive little-endian float32 (4 * N bytes);
//   - utf8 / bytes: variable width (offsets + data); utf8 is validated by the caller.
//
// Invariants:
//   - Column names are unique within a schema, non-empty, at most kMaxColumnNameBytes.
//   - A schema has at most kMaxColumns columns.
//   - Vector dimensions are in [1, kMaxVectorDims].
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessera::core {

enum class ColumnType : uint8_t {
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kFloat32,
  kFloat64,
  kBool,
  kUtf8,
  kBytes,
  kVectorFloat32,
};

inline constexpr uint32_t kMaxVectorDims = 65536;
inline constexpr size_t kMaxColumns = 1024;
inline constexpr size_t kMaxColumnNameBytes = 256;

// A column type with its parameter (the dimension of a vector; 0 for other types).
struct ColumnTypeSpec {
  ColumnType type = ColumnType::kInt64;
  uint32_t vector_dims = 0;

  bool is_variable_width() const { return type == ColumnType::kUtf8 || type == ColumnType::kBytes; }
  // Bytes of one packed cell; 0 for variable-width types.
  size_t width() const;
  friend bool operator==(const ColumnTypeSpec&, const ColumnTypeSpec&) = default;
};

// Parses a TABLE.CREATE type name (case-sensitive, lower case as documented):
// "int8" ... "float64", "bool", "utf8", "bytes", "vector:float32:N". nullopt if unknown or
// if N is not a decimal in [1, kMaxVectorDims].
std::optional<ColumnTypeSpec> parse_column_type(std::string_view name);
// The canonical name, which parse_column_type() accepts back.
std::string column_type_name(ColumnTypeSpec spec);

struct ColumnDef {
  std::string name;
  ColumnTypeSpec spec;
};

// The columns of one table, in declaration order; a column's id is its position.
class Schema {
 public:
  static constexpr int64_t kNoTtl = 0;

  Schema() = default;

  // Appends a column. Returns an error text for the client ("duplicate column 'x'",
  // "too many columns", ...) and leaves the schema unchanged, or nullopt on success.
  std::optional<std::string> add_column(std::string_view name, ColumnTypeSpec spec);

  size_t size() const { return columns_.size(); }
  const ColumnDef& column(size_t id) const { return columns_[id]; }
  const std::vector<ColumnDef>& columns() const { return columns_; }
  // The id of the column called `name`, or nullopt.
  std::optional<uint32_t> find(std::string_view name) const;

  // Row TTL in milliseconds (kNoTtl: rows do not expire unless told so per write).
  int64_t ttl_ms() const { return ttl_ms_; }
  // REQUIRES: ttl_ms >= 0.
  void set_ttl_ms(int64_t ttl_ms) { ttl_ms_ = ttl_ms; }

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::vector<ColumnDef> columns_;
  std::unordered_map<std::string, uint32_t, NameHash, std::equal_to<>> by_name_;
  int64_t ttl_ms_ = kNoTtl;
};

}  // namespace tessera::core
