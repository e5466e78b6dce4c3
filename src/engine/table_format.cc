// TABLE.MGET reply writers and TABLE.SCHEMA's JSON; see table_format.h.
#include "engine/table_format.h"

#include <vector>

#include "engine/table_cells.h"
#include "engine/table_join.h"

namespace tessera::engine {
namespace {

constexpr size_t kBitsPerByte = 8;
constexpr uint32_t kFixedColumnElements = 3;
constexpr uint32_t kVariableColumnElements = 4;
constexpr int64_t kMsPerSecond = 1000;

void write_columnar(protocol::ReplyWriter& out, const TableRead& read) {
  const size_t n = read.rows.size();
  const size_t validity_bytes = (n + kBitsPerByte - 1) / kBitsPerByte;
  std::vector<uint8_t> validity(validity_bytes);
  std::vector<uint32_t> offsets;
  std::string data;
  // Fixed-width columns are gathered together once the reply's layout is written (one pass
  // per row group for all of them, core::ColumnTable::gather_fixed), straight into their
  // reserved bulks; the buffer may move while it grows, so the bulks are found by offset.
  std::vector<uint32_t> fixed_columns;
  std::vector<size_t> value_at;
  std::vector<size_t> validity_at;
  protocol::ReplyBuffer& buf = out.buffer();
  out.array(static_cast<uint32_t>(read.columns.size()));
  for (uint32_t column : read.columns) {
    const core::ColumnTypeSpec spec = read.table.schema().column(column).spec;
    out.array(spec.is_variable_width() ? kVariableColumnElements : kFixedColumnElements);
    out.bulk(core::column_type_name(spec));
    if (spec.is_variable_width()) {
      offsets.assign(n + 1, 0);
      read.table.gather_variable(column, read.rows, offsets, data, validity.data());
      out.bulk(data);
      out.bulk(std::string_view(reinterpret_cast<const char*>(validity.data()), validity_bytes));
      out.bulk(std::string_view(reinterpret_cast<const char*>(offsets.data()), offsets.size() * sizeof(uint32_t)));
    } else {
      fixed_columns.push_back(column);
      value_at.push_back(static_cast<size_t>(out.bulk_uninitialized(n * spec.width()) - buf.data()));
      validity_at.push_back(static_cast<size_t>(out.bulk_uninitialized(validity_bytes) - buf.data()));
    }
  }
  if (fixed_columns.empty()) {
    return;
  }
  char* base = buf.data();
  std::vector<std::byte*> value_ptrs(fixed_columns.size());
  std::vector<uint8_t*> validity_ptrs(fixed_columns.size());
  for (size_t j = 0; j < fixed_columns.size(); ++j) {
    value_ptrs[j] = reinterpret_cast<std::byte*>(base + value_at[j]);
    validity_ptrs[j] = reinterpret_cast<uint8_t*>(base + validity_at[j]);
  }
  read.table.gather_fixed(fixed_columns, read.rows, value_ptrs, validity_ptrs);
}

void write_row(protocol::ReplyWriter& out, const TableRead& read, uint32_t row) {
  if (row == core::kNoRow) {
    out.null();
    return;
  }
  out.array(static_cast<uint32_t>(read.columns.size()));
  for (uint32_t column : read.columns) {
    std::optional<std::string_view> cell = read.table.read_cell(row, column);
    if (!cell) {
      out.null();
    } else {
      write_reply_cell(out, read.table.schema().column(column).spec, *cell);
    }
  }
}

void append_json_row(std::string& doc, const TableRead& read, uint32_t row) {
  if (row == core::kNoRow) {
    doc += "null";
    return;
  }
  doc.push_back('{');
  bool first = true;
  for (uint32_t column : read.columns) {
    const core::ColumnDef& def = read.table.schema().column(column);
    if (!first) {
      doc.push_back(',');
    }
    first = false;
    append_json_string(doc, def.name);
    doc.push_back(':');
    std::optional<std::string_view> cell = read.table.read_cell(row, column);
    if (!cell) {
      doc += "null";
    } else {
      append_json_cell(doc, def.spec, *cell);
    }
  }
  doc.push_back('}');
}

}  // namespace

void write_table_read(protocol::ReplyWriter& out, const TableRead& read, ReadFormat format, bool as_part) {
  const auto n = static_cast<uint32_t>(read.rows.size());
  switch (format) {
    case ReadFormat::kColumnar:
      if (as_part) {
        begin_table_part(out, TablePartKind::kColumnar);
      }
      write_columnar(out, read);
      return;
    case ReadFormat::kResp:
      if (as_part) {
        begin_table_part(out, TablePartKind::kRows);
      }
      out.array(n);
      for (uint32_t row : read.rows) {
        write_row(out, read, row);
      }
      return;
    case ReadFormat::kJson: {
      std::string doc;
      if (as_part) {
        begin_table_part(out, TablePartKind::kJson);
        out.array(n);
        for (uint32_t row : read.rows) {
          doc.clear();
          append_json_row(doc, read, row);
          out.bulk(doc);
        }
        return;
      }
      doc.push_back('[');
      for (uint32_t i = 0; i < n; ++i) {
        if (i != 0) {
          doc.push_back(',');
        }
        append_json_row(doc, read, read.rows[i]);
      }
      doc.push_back(']');
      out.bulk(doc);
      return;
    }
  }
}

std::string schema_json(std::string_view table_name, const core::Schema& schema) {
  std::string doc = "{\"name\":";
  append_json_string(doc, table_name);
  doc += ",\"ttl_seconds\":";
  doc += schema.ttl_ms() == core::Schema::kNoTtl ? std::string("null") : std::to_string(schema.ttl_ms() / kMsPerSecond);
  doc += ",\"columns\":[";
  for (size_t i = 0; i < schema.size(); ++i) {
    if (i != 0) {
      doc.push_back(',');
    }
    doc += "{\"name\":";
    append_json_string(doc, schema.column(i).name);
    doc += ",\"type\":";
    append_json_string(doc, core::column_type_name(schema.column(i).spec));
    doc.push_back('}');
  }
  doc += "]}";
  return doc;
}

}  // namespace tessera::engine
