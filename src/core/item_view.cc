// ItemView accessors (decoding of the item layout in item_layout.h), the canonical-int64
// test used to pick the int encoding, and hash_key. Pure functions; any thread may call
// them on items it owns.
#include <xxhash.h>

#include <algorithm>
#include <charconv>

#include "core/item_layout.h"
#include "core/key_table.h"
#include "core/key_table_internal.h"

namespace tessera::core {

std::string_view ItemView::key() const {
  item::Decoded d = item::decode(item_);
  return {reinterpret_cast<const char*>(d.key), d.key_len};
}

ValueEncoding ItemView::encoding() const {
  return item::is_int(*static_cast<const uint8_t*>(item_)) ? ValueEncoding::kInt
                                                                       : ValueEncoding::kRaw;
}

std::string_view ItemView::raw_value() const {
  item::Decoded d = item::decode(item_);
  return {reinterpret_cast<const char*>(d.value()), d.value_len};
}

int64_t ItemView::int_value() const { return item::decode(item_).int_value(); }

std::string_view ItemView::value_bytes(std::string& scratch) const {
  item::Decoded d = item::decode(item_);
  if (item::is_int(d.flags)) {
    char buf[kMaxInt64Digits];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d.int_value());
    scratch.assign(buf, end);
    return scratch;
  }
  return {reinterpret_cast<const char*>(d.value()), d.value_len};
}

size_t ItemView::value_length() const {
  item::Decoded d = item::decode(item_);
  if (item::is_int(d.flags)) {
    char buf[kMaxInt64Digits];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d.int_value());
    return static_cast<size_t>(end - buf);
  }
  return d.value_len;
}

int64_t ItemView::expire_at_ms() const { return item::decode(item_).expiry(); }

uint8_t ItemView::marks() const {
  const uint8_t flags = *static_cast<const uint8_t*>(item_);
  return static_cast<uint8_t>(((flags & item::kMarkStale) ? kMarkStale : 0) |
                              ((flags & item::kMarkWinSent) ? kMarkWinSent : 0));
}

uint32_t ItemView::client_flags() const {
  if (!(*static_cast<const uint8_t*>(item_) & item::kHasClientFlags)) {
    return 0;
  }
  return item::decode(item_).client_flags();
}

uint64_t ItemView::cas() const {
  if (!(*static_cast<const uint8_t*>(item_) & item::kHasCas)) {
    return 0;
  }
  return item::decode(item_).cas();
}

ItemAccess ItemView::access() const {
  if (!(*static_cast<const uint8_t*>(item_) & item::kHasAccess)) {
    return {};
  }
  return ItemAccess{item::decode(item_).access()};
}

ItemMeta ItemView::meta() const {
  const uint8_t flags = *static_cast<const uint8_t*>(item_);
  if (!(flags & (item::kHasClientFlags | item::kHasCas | item::kHasAccess))) {
    return {};
  }
  const item::Decoded d = item::decode(item_);
  return ItemMeta{d.client_flags(), d.cas(), ItemAccess{d.access()}};
}

ItemAccess ItemAccess::stored_at(int64_t now_ms) { return ItemAccess{seconds_field(now_ms)}; }

ItemAccess ItemAccess::fetched_at(int64_t now_ms) { return ItemAccess{kFetched | seconds_field(now_ms)}; }

int64_t ItemAccess::seconds_since_access(int64_t now_ms) const {
  const int64_t elapsed = static_cast<int64_t>(seconds_field(now_ms)) - static_cast<int64_t>(word & ~kFetched);
  return elapsed > 0 ? elapsed : 0;
}

uint32_t ItemAccess::seconds_field(int64_t now_ms) {
  constexpr int64_t kMsPerSecond = 1000;
  const int64_t seconds = now_ms / kMsPerSecond - kEpochSeconds;
  // Never 0 (that means "not tracked"), never into the fetched bit.
  return static_cast<uint32_t>(std::clamp<int64_t>(seconds, 1, kFetched - 1));
}

bool parse_canonical_int64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > kMaxInt64Digits) {
    return false;
  }
  char first = s[0];
  if (first != '-' && (first < '0' || first > '9')) {
    return false;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return false;
  }
  // Canonical iff formatting it back gives the same text (rejects "007", "-0", "+1").
  char buf[kMaxInt64Digits];
  auto [end, ec2] = std::to_chars(buf, buf + sizeof(buf), v);
  if (std::string_view(buf, static_cast<size_t>(end - buf)) != s) {
    return false;
  }
  *out = v;
  return true;
}

uint64_t hash_key(std::string_view key) { return XXH3_64bits(key.data(), key.size()); }

}  // namespace tessera::core
