// TABLE.INSERT batch parsing and application; see table_batch.h.
#include "engine/table_batch.h"

#include <simdjson.h>

#include <cstring>

#include "core/key_table.h"
#include "engine/blob_reader.h"
#include "engine/table_cells.h"

namespace tessera::engine {
namespace {

using core::ColumnType;
using core::ColumnTypeSpec;

constexpr std::string_view kKeyField = "key";
constexpr size_t kBitsPerByte = 8;

std::string column_error(std::string_view column, std::string_view why) {
  return "ERR invalid value for column '" + std::string(column) + "': " + std::string(why);
}

// Appends the packed cell of a JSON value; returns why not on failure.
std::optional<std::string> json_cell(ColumnTypeSpec spec, simdjson::dom::element value, std::string& out) {
  using simdjson::dom::element_type;
  switch (spec.type) {
    case ColumnType::kInt8:
    case ColumnType::kInt16:
    case ColumnType::kInt32:
    case ColumnType::kInt64:
    case ColumnType::kUint8:
    case ColumnType::kUint16:
    case ColumnType::kUint32:
    case ColumnType::kUint64:
      if (value.type() == element_type::INT64) {
        if (!append_int_cell(spec, value.get_int64().value_unsafe(), out)) {
          return "out of range";
        }
      } else if (value.type() == element_type::UINT64) {
        if (!append_uint_cell(spec, value.get_uint64().value_unsafe(), out)) {
          return "out of range";
        }
      } else {
        return "not an integer";
      }
      return std::nullopt;
    case ColumnType::kFloat32:
    case ColumnType::kFloat64: {
      double v = 0;
      if (value.get_double().get(v) != simdjson::SUCCESS) {
        return "not a number";
      }
      if (!append_float_cell(spec, v, out)) {
        return "out of range";
      }
      return std::nullopt;
    }
    case ColumnType::kBool: {
      bool b = false;
      int64_t i = 0;
      if (value.get_bool().get(b) == simdjson::SUCCESS) {
        out.push_back(b ? 1 : 0);
      } else if (value.get_int64().get(i) == simdjson::SUCCESS && (i == 0 || i == 1)) {
        out.push_back(static_cast<char>(i));
      } else {
        return "not a bool";
      }
      return std::nullopt;
    }
    case ColumnType::kUtf8:
    case ColumnType::kBytes: {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return "not a string";
      }
      if (spec.type == ColumnType::kUtf8) {
        out.append(s);  // simdjson validated the document's UTF-8
        return std::nullopt;
      }
      std::optional<std::string> bytes = decode_base64(s);
      if (!bytes) {
        return "not base64";
      }
      out.append(*bytes);
      return std::nullopt;
    }
    case ColumnType::kVectorFloat32: {
      simdjson::dom::array items;
      if (value.get_array().get(items) != simdjson::SUCCESS) {
        return "not an array of numbers";
      }
      if (items.size() != spec.vector_dims) {
        return "has " + std::to_string(items.size()) + " elements, expected " + std::to_string(spec.vector_dims);
      }
      for (simdjson::dom::element item : items) {
        double v = 0;
        if (item.get_double().get(v) != simdjson::SUCCESS) {
          return "not an array of numbers";
        }
        if (!append_float_cell(spec, v, out)) {
          return "out of range";
        }
      }
      return std::nullopt;
    }
  }
  return "unsupported type";
}

// Adds one row object to the batch; returns the error text on failure.
std::string add_json_row(const core::Schema& schema, simdjson::dom::element row_value, JsonBatch& batch) {
  simdjson::dom::object row;
  if (row_value.get_object().get(row) != simdjson::SUCCESS) {
    return "ERR JSON batch: row " + std::to_string(batch.rows.size()) + " is not an object";
  }
  JsonBatch::Row out;
  out.first_cell = static_cast<uint32_t>(batch.cells.size());
  bool has_key = false;
  for (auto field : row) {
    if (field.key == kKeyField) {
      std::string_view key;
      if (field.value.get_string().get(key) != simdjson::SUCCESS) {
        return "ERR JSON batch: row " + std::to_string(batch.rows.size()) + ": \"key\" is not a string";
      }
      out.key_offset = static_cast<uint32_t>(batch.arena.size());
      out.key_size = static_cast<uint32_t>(key.size());
      batch.arena.append(key);
      has_key = true;
      continue;
    }
    std::optional<uint32_t> column = schema.find(field.key);
    if (!column) {
      return "ERR no such column '" + std::string(field.key) + "'";
    }
    JsonBatch::Cell cell;
    cell.column = *column;
    cell.offset = static_cast<uint32_t>(batch.arena.size());
    if (field.value.is_null()) {
      cell.null = true;
    } else if (auto why = json_cell(schema.column(*column).spec, field.value, batch.arena)) {
      return column_error(field.key, *why);
    }
    cell.size = static_cast<uint32_t>(batch.arena.size() - cell.offset);
    batch.cells.push_back(cell);
  }
  if (!has_key) {
    return "ERR JSON batch: row " + std::to_string(batch.rows.size()) + " has no \"key\"";
  }
  out.cell_count = static_cast<uint32_t>(batch.cells.size()) - out.first_cell;
  batch.rows.push_back(out);
  return {};
}

std::string json_error(simdjson::error_code code) {
  return std::string("ERR malformed JSON batch: ") + simdjson::error_message(code);
}

bool valid_bit(std::string_view validity, size_t i) {
  return validity.empty() || ((static_cast<uint8_t>(validity[i / kBitsPerByte]) >> (i % kBitsPerByte)) & 1);
}

}  // namespace

Parsed<JsonBatch> parse_json_batch(const core::Schema& schema, std::string_view text) {
  Parsed<JsonBatch> result;
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(text);
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && text[first] == '[') {
    simdjson::dom::element doc;
    if (auto code = parser.parse(padded).get(doc); code != simdjson::SUCCESS) {
      result.error = json_error(code);
      return result;
    }
    simdjson::dom::array rows;
    if (doc.get_array().get(rows) != simdjson::SUCCESS) {
      result.error = "ERR JSON batch is not an array of objects";
      return result;
    }
    for (simdjson::dom::element row : rows) {
      if (std::string e = add_json_row(schema, row, result.value); !e.empty()) {
        result.error = std::move(e);
        return result;
      }
    }
    return result;
  }
  // NDJSON: one object per line. Every value is copied into the batch before the next
  // document replaces the parser's buffers.
  simdjson::dom::document_stream stream;
  if (auto code = parser.parse_many(padded).get(stream); code != simdjson::SUCCESS) {
    result.error = json_error(code);
    return result;
  }
  for (auto doc : stream) {
    simdjson::dom::element row;
    if (auto code = doc.get(row); code != simdjson::SUCCESS) {
      result.error = json_error(code);
      return result;
    }
    if (std::string e = add_json_row(schema, row, result.value); !e.empty()) {
      result.error = std::move(e);
      return result;
    }
  }
  if (stream.truncated_bytes() != 0) {
    result.error = "ERR malformed JSON batch: truncated document";
  }
  return result;
}

Parsed<ColumnarBatch> parse_columnar_batch(const core::Schema& schema, std::string_view blob) {
  Parsed<ColumnarBatch> result;
  ColumnarBatch& batch = result.value;
  BlobReader reader(blob);
  std::string_view magic;
  uint32_t column_count = 0;
  if (!reader.take(kColumnarBatchMagic.size(), magic) || magic != kColumnarBatchMagic) {
    result.error = "ERR columnar batch: bad magic (expected \"TCB1\")";
    return result;
  }
  if (!reader.u32(batch.rows) || !reader.u32(column_count)) {
    result.error = "ERR columnar batch: truncated header";
    return result;
  }
  if (column_count > schema.size()) {
    result.error = "ERR columnar batch: more columns than the table has";
    return result;
  }
  if (batch.rows > core::ColumnTable::kMaxRows || reader.offsets_and_data(batch.rows, batch.key_offsets, batch.key_data) != OffsetsCheck::kOk) {
    result.error = "ERR columnar batch: truncated or malformed keys";
    return result;
  }
  const size_t validity_bytes = (size_t{batch.rows} + kBitsPerByte - 1) / kBitsPerByte;
  std::vector<bool> seen(schema.size());
  for (uint32_t c = 0; c < column_count; ++c) {
    uint32_t name_size = 0;
    std::string_view name;
    uint8_t has_validity = 0;
    if (!reader.u32(name_size) || !reader.take(name_size, name) || !reader.u8(has_validity) || has_validity > 1) {
      result.error = "ERR columnar batch: truncated column header";
      return result;
    }
    std::optional<uint32_t> id = schema.find(name);
    if (!id) {
      result.error = "ERR no such column '" + std::string(name) + "'";
      return result;
    }
    if (seen[*id]) {
      result.error = "ERR columnar batch: duplicate column '" + std::string(name) + "'";
      return result;
    }
    seen[*id] = true;
    const ColumnTypeSpec spec = schema.column(*id).spec;
    ColumnarBatch::Column col;
    col.id = *id;
    bool ok = spec.is_variable_width() ? reader.offsets_and_data(batch.rows, col.offsets, col.values) == OffsetsCheck::kOk
                                       : reader.take(size_t{batch.rows} * spec.width(), col.values);
    if (ok && has_validity != 0) {
      ok = reader.take(validity_bytes, col.validity);
    }
    if (!ok) {
      result.error = "ERR columnar batch: column '" + std::string(name) + "' is truncated";
      return result;
    }
    if (spec.is_variable_width()) {
      for (uint32_t i = 0; i < batch.rows; ++i) {
        std::string_view cell = col.values.substr(col.offsets[i], col.offsets[i + 1] - col.offsets[i]);
        if (cell.size() > core::ColumnTable::kMaxVariableValueBytes) {
          result.error = column_error(name, "value too long");
          return result;
        }
        if (spec.type == ColumnType::kUtf8 && valid_bit(col.validity, i) && !is_valid_utf8(cell)) {
          result.error = column_error(name, "not valid UTF-8 in row " + std::to_string(i));
          return result;
        }
      }
    }
    batch.columns.push_back(std::move(col));
  }
  if (!reader.done()) {
    result.error = "ERR columnar batch: trailing bytes";
  }
  return result;
}

size_t apply_json_batch(core::ColumnTable& table, const JsonBatch& batch, uint32_t shard_id, uint32_t shard_count,
                        int64_t now_ms) {
  size_t written = 0;
  for (const JsonBatch::Row& row : batch.rows) {
    std::string_view key = batch.key(row);
    uint64_t hash = core::hash_key(key);
    if (hash % shard_count != shard_id) {
      continue;
    }
    uint32_t r = table.upsert_row(key, hash, now_ms);
    for (uint32_t i = 0; i < row.cell_count; ++i) {
      const JsonBatch::Cell& cell = batch.cells[row.first_cell + i];
      if (cell.null) {
        table.set_null(r, cell.column);
      } else {
        table.set_cell(r, cell.column, std::string_view(batch.arena).substr(cell.offset, cell.size));
      }
    }
    ++written;
  }
  return written;
}

size_t apply_columnar_batch(core::ColumnTable& table, const ColumnarBatch& batch, uint32_t shard_id,
                            uint32_t shard_count, int64_t now_ms) {
  // One pass over the keys: hash, keep this shard's rows. No per-row allocation: a repeated
  // key is detected after upsert_rows (it shares a row) with a bitmap over the row numbers,
  // and only then is the batch reduced to each key's last occurrence.
  thread_local std::vector<uint64_t> hashes;
  thread_local std::vector<uint32_t> mine;
  thread_local std::vector<std::string_view> keys;
  thread_local std::vector<uint32_t> rows;
  thread_local std::vector<uint64_t> seen;  // bitmap over row numbers, all clear between calls
  hashes.clear();
  mine.clear();
  keys.clear();
  hashes.reserve(batch.rows);
  mine.reserve(batch.rows);
  keys.reserve(batch.rows);
  for (uint32_t i = 0; i < batch.rows; ++i) {
    std::string_view key = batch.key(i);
    uint64_t hash = core::hash_key(key);
    if (hash % shard_count == shard_id) {
      mine.push_back(i);
      hashes.push_back(hash);
      keys.push_back(key);
    }
  }
  if (mine.empty()) {
    return 0;
  }
  rows.resize(mine.size());
  table.upsert_rows(keys, hashes, now_ms, rows);
  seen.resize(core::bitmap_words(table.row_limit()));
  bool repeated = false;
  for (uint32_t r : rows) {
    repeated |= core::test_bit(seen.data(), r);
    core::set_bit(seen.data(), r);
  }
  for (uint32_t r : rows) {
    core::clear_bit(seen.data(), r);
  }
  if (repeated) {  // keep the last occurrence of each row, in batch order
    size_t kept = rows.size();
    for (size_t j = rows.size(); j-- > 0;) {
      if (!core::test_bit(seen.data(), rows[j])) {
        core::set_bit(seen.data(), rows[j]);
        --kept;
        rows[kept] = rows[j];
        mine[kept] = mine[j];
      }
    }
    for (size_t j = kept; j < rows.size(); ++j) {
      core::clear_bit(seen.data(), rows[j]);
    }
    rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(kept));
    mine.erase(mine.begin(), mine.begin() + static_cast<std::ptrdiff_t>(kept));
  }
  const size_t n = mine.size();
  // Every row of the batch, in order: scatter straight from the request's arrays.
  const bool whole = n == batch.rows;
  thread_local std::vector<uint8_t> validity;
  thread_local std::string packed;
  thread_local std::vector<uint32_t> offsets;
  validity.resize((n + kBitsPerByte - 1) / kBitsPerByte);
  for (const ColumnarBatch::Column& col : batch.columns) {
    const ColumnTypeSpec spec = table.schema().column(col.id).spec;
    const uint8_t* valid = nullptr;
    if (!col.validity.empty()) {
      if (whole) {
        valid = reinterpret_cast<const uint8_t*>(col.validity.data());
      } else {
        std::fill(validity.begin(), validity.end(), 0);
        for (size_t j = 0; j < n; ++j) {
          if (valid_bit(col.validity, mine[j])) {
            validity[j / kBitsPerByte] = static_cast<uint8_t>(validity[j / kBitsPerByte] | (1u << (j % kBitsPerByte)));
          }
        }
        valid = validity.data();
      }
    }
    if (spec.is_variable_width()) {
      if (whole) {
        table.scatter_variable(col.id, rows, core::VarCells{col.offsets, col.values}, valid);
        continue;
      }
      packed.clear();
      offsets.assign(1, 0);
      for (uint32_t i : mine) {
        packed.append(col.values.substr(col.offsets[i], col.offsets[i + 1] - col.offsets[i]));
        offsets.push_back(static_cast<uint32_t>(packed.size()));
      }
      table.scatter_variable(col.id, rows, core::VarCells{offsets, packed}, valid);
    } else {
      const size_t width = spec.width();
      if (whole) {
        table.scatter(col.id, rows, reinterpret_cast<const std::byte*>(col.values.data()), valid);
        continue;
      }
      packed.resize(n * width);
      char* out = packed.data();
      const char* in = col.values.data();
      for (size_t j = 0; j < n; ++j) {
        std::memcpy(out + j * width, in + size_t{mine[j]} * width, width);
      }
      table.scatter(col.id, rows, reinterpret_cast<const std::byte*>(packed.data()), valid);
    }
  }
  return n;
}

}  // namespace tessera::engine
