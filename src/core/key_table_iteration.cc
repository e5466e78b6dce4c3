// KeyTable iteration: hash-order SCAN (cursor = position in hash space, so a resize
// between calls neither skips nor repeats ranges), random_item sampling, and the active
// expiry step. Contract in key_table.h; state in key_table_impl.h.
//
// Thread safety: none; the table belongs to one data worker.
#include "core/key_table.h"

#include "core/key_table_impl.h"

namespace tessera::core {

size_t KeyTable::expire_step(int64_t now_ms, size_t max_slots) {
  Impl& t = *impl_;
  t.migrate_step();
  size_t cap = t.live.capacity();
  if (cap == 0 || t.with_expiry == 0) {
    return 0;
  }
  size_t slot = t.expire_cursor % cap;
  size_t removed = 0;
  for (size_t i = 0, n = std::min(max_slots, cap); i < n; ++i) {
    if (SlotIndex::is_full(t.live.ctrl(slot)) &&
        Impl::expired(t.item_at(t.live.handle(slot)), now_ms)) {
      t.remove_at({&t.live, slot});
      ++removed;
    }
    slot = slot + 1 == cap ? 0 : slot + 1;
  }
  t.expire_cursor = slot;
  return removed;
}

uint64_t KeyTable::scan_impl(uint64_t cursor, size_t count, int64_t now_ms,
                             void (*cb)(void*, ItemView), void* ctx) {
  const Impl& t = *impl_;
  if (t.size == 0) {
    return 0;
  }
  // Cover about `count` keys: `groups` live groups hold about size/groups keys each.
  size_t groups = t.live.groups();
  size_t span = std::clamp<size_t>(std::clamp<size_t>(count, 1, t.size) * groups / t.size, 1, groups);
  size_t first = t.live.home_group(cursor);
  unsigned __int128 end =
      first + span >= groups ? Impl::kHashSpaceEnd : t.live.group_start_hash(first + span);
  t.scan_index(t.live, cursor, end, now_ms, cb, ctx);
  t.scan_index(t.old, cursor, end, now_ms, cb, ctx);
  return end == Impl::kHashSpaceEnd ? 0 : static_cast<uint64_t>(end);
}

ItemView KeyTable::random_item(uint64_t random, int64_t now_ms) {
  const Impl& t = *impl_;
  if (t.size == 0) {
    return {};
  }
  uint64_t state = random;
  size_t total_used = t.live.used() + t.old.used();
  for (size_t i = 0; i < Impl::kRandomTries; ++i) {
    uint64_t r = Impl::splitmix64(state);
    const SlotIndex& idx = (r % total_used) < t.old.used() ? t.old : t.live;
    r = Impl::splitmix64(state);
    size_t slot = static_cast<size_t>((static_cast<unsigned __int128>(r) * idx.capacity()) >> 64);
    if (idx.capacity() != 0 && SlotIndex::is_full(idx.ctrl(slot))) {
      const uint8_t* p = t.item_at(idx.handle(slot));
      if (!Impl::expired(p, now_ms)) {
        return ItemView(p);
      }
    }
  }
  // Unlucky or mostly expired: walk every slot from a random start. Cost: O(capacity).
  for (const SlotIndex* idx : {&t.live, &t.old}) {
    size_t cap = idx->capacity();
    size_t start = cap == 0 ? 0 : Impl::splitmix64(state) % cap;
    for (size_t i = 0; i < cap; ++i) {
      size_t slot = (start + i) % cap;
      if (SlotIndex::is_full(idx->ctrl(slot))) {
        const uint8_t* p = t.item_at(idx->handle(slot));
        if (!Impl::expired(p, now_ms)) {
          return ItemView(p);
        }
      }
    }
  }
  return {};
}

}  // namespace tessera::core
