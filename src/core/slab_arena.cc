// SlabArena implementation: size-class tables, region reservation and chunked commit,
// free lists. See slab_arena.h for the contract and invariants.
#include "core/slab_arena.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace tessera::core {
namespace {

constexpr size_t kUnitsPerMaxBlock = SlabArena::kMaxBlockBytes / SlabArena::kUnit;
// Above kSmallStepLimit each class is about 1/kGrowthDivisor larger than the previous.
constexpr size_t kGrowthDivisor = 8;

constexpr size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

struct ClassTables {
  std::array<uint32_t, SlabArena::kNumClasses> bytes{};
  // Indexed by ceil(bytes / kUnit): the smallest class that fits.
  std::array<uint8_t, kUnitsPerMaxBlock + 1> by_units{};
  size_t count = 0;
};

constexpr ClassTables make_tables() {
  ClassTables t;
  size_t n = 0;
  for (size_t b = SlabArena::kUnit; b <= SlabArena::kSmallStepLimit; b += SlabArena::kUnit) {
    t.bytes[n++] = static_cast<uint32_t>(b);
  }
  size_t prev = SlabArena::kSmallStepLimit;
  while (prev < SlabArena::kMaxBlockBytes && n < SlabArena::kNumClasses) {
    size_t next = round_up(prev + prev / kGrowthDivisor, SlabArena::kUnit);
    prev = next < SlabArena::kMaxBlockBytes ? next : SlabArena::kMaxBlockBytes;
    t.bytes[n++] = static_cast<uint32_t>(prev);
  }
  t.count = n;
  size_t cls = 0;
  for (size_t units = 0; units <= kUnitsPerMaxBlock; ++units) {
    while (cls < n && t.bytes[cls] < units * SlabArena::kUnit) {
      ++cls;
    }
    t.by_units[units] = static_cast<uint8_t>(cls);
  }
  return t;
}

constexpr ClassTables kTables = make_tables();
static_assert(kTables.count == SlabArena::kNumClasses, "kNumClasses must match the table");
static_assert(kTables.bytes[SlabArena::kNumClasses - 1] == SlabArena::kMaxBlockBytes);

}  // namespace

size_t SlabArena::size_class(size_t bytes) { return kTables.by_units[(bytes + kUnit - 1) / kUnit]; }

size_t SlabArena::class_bytes(size_t size_class) { return kTables.bytes[size_class]; }

// The reservation is capped at what 32-bit handles can address.
SlabArena::SlabArena(size_t reserve_bytes)
    : reserve_request_(round_up(
          reserve_bytes < kDefaultReserveBytes ? reserve_bytes : kDefaultReserveBytes,
          kCommitChunkBytes)) {}

SlabArena::~SlabArena() {
  if (mapping_ != nullptr) {
    munmap(mapping_, mapping_bytes_);
  }
}

void SlabArena::reserve_region() {
  // One extra huge page of address space so the region can start on a 2 MiB boundary:
  // with transparent huge pages, a random lookup over millions of items then costs a
  // cache miss but rarely a TLB miss (the kernel's THP mode here is "madvise").
  mapping_bytes_ = reserve_request_ + kHugePageBytes;
  void* p = mmap(nullptr, mapping_bytes_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    throw std::bad_alloc();
  }
  mapping_ = static_cast<char*>(p);
  base_ = reinterpret_cast<char*>(round_up(reinterpret_cast<uintptr_t>(mapping_), kHugePageBytes));
  madvise(base_, reserve_request_, MADV_HUGEPAGE);
  reserved_ = reserve_request_;
  bump_ = kUnit;  // handle 0 stays null
}

void SlabArena::commit_to(size_t end) {
  if (end > reserved_) {
    throw std::bad_alloc();
  }
  size_t new_committed = round_up(end, kCommitChunkBytes);
  if (new_committed > reserved_) {
    new_committed = reserved_;
  }
  if (mprotect(base_ + committed_, new_committed - committed_, PROT_READ | PROT_WRITE) != 0) {
    throw std::bad_alloc();
  }
  committed_ = new_committed;
}

SlabArena::Handle SlabArena::allocate(size_t bytes) {
  size_t cls = size_class(bytes);
  Handle head = free_heads_[cls];
  size_t block = kTables.bytes[cls];
  if (head != kNullHandle) {
    uint32_t next;
    std::memcpy(&next, pointer(head), sizeof(next));
    free_heads_[cls] = next;
    free_bytes_ -= block;
    return head;
  }
  if (base_ == nullptr) {
    reserve_region();
  }
  size_t end = bump_ + block;
  if (end > committed_) {
    commit_to(end);
  }
  Handle h = static_cast<Handle>(bump_ / kUnit);
  bump_ = end;
  return h;
}

void SlabArena::free(Handle h, size_t bytes) {
  size_t cls = size_class(bytes);
  uint32_t next = free_heads_[cls];
  std::memcpy(pointer(h), &next, sizeof(next));
  free_heads_[cls] = h;
  free_bytes_ += kTables.bytes[cls];
}

void SlabArena::reset() {
  if (base_ != nullptr && committed_ > 0) {
    // Drop the pages (they read back as zero) and make the range inaccessible again.
    madvise(base_, committed_, MADV_DONTNEED);
    mprotect(base_, committed_, PROT_NONE);
  }
  committed_ = 0;
  bump_ = base_ != nullptr ? kUnit : 0;
  free_bytes_ = 0;
  free_heads_.fill(kNullHandle);
}

}  // namespace tessera::core
