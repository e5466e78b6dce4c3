// Batch writes of TABLE.INSERT: the parse and validation of a JSON batch (an array of row
// objects, or NDJSON: one object per line) and of a binary columnar batch (layout in README
// "Tables"), and their application to one partition.
//
// TABLE.INSERT runs on every shard (the batch is one argument, which the generic splitter
// cannot split by key): each shard parses and validates the whole batch, so a bad batch is
// rejected by all of them before any writes (all-or-nothing), then writes only the rows
// whose keys hash to it.
//
// JSON rows: {"key": "k", "col": value, ...}. "key" (a string) is required; named columns
// are set, a null clears a cell, columns not named keep their values. Values: integers for
// int columns (range-checked), numbers for floats, true/false (or 0/1) for bool, strings for
// utf8, base64 strings for bytes, arrays of N numbers for vector:float32:N.
// Columnar batches: every listed column is written for every row (null where the validity
// bit is clear); unlisted columns keep their values. A key repeated in a batch: the last
// occurrence wins.
//
// Called by data workers. Cost: parse O(batch bytes); apply O(rows x columns) on this
// shard's rows plus a hash per key.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/column_table.h"

namespace tessera::engine {

// Magic of a binary columnar batch ("TCB1").
inline constexpr std::string_view kColumnarBatchMagic = "TCB1";

struct JsonBatch {
  struct Cell {
    uint32_t column = 0;
    bool null = false;
    uint32_t offset = 0;  // into arena
    uint32_t size = 0;
  };
  struct Row {
    uint32_t key_offset = 0;  // into arena
    uint32_t key_size = 0;
    uint32_t first_cell = 0;
    uint32_t cell_count = 0;
  };
  std::string arena;  // keys and packed cells
  std::vector<Row> rows;
  std::vector<Cell> cells;

  std::string_view key(const Row& row) const { return std::string_view(arena).substr(row.key_offset, row.key_size); }
};

struct ColumnarBatch {
  struct Column {
    uint32_t id = 0;
    std::string_view values;         // fixed: rows x width; variable: the data
    std::vector<uint32_t> offsets;   // variable only: rows + 1
    std::string_view validity;       // empty = all valid
  };
  uint32_t rows = 0;
  std::vector<uint32_t> key_offsets;  // rows + 1
  std::string_view key_data;
  std::vector<Column> columns;

  std::string_view key(uint32_t i) const {
    return key_data.substr(key_offsets[i], key_offsets[i + 1] - key_offsets[i]);
  }
};

// A parse result: `error` is empty on success, else the client-visible text ("ERR ...").
template <class T>
struct Parsed {
  T value;
  std::string error;
  bool ok() const { return error.empty(); }
};

Parsed<JsonBatch> parse_json_batch(const core::Schema& schema, std::string_view text);
// Views into `blob`, which must outlive the result.
Parsed<ColumnarBatch> parse_columnar_batch(const core::Schema& schema, std::string_view blob);

// Writes the rows whose hash_key(key) % shard_count == shard_id. Returns rows written.
size_t apply_json_batch(core::ColumnTable& table, const JsonBatch& batch, uint32_t shard_id, uint32_t shard_count,
                        int64_t now_ms);
size_t apply_columnar_batch(core::ColumnTable& table, const ColumnarBatch& batch, uint32_t shard_id,
                            uint32_t shard_count, int64_t now_ms);

}  // namespace tessera::engine
