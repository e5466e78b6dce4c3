// SlabArena: size classes, reuse through free lists, commit growth, reset.
#include "core/slab_arena.h"

#include <doctest/doctest.h>

#include <cstring>
#include <map>
#include <vector>

using tessera::core::SlabArena;

TEST_CASE("size classes are 8-byte steps to 128, then ~12.5% steps to the max") {
  CHECK(SlabArena::rounded_size(1) == 8);
  CHECK(SlabArena::rounded_size(8) == 8);
  CHECK(SlabArena::rounded_size(9) == 16);
  CHECK(SlabArena::rounded_size(31) == 32);
  CHECK(SlabArena::rounded_size(128) == 128);
  CHECK(SlabArena::rounded_size(129) == 144);
  CHECK(SlabArena::rounded_size(SlabArena::kMaxBlockBytes) == SlabArena::kMaxBlockBytes);
  size_t prev = 0;
  for (size_t c = 0; c < SlabArena::kNumClasses; ++c) {
    size_t b = SlabArena::class_bytes(c);
    CHECK(b % SlabArena::kUnit == 0);
    CHECK(b > prev);
    if (prev >= SlabArena::kSmallStepLimit) {
      CHECK(b <= prev + prev / 8 + SlabArena::kUnit);
    }
    prev = b;
  }
  for (size_t n = 1; n <= SlabArena::kMaxBlockBytes; ++n) {
    size_t r = SlabArena::rounded_size(n);
    REQUIRE(r >= n);
    if (SlabArena::size_class(n) > 0) {
      REQUIRE(SlabArena::class_bytes(SlabArena::size_class(n) - 1) < n);
    }
  }
}

TEST_CASE("allocate never returns null, blocks are distinct and writable, free reuses") {
  SlabArena arena;
  CHECK(arena.bytes_in_use() == 0);
  std::map<uint32_t, size_t> live;
  for (size_t i = 1; i <= 2000; ++i) {
    size_t bytes = (i * 37) % SlabArena::kMaxBlockBytes + 1;
    SlabArena::Handle h = arena.allocate(bytes);
    REQUIRE(h != SlabArena::kNullHandle);
    REQUIRE(reinterpret_cast<uintptr_t>(arena.pointer(h)) % SlabArena::kUnit == 0);
    std::memset(arena.pointer(h), static_cast<int>(i & 0xFF), bytes);
    REQUIRE(live.emplace(h, bytes).second);
  }
  // Blocks do not overlap: each still holds its own fill byte.
  size_t i = 0;
  std::vector<std::pair<uint32_t, size_t>> sorted(live.begin(), live.end());
  for (size_t k = 0; k + 1 < sorted.size(); ++k) {
    REQUIRE(static_cast<size_t>(sorted[k].first) * SlabArena::kUnit +
                SlabArena::rounded_size(sorted[k].second) <=
            static_cast<size_t>(sorted[k + 1].first) * SlabArena::kUnit);
  }
  size_t in_use = arena.bytes_in_use();
  for (auto& [h, bytes] : live) {
    arena.free(h, bytes);
    ++i;
  }
  CHECK(arena.free_list_bytes() > 0);
  CHECK(arena.bytes_in_use() == in_use);
  // Same sizes again: served entirely from free lists.
  for (auto& [h, bytes] : live) {
    (void)h;
    arena.allocate(bytes);
  }
  CHECK(arena.bytes_in_use() == in_use);
  CHECK(arena.free_list_bytes() == 0);
}

TEST_CASE("growth past several commit chunks, then reset") {
  SlabArena arena;
  size_t n = 3 * SlabArena::kCommitChunkBytes / 64;
  SlabArena::Handle last = 0;
  for (size_t i = 0; i < n; ++i) {
    last = arena.allocate(64);
    std::memset(arena.pointer(last), 0xAB, 64);
  }
  CHECK(arena.bytes_in_use() >= 3 * SlabArena::kCommitChunkBytes);
  arena.reset();
  CHECK(arena.bytes_in_use() == SlabArena::kUnit);
  CHECK(arena.free_list_bytes() == 0);
  SlabArena::Handle h = arena.allocate(64);
  CHECK(h == 1);
  CHECK(static_cast<unsigned char*>(arena.pointer(h))[0] == 0);  // pages were dropped
}

TEST_CASE("a small reservation runs out with bad_alloc") {
  SlabArena arena(SlabArena::kCommitChunkBytes);
  CHECK_THROWS_AS(
      for (;;) { arena.allocate(SlabArena::kMaxBlockBytes); }, std::bad_alloc);
}
