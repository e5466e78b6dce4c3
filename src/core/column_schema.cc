// Column type names, widths and Schema bookkeeping (see column_schema.h).
#include "core/column_schema.h"

#include <array>
#include <charconv>
#include <utility>

namespace tessera::core {

namespace {

constexpr std::string_view kVectorPrefix = "vector:float32:";

struct NamedType {
  std::string_view name;
  ColumnType type;
  size_t width;
};

// Every scalar type with its TABLE.CREATE name and packed width (0 = variable).
constexpr std::array<NamedType, 13> kScalarTypes = {{
    {"int8", ColumnType::kInt8, 1},
    {"int16", ColumnType::kInt16, 2},
    {"int32", ColumnType::kInt32, 4},
    {"int64", ColumnType::kInt64, 8},
    {"uint8", ColumnType::kUint8, 1},
    {"uint16", ColumnType::kUint16, 2},
    {"uint32", ColumnType::kUint32, 4},
    {"uint64", ColumnType::kUint64, 8},
    {"float32", ColumnType::kFloat32, 4},
    {"float64", ColumnType::kFloat64, 8},
    {"bool", ColumnType::kBool, 1},
    {"utf8", ColumnType::kUtf8, 0},
    {"bytes", ColumnType::kBytes, 0},
}};

}  // namespace

size_t ColumnTypeSpec::width() const {
  if (type == ColumnType::kVectorFloat32) {
    return sizeof(float) * vector_dims;
  }
  for (const NamedType& t : kScalarTypes) {
    if (t.type == type) {
      return t.width;
    }
  }
  return 0;
}

std::optional<ColumnTypeSpec> parse_column_type(std::string_view name) {
  for (const NamedType& t : kScalarTypes) {
    if (t.name == name) {
      return ColumnTypeSpec{t.type, 0};
    }
  }
  if (!name.starts_with(kVectorPrefix)) {
    return std::nullopt;
  }
  std::string_view digits = name.substr(kVectorPrefix.size());
  uint32_t dims = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), dims);
  if (digits.empty() || digits.front() == '0' || ec != std::errc() ||
      end != digits.data() + digits.size() || dims == 0 || dims > kMaxVectorDims) {
    return std::nullopt;
  }
  return ColumnTypeSpec{ColumnType::kVectorFloat32, dims};
}

std::string column_type_name(ColumnTypeSpec spec) {
  if (spec.type == ColumnType::kVectorFloat32) {
    return std::string(kVectorPrefix) + std::to_string(spec.vector_dims);
  }
  for (const NamedType& t : kScalarTypes) {
    if (t.type == spec.type) {
      return std::string(t.name);
    }
  }
  return "unknown";
}

std::optional<std::string> Schema::add_column(std::string_view name, ColumnTypeSpec spec) {
  if (name.empty()) {
    return std::string("empty column name");
  }
  if (name.size() > kMaxColumnNameBytes) {
    return "column name longer than " + std::to_string(kMaxColumnNameBytes) + " bytes";
  }
  if (columns_.size() >= kMaxColumns) {
    return "too many columns (max " + std::to_string(kMaxColumns) + ")";
  }
  if (find(name).has_value()) {
    return "duplicate column '" + std::string(name) + "'";
  }
  by_name_.emplace(std::string(name), static_cast<uint32_t>(columns_.size()));
  columns_.push_back(ColumnDef{std::string(name), spec});
  return std::nullopt;
}

std::optional<uint32_t> Schema::find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace tessera::core
