// KeyTable lookups and mutations over KeyTable::Impl (key_table_impl.h, which documents
// the incremental resize). SCAN, random sampling and active expiry are in
// key_table_iteration.cc. Contract and invariants in key_table.h.
//
// Thread safety: none; the table belongs to one data worker.
#include "core/key_table.h"

#include "core/key_table_impl.h"

namespace tessera::core {

KeyTable::KeyTable() : impl_(std::make_unique<Impl>()) {}

KeyTable::~KeyTable() { impl_->release_all_out_of_line(); }

void KeyTable::prefetch(uint64_t hash) const { impl_->live.prefetch(hash); }

void KeyTable::prefetch_item(uint64_t hash) const {
  if (uint32_t h = impl_->live.first_tag_match(hash)) {
    __builtin_prefetch(impl_->arena.pointer(h));
  }
}

ItemView KeyTable::find(std::string_view key, uint64_t hash, int64_t now_ms) {
  Impl::Loc loc = impl_->locate(key, hash);
  if (!loc) {
    return {};
  }
  const uint8_t* p = impl_->item_at(loc.index->handle(loc.slot));
  if (Impl::expired(p, now_ms)) {
    impl_->remove_at(loc);
    return {};
  }
  return ItemView(p);
}

void KeyTable::set(std::string_view key, uint64_t hash, std::string_view value,
                   int64_t expire_at_ms, TtlPolicy ttl) {
  set(key, hash, value, expire_at_ms, ttl, ItemMeta{});
}

void KeyTable::set_int(std::string_view key, uint64_t hash, int64_t value, int64_t expire_at_ms,
                       TtlPolicy ttl) {
  set_int(key, hash, value, expire_at_ms, ttl, ItemMeta{});
}

void KeyTable::set(std::string_view key, uint64_t hash, std::string_view value,
                   int64_t expire_at_ms, TtlPolicy ttl, const ItemMeta& meta) {
  Impl::Value v;
  if (parse_canonical_int64(value, &v.int_value)) {
    v.is_int = true;
  } else {
    v.bytes = value;
  }
  impl_->upsert(key, hash, v, expire_at_ms, ttl, meta);
}

void KeyTable::set_int(std::string_view key, uint64_t hash, int64_t value, int64_t expire_at_ms,
                       TtlPolicy ttl, const ItemMeta& meta) {
  impl_->upsert(key, hash, Impl::Value{true, value, {}}, expire_at_ms, ttl, meta);
}

uint64_t KeyTable::next_cas() { return ++impl_->cas_counter; }

bool KeyTable::erase(std::string_view key, uint64_t hash, int64_t now_ms) {
  impl_->migrate_step();
  Impl::Loc loc = impl_->locate(key, hash);
  if (!loc) {
    return false;
  }
  bool was_live = !Impl::expired(impl_->item_at(loc.index->handle(loc.slot)), now_ms);
  impl_->remove_at(loc);
  return was_live;
}

bool KeyTable::add_marks(std::string_view key, uint64_t hash, uint8_t marks, int64_t now_ms) {
  Impl::Loc loc = impl_->locate(key, hash);
  if (!loc) {
    return false;
  }
  uint8_t* p = impl_->item_at(loc.index->handle(loc.slot));
  if (Impl::expired(p, now_ms)) {
    impl_->remove_at(loc);
    return false;
  }
  *p |= static_cast<uint8_t>(((marks & kMarkStale) ? item::kMarkStale : 0) |
                             ((marks & kMarkWinSent) ? item::kMarkWinSent : 0));
  return true;
}

bool KeyTable::set_expiry(std::string_view key, uint64_t hash, int64_t expire_at_ms,
                          int64_t now_ms) {
  Impl& t = *impl_;
  t.migrate_step();
  Impl::Loc loc = t.locate(key, hash);
  if (!loc) {
    return false;
  }
  uint32_t h = loc.index->handle(loc.slot);
  uint8_t* p = t.item_at(h);
  if (Impl::expired(p, now_ms)) {
    t.remove_at(loc);
    return false;
  }
  item::Decoded d = item::decode(p);
  bool had = d.flags & item::kHasExpiry;
  bool wants = expire_at_ms != kNoExpiry;
  // The expiry is the item's last field (item_layout.h): everything before it, metadata
  // included, stays as it is.
  size_t prefix = d.size - (had ? item::kExpiryBytes : 0);  // bytes before the expiry
  if (had == wants) {
    if (wants) {
      std::memcpy(p + prefix, &expire_at_ms, item::kExpiryBytes);
    }
    return true;
  }
  size_t new_size = prefix + (wants ? item::kExpiryBytes : 0);
  if (new_size > SlabArena::kMaxBlockBytes) {
    // An inline value right at the block limit: rewrite it (it will move out of line).
    ItemView view(p);
    Impl::Value v = view.encoding() == ValueEncoding::kInt
                        ? Impl::Value{true, view.int_value(), {}}
                        : Impl::Value{false, 0, view.raw_value()};
    t.upsert(key, hash, v, expire_at_ms, TtlPolicy::kReplace,
             ItemMeta{view.client_flags(), view.cas()});
    return true;
  }
  uint8_t* dst = p;
  if (SlabArena::size_class(new_size) != SlabArena::size_class(d.size)) {
    uint32_t nh = t.arena.allocate(new_size);
    dst = t.item_at(nh);
    std::memcpy(dst, p, prefix);
    t.arena.free(h, d.size);
    loc.index->set_handle(loc.slot, nh);
  }
  dst[0] = static_cast<uint8_t>(d.flags ^ item::kHasExpiry);
  if (wants) {
    std::memcpy(dst + prefix, &expire_at_ms, item::kExpiryBytes);
    ++t.with_expiry;
  } else {
    --t.with_expiry;
  }
  return true;
}

size_t KeyTable::size() const { return impl_->size; }

size_t KeyTable::keys_with_expiry() const { return impl_->with_expiry; }

void KeyTable::clear() {
  Impl& t = *impl_;
  t.release_all_out_of_line();
  t.arena.reset();
  t.live = SlotIndex();
  t.old = SlotIndex();
  t.migrate_next = 0;
  t.size = 0;
  t.with_expiry = 0;
  t.out_of_line_bytes = 0;
  t.expire_cursor = 0;
}

size_t KeyTable::memory_bytes() const {
  const Impl& t = *impl_;
  return sizeof(Impl) + t.live.bytes() + t.old.bytes() + t.arena.bytes_in_use() +
         t.out_of_line_bytes;
}

}  // namespace tessera::core
