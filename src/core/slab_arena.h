// SlabArena: the item allocator of one KeyTable. Owns one large virtual region reserved
// with mmap(PROT_NONE, MAP_NORESERVE) and made read/write chunk by chunk as a bump pointer
// advances; freed blocks go to per-size-class intrusive free lists and are reused first.
//
// Addressing: a block is named by a 32-bit Handle counting 8-byte units from the region
// start, so 2^32 * 8 bytes = 32 GiB is addressable. Handle 0 is null (the first unit is
// never handed out). There is no per-allocation header: the caller must pass the same
// byte size to free() that it passed to allocate() (the KeyTable re-derives it from the
// item's own header).
//
// Size classes: multiples of 8 bytes up to 128, then steps of about 12.5% (rounded to 8)
// up to kMaxBlockBytes. Larger objects are not the arena's business (KeyTable stores big
// values out of line).
//
// Invariants:
//   - committed_ <= reserved_, bump_ <= committed_, all three multiples of kUnit.
//   - Every free-list block lies below bump_ and holds the next handle of its list in its
//     first 4 bytes.
//
// Thread safety: none; owned by the one thread that owns the table.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace tessera::core {

class SlabArena {
 public:
  using Handle = uint32_t;
  static constexpr Handle kNullHandle = 0;
  static constexpr size_t kUnit = 8;                      // handle granularity, bytes
  static constexpr size_t kSmallStepLimit = 128;          // 8-byte steps up to here
  static constexpr size_t kMaxBlockBytes = 4096;          // largest size class
  static constexpr size_t kDefaultReserveBytes = size_t{32} << 30;  // 2^32 handles * 8
  static constexpr size_t kCommitChunkBytes = size_t{2} << 20;      // mprotect granularity

  static constexpr size_t kNumClasses = 44;  // checked by a static_assert in the .cc

  explicit SlabArena(size_t reserve_bytes = kDefaultReserveBytes);
  ~SlabArena();
  SlabArena(const SlabArena&) = delete;
  SlabArena& operator=(const SlabArena&) = delete;

  // REQUIRES: 0 < bytes <= kMaxBlockBytes. Returns a block of at least `bytes` bytes,
  // 8-byte aligned. Throws std::bad_alloc when the reservation is exhausted.
  // Cost: O(1) (plus one mprotect per kCommitChunkBytes of growth).
  Handle allocate(size_t bytes);
  // REQUIRES: h came from allocate(bytes') with size_class(bytes') == size_class(bytes).
  void free(Handle h, size_t bytes);

  void* pointer(Handle h) const { return base_ + static_cast<size_t>(h) * kUnit; }

  // Releases every block and returns the pages to the kernel (handles become invalid).
  void reset();

  // Bytes carved from the region so far: live blocks plus free-list blocks (slack).
  size_t bytes_in_use() const { return bump_; }
  // Bytes sitting on free lists (part of bytes_in_use()).
  size_t free_list_bytes() const { return free_bytes_; }

  static size_t size_class(size_t bytes);         // REQUIRES: 0 < bytes <= kMaxBlockBytes
  static size_t class_bytes(size_t size_class);   // block size of a class
  // Block size that allocate(bytes) actually hands out.
  static size_t rounded_size(size_t bytes) { return class_bytes(size_class(bytes)); }

 private:
  void reserve_region();
  void commit_to(size_t end);

  static constexpr size_t kHugePageBytes = 2 * 1024 * 1024;
  char* mapping_ = nullptr;  // the whole mmap (base_ is its first 2 MiB boundary)
  size_t mapping_bytes_ = 0;
  char* base_ = nullptr;
  size_t reserved_ = 0;    // bytes of virtual address space reserved (0 until first use)
  size_t reserve_request_;  // how much to reserve on first allocate()
  size_t committed_ = 0;   // bytes made read/write
  size_t bump_ = 0;        // next never-used byte offset
  size_t free_bytes_ = 0;  // bytes on free lists
  std::array<Handle, kNumClasses> free_heads_{};
};

}  // namespace tessera::core
