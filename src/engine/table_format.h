// Reply writers of TABLE.MGET (COLUMNAR, RESP and JSON formats, in final or part form; see
// table_join.h and README "Tables" for the layouts) and the JSON text of TABLE.SCHEMA.
//
// Called by data workers from table_commands.cc. Cost: O(keys x columns) cells copied once,
// straight into the reply buffer for fixed-width columns.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/column_table.h"
#include "protocol/reply.h"

namespace tessera::engine {

enum class ReadFormat : uint8_t { kColumnar, kResp, kJson };

// The gathered read: `rows[i]` is the row of key i (kNoRow if missing) in `table`.
struct TableRead {
  const core::ColumnTable& table;
  std::span<const uint32_t> columns;
  std::span<const uint32_t> rows;
};

// Writes the reply of `read` in `format`; as_part: the tagged part form of table_join.h.
void write_table_read(protocol::ReplyWriter& out, const TableRead& read, ReadFormat format, bool as_part);

// {"name":..,"ttl_seconds":N|null,"columns":[{"name":..,"type":..},..]}
std::string schema_json(std::string_view table_name, const core::Schema& schema);

}  // namespace tessera::engine
