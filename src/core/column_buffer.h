// ByteBuffer and bitmap helpers: the raw memory under a ColumnTable partition (private to
// src/core/column_*). A ByteBuffer is an owned, zero-filled, exactly sized byte array;
// arrays of 2 MiB and more sit on transparent huge pages (a random-row gather then rarely
// misses the TLB). Growth policy belongs to the caller: resize() allocates exactly what is
// asked and copies the old prefix, O(new size).
//
// Invariants: data() is 64-byte aligned (bitmaps are read as uint64 words) or null when
// size() == 0; bytes past the old size are zero after resize().
//
// Thread safety: none; owned by the partition's data worker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <utility>

#include <sys/mman.h>

namespace tessera::core {

class ByteBuffer {
 public:
  static constexpr size_t kAlignment = 64;
  static constexpr size_t kHugePageBytes = 2 * 1024 * 1024;

  ByteBuffer() = default;
  ~ByteBuffer() { std::free(data_); }
  ByteBuffer(ByteBuffer&& o) noexcept { swap(o); }
  ByteBuffer& operator=(ByteBuffer&& o) noexcept {
    ByteBuffer tmp(std::move(o));
    swap(tmp);
    return *this;
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  std::byte* data() { return data_; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  template <class T>
  T* as() { return reinterpret_cast<T*>(data_); }
  template <class T>
  const T* as() const { return reinterpret_cast<const T*>(data_); }

  // Exact resize; keeps min(old, new) bytes, zero-fills the rest. Size 0 frees.
  void resize(size_t size) {
    if (size == size_) {
      return;
    }
    if (size == 0) {
      std::free(data_);
      data_ = nullptr;
      size_ = 0;
      return;
    }
    bool huge = size >= kHugePageBytes;
    size_t align = huge ? kHugePageBytes : kAlignment;
    size_t rounded = (size + align - 1) / align * align;  // aligned_alloc wants a multiple
    auto* fresh = static_cast<std::byte*>(std::aligned_alloc(align, rounded));
    if (fresh == nullptr) {
      throw std::bad_alloc();
    }
    if (huge) {
      madvise(fresh, rounded, MADV_HUGEPAGE);
    }
    size_t keep = size < size_ ? size : size_;
    if (keep != 0) {
      std::memcpy(fresh, data_, keep);
    }
    std::memset(fresh + keep, 0, rounded - keep);
    std::free(data_);
    data_ = fresh;
    size_ = size;
  }

 private:
  void swap(ByteBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
  }

  std::byte* data_ = nullptr;
  size_t size_ = 0;
};

// Bitmaps: bit i of a bitmap is bit (i % 64) of little-endian word i / 64, which is also
// bit (i % 8) of byte i / 8 (the wire format's validity bitmap, LSB first).
inline constexpr size_t kBitsPerWord = 64;
inline size_t bitmap_words(size_t bits) { return (bits + kBitsPerWord - 1) / kBitsPerWord; }
inline size_t bitmap_bytes(size_t bits) { return bitmap_words(bits) * sizeof(uint64_t); }
inline bool test_bit(const uint64_t* words, size_t i) {
  return ((words[i / kBitsPerWord] >> (i % kBitsPerWord)) & 1) != 0;
}
inline void set_bit(uint64_t* words, size_t i) { words[i / kBitsPerWord] |= uint64_t{1} << (i % kBitsPerWord); }
inline void clear_bit(uint64_t* words, size_t i) {
  words[i / kBitsPerWord] &= ~(uint64_t{1} << (i % kBitsPerWord));
}
inline void assign_bit(uint64_t* words, size_t i, bool v) {
  if (v) {
    set_bit(words, i);
  } else {
    clear_bit(words, i);
  }
}

}  // namespace tessera::core
