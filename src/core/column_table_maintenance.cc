// ColumnTable upkeep: deletes, row-array growth and shrink, index and heap rebuilds, incremental
// compaction, the active expiry sweep, cursor scans and memory accounting (see
// column_table.h for the invariants these preserve).
#include <algorithm>
#include <cstring>

#include "core/column_table.h"
#include "core/key_table.h"  // hash_key, kNoExpiry

namespace tessera::core {

// ---- Deletes ----

size_t ColumnTable::index_slot_of(uint32_t row) const {
  return index_.find(hash_key(key_of(row)), [row](uint32_t r) { return r == row; });
}

void ColumnTable::reset_cells(uint32_t row) {
  for (Group& g : groups_) {
    if (!g.cells.empty()) {
      std::memset(g.cells.data() + size_t{row} * g.stride, 0, g.cell_bytes);  // an embedded key stays
    }
  }
  for (VarColumn& vc : var_) {
    if (!vc.refs.empty()) {
      uint64_t& ref = vc.refs.as<uint64_t>()[row];
      vc.heap.add_garbage(ref & kVarLenMask);
      ref = 0;
    }
  }
  for (size_t c = 0; c < validity_.size(); ++c) {
    if (!validity_[c].empty() && test_bit(validity_[c].as<uint64_t>(), row)) {
      clear_bit(validity_[c].as<uint64_t>(), row);
      ++null_rows_[c];
    }
  }
}

void ColumnTable::erase_row(uint32_t row, size_t slot) {
  index_.erase(slot);
  keys_.release(row);
  reset_cells(row);
  set_expiry(row, kNoExpiry);
  clear_bit(live_.as<uint64_t>(), row);
  --live_rows_;
  for (size_t& nulls : null_rows_) {
    --nulls;  // the row, all-null after reset_cells, is no longer live
  }
  holes_.push_back(row);
}

bool ColumnTable::erase(std::string_view key, uint64_t hash, int64_t now_ms) {
  size_t slot = index_.find(hash, [&](uint32_t r) { return key_equals(r, key); });
  if (slot == LineSlotIndex::kNotFound) {
    return false;
  }
  uint32_t row = index_.handle(slot);
  bool expired = is_expired(row, now_ms);
  erase_row(row, slot);
  return !expired;
}

void ColumnTable::set_row_capacity(uint32_t rows) {
  // REQUIRES: rows >= rows_. Cost: O(rows * allocated bytes per row).
  keys_.set_capacity(rows);
  live_.resize(bitmap_bytes(rows));
  if (!expiry_.empty()) {
    expiry_.resize(size_t{rows} * sizeof(int64_t));
  }
  for (Group& g : groups_) {
    if (!g.cells.empty()) {
      g.cells.resize(size_t{rows} * g.stride);
    }
  }
  if (key_group_ != kNoKeyGroup) {
    keys_.rebase(groups_[key_group_].cells.data() + groups_[key_group_].cell_bytes);
  }
  for (VarColumn& vc : var_) {
    if (!vc.refs.empty()) {
      vc.refs.resize(size_t{rows} * sizeof(uint64_t));
    }
  }
  for (ByteBuffer& v : validity_) {
    if (!v.empty()) {
      v.resize(bitmap_bytes(rows));
    }
  }
  row_capacity_ = rows;
}

void ColumnTable::ensure_index_room() {
  size_t needed = index_.used() + index_.deleted() + 1;
  if (needed * kIndexMaxLoadDen <= index_.capacity() * kIndexMaxLoadNum) {
    return;
  }
  size_t slots = (index_.used() + 1) * kIndexGrowLoadDen / kIndexGrowLoadNum;
  rebuild_index((slots + LineSlotIndex::kGroupSize - 1) / LineSlotIndex::kGroupSize);
}

void ColumnTable::rebuild_index(size_t groups) {
  // Cost: O(rows_) with one hash_key per live row; amortized O(1) per insert because the
  // fresh index is only 3/5 full.
  // In chunks: hash a chunk's keys (sequential reads), prefetch their home groups, then
  // insert them, so the inserts' cache misses overlap instead of one per row in turn.
  LineSlotIndex fresh(groups);
  const uint64_t* live = live_.as<uint64_t>();
  constexpr uint32_t kChunk = 64;
  uint64_t hashes[kChunk];
  uint32_t rows[kChunk];
  for (uint64_t begin = 0; begin < rows_; begin += kChunk) {  // 64-bit: rows_ may be near 2^32
    const uint64_t end = std::min<uint64_t>(rows_, begin + kChunk);
    uint32_t n = 0;
    for (auto r = static_cast<uint32_t>(begin); r < end; ++r) {
      if (test_bit(live, r)) {
        hashes[n] = hash_key(key_of(r));
        rows[n] = r;
        fresh.prefetch(hashes[n]);
        ++n;
      }
    }
    for (uint32_t i = 0; i < n; ++i) {
      fresh.insert(hashes[i], rows[i]);
    }
  }
  index_ = std::move(fresh);
}

void ColumnTable::rebuild_var_heap(VarColumn& vc) {
  VarHeap fresh;
  fresh.reserve(vc.heap.used() - vc.heap.garbage());
  uint64_t* refs = vc.refs.as<uint64_t>();
  for (uint32_t r = 0; r < rows_; ++r) {
    size_t len = refs[r] & kVarLenMask;
    if (len != 0) {
      uint64_t offset = fresh.append(vc.heap.view(refs[r] >> kVarLenBits, len));
      refs[r] = (offset << kVarLenBits) | len;
    }
  }
  vc.heap.replace(std::move(fresh));
}

void ColumnTable::move_row(uint32_t from, uint32_t to) {
  // REQUIRES: from is live, to is a hole (all cells null and zero).
  size_t slot = index_slot_of(from);
  index_.set_handle(slot, to);
  keys_.move(from, to);  // first: the group loop below clears an embedded key's old row
  for (Group& g : groups_) {
    if (!g.cells.empty()) {
      std::byte* src = g.cells.data() + size_t{from} * g.stride;
      std::memcpy(g.cells.data() + size_t{to} * g.stride, src, g.stride);
      std::memset(src, 0, g.stride);
    }
  }
  for (VarColumn& vc : var_) {
    if (!vc.refs.empty()) {
      uint64_t* refs = vc.refs.as<uint64_t>();
      refs[to] = refs[from];
      refs[from] = 0;
    }
  }
  for (ByteBuffer& v : validity_) {
    if (!v.empty()) {
      uint64_t* words = v.as<uint64_t>();
      assign_bit(words, to, test_bit(words, from));
      clear_bit(words, from);
    }
  }
  if (!expiry_.empty()) {
    int64_t* exp = expiry_.as<int64_t>();
    exp[to] = exp[from];
    exp[from] = kNoExpiry;
  }
  set_bit(live_.as<uint64_t>(), to);
  clear_bit(live_.as<uint64_t>(), from);
}

size_t ColumnTable::compact_step(size_t max_rows) {
  size_t budget = max_rows;
  const uint64_t* live = live_.as<uint64_t>();
  while (budget > 0 && rows_ > live_rows_) {
    --budget;
    if (!test_bit(live, rows_ - 1)) {  // a dead top row: trim it
      --rows_;
      continue;
    }
    // rows_ > live_rows_ and the top is live: some hole below it is still listed.
    if (holes_.empty()) {
      break;  // unreachable while the invariants hold
    }
    uint32_t hole = holes_.back();
    holes_.pop_back();
    if (hole < rows_) {
      move_row(rows_ - 1, hole);
      --rows_;
    }
  }
  if (rows_ == live_rows_) {
    holes_.clear();  // every remaining entry was trimmed off the top
  }
  if (row_capacity_ > kInitialRows && size_t{rows_} * kShrinkRatio < row_capacity_) {
    uint64_t want = uint64_t{rows_} * VarHeap::kGrowthNum / VarHeap::kGrowthDen;
    set_row_capacity(static_cast<uint32_t>(want < kInitialRows ? kInitialRows : want));
    holes_.shrink_to_fit();
  }
  if (rows_ == live_rows_) {
    shrink_one();
  }
  return rows_ - live_rows_;
}

void ColumnTable::shrink_one() {
  // At most one rebuild per call, each paid for by the deletes that made the garbage:
  // a heap is rewritten when at least half of it is garbage, the index when it is more
  // than kIndexShrinkRatio times larger than its entries need.
  if (keys_.wants_rebuild()) {
    keys_.rebuild(live_.as<uint64_t>(), rows_);
    return;
  }
  for (VarColumn& vc : var_) {
    if (vc.heap.wants_rebuild()) {
      rebuild_var_heap(vc);
      return;
    }
  }
  size_t need = (index_.used() + 1) * kIndexGrowLoadDen / kIndexGrowLoadNum;
  if (index_.capacity() > LineSlotIndex::kGroupSize && index_.capacity() > need * kIndexShrinkRatio) {
    rebuild_index((need + LineSlotIndex::kGroupSize - 1) / LineSlotIndex::kGroupSize);
  }
}

size_t ColumnTable::expire_step(int64_t now_ms, size_t max_rows) {
  if (expiry_.empty()) {
    return 0;
  }
  size_t deleted = 0;
  for (size_t visited = 0; visited < max_rows && rows_ != 0; ++visited) {
    if (expire_cursor_ >= rows_) {
      expire_cursor_ = 0;
    }
    uint32_t r = expire_cursor_++;
    if (test_bit(live_.as<uint64_t>(), r) && is_expired(r, now_ms)) {
      erase_row(r, index_slot_of(r));
      ++deleted;
    }
  }
  return deleted;
}

uint64_t ColumnTable::scan_impl(uint64_t cursor, size_t count, int64_t now_ms,
                                void (*cb)(void*, uint32_t, std::string_view), void* ctx) const {
  // The cursor is the number of rows still to visit, counted from row 0: [0, cursor).
  uint64_t next = cursor == 0 || cursor > rows_ ? rows_ : cursor;
  const uint64_t* live = live_.as<uint64_t>();
  for (size_t visited = 0; next > 0 && visited < count; ++visited) {
    auto r = static_cast<uint32_t>(--next);
    if (test_bit(live, r) && !is_expired(r, now_ms)) {
      cb(ctx, r, key_of(r));
    }
  }
  return next;
}

bool ColumnTable::null_counts_consistent() const {
  const uint64_t* live = live_.as<uint64_t>();
  for (uint32_t c = 0; c < validity_.size(); ++c) {
    size_t nulls = 0;
    for (uint32_t r = 0; r < rows_; ++r) {
      nulls += test_bit(live, r) && (validity_[c].empty() || !test_bit(validity(c), r)) ? 1 : 0;
    }
    if (nulls != null_rows_[c]) {
      return false;
    }
  }
  return true;
}

size_t ColumnTable::column_memory_bytes(uint32_t column) const {
  size_t bytes = validity_[column].size();
  const Placement& p = placement_[column];
  if (p.width == 0) {
    const VarColumn& vc = var_[p.group];
    return bytes + vc.refs.size() + vc.heap.capacity();
  }
  const Group& g = groups_[p.group];
  return bytes + (g.stride == 0 ? 0 : g.cells.size() / g.stride * p.width);
}

size_t ColumnTable::memory_bytes() const {
  size_t bytes = sizeof(*this) + index_.bytes() + keys_.memory_bytes() + live_.size() +
                 expiry_.size() + holes_.capacity() * sizeof(uint32_t) +
                 placement_.capacity() * sizeof(Placement) + validity_.capacity() * sizeof(ByteBuffer);
  for (const Group& g : groups_) {
    bytes += sizeof(Group) + g.cells.size() + g.members.capacity() * sizeof(uint32_t);
  }
  for (const VarColumn& vc : var_) {
    bytes += sizeof(VarColumn) + vc.refs.size() + vc.heap.capacity();
  }
  for (const ByteBuffer& v : validity_) {
    bytes += v.size();
  }
  return bytes;
}

}  // namespace tessera::core
