// ByteBuffer and bitmap helpers: the raw memory under a ColumnTable partition (private to
// src/core/column_*). A ByteBuffer is an owned, zero-filled, exactly sized byte array;
// arrays of 2 MiB and more are mmap'd, marked for transparent huge pages (a random-row
// gather then rarely misses the TLB) and resized with mremap (no copy). Growth policy
// belongs to the caller: resize() allocates exactly what is asked (rounded up to a 2 MiB page
// when mapped); below 2 MiB it copies the old prefix, O(new size), above it O(pages).
//
// Invariants: data() is 64-byte aligned (page-aligned when mapped) (bitmaps are read as uint64 words) or null when
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
  ~ByteBuffer() { release(); }
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
  // Arrays of kHugePageBytes and more are mmap'd and grown or shrunk with mremap: the
  // kernel moves page tables instead of copying the bytes, so growth costs O(pages), which
  // lets the owners grow in small steps (little slack) without paying O(size) per step.
  void resize(size_t size) {
    if (size == size_) {
      return;
    }
    if (size == 0) {
      release();
      return;
    }
    if (size >= kHugePageBytes) {
      resize_mapped(size);
      return;
    }
    size_t rounded = (size + kAlignment - 1) / kAlignment * kAlignment;  // aligned_alloc wants a multiple
    auto* fresh = static_cast<std::byte*>(std::aligned_alloc(kAlignment, rounded));
    if (fresh == nullptr) {
      throw std::bad_alloc();
    }
    size_t keep = size < size_ ? size : size_;
    if (keep != 0) {
      std::memcpy(fresh, data_, keep);
    }
    std::memset(fresh + keep, 0, rounded - keep);
    release();
    data_ = fresh;
    size_ = size;
  }

 private:
  // Mappings are whole huge pages: a page fault in a 2 MiB range the mapping only partly
  // covers gets a 4 KiB page, and a buffer grown in small steps then keeps most of its growth
  // on small pages (seen in /proc/PID/smaps: 4 of a 10 MiB key array's MiB on huge pages).
  // Untouched tail pages cost nothing until written.
  static size_t huge_rounded(size_t n) { return (n + kHugePageBytes - 1) / kHugePageBytes * kHugePageBytes; }

  void release() {
    if (mapped_ != 0) {
      munmap(data_, mapped_);
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    size_ = 0;
    mapped_ = 0;
  }

  // Invariant of a mapped buffer: bytes [size_, mapped_) are zero.
  void resize_mapped(size_t size) {
    const size_t want = huge_rounded(size);
    if (mapped_ == 0) {  // from malloc'd (or nothing): a fresh zeroed mapping
      void* p = mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) {
        throw std::bad_alloc();
      }
      madvise(p, want, MADV_HUGEPAGE);
      auto* fresh = static_cast<std::byte*>(p);
      if (size_ != 0) {
        std::memcpy(fresh, data_, size_ < size ? size_ : size);
      }
      release();
      data_ = fresh;
      size_ = size;
      mapped_ = want;
      return;
    }
    if (want != mapped_) {
      void* p = mremap(data_, mapped_, want, MREMAP_MAYMOVE);
      if (p == MAP_FAILED) {
        throw std::bad_alloc();
      }
      if (want > mapped_) {
        madvise(static_cast<std::byte*>(p) + mapped_, want - mapped_, MADV_HUGEPAGE);
      }
      data_ = static_cast<std::byte*>(p);
      mapped_ = want;
    }
    if (size < size_) {
      std::memset(data_ + size, 0, (size_ < mapped_ ? size_ : mapped_) - size);
    }
    size_ = size;
  }

  void swap(ByteBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(mapped_, o.mapped_);
  }

  std::byte* data_ = nullptr;
  size_t size_ = 0;
  size_t mapped_ = 0;  // bytes mmap'd (a multiple of kHugePageBytes), 0 = malloc'd or empty
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
