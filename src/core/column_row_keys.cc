// RowKeys: fixed and variable key storage of a ColumnTable partition (see column_row_keys.h).
#include "core/column_row_keys.h"

#include <stdexcept>

namespace tessera::core {
namespace {

constexpr unsigned kVarintShift = 7;
constexpr uint8_t kVarintMore = 0x80;
constexpr uint8_t kVarintPayload = 0x7F;
constexpr size_t kMaxVarintBytes = 5;  // a 32-bit length

size_t write_varint(std::byte* out, uint32_t v) {
  size_t n = 0;
  while (v >= kVarintMore) {
    out[n++] = static_cast<std::byte>((v & kVarintPayload) | kVarintMore);
    v >>= kVarintShift;
  }
  out[n++] = static_cast<std::byte>(v);
  return n;
}

// Returns the decoded value; *len gets the bytes it took.
uint32_t read_varint(const std::byte* in, size_t* len) {
  uint32_t v = 0;
  size_t n = 0;
  unsigned shift = 0;
  for (;;) {
    auto b = static_cast<uint8_t>(in[n++]);
    v |= static_cast<uint32_t>(b & kVarintPayload) << shift;
    if ((b & kVarintMore) == 0) {
      break;
    }
    shift += kVarintShift;
  }
  *len = n;
  return v;
}

// Appends key's heap entry (varint length + bytes); returns its offset.
uint32_t append_entry(VarHeap& heap, std::string_view key) {
  heap.reserve(kMaxVarintBytes + key.size());
  auto at = static_cast<uint32_t>(heap.used());
  heap.advance(write_varint(heap.tail(), static_cast<uint32_t>(key.size())));
  heap.append(key);
  return at;
}

size_t entry_bytes(std::string_view key) {
  size_t n = 1;
  for (size_t v = key.size(); v >= kVarintMore; v >>= kVarintShift) {
    ++n;
  }
  return n + key.size();
}

}  // namespace

std::string_view RowKeys::variable_key(uint32_t row) const {
  const std::byte* p = heap_.data() + offsets_.as<uint32_t>()[row];
  size_t n = 0;
  uint32_t len = read_varint(p, &n);
  return {reinterpret_cast<const char*>(p + n), len};
}

void RowKeys::set_capacity(uint32_t rows) {
  capacity_ = rows;
  if (embedded_) {
    return;
  }
  if (width_ != 0) {
    fixed_.resize(size_t{rows} * width_);
    own_fixed();
  } else if (!undecided_) {
    offsets_.resize(size_t{rows} * sizeof(uint32_t));
  }
}

void RowKeys::assign(uint32_t row, std::string_view key, const uint64_t* live, uint32_t used_rows) {
  if (undecided_) {
    undecided_ = false;
    if (!key.empty() && key.size() <= kMaxFixedBytes) {
      width_ = static_cast<uint32_t>(key.size());
      fixed_.resize(size_t{capacity_} * width_);
      own_fixed();
    } else {
      offsets_.resize(size_t{capacity_} * sizeof(uint32_t));
    }
  }
  if (width_ != 0 && key.size() != width_) {
    to_variable(live, used_rows);
  }
  if (width_ != 0) {
    std::memcpy(fixed_at(row), key.data(), width_);
    return;
  }
  size_t entry = kMaxVarintBytes + key.size();
  if (heap_.wants_rebuild() || heap_.used() + entry > kMaxHeapBytes) {
    rebuild(live, used_rows);
    if (heap_.used() + entry > kMaxHeapBytes) {
      throw std::length_error("column table key heap full");
    }
  }
  offsets_.as<uint32_t>()[row] = append_entry(heap_, key);
}

void RowKeys::release(uint32_t row) {
  if (width_ == 0) {
    heap_.add_garbage(entry_bytes(variable_key(row)));
  }
}

void RowKeys::move(uint32_t from, uint32_t to) {
  if (width_ != 0) {
    std::memcpy(fixed_at(to), fixed_at(from), width_);
  } else {
    uint32_t* offsets = offsets_.as<uint32_t>();
    offsets[to] = offsets[from];
  }
}

void RowKeys::rebuild(const uint64_t* live, uint32_t used_rows) {
  VarHeap fresh;
  fresh.reserve(heap_.used() - heap_.garbage());
  uint32_t* offsets = offsets_.as<uint32_t>();
  for (uint32_t r = 0; r < used_rows; ++r) {
    if (test_bit(live, r)) {
      offsets[r] = append_entry(fresh, variable_key(r));
    }
  }
  heap_.replace(std::move(fresh));
}

void RowKeys::to_variable(const uint64_t* live, uint32_t used_rows) {
  // Cost: O(used_rows + key bytes), once per partition.
  offsets_.resize(size_t{capacity_} * sizeof(uint32_t));
  uint32_t* offsets = offsets_.as<uint32_t>();
  heap_.reserve(size_t{used_rows} * (width_ + 1));
  for (uint32_t r = 0; r < used_rows; ++r) {
    if (test_bit(live, r)) {
      offsets[r] = append_entry(heap_, key(r));
    }
  }
  width_ = 0;
  embedded_ = false;
  fixed_.resize(0);
  base_ = nullptr;
  stride_ = 0;
}

void RowKeys::embed(std::byte* base, size_t stride) {
  // Cost: O(capacity), once per partition.
  for (uint32_t r = 0; r < capacity_; ++r) {
    std::memcpy(base + size_t{r} * stride, fixed_at(r), width_);
  }
  fixed_.resize(0);
  base_ = base;
  stride_ = stride;
  embedded_ = true;
}

}  // namespace tessera::core
