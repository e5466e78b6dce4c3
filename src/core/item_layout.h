// Byte layout of one KeyTable item (private to src/core). An item is one SlabArena block:
//
//   [flags:1][key_len:varint][value_len:varint, absent for ints][key bytes][payload]
//   [client_flags:4][cas:8][access:4][expiry:8]
//
//   Bits 0..1 of flags say where key and value are (the storage kind):
//     kInlineRaw        payload = the raw value bytes
//     kInlineInt        payload = an int64, 8 bytes
//     kValueOutOfLine   payload = a pointer to a malloc block = [value bytes][spare]
//     kKeyValueOutOfLine  the key bytes are not inline either (keys too big to keep
//                       inline): payload = a pointer to a block = [key bytes][value bytes]
//   An out-of-line block may hold spare bytes after the value: room KeyTable::grow_value
//   reserves so that repeated appends do not reallocate (malloc_usable_size is its size).
//   Only these four combinations exist (an int never goes out of line: a key too long for
//   an inline int item stores the int as text), so two bits hold them.
//   The trailer after the payload holds, in this order and each only when its flag is set:
//   the memcached client flags (uint32, kHasClientFlags), the memcached CAS unique (uint64,
//   kHasCas), memcached's access word (uint32, kHasAccess; item_access.h) and the expiry
//   (int64 unix ms, kHasExpiry). The expiry stays last so that adding or dropping it
//   (set_expiry) only touches the item's tail; an item without memcached metadata has
//   exactly the layout and size it would have without that feature.
//
// Varints are LEB128 (one byte below 128). Multi-byte fields are unaligned: read and
// written with memcpy. Bits 6..7 of flags are memcached's meta marks (stale, win token
// sent): set in place on a live item, and cleared by any new value (a store builds fresh
// flags).
//
// Thread safety: pure functions over caller-owned bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/slab_arena.h"

namespace tessera::core::item {

inline constexpr uint8_t kStorageMask = 0x3;
inline constexpr uint8_t kInlineRaw = 0;
inline constexpr uint8_t kInlineInt = 1;
inline constexpr uint8_t kValueOutOfLine = 2;
inline constexpr uint8_t kKeyValueOutOfLine = 3;
inline constexpr uint8_t kHasExpiry = 1u << 2;
inline constexpr uint8_t kHasClientFlags = 1u << 3;
inline constexpr uint8_t kHasCas = 1u << 4;
inline constexpr uint8_t kHasAccess = 1u << 5;
inline constexpr uint8_t kMarkStale = 1u << 6;
inline constexpr uint8_t kMarkWinSent = 1u << 7;
inline constexpr uint8_t kMarks = kMarkStale | kMarkWinSent;

inline constexpr bool is_int(uint8_t flags) { return (flags & kStorageMask) == kInlineInt; }
inline constexpr bool value_out_of_line(uint8_t flags) { return (flags & kStorageMask) >= kValueOutOfLine; }
inline constexpr bool key_out_of_line(uint8_t flags) { return (flags & kStorageMask) == kKeyValueOutOfLine; }
inline constexpr uint8_t with_storage(uint8_t flags, uint8_t storage) {
  return static_cast<uint8_t>((flags & ~kStorageMask) | storage);
}

inline constexpr size_t kFlagsBytes = 1;
inline constexpr size_t kIntBytes = sizeof(int64_t);
inline constexpr size_t kPointerBytes = sizeof(void*);
inline constexpr size_t kExpiryBytes = sizeof(int64_t);
inline constexpr size_t kClientFlagsBytes = sizeof(uint32_t);
inline constexpr size_t kCasBytes = sizeof(uint64_t);
inline constexpr size_t kAccessBytes = sizeof(uint32_t);
inline constexpr unsigned kVarintPayloadBits = 7;
inline constexpr uint8_t kVarintMore = 0x80;

inline size_t varint_size(uint64_t v) {
  size_t n = 1;
  while (v >= kVarintMore) {
    v >>= kVarintPayloadBits;
    ++n;
  }
  return n;
}

inline uint8_t* write_varint(uint8_t* p, uint64_t v) {
  while (v >= kVarintMore) {
    *p++ = static_cast<uint8_t>(v | kVarintMore);
    v >>= kVarintPayloadBits;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

inline const uint8_t* read_varint(const uint8_t* p, uint64_t* out) {
  uint64_t v = 0;
  unsigned shift = 0;
  while (*p & kVarintMore) {
    v |= static_cast<uint64_t>(*p++ & ~kVarintMore) << shift;
    shift += kVarintPayloadBits;
  }
  *out = v | (static_cast<uint64_t>(*p++) << shift);
  return p;
}

// Bytes of the memcached metadata (client flags, CAS, access) between the payload and the
// expiry.
inline size_t meta_size(uint8_t flags) {
  return ((flags & kHasClientFlags) ? kClientFlagsBytes : 0) + ((flags & kHasCas) ? kCasBytes : 0) +
         ((flags & kHasAccess) ? kAccessBytes : 0);
}

// Offset of the access word from the start of the trailer.
inline size_t access_offset(uint8_t flags) {
  return ((flags & kHasClientFlags) ? kClientFlagsBytes : 0) + ((flags & kHasCas) ? kCasBytes : 0);
}

// Bytes after the payload: metadata plus expiry.
inline size_t trailer_size(uint8_t flags) {
  return meta_size(flags) + ((flags & kHasExpiry) ? kExpiryBytes : 0);
}

// Everything a reader needs, decoded from the first bytes of an item.
struct Decoded {
  uint8_t flags = 0;
  size_t key_len = 0;
  size_t value_len = 0;            // raw values only (0 for ints)
  const uint8_t* key = nullptr;    // key bytes, inline or in the out-of-line block
  const uint8_t* payload = nullptr;
  size_t size = 0;                 // bytes of the arena block this item needs
  const uint8_t* value() const {   // raw value bytes (REQUIRES: not an int)
    if (value_out_of_line(flags)) {
      return out_of_line_block() + (key_out_of_line(flags) ? key_len : 0);
    }
    return payload;
  }
  uint8_t* out_of_line_block() const {
    uint8_t* block;
    std::memcpy(&block, payload, kPointerBytes);
    return block;
  }
  int64_t int_value() const {
    int64_t v;
    std::memcpy(&v, payload, kIntBytes);
    return v;
  }
  // First byte after the payload (client flags, CAS, access, expiry, as present).
  const uint8_t* trailer() const;
  int64_t expiry() const;
  uint32_t client_flags() const;  // 0 without kHasClientFlags
  uint64_t cas() const;           // 0 without kHasCas
  uint32_t access() const;        // 0 without kHasAccess
};

inline size_t payload_size(uint8_t flags, size_t value_len) {
  if (is_int(flags)) {
    return kIntBytes;
  }
  return value_out_of_line(flags) ? kPointerBytes : value_len;
}

// Block size for an item with these flags and lengths.
inline size_t encoded_size(uint8_t flags, size_t key_len, size_t value_len) {
  size_t n = kFlagsBytes + varint_size(key_len);
  if (!is_int(flags)) {
    n += varint_size(value_len);
  }
  if (!key_out_of_line(flags)) {
    n += key_len;
  }
  n += payload_size(flags, value_len);
  n += trailer_size(flags);
  return n;
}

inline Decoded decode(const void* item) {
  Decoded d;
  const uint8_t* p = static_cast<const uint8_t*>(item);
  d.flags = *p++;
  uint64_t len;
  p = read_varint(p, &len);
  d.key_len = len;
  if (!is_int(d.flags)) {
    p = read_varint(p, &len);
    d.value_len = len;
  }
  if (key_out_of_line(d.flags)) {
    d.payload = p;
    d.key = d.out_of_line_block();
  } else {
    d.key = p;
    d.payload = p + d.key_len;
  }
  d.size = static_cast<size_t>(d.payload - static_cast<const uint8_t*>(item)) +
           payload_size(d.flags, d.value_len) + trailer_size(d.flags);
  return d;
}

inline const uint8_t* Decoded::trailer() const { return payload + payload_size(flags, value_len); }

inline int64_t Decoded::expiry() const {
  if (!(flags & kHasExpiry)) {
    return 0;
  }
  int64_t v;
  std::memcpy(&v, trailer() + meta_size(flags), kExpiryBytes);
  return v;
}

inline uint32_t Decoded::client_flags() const {
  if (!(flags & kHasClientFlags)) {
    return 0;
  }
  uint32_t v;
  std::memcpy(&v, trailer(), kClientFlagsBytes);
  return v;
}

inline uint32_t Decoded::access() const {
  if (!(flags & kHasAccess)) {
    return 0;
  }
  uint32_t v;
  std::memcpy(&v, trailer() + access_offset(flags), kAccessBytes);
  return v;
}

inline uint64_t Decoded::cas() const {
  if (!(flags & kHasCas)) {
    return 0;
  }
  uint64_t v;
  std::memcpy(&v, trailer() + ((flags & kHasClientFlags) ? kClientFlagsBytes : 0), kCasBytes);
  return v;
}

// Picks the out-of-line flags so the item fits in the arena's largest block.
inline uint8_t choose_layout(uint8_t flags, size_t key_len, size_t value_len) {
  if (encoded_size(flags, key_len, value_len) <= SlabArena::kMaxBlockBytes) {
    return flags;
  }
  flags = with_storage(flags, kValueOutOfLine);
  if (encoded_size(flags, key_len, value_len) <= SlabArena::kMaxBlockBytes) {
    return flags;
  }
  return with_storage(flags, kKeyValueOutOfLine);
}

}  // namespace tessera::core::item
