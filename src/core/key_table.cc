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

char* KeyTable::grow_value(std::string_view key, uint64_t hash, size_t new_len) {
  Impl::Loc loc = impl_->locate(key, hash);
  if (!loc) {
    return nullptr;
  }
  return reinterpret_cast<char*>(impl_->grow_out_of_line_value(loc, new_len));
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

ItemView KeyTable::fetch(std::string_view key, uint64_t hash, int64_t now_ms, ItemAccess* before) {
  Impl& t = *impl_;
  Impl::Loc loc = t.locate(key, hash);
  if (!loc) {
    return {};
  }
  uint8_t* p = t.item_at(loc.index->handle(loc.slot));
  if (Impl::expired(p, now_ms)) {
    t.remove_at(loc);
    return {};
  }
  const ItemAccess fetched = ItemAccess::fetched_at(now_ms);
  const item::Decoded d = item::decode(p);
  if (d.flags & item::kHasAccess) {
    uint8_t* word = const_cast<uint8_t*>(d.trailer()) + item::access_offset(d.flags);  // p is ours to write
    std::memcpy(&before->word, word, item::kAccessBytes);
    std::memcpy(word, &fetched.word, item::kAccessBytes);
    return ItemView(p);
  }
  *before = ItemAccess{};
  // The record goes between the CAS and the expiry (item_layout.h): the expiry moves back.
  const size_t expiry_bytes = (d.flags & item::kHasExpiry) ? item::kExpiryBytes : 0;
  const size_t keep = d.size - expiry_bytes;
  uint8_t tail[item::kAccessBytes + item::kExpiryBytes];
  std::memcpy(tail, &fetched.word, item::kAccessBytes);
  std::memcpy(tail + item::kAccessBytes, p + keep, expiry_bytes);
  const size_t tail_len = item::kAccessBytes + expiry_bytes;
  if (keep + tail_len > SlabArena::kMaxBlockBytes) {
    ItemMeta meta = ItemView(p).meta();
    meta.access = fetched;
    return ItemView(t.rewrite(key, hash, p, d.expiry(), meta));
  }
  return ItemView(t.replace_tail(loc, d.size, keep, static_cast<uint8_t>(d.flags | item::kHasAccess), tail,
                                  tail_len));
}

bool KeyTable::set_expiry(std::string_view key, uint64_t hash, int64_t expire_at_ms,
                          int64_t now_ms) {
  Impl& t = *impl_;
  t.migrate_step();
  Impl::Loc loc = t.locate(key, hash);
  if (!loc) {
    return false;
  }
  uint8_t* p = t.item_at(loc.index->handle(loc.slot));
  if (Impl::expired(p, now_ms)) {
    t.remove_at(loc);
    return false;
  }
  const item::Decoded d = item::decode(p);
  const bool had = d.flags & item::kHasExpiry;
  const bool wants = expire_at_ms != kNoExpiry;
  // The expiry is the item's last field (item_layout.h): everything before it, metadata
  // included, stays as it is.
  const size_t keep = d.size - (had ? item::kExpiryBytes : 0);
  if (had == wants) {
    if (wants) {
      std::memcpy(p + keep, &expire_at_ms, item::kExpiryBytes);
    }
    return true;
  }
  const size_t tail_len = wants ? item::kExpiryBytes : 0;
  if (keep + tail_len > SlabArena::kMaxBlockBytes) {
    // An inline value right at the block limit: rewrite it (it will move out of line).
    t.rewrite(key, hash, p, expire_at_ms, ItemView(p).meta());
    return true;
  }
  uint8_t tail[item::kExpiryBytes];
  std::memcpy(tail, &expire_at_ms, item::kExpiryBytes);
  t.replace_tail(loc, d.size, keep, static_cast<uint8_t>(d.flags ^ item::kHasExpiry), tail, tail_len);
  if (wants) {
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
