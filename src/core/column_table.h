// ColumnTable: one partition of a typed columnar table (TABLE.* commands). Each data worker
// owns one ColumnTable per table for the keys that hash to it, like every other key.
//
// Owner: exactly one data worker thread. No internal locking; not thread-safe. No threads,
// sockets or protocol here: the engine parses values into packed little-endian cells (see
// column_schema.h for the cell encoding) and formats gathered columns into replies.
//
// Layout:
//   - Rows are numbered 0..row_limit()-1. A key->row index (LineSlotIndex: 1-byte tag + 4-byte
//     row per slot) finds a key's row; RowKeys holds each row's key (a fixed-width array
//     while all keys have one length, else offsets into a key heap); a live bitmap marks
//     rows in use.
//   - Fixed-width columns live in groups: a group stores its member columns row-major
//     (the cell of column c of row r at group base + r * stride + offset(c)). With
//     StorageLayout::max_group_bytes == 0 every group holds one column (pure columnar
//     arrays); otherwise consecutive fixed-width columns are packed while the row width
//     stays <= max_group_bytes, so a random-row gather touches one or two cache lines per
//     row for the whole group instead of one per column. The default is chosen by
//     bench/bench_column_gather.cc (see kDefaultLayout in column_table.cc).
//   - Embedded keys: while keys are fixed-width, the first group to be allocated whose
//     cells plus the key fit one cache line also stores each row's key at the end of its row
//     (stride = cell bytes + key width, key_group_). A batch read then finds key and cells
//     on the same line(s): about 2.75 random lines per key instead of 3.6 for 10 float32
//     and a 10-byte key (bench_column_gather's *_Cold cases). Costs no memory: the key moves
//     out of RowKeys' array. A switch to variable keys takes it out of the rows again (O(rows),
//     once).
//   - utf8/bytes columns: per row a 64-bit ref (offset << 24 | length) into the column's
//     VarHeap (offsets + data).
//   - Per column a validity bitmap. A group, a variable column and a validity bitmap are
//     allocated on the first non-null write to them: a column that never had a value costs
//     no memory (in the row-group layout, a group costs memory once any member has a value).
//   - Per row expiry (absolute unix ms, 0 = none), allocated on the first expiring write.
//
// Invariants:
//   - A row < row_limit() is live (its bit set, indexed by its key) or a hole (bit clear,
//     listed in holes_ unless trimmed off the end).
//   - A null or dead cell holds zero bytes (fixed) or a zero ref (variable), and a clear
//     validity bit: a recycled row starts all-null.
//   - Every allocated per-row array has room for row_capacity_ rows.
//
// Expiry: reads (lookup_rows, scan) treat an expired row as missing; upsert_row on an
// expired row resets it to a new, all-null row; expire_step() deletes expired rows with a
// bounded cost. Rows are never moved by reads, so row numbers from lookup_rows stay valid
// until the next mutating call.
//
// Costs: lookup/upsert/erase O(1) expected (+ key length); growing the row arrays or the
// index is O(rows) but amortized O(1) per insert (growth by 3/2, then by 1/16 with mremap'd
// arrays, see column_buffer.h); compact_step and
// expire_step are bounded by their max_rows argument (see there).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/column_buffer.h"
#include "core/column_gather.h"
#include "core/column_row_keys.h"
#include "core/column_schema.h"
#include "core/column_var_heap.h"
#include "core/slot_index.h"

namespace tessera::core {

struct StorageLayout {
  // Widest row of a fixed-width column group in bytes; 0 = one column per group.
  uint32_t max_group_bytes = 0;
  // Fixed-width keys move into the rows of a row group ("Embedded keys" above).
  bool embed_keys = true;
};

// A batch of variable-width cells as the wire format carries them: offsets[n + 1] into
// `data` (cell i is data[offsets[i], offsets[i + 1])).
struct VarCells {
  std::span<const uint32_t> offsets;
  std::string_view data;
};

class ColumnTable {
 public:
  static constexpr uint32_t kMaxRows = kNoRow - 1;
  static constexpr size_t kMaxVariableValueBytes = (size_t{1} << 24) - 1;
  static constexpr size_t kMaxKeyHeapBytes = RowKeys::kMaxHeapBytes;
  static const StorageLayout kDefaultLayout;

  // REQUIRES: `schema` outlives the table.
  explicit ColumnTable(const Schema& schema, StorageLayout layout = kDefaultLayout);
  ColumnTable(const ColumnTable&) = delete;
  ColumnTable& operator=(const ColumnTable&) = delete;

  const Schema& schema() const { return schema_; }
  // Live rows, including expired rows not yet reclaimed.
  size_t size() const { return live_rows_; }
  // One past the highest row number in use (live rows plus holes).
  uint32_t row_limit() const { return rows_; }
  size_t holes() const { return rows_ - live_rows_; }

  // ---- Reads. `hash` is hash_key(key) (xxh3-64, computed once for routing). ----

  // rows_out[i] = the row of keys[i], or kNoRow if absent or expired at now_ms.
  // `will_read`: fixed-width columns the caller gathers next; their row-group lines are
  // loaded together with each key, so those cache misses overlap the key's and the gather
  // finds the rows in cache (at most kMaxTouchedGroups groups; others load in the gather).
  // REQUIRES: keys.size() == hashes.size() == rows_out.size().
  void lookup_rows(std::span<const std::string_view> keys, std::span<const uint64_t> hashes,
                   int64_t now_ms, std::span<uint32_t> rows_out,
                   std::span<const uint32_t> will_read = {}) const;
  static constexpr size_t kMaxTouchedGroups = 4;
  uint32_t find_row(std::string_view key, uint64_t hash, int64_t now_ms) const;

  // Fixed-width gather: out gets rows.size() packed cells of column `column` in request
  // order (zeros for nulls and kNoRow), validity_out ceil(n/8) bytes, bit i set when cell i
  // is non-null. REQUIRES: fixed-width column; out has n * width bytes; rows are kNoRow
  // or live rows from lookup_rows with no mutating call since.
  void gather(uint32_t column, std::span<const uint32_t> rows, std::byte* out,
              uint8_t* validity_out) const;
  // gather() of several fixed-width columns: outs[j] and validity_outs[j] receive column
  // columns[j]. Columns that share a row group are copied in one pass over the rows, so a
  // random row's group line(s) are fetched once for all of them; a column without null
  // live rows takes the presence bits of the rows as its validity.
  // REQUIRES: as gather(), for every column; outs and validity_outs have columns.size().
  void gather_fixed(std::span<const uint32_t> columns, std::span<const uint32_t> rows,
                    std::span<std::byte* const> outs, std::span<uint8_t* const> validity_outs) const;
  // Variable-width gather: offsets_out[0..n] (uint32, offsets_out[0] = 0) into data_out,
  // which is replaced (one allocation for the batch). Null and missing cells are empty.
  // REQUIRES: utf8/bytes column; offsets_out has n + 1 entries; total bytes < 4 GiB.
  void gather_variable(uint32_t column, std::span<const uint32_t> rows,
                       std::span<uint32_t> offsets_out, std::string& data_out,
                       uint8_t* validity_out) const;
  // One cell, for human-readable replies: nullopt if null. The view is valid until the next
  // mutating call. REQUIRES: row is live.
  std::optional<std::string_view> read_cell(uint32_t row, uint32_t column) const;
  // The row's key; like read_cell's, the view is valid until the next mutating call (any
  // write may move the keys: into a row group, or out to a key heap).
  std::string_view key_of(uint32_t row) const;
  int64_t expire_at_ms(uint32_t row) const;  // 0 = none

  // Cursor scan of live, unexpired rows, at most `count` rows visited per call. Start with
  // cursor 0; returns 0 when done. Rows present during the whole scan are reported at
  // least once (rows are visited from the top down and compaction only moves rows from
  // the top into holes below); fn(row, key). REQUIRES: fn does not mutate the table.
  template <class Fn>
  uint64_t scan(uint64_t cursor, size_t count, int64_t now_ms, Fn&& fn) const;

  // ---- Writes. ----

  // The row of `key`, inserted all-null if absent or expired. Restarts the row's TTL when
  // the schema has one (expiry = now_ms + ttl). REQUIRES: key.size() < kMaxKeyHeapBytes.
  uint32_t upsert_row(std::string_view key, uint64_t hash, int64_t now_ms);
  // upsert_row for a batch: rows_out[i] = row of keys[i]. Duplicate keys share a row.
  void upsert_rows(std::span<const std::string_view> keys, std::span<const uint64_t> hashes,
                   int64_t now_ms, std::span<uint32_t> rows_out);
  // Writes one cell in place. REQUIRES: row is live; for fixed-width columns
  // value.size() == width; for variable ones value.size() <= kMaxVariableValueBytes.
  void set_cell(uint32_t row, uint32_t column, std::string_view value);
  void set_null(uint32_t row, uint32_t column);
  // Batch writes of one column (the binary columnar ingestion path): cell i goes to
  // rows[i]; validity null = all valid, else bit i clear = null. REQUIRES: rows live and
  // distinct; packed has n * width bytes; var cells as for set_cell.
  void scatter(uint32_t column, std::span<const uint32_t> rows, const std::byte* packed,
               const uint8_t* validity);
  void scatter_variable(uint32_t column, std::span<const uint32_t> rows, VarCells cells,
                        const uint8_t* validity);
  // Absolute expiry of a live row (0 = none).
  void set_expiry(uint32_t row, int64_t expire_at_ms);

  // Deletes the key's row (leaves a hole). Returns false if absent (or expired: it is then
  // deleted too, but reported absent).
  bool erase(std::string_view key, uint64_t hash, int64_t now_ms);

  // Incremental compaction: moves the top live row into a listed hole (the most recently
  // made one), trims dead rows off the top, and shrinks the row arrays when they are less
  // than a third used. Once no hole is left, one call also rewrites at most one of: the
  // key heap or a utf8/bytes heap if half of it is garbage, the index if it is over 4x
  // too large. Cost: at most max_rows row moves or trims (each O(columns + key length)
  // plus one index probe); the shrink and rewrites are O(live rows or bytes) but happen
  // only after as many deletes (amortized O(1) per delete). Returns the holes left.
  size_t compact_step(size_t max_rows);
  // Deletes expired rows among the next max_rows rows of a round-robin sweep.
  // Cost: max_rows row visits + one erase per expired row. Returns rows deleted.
  size_t expire_step(int64_t now_ms, size_t max_rows);

  // Live rows whose cell of `column` is null (expired rows not yet reclaimed included).
  size_t null_rows(uint32_t column) const { return null_rows_[column]; }
  // Whether fixed keys are embedded in a row group's rows (see "Embedded keys" above).
  bool keys_embedded() const { return key_group_ != kNoKeyGroup; }
  // For tests: recounts null_rows() of every column from the bitmaps. O(rows x columns).
  bool null_counts_consistent() const;

  // Bytes allocated by the partition (index, keys, rows, columns), and per column.
  size_t memory_bytes() const;
  size_t column_memory_bytes(uint32_t column) const;

 private:
  struct Group {
    ByteBuffer cells;  // row_capacity_ * stride bytes when allocated
    uint32_t stride = 0;      // cell_bytes, plus the key width in the key group
    uint32_t cell_bytes = 0;  // the member columns' bytes at the start of each row
    std::vector<uint32_t> members;
  };
  static constexpr uint32_t kNoKeyGroup = ~uint32_t{0};
  struct Placement {
    uint32_t width = 0;     // 0 = variable
    uint32_t group = 0;     // fixed: group id; variable: var_ index
    uint32_t offset = 0;    // fixed: byte offset in the group's row
  };
  struct VarColumn {
    ByteBuffer refs;  // uint64 per row: offset << kVarLenBits | length
    VarHeap heap;
  };
  static constexpr unsigned kVarLenBits = 24;
  static constexpr uint64_t kVarLenMask = (uint64_t{1} << kVarLenBits) - 1;
  static constexpr uint32_t kInitialRows = 64;
  static constexpr uint32_t kShrinkRatio = 3;
  static constexpr uint64_t kSmallGrowthRows = 64 * 1024;  // grow by 3/2 below, by 1/16 above
  static constexpr uint64_t kLargeGrowthDen = 16;
  static constexpr size_t kIndexMaxLoadNum = 7;  // grow past 7/8 full
  static constexpr size_t kIndexMaxLoadDen = 8;
  static constexpr size_t kIndexGrowLoadNum = 3;  // rebuild to 3/5 full
  static constexpr size_t kIndexGrowLoadDen = 5;
  static constexpr size_t kIndexShrinkRatio = 4;

  bool key_equals(uint32_t row, std::string_view key) const;
  bool is_expired(uint32_t row, int64_t now_ms) const;
  uint32_t insert_row(std::string_view key, uint64_t hash);
  void grow_rows(size_t extra);  // row_capacity_ >= rows_ + extra, geometric steps
  void touch_ttl(uint32_t row, int64_t now_ms);
  void reset_cells(uint32_t row);
  void erase_row(uint32_t row, size_t slot);
  void move_row(uint32_t from, uint32_t to);
  void set_row_capacity(uint32_t rows);
  void ensure_column_storage(uint32_t column);
  void embed_keys(uint32_t group);  // allocates the group's cells with the keys in its rows
  void unembed_keys();  // after keys_ switched to variable: rows of cells only again
  void unembed_keys_if_switched() {  // inline: insert_row calls it for every new row
    if (key_group_ != kNoKeyGroup && !keys_.embedded()) {
      unembed_keys();
    }
  }
  void ensure_index_room();
  void rebuild_index(size_t groups);
  void shrink_one();
  void rebuild_var_heap(VarColumn& vc);
  void put_var(uint32_t row, uint32_t column, std::string_view value);
  void mark_valid(uint32_t row, uint32_t column);  // sets the bit, counting the change
  uint64_t* validity(uint32_t column) { return validity_[column].as<uint64_t>(); }
  const uint64_t* validity(uint32_t column) const { return validity_[column].as<uint64_t>(); }
  std::byte* cell_ptr(uint32_t row, uint32_t column);
  size_t index_slot_of(uint32_t row) const;

  const Schema& schema_;
  std::vector<Placement> placement_;  // per column
  std::vector<Group> groups_;
  std::vector<VarColumn> var_;
  std::vector<ByteBuffer> validity_;  // per column; empty until the first non-null write
  std::vector<size_t> null_rows_;     // per column: live rows whose cell is null

  LineSlotIndex index_;  // one cache line per probe: batch reads wait on the lines they touch
  RowKeys keys_;
  uint32_t key_group_ = kNoKeyGroup;  // the group whose rows hold the (embedded) fixed keys
  bool embed_keys_ = true;            // StorageLayout::embed_keys
  ByteBuffer live_;         // bitmap
  ByteBuffer expiry_;       // int64 per row; empty until the first expiring write
  std::vector<uint32_t> holes_;
  uint32_t rows_ = 0;
  uint32_t row_capacity_ = 0;
  size_t live_rows_ = 0;
  uint32_t expire_cursor_ = 0;

  uint64_t scan_impl(uint64_t cursor, size_t count, int64_t now_ms,
                     void (*cb)(void*, uint32_t, std::string_view), void* ctx) const;
};

template <class Fn>
uint64_t ColumnTable::scan(uint64_t cursor, size_t count, int64_t now_ms, Fn&& fn) const {
  return scan_impl(cursor, count, now_ms,
                   [](void* ctx, uint32_t row, std::string_view key) { (*static_cast<Fn*>(ctx))(row, key); },
                   &fn);
}

}  // namespace tessera::core
