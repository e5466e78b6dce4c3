// VarHeap: the append-only byte heap behind variable-width cells (utf8/bytes columns) and
// row keys of a ColumnTable partition (private to src/core/column_*).
//
// Values are appended; overwriting or deleting one only counts its bytes as garbage.
// When garbage exceeds half the heap (and kMinCompactBytes), the owner rewrites the heap
// with its live values (rebuild()), O(live bytes); since at least as many garbage bytes were
// written before, the rewrite costs O(1) amortized per byte written.
//
// Thread safety: none; owned by the partition's data worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/column_buffer.h"

namespace tessera::core {

class VarHeap {
 public:
  static constexpr size_t kMinCompactBytes = 64 * 1024;
  static constexpr size_t kInitialBytes = 256;
  static constexpr size_t kGrowthNum = 3;  // capacity grows by 3/2
  static constexpr size_t kGrowthDen = 2;
  static constexpr size_t kLargeGrowthDen = 16;  // from 2 MiB on, capacity grows by 1/16

  size_t used() const { return used_; }
  size_t garbage() const { return garbage_; }
  size_t capacity() const { return buf_.size(); }
  const std::byte* data() const { return buf_.data(); }
  std::string_view view(size_t offset, size_t len) const {
    return {reinterpret_cast<const char*>(buf_.data()) + offset, len};
  }

  // Appends `bytes`, returns its offset.
  size_t append(std::string_view bytes) {
    reserve(bytes.size());
    size_t at = used_;
    if (!bytes.empty()) {
      std::memcpy(buf_.data() + at, bytes.data(), bytes.size());
    }
    used_ += bytes.size();
    return at;
  }
  // Makes room for `extra` more bytes (capacity grows geometrically).
  void reserve(size_t extra) {
    if (used_ + extra <= buf_.size()) {
      return;
    }
    size_t cap = buf_.size() < kInitialBytes ? kInitialBytes : buf_.size();
    while (cap < used_ + extra) {
      // Large heaps are mremap'd (column_buffer.h): small steps cost O(pages), not a copy.
      cap = cap < ByteBuffer::kHugePageBytes ? cap * kGrowthNum / kGrowthDen : cap + cap / kLargeGrowthDen;
    }
    buf_.resize(cap);
  }
  std::byte* tail() { return buf_.data() + used_; }
  void advance(size_t n) { used_ += n; }
  void add_garbage(size_t n) { garbage_ += n; }

  bool wants_rebuild() const { return garbage_ >= kMinCompactBytes && garbage_ * 2 >= used_; }

  // Replaces this heap by `fresh` (built by the owner from the live values).
  void replace(VarHeap&& fresh) {
    buf_ = std::move(fresh.buf_);
    used_ = fresh.used_;
    garbage_ = 0;
    // Trim slack left by geometric growth down to the live size plus one growth step.
    size_t want = used_ * kGrowthNum / kGrowthDen;
    if (want < buf_.size()) {
      buf_.resize(want < kInitialBytes ? kInitialBytes : want);
    }
  }
  void clear() {
    buf_.resize(0);
    used_ = 0;
    garbage_ = 0;
  }

 private:
  ByteBuffer buf_;
  size_t used_ = 0;
  size_t garbage_ = 0;
};

}  // namespace tessera::core
