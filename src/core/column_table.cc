// ColumnTable: construction, key lookup, reads and writes (see column_table.h).
// Deletes, compaction, expiry, scan, growth and memory accounting are in
// column_table_maintenance.cc.
#include "core/column_table.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "core/key_table.h"  // hash_key

namespace tessera::core {

// Chosen from bench/bench_column_gather.cc (1000 random rows x 10 float32 of 1M rows,
// CPU time per batch, 2-core AMD EPYC, 32 MiB L3): gather 58-61 us in row groups of up to
// one cache line vs 99-122 us in pure columns (2x: one or two lines per row instead of
// ten); with lookup_rows 247-258 us vs 272-360 us. Memory is the same in both layouts.
const StorageLayout ColumnTable::kDefaultLayout{kCacheLineBytes};

namespace {

bool input_bit(const uint8_t* validity, size_t i) {
  return validity == nullptr || ((validity[i / 8] >> (i % 8)) & 1) != 0;
}

// Returns the change in the column's count of null live rows.
template <size_t kWidth>
int64_t scatter_cells(std::byte* base, size_t stride, size_t width, uint64_t* valid,
                      const uint32_t* rows, size_t n, const std::byte* packed, const uint8_t* validity) {
  const size_t w = kWidth != 0 ? kWidth : width;
  int64_t null_delta = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i + kPrefetchDistance < n) {
      prefetch_cell(base, stride, w, rows[i + kPrefetchDistance]);
    }
    std::byte* cell = base + static_cast<size_t>(rows[i]) * stride;
    bool ok = input_bit(validity, i);
    if (ok) {
      std::memcpy(cell, packed + i * w, w);
    } else {
      std::memset(cell, 0, w);
    }
    null_delta += static_cast<int64_t>(test_bit(valid, rows[i])) - static_cast<int64_t>(ok);
    assign_bit(valid, rows[i], ok);
  }
  return null_delta;
}

}  // namespace

ColumnTable::ColumnTable(const Schema& schema, StorageLayout layout)
    : schema_(schema), embed_keys_(layout.embed_keys) {
  placement_.resize(schema.size());
  validity_.resize(schema.size());
  null_rows_.resize(schema.size());
  size_t open_group = SIZE_MAX;  // the group the next fixed-width column may join
  for (uint32_t c = 0; c < schema.size(); ++c) {
    const ColumnTypeSpec& spec = schema.column(c).spec;
    Placement& p = placement_[c];
    if (spec.is_variable_width()) {
      p.group = static_cast<uint32_t>(var_.size());
      var_.emplace_back();
      continue;
    }
    p.width = static_cast<uint32_t>(spec.width());
    if (layout.max_group_bytes == 0 || open_group == SIZE_MAX ||
        groups_[open_group].stride + p.width > layout.max_group_bytes) {
      open_group = groups_.size();
      groups_.emplace_back();
    }
    Group& g = groups_[open_group];
    p.group = static_cast<uint32_t>(open_group);
    p.offset = g.stride;
    g.stride += p.width;
    g.members.push_back(c);
  }
  for (Group& g : groups_) {
    g.cell_bytes = g.stride;
  }
}

// ---- Keys and lookup ----

std::string_view ColumnTable::key_of(uint32_t row) const { return keys_.key(row); }

bool ColumnTable::key_equals(uint32_t row, std::string_view key) const { return keys_.equals(row, key); }

bool ColumnTable::is_expired(uint32_t row, int64_t now_ms) const {
  if (expiry_.empty()) {
    return false;
  }
  int64_t at = expiry_.as<int64_t>()[row];
  return at != kNoExpiry && at <= now_ms;
}

int64_t ColumnTable::expire_at_ms(uint32_t row) const {
  return expiry_.empty() ? kNoExpiry : expiry_.as<int64_t>()[row];
}

uint32_t ColumnTable::find_row(std::string_view key, uint64_t hash, int64_t now_ms) const {
  size_t slot = index_.find(hash, [&](uint32_t r) { return key_equals(r, key); });
  if (slot == LineSlotIndex::kNotFound) {
    return kNoRow;
  }
  uint32_t row = index_.handle(slot);
  return is_expired(row, now_ms) ? kNoRow : row;
}

void ColumnTable::lookup_rows(std::span<const std::string_view> keys, std::span<const uint64_t> hashes,
                              int64_t now_ms, std::span<uint32_t> rows_out,
                              std::span<const uint32_t> will_read) const {
  // Staged in waves over chunks of the batch: every load of a wave is independent of the
  // others, so the core overlaps their cache misses (memory-level parallelism), where a
  // key-by-key walk waits for two or three dependent misses per key (index group -> [key
  // offset ->] key bytes -> row). rows_out holds each key's candidate row between waves. A
  // chunk's lines stay in cache from one wave to the next. The first two stages use demand
  // loads, not prefetches (see RowKeys::touch_locate). A wave of 64 keys puts about 200-300
  // lines in flight and keeps them in L1/L2 until the last stage (and the gather) reads them.
  //
  // The second stage also loads the candidate row's cells in the row groups of `will_read`:
  // the gather that follows would otherwise wait for them in a pass of its own (cold
  // caches, as between two batches: bench_column_gather's *_Cold cases).
  struct Touch {
    const uint8_t* base;
    size_t stride;
    size_t lo;    // first byte of the row the reads need
    size_t last;  // last byte of the row the reads need
  };
  Touch touches[kMaxTouchedGroups];
  size_t touch_count = 0;
  bool key_touched = false;  // an embedded key is loaded by the touch of its row group
  for (uint32_t c : will_read) {
    const Placement& p = placement_[c];
    if (p.width == 0 || groups_[p.group].cells.empty()) {
      continue;
    }
    const Group& g = groups_[p.group];
    const auto* base = reinterpret_cast<const uint8_t*>(g.cells.data());
    Touch* t = std::find_if(touches, touches + touch_count, [&](const Touch& x) { return x.base == base; });
    if (t == touches + touch_count) {
      if (touch_count == kMaxTouchedGroups) {
        continue;
      }
      *t = Touch{base, g.stride, p.offset, p.offset + p.width - 1};
      ++touch_count;
    }
    t->lo = std::min<size_t>(t->lo, p.offset);
    t->last = std::max<size_t>(t->last, p.offset + p.width - 1);
    if (p.group == key_group_) {  // the key ends the row: one range covers cells and key
      t->last = g.stride - 1;
      key_touched = true;
    }
  }
  constexpr size_t kWave = 64;
  const size_t n = keys.size();
  for (size_t begin = 0; begin < n; begin += kWave) {
    const size_t end = std::min(n, begin + kWave);
    uint64_t sink = 0;
    for (size_t i = begin; i < end; ++i) {
      sink += index_.touch(hashes[i]);
    }
    if (row_capacity_ != 0) {
      for (size_t i = begin; i < end; ++i) {
        uint32_t cand = index_.first_tag_match(hashes[i]);
        cand = cand < rows_ ? cand : 0;
        rows_out[i] = cand;
        if (!key_touched) {
          sink += keys_.touch_locate(cand);
        }
        for (size_t t = 0; t < touch_count; ++t) {
          const uint8_t* row = touches[t].base + size_t{cand} * touches[t].stride;
          // The first and last line of the bytes read: all of them unless a cell is wider
          // than a line (a long vector column, whose middle lines then load in the gather).
          // A false candidate (or row 0 for no match) costs a wasted line, nothing more.
          sink += row[touches[t].lo] + row[touches[t].last];
        }
      }
      asm volatile("" : : "r"(sink));  // keeps the loads
      if (!keys_.fixed()) {
        for (size_t i = begin; i < end; ++i) {
          keys_.prefetch_bytes(rows_out[i]);
        }
      }
    }
    for (size_t i = begin; i < end; ++i) {
      rows_out[i] = find_row(keys[i], hashes[i], now_ms);
    }
  }
}

// ---- Reads ----

void ColumnTable::gather(uint32_t column, std::span<const uint32_t> rows, std::byte* out,
                         uint8_t* validity_out) const {
  gather_fixed({&column, 1}, rows, {&out, 1}, {&validity_out, 1});
}

void ColumnTable::gather_fixed(std::span<const uint32_t> columns, std::span<const uint32_t> rows,
                               std::span<std::byte* const> outs, std::span<uint8_t* const> validity_outs) const {
  const size_t n = rows.size();
  // Cells: one pass over the rows per row group that holds a requested column.
  std::vector<bool> done(columns.size());
  for (size_t j = 0; j < columns.size(); ++j) {
    if (done[j]) {
      continue;
    }
    const uint32_t group = placement_[columns[j]].group;
    const Group& g = groups_[group];
    GroupPass pass;
    for (size_t k = j; k < columns.size(); ++k) {
      const Placement& p = placement_[columns[k]];
      if (!done[k] && p.group == group) {
        done[k] = true;
        if (g.cells.empty()) {
          std::memset(outs[k], 0, n * p.width);
        } else {
          pass.add(GatherTarget{p.offset, p.width, outs[k]});
        }
      }
    }
    if (!g.cells.empty()) {
      gather_group_pass(g.cells.data(), g.stride, rows.data(), n, pass);
    }
  }
  // Validity: a column with no null live row is valid wherever the row is present.
  const uint8_t* presence = nullptr;  // that bitmap, once computed into some column's output
  for (size_t j = 0; j < columns.size(); ++j) {
    const uint32_t c = columns[j];
    if (null_rows_[c] != 0) {
      gather_validity(validity_[c].empty() ? nullptr : validity(c), rows.data(), n, validity_outs[j]);
    } else if (presence != nullptr) {
      std::memcpy(validity_outs[j], presence, (n + 7) / 8);
    } else {
      presence_bits(rows.data(), n, validity_outs[j]);
      presence = validity_outs[j];
    }
  }
}

void ColumnTable::gather_variable(uint32_t column, std::span<const uint32_t> rows,
                                  std::span<uint32_t> offsets_out, std::string& data_out,
                                  uint8_t* validity_out) const {
  const VarColumn& vc = var_[placement_[column].group];
  const size_t n = rows.size();
  offsets_out[0] = 0;
  data_out.clear();
  if (vc.refs.empty()) {
    std::memset(offsets_out.data(), 0, (n + 1) * sizeof(uint32_t));
    gather_validity(nullptr, rows.data(), n, validity_out);
    return;
  }
  const uint64_t* refs = vc.refs.as<uint64_t>();
  uint32_t total = 0;
  for (size_t i = 0; i < n; ++i) {  // pass 1: lengths -> offsets
    if (i + kPrefetchDistance < n) {
      prefetch_cell(vc.refs.data(), sizeof(uint64_t), sizeof(uint64_t), rows[i + kPrefetchDistance]);
    }
    uint32_t r = rows[i];
    total += r == kNoRow ? 0 : static_cast<uint32_t>(refs[r] & kVarLenMask);
    offsets_out[i + 1] = total;
  }
  data_out.resize(total);
  char* out = data_out.data();
  for (size_t i = 0; i < n; ++i) {  // pass 2: bytes (refs are in cache from pass 1)
    if (i + kPrefetchDistance < n && rows[i + kPrefetchDistance] != kNoRow) {
      __builtin_prefetch(vc.heap.data() + (refs[rows[i + kPrefetchDistance]] >> kVarLenBits));
    }
    uint32_t r = rows[i];
    if (r != kNoRow) {
      uint64_t ref = refs[r];
      size_t len = ref & kVarLenMask;
      if (len != 0) {
        std::memcpy(out + offsets_out[i], vc.heap.data() + (ref >> kVarLenBits), len);
      }
    }
  }
  gather_validity(validity_[column].empty() ? nullptr : validity(column), rows.data(), n, validity_out);
}

std::optional<std::string_view> ColumnTable::read_cell(uint32_t row, uint32_t column) const {
  if (validity_[column].empty() || !test_bit(validity(column), row)) {
    return std::nullopt;
  }
  const Placement& p = placement_[column];
  if (p.width == 0) {
    const VarColumn& vc = var_[p.group];
    uint64_t ref = vc.refs.as<uint64_t>()[row];
    return vc.heap.view(ref >> kVarLenBits, ref & kVarLenMask);
  }
  const Group& g = groups_[p.group];
  return std::string_view(reinterpret_cast<const char*>(g.cells.data()) + size_t{row} * g.stride + p.offset,
                          p.width);
}

// ---- Writes ----

uint32_t ColumnTable::insert_row(std::string_view key, uint64_t hash) {
  ensure_index_room();
  uint32_t row = kNoRow;
  while (!holes_.empty()) {
    uint32_t h = holes_.back();
    holes_.pop_back();
    if (h < rows_) {  // entries >= rows_ were trimmed off the top by compaction
      row = h;
      break;
    }
  }
  if (row == kNoRow) {
    if (rows_ == kMaxRows) {
      throw std::length_error("column table partition full");
    }
    if (rows_ == row_capacity_) {
      grow_rows(1);
    }
    row = rows_++;
  }
  try {
    keys_.assign(row, key, live_.as<uint64_t>(), rows_);
    unembed_keys_if_switched();  // keys that switched to variable storage leave the cells
  } catch (...) {
    // A full key heap (length_error) or no memory (bad_alloc): the row goes back. The cells
    // keep their layout until an unembed succeeds (it allocates before it changes anything),
    // and reads use that layout, so a second failure here leaves the table consistent.
    holes_.push_back(row);
    unembed_keys_if_switched();
    throw;
  }
  set_bit(live_.as<uint64_t>(), row);
  ++live_rows_;
  for (size_t& nulls : null_rows_) {
    ++nulls;  // a new row starts all-null
  }
  index_.insert(hash, row);
  return row;
}

void ColumnTable::grow_rows(size_t extra) {
  // Geometric growth by 3/2 while small, then by 1/16: the large arrays are mremap'd
  // (column_buffer.h), so a step costs O(pages) for them, and the slack stays <= 1/16.
  uint64_t cap = row_capacity_;
  uint64_t need = uint64_t{rows_} + extra;
  while (cap < need) {
    uint64_t grown = cap < kSmallGrowthRows ? cap * VarHeap::kGrowthNum / VarHeap::kGrowthDen
                                            : cap + cap / kLargeGrowthDen;
    cap = grown < kInitialRows ? kInitialRows : grown;
  }
  set_row_capacity(static_cast<uint32_t>(cap > kMaxRows ? kMaxRows : cap));
}

void ColumnTable::touch_ttl(uint32_t row, int64_t now_ms) {
  if (const int64_t ttl = schema_.ttl_ms(); ttl != Schema::kNoTtl) {
    // A TTL of up to INT64_MAX ms is accepted; past the end of int64 the row never expires.
    constexpr int64_t kLatest = std::numeric_limits<int64_t>::max();
    set_expiry(row, ttl > kLatest - now_ms ? kLatest : now_ms + ttl);
  }
}

void ColumnTable::set_expiry(uint32_t row, int64_t expire_at_ms) {
  if (expiry_.empty()) {
    if (expire_at_ms == kNoExpiry) {
      return;
    }
    expiry_.resize(size_t{row_capacity_} * sizeof(int64_t));
  }
  expiry_.as<int64_t>()[row] = expire_at_ms;
}

uint32_t ColumnTable::upsert_row(std::string_view key, uint64_t hash, int64_t now_ms) {
  size_t slot = index_.find(hash, [&](uint32_t r) { return key_equals(r, key); });
  uint32_t row;
  if (slot == LineSlotIndex::kNotFound) {
    row = insert_row(key, hash);
  } else {
    row = index_.handle(slot);
    if (is_expired(row, now_ms)) {  // a new row under the same key and row number
      reset_cells(row);
      set_expiry(row, kNoExpiry);
    }
  }
  touch_ttl(row, now_ms);
  return row;
}

void ColumnTable::upsert_rows(std::span<const std::string_view> keys, std::span<const uint64_t> hashes,
                              int64_t now_ms, std::span<uint32_t> rows_out) {
  // In waves, as lookup_rows: load the home groups of a wave's keys first (independent
  // misses that overlap), then upsert them from cache.
  constexpr size_t kWave = 64;
  const size_t n = keys.size();
  for (size_t begin = 0; begin < n; begin += kWave) {
    const size_t end = std::min(n, begin + kWave);
    uint64_t sink = 0;
    for (size_t i = begin; i < end; ++i) {
      sink += index_.touch(hashes[i]);
    }
    asm volatile("" : : "r"(sink));  // keeps the loads
    for (size_t i = begin; i < end; ++i) {
      rows_out[i] = upsert_row(keys[i], hashes[i], now_ms);
    }
  }
}

void ColumnTable::ensure_column_storage(uint32_t column) {
  if (!validity_[column].empty()) {
    return;
  }
  validity_[column].resize(bitmap_bytes(row_capacity_));
  const Placement& p = placement_[column];
  if (p.width == 0) {
    var_[p.group].refs.resize(size_t{row_capacity_} * sizeof(uint64_t));
  } else if (Group& g = groups_[p.group]; g.cells.empty()) {
    if (embed_keys_ && key_group_ == kNoKeyGroup && keys_.fixed() &&
        g.cell_bytes + keys_.width() <= kCacheLineBytes) {
      embed_keys(p.group);
    } else {
      g.cells.resize(size_t{row_capacity_} * g.stride);
    }
  }
}

void ColumnTable::embed_keys(uint32_t group) {
  // Cost: O(row capacity), with the allocation of the group it comes with.
  Group& g = groups_[group];
  g.stride = g.cell_bytes + keys_.width();
  g.cells.resize(size_t{row_capacity_} * g.stride);
  keys_.embed(g.cells.data() + g.cell_bytes, g.stride);
  key_group_ = group;
}

void ColumnTable::unembed_keys() {
  // Cost: O(row capacity), once per partition (keys never go back to fixed).
  Group& g = groups_[key_group_];
  ByteBuffer cells;
  cells.resize(size_t{row_capacity_} * g.cell_bytes);
  for (uint32_t r = 0; r < row_capacity_; ++r) {
    std::memcpy(cells.data() + size_t{r} * g.cell_bytes, g.cells.data() + size_t{r} * g.stride, g.cell_bytes);
  }
  g.cells = std::move(cells);
  g.stride = g.cell_bytes;
  key_group_ = kNoKeyGroup;
}

std::byte* ColumnTable::cell_ptr(uint32_t row, uint32_t column) {
  const Placement& p = placement_[column];
  Group& g = groups_[p.group];
  return g.cells.data() + size_t{row} * g.stride + p.offset;
}

void ColumnTable::put_var(uint32_t row, uint32_t column, std::string_view value) {
  VarColumn& vc = var_[placement_[column].group];
  uint64_t* refs = vc.refs.as<uint64_t>();
  vc.heap.add_garbage(refs[row] & kVarLenMask);
  refs[row] = 0;
  if (vc.heap.wants_rebuild()) {
    rebuild_var_heap(vc);
  }
  uint64_t offset = value.empty() ? 0 : vc.heap.append(value);
  vc.refs.as<uint64_t>()[row] = (offset << kVarLenBits) | value.size();
}

void ColumnTable::mark_valid(uint32_t row, uint32_t column) {
  uint64_t* valid = validity(column);
  if (!test_bit(valid, row)) {
    set_bit(valid, row);
    --null_rows_[column];
  }
}

void ColumnTable::set_cell(uint32_t row, uint32_t column, std::string_view value) {
  ensure_column_storage(column);
  const Placement& p = placement_[column];
  if (p.width == 0) {
    put_var(row, column, value);
  } else {
    std::memcpy(cell_ptr(row, column), value.data(), p.width);
  }
  mark_valid(row, column);
}

void ColumnTable::set_null(uint32_t row, uint32_t column) {
  if (validity_[column].empty()) {
    return;  // never had a value: already null, and stays free
  }
  const Placement& p = placement_[column];
  if (p.width == 0) {
    VarColumn& vc = var_[p.group];
    uint64_t& ref = vc.refs.as<uint64_t>()[row];
    vc.heap.add_garbage(ref & kVarLenMask);
    ref = 0;
  } else {
    std::memset(cell_ptr(row, column), 0, p.width);
  }
  if (test_bit(validity(column), row)) {
    clear_bit(validity(column), row);
    ++null_rows_[column];
  }
}

void ColumnTable::scatter(uint32_t column, std::span<const uint32_t> rows, const std::byte* packed,
                          const uint8_t* validity_in) {
  ensure_column_storage(column);
  const Placement& p = placement_[column];
  Group& g = groups_[p.group];
  std::byte* base = g.cells.data() + p.offset;
  uint64_t* valid = validity(column);
  const size_t n = rows.size();
  int64_t delta = 0;
  switch (p.width) {
    case 1: delta = scatter_cells<1>(base, g.stride, p.width, valid, rows.data(), n, packed, validity_in); break;
    case 2: delta = scatter_cells<2>(base, g.stride, p.width, valid, rows.data(), n, packed, validity_in); break;
    case 4: delta = scatter_cells<4>(base, g.stride, p.width, valid, rows.data(), n, packed, validity_in); break;
    case 8: delta = scatter_cells<8>(base, g.stride, p.width, valid, rows.data(), n, packed, validity_in); break;
    default: delta = scatter_cells<0>(base, g.stride, p.width, valid, rows.data(), n, packed, validity_in); break;
  }
  null_rows_[column] = static_cast<size_t>(static_cast<int64_t>(null_rows_[column]) + delta);
}

void ColumnTable::scatter_variable(uint32_t column, std::span<const uint32_t> rows, VarCells cells,
                                   const uint8_t* validity_in) {
  ensure_column_storage(column);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (input_bit(validity_in, i)) {
      put_var(rows[i], column, cells.data.substr(cells.offsets[i], cells.offsets[i + 1] - cells.offsets[i]));
      mark_valid(rows[i], column);
    } else {
      set_null(rows[i], column);
    }
  }
}

}  // namespace tessera::core
