// KeyTable: encodings, expiry, out-of-line values, incremental resize against a reference
// model, SCAN completeness across growth, random_item, expire_step, memory accounting,
// memcached metadata (client flags, CAS, access records), in-place growth (grow_value).
#include "core/key_table.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/slab_arena.h"

using namespace tessera::core;

namespace {

std::string value_of(ItemView v) {
  std::string scratch;
  return std::string(v.value_bytes(scratch));
}

std::string key_name(size_t i) {
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "key:%08zu", i);
  return std::string(buf, static_cast<size_t>(n));
}

struct Table {
  KeyTable t;
  void set(std::string_view k, std::string_view v, int64_t exp = kNoExpiry,
           TtlPolicy ttl = TtlPolicy::kReplace) {
    t.set(k, hash_key(k), v, exp, ttl);
  }
  void set_meta(std::string_view k, std::string_view v, ItemMeta meta, int64_t exp = kNoExpiry,
                TtlPolicy ttl = TtlPolicy::kReplace) {
    t.set(k, hash_key(k), v, exp, ttl, meta);
  }
  ItemView find(std::string_view k, int64_t now = 0) { return t.find(k, hash_key(k), now); }
  bool erase(std::string_view k, int64_t now = 0) { return t.erase(k, hash_key(k), now); }
};

}  // namespace

TEST_CASE("set/find/overwrite/erase with raw and int encodings") {
  Table tb;
  CHECK_FALSE(tb.find("missing"));
  tb.set("a", "hello");
  ItemView v = tb.find("a");
  REQUIRE(v);
  CHECK(v.key() == "a");
  CHECK(v.encoding() == ValueEncoding::kRaw);
  CHECK(v.raw_value() == "hello");
  CHECK(v.value_length() == 5);
  CHECK(v.expire_at_ms() == kNoExpiry);

  for (const char* s : {"0", "42", "-7", "9223372036854775807", "-9223372036854775808"}) {
    tb.set("n", s);
    ItemView n = tb.find("n");
    REQUIRE(n);
    CHECK(n.encoding() == ValueEncoding::kInt);
    CHECK(value_of(n) == s);
    CHECK(n.value_length() == std::string(s).size());
  }
  for (const char* s : {"007", "-0", "+1", "1 ", " 1", "9223372036854775808", "1.5", "", "-"}) {
    tb.set("n", s);
    ItemView n = tb.find("n");
    REQUIRE(n);
    CHECK(n.encoding() == ValueEncoding::kRaw);
    CHECK(n.raw_value() == s);
  }
  tb.t.set_int("i", hash_key("i"), -123, kNoExpiry);
  CHECK(tb.find("i").int_value() == -123);
  CHECK(tb.t.size() == 3);
  CHECK(tb.erase("a"));
  CHECK_FALSE(tb.erase("a"));
  CHECK_FALSE(tb.find("a"));
  CHECK(tb.t.size() == 2);
  tb.t.clear();
  CHECK(tb.t.size() == 0);
  CHECK_FALSE(tb.find("i"));
  tb.set("after", "clear");
  CHECK(value_of(tb.find("after")) == "clear");
}

TEST_CASE("binary keys with NULs, empty key, empty value") {
  Table tb;
  std::string k1("a\0b", 3);
  std::string k2("a\0c", 3);
  tb.set(k1, std::string("v\0\0", 3));
  tb.set(k2, "two");
  tb.set("", "empty-key");
  tb.set("ev", "");
  CHECK(tb.find(k1).raw_value() == std::string("v\0\0", 3));
  CHECK(tb.find(k2).raw_value() == "two");
  CHECK(tb.find("").raw_value() == "empty-key");
  CHECK(tb.find("ev").raw_value().empty());
  CHECK(tb.find("ev").value_length() == 0);
  CHECK_FALSE(tb.find(std::string_view("a", 1)));
  CHECK(tb.erase(""));
  CHECK_FALSE(tb.find(""));
}

TEST_CASE("expiry: lazy delete, KEEPTTL, set_expiry, keys_with_expiry") {
  Table tb;
  tb.set("k", "v", 1000);
  CHECK(tb.t.keys_with_expiry() == 1);
  CHECK(tb.find("k", 999).expire_at_ms() == 1000);
  tb.set("k", "v2", kNoExpiry, TtlPolicy::kKeep);
  CHECK(tb.find("k", 999).expire_at_ms() == 1000);
  tb.set("k", "v3");  // kReplace clears it
  CHECK(tb.find("k", 5000).expire_at_ms() == kNoExpiry);
  CHECK(tb.t.keys_with_expiry() == 0);
  CHECK(tb.t.set_expiry("k", hash_key("k"), 2000, 10));
  CHECK(tb.find("k", 10).expire_at_ms() == 2000);
  CHECK(tb.t.set_expiry("k", hash_key("k"), 3000, 10));
  CHECK(tb.find("k", 10).expire_at_ms() == 3000);
  CHECK(value_of(tb.find("k", 10)) == "v3");
  CHECK(tb.t.set_expiry("k", hash_key("k"), kNoExpiry, 10));
  CHECK(tb.find("k", 1 << 30).expire_at_ms() == kNoExpiry);
  CHECK_FALSE(tb.t.set_expiry("nope", hash_key("nope"), 5, 0));
  tb.set("t", "x", 100);
  CHECK(tb.find("t", 99));
  CHECK(tb.t.size() == 2);
  CHECK_FALSE(tb.find("t", 100));  // expired: deleted on access
  CHECK(tb.t.size() == 1);
  tb.set("t", "x", 100);
  CHECK_FALSE(tb.erase("t", 200));  // expired keys do not count as erased
  CHECK(tb.t.size() == 1);
  CHECK(tb.t.keys_with_expiry() == 0);
}

TEST_CASE("large values live out of line; sizes cross the inline limit both ways") {
  Table tb;
  size_t before = tb.t.memory_bytes();
  std::string big(1 << 20, 'x');
  big[12345] = '\0';
  tb.set("big", big, 5000);
  CHECK(tb.find("big").raw_value() == big);
  CHECK(tb.find("big").expire_at_ms() == 5000);
  CHECK(tb.t.memory_bytes() >= before + big.size());
  for (size_t n : {4000u, 4080u, 4090u, 4096u, 5000u, 10u, 100000u, 0u}) {
    std::string v(n, 'y');
    tb.set("big", v);
    REQUIRE(tb.find("big").raw_value() == v);
    tb.t.set_expiry("big", hash_key("big"), 777, 0);
    REQUIRE(tb.find("big").raw_value() == v);
    REQUIRE(tb.find("big").expire_at_ms() == 777);
  }
  std::string huge_key(10000, 'k');
  tb.set(huge_key, "v");
  tb.t.set_int(huge_key, hash_key(huge_key), 99, 123);
  CHECK(tb.find(huge_key).key() == huge_key);
  CHECK(value_of(tb.find(huge_key)) == "99");
  tb.set(huge_key, big);
  CHECK(tb.find(huge_key).raw_value() == big);
  CHECK(tb.erase(huge_key));
  CHECK(tb.erase("big"));
  CHECK(tb.t.size() == 0);
}

TEST_CASE("overwrite with a view of the stored value (aliasing)") {
  Table tb;
  tb.set("k", "some value here");
  ItemView v = tb.find("k");
  tb.t.set(v.key(), hash_key("k"), v.raw_value(), 50);
  CHECK(tb.find("k").raw_value() == "some value here");
  std::string big(9000, 'b');
  tb.set("k", big);
  v = tb.find("k");
  tb.t.set(v.key(), hash_key("k"), v.raw_value().substr(1), kNoExpiry);
  CHECK(tb.find("k").raw_value() == big.substr(1));
}

TEST_CASE("randomized against std::unordered_map through several resizes") {
  struct Ref {
    std::string value;
    int64_t expiry;
    ItemMeta meta;
  };
  std::mt19937_64 rng(12345);
  Table tb;
  std::unordered_map<std::string, Ref> ref;
  int64_t now = 1000;
  size_t grown_in_place = 0;
  constexpr size_t kKeys = 30000;
  auto check_key = [&](const std::string& k) {
    auto it = ref.find(k);
    bool live = it != ref.end() && (it->second.expiry == 0 || it->second.expiry > now);
    ItemView v = tb.find(k, now);
    REQUIRE(bool(v) == live);
    if (live) {
      REQUIRE(value_of(v) == it->second.value);
      REQUIRE(v.expire_at_ms() == it->second.expiry);
      REQUIRE(v.client_flags() == it->second.meta.client_flags);
      REQUIRE(v.cas() == it->second.meta.cas);
    }
    if (!live && it != ref.end()) {
      ref.erase(it);
    }
  };
  for (size_t op = 0; op < 200000; ++op) {
    std::string k = key_name(rng() % kKeys);
    uint64_t r = rng() % 100;
    if (r < 50) {
      std::string v;
      if (rng() % 3 == 0) {
        v = std::to_string(static_cast<int64_t>(rng()) >> (rng() % 64));
      } else {
        v.assign(rng() % 200, static_cast<char>('a' + rng() % 26));
      }
      int64_t exp = rng() % 4 == 0 ? now + static_cast<int64_t>(rng() % 5000) : kNoExpiry;
      if (rng() % 3 == 0) {
        ItemMeta meta;
        uint64_t which = rng() % 4;  // 0: none, 1: flags, 2: CAS, 3: both
        if (which & 1) {
          meta.client_flags = static_cast<uint32_t>(rng());
        }
        if (which & 2) {
          meta.cas = tb.t.next_cas();
        }
        if (rng() % 8 == 0) {  // a long value now and then (out of line)
          v.assign(4000 + rng() % (rng() % 2 ? 200 : 20000), 'L');
        }
        tb.set_meta(k, v, meta, exp);
        ref[k] = Ref{v, exp, meta};
      } else {
        tb.set(k, v, exp);
        ref[k] = Ref{v, exp, ItemMeta{}};
      }
    } else if (r < 65) {
      auto it = ref.find(k);
      bool live = it != ref.end() && (it->second.expiry == 0 || it->second.expiry > now);
      REQUIRE(tb.erase(k, now) == live);
      ref.erase(k);
    } else if (r < 70) {
      int64_t exp = rng() % 2 ? now + static_cast<int64_t>(rng() % 5000) : kNoExpiry;
      auto it = ref.find(k);
      bool live = it != ref.end() && (it->second.expiry == 0 || it->second.expiry > now);
      REQUIRE(tb.t.set_expiry(k, hash_key(k), exp, now) == live);
      if (live) {
        it->second.expiry = exp;
      } else {
        ref.erase(k);
      }
    } else if (r < 72) {
      tb.t.expire_step(now, 64);
    } else if (r < 76) {
      // An APPEND: find (which reclaims an expired key), then grow an out-of-line value in
      // place; inline values and ints are refused.
      check_key(k);
      auto it = ref.find(k);
      if (it != ref.end()) {
        const size_t old_len = it->second.value.size();
        const size_t add = rng() % 3 == 0 ? 0 : rng() % 20000;
        char* grown = tb.t.grow_value(k, hash_key(k), old_len + add);
        if (grown != nullptr) {
          ++grown_in_place;
          REQUIRE(old_len > 2000);
          for (size_t i = 0; i < add; ++i) {
            grown[old_len + i] = static_cast<char>('0' + i % 10);
            it->second.value.push_back(static_cast<char>('0' + i % 10));
          }
          it->second.meta = ItemMeta{};
        } else {
          REQUIRE(old_len < SlabArena::kMaxBlockBytes);
        }
      }
    } else {
      check_key(k);
    }
    if (op % 1000 == 0) {
      now += 50;
    }
  }
  for (size_t i = 0; i < kKeys; ++i) {
    check_key(key_name(i));
  }
  CHECK(tb.t.size() == ref.size());
  size_t with_exp = 0;
  for (auto& [k, v] : ref) {
    with_exp += v.expiry != 0;
  }
  CHECK(tb.t.keys_with_expiry() == with_exp);
  CHECK(grown_in_place > 100);
}

TEST_CASE("memcached metadata: round trip, absent reads as zero, plain set drops it") {
  Table tb;
  tb.set("plain", "v");
  CHECK(tb.find("plain").client_flags() == 0);
  CHECK(tb.find("plain").cas() == 0);
  constexpr uint32_t kFlags = 0xDEADBEEFu;
  constexpr uint64_t kCas = 0x0123456789ABCDEFull;
  const ItemMeta metas[] = {{kFlags, 0}, {0, kCas}, {kFlags, kCas}, {1, 1}, {0, 0}};
  std::string big(100000, 'z');
  big[777] = '\0';
  std::string values[] = {"hello", "", "12345", "-9223372036854775808", "007", big,
                          std::string(4000, 'q'), std::string(4090, 'r')};
  size_t kase = 0;
  for (const ItemMeta& m : metas) {
    for (const std::string& v : values) {
      for (int64_t exp : {kNoExpiry, int64_t{5000}}) {
        std::string k = "k" + std::to_string(kase++);
        tb.set_meta(k, v, m, exp);
        ItemView it = tb.find(k);
        REQUIRE(it);
        CHECK(it.key() == k);
        CHECK(value_of(it) == v);
        CHECK(it.expire_at_ms() == exp);
        CHECK(it.client_flags() == m.client_flags);
        CHECK(it.cas() == m.cas);
        // Overwrite with other metadata, then with a plain set (drops it).
        tb.set_meta(k, v, ItemMeta{m.client_flags + 1, m.cas + 2}, exp);
        CHECK(tb.find(k).client_flags() == m.client_flags + 1);
        CHECK(tb.find(k).cas() == m.cas + 2);
        CHECK(value_of(tb.find(k)) == v);
        tb.set(k, v, exp);
        CHECK(tb.find(k).client_flags() == 0);
        CHECK(tb.find(k).cas() == 0);
        CHECK(value_of(tb.find(k)) == v);
        CHECK(tb.find(k).expire_at_ms() == exp);
      }
    }
  }
  // Ints stored directly, and an int overwritten by set_int without metadata.
  tb.t.set_int("i", hash_key("i"), -42, 9000, TtlPolicy::kReplace, ItemMeta{7, 8});
  CHECK(tb.find("i").encoding() == ValueEncoding::kInt);
  CHECK(tb.find("i").int_value() == -42);
  CHECK(tb.find("i").client_flags() == 7);
  CHECK(tb.find("i").cas() == 8);
  CHECK(tb.find("i").expire_at_ms() == 9000);
  tb.t.set_int("i", hash_key("i"), 43, kNoExpiry, TtlPolicy::kKeep);
  CHECK(tb.find("i").int_value() == 43);
  CHECK(tb.find("i").client_flags() == 0);
  CHECK(tb.find("i").cas() == 0);
  CHECK(tb.find("i").expire_at_ms() == 9000);
  // KEEPTTL keeps the expiry but the metadata is the new call's.
  tb.set_meta("i", "x", ItemMeta{5, 0}, kNoExpiry, TtlPolicy::kKeep);
  CHECK(tb.find("i").expire_at_ms() == 9000);
  CHECK(tb.find("i").client_flags() == 5);
  CHECK(tb.find("i").cas() == 0);
  CHECK(tb.t.keys_with_expiry() == kase / 2 + 1);
}

TEST_CASE("memcached metadata: key sizes around the inline limit, out-of-line keys") {
  Table tb;
  const ItemMeta m{0xFFFFFFFFu, ~0ull};
  for (size_t klen : {4000u, 4060u, 4070u, 4075u, 4080u, 4085u, 4090u, 4096u, 5000u, 20000u}) {
    for (const char* v : {"", "v", "123", "a longer value that will not fit inline"}) {
      for (int64_t exp : {kNoExpiry, int64_t{1234}}) {
        std::string k(klen, 'k');
        k.back() = static_cast<char>('a' + klen % 26);
        tb.set_meta(k, v, m, exp);
        ItemView it = tb.find(k);
        REQUIRE(it);
        CHECK(it.key() == k);
        CHECK(value_of(it) == v);
        CHECK(it.client_flags() == m.client_flags);
        CHECK(it.cas() == m.cas);
        CHECK(it.expire_at_ms() == exp);
        tb.t.set_int(k, hash_key(k), 99, exp, TtlPolicy::kReplace, ItemMeta{3, 0});
        CHECK(value_of(tb.find(k)) == "99");
        CHECK(tb.find(k).client_flags() == 3);
        CHECK(tb.find(k).cas() == 0);
        CHECK(tb.find(k).expire_at_ms() == exp);
        CHECK(tb.erase(k));
      }
    }
  }
  CHECK(tb.t.size() == 0);
  CHECK(tb.t.keys_with_expiry() == 0);
}

TEST_CASE("memcached metadata survives set_expiry, aliasing overwrite and resizes") {
  Table tb;
  const ItemMeta m{0xA5A5A5A5u, 0x1122334455667788ull};
  for (size_t n : {0u, 5u, 4000u, 4050u, 4060u, 4065u, 4070u, 4080u, 4090u, 4096u, 9000u}) {
    for (bool as_int : {false, true}) {
      std::string v = as_int ? std::to_string(n) : std::string(n, 'y');
      tb.set_meta("e", v, m);
      for (int64_t exp : {int64_t{777}, int64_t{888}, kNoExpiry, kNoExpiry, int64_t{999}}) {
        REQUIRE(tb.t.set_expiry("e", hash_key("e"), exp, 0));
        ItemView it = tb.find("e");
        REQUIRE(it);
        REQUIRE(value_of(it) == v);
        REQUIRE(it.expire_at_ms() == exp);
        REQUIRE(it.client_flags() == m.client_flags);
        REQUIRE(it.cas() == m.cas);
      }
      // Only client flags, then only CAS: the expiry offset moves with the metadata.
      tb.set_meta("e", v, ItemMeta{9, 0}, 50);
      REQUIRE(tb.t.set_expiry("e", hash_key("e"), 60, 0));
      CHECK(tb.find("e").expire_at_ms() == 60);
      CHECK(tb.find("e").client_flags() == 9);
      tb.set_meta("e", v, ItemMeta{0, 11}, kNoExpiry);
      REQUIRE(tb.t.set_expiry("e", hash_key("e"), 70, 0));
      CHECK(tb.find("e").expire_at_ms() == 70);
      CHECK(tb.find("e").cas() == 11);
      CHECK(tb.find("e").client_flags() == 0);
      CHECK(value_of(tb.find("e")) == v);
    }
  }
  // Overwrite with views of the stored item, carrying its own metadata forward.
  tb.set_meta("a", std::string(9000, 'b'), m, 500);
  ItemView v = tb.find("a");
  tb.t.set(v.key(), hash_key("a"), v.raw_value().substr(1), v.expire_at_ms(), TtlPolicy::kReplace,
           ItemMeta{v.client_flags(), v.cas() + 1});
  CHECK(tb.find("a").raw_value() == std::string(8999, 'b'));
  CHECK(tb.find("a").client_flags() == m.client_flags);
  CHECK(tb.find("a").cas() == m.cas + 1);
  // Many keys with metadata through several incremental resizes, scan and expire_step.
  Table big;
  constexpr size_t kN = 20000;
  for (size_t i = 0; i < kN; ++i) {
    big.set_meta(key_name(i), "val", ItemMeta{static_cast<uint32_t>(i), i * 3 + 1},
                 i % 2 ? 100 : kNoExpiry);
  }
  size_t seen = 0;
  uint64_t cursor = 0;
  do {
    cursor = big.t.scan(cursor, 100, 0, [&](ItemView it) {
      size_t i = std::stoul(std::string(it.key().substr(4)));
      CHECK(it.client_flags() == i);
      CHECK(it.cas() == i * 3 + 1);
      ++seen;
    });
  } while (cursor != 0);
  CHECK(seen == kN);
  CHECK(big.t.expire_step(100, 1 << 20) == kN / 2);
  for (size_t i = 0; i < kN; i += 2) {
    ItemView it = big.find(key_name(i), 100);
    REQUIRE(it);
    REQUIRE(it.client_flags() == i);
    REQUIRE(it.cas() == i * 3 + 1);
  }
  ItemView r = big.t.random_item(42, 100);
  REQUIRE(r);
  CHECK(r.cas() % 3 == 1);
}

TEST_CASE("access records: stored, fetched, attached on first fetch, kept by set_expiry") {
  constexpr int64_t kT0 = 1'700'000'000'000;  // a 2023 unix time in ms
  constexpr int64_t kSecond = 1000;
  CHECK_FALSE(ItemAccess{}.tracked());
  CHECK(ItemAccess::stored_at(kT0).tracked());
  CHECK_FALSE(ItemAccess::stored_at(kT0).fetched());
  CHECK(ItemAccess::fetched_at(kT0).fetched());
  CHECK(ItemAccess::stored_at(kT0).seconds_since_access(kT0 + 5 * kSecond + 999) == 5);
  CHECK(ItemAccess::stored_at(kT0).seconds_since_access(kT0 - 3 * kSecond) == 0);  // clock went back
  CHECK(ItemAccess::stored_at(0).tracked());  // before the epoch: clamped, still tracked

  const ItemMeta flagged{7, 0, ItemAccess::stored_at(kT0)};
  for (size_t n : {0u, 16u, 4060u, 4070u, 4080u, 4090u, 9000u}) {
    for (bool as_int : {false, true}) {
      for (int64_t exp : {kNoExpiry, kT0 + 3600 * kSecond}) {
        CAPTURE(n);
        CAPTURE(as_int);
        CAPTURE(exp);
        const std::string v = as_int ? std::to_string(n) : std::string(n, 'z');
        Table tb;
        // Stored through memcached: tracked from the store.
        tb.set_meta("m", v, flagged, exp);
        ItemAccess before;
        ItemView it = tb.t.fetch("m", hash_key("m"), kT0 + 2 * kSecond, &before);
        REQUIRE(it);
        CHECK(before.tracked());
        CHECK_FALSE(before.fetched());
        CHECK(before.seconds_since_access(kT0 + 2 * kSecond) == 2);
        CHECK(it.access().fetched());
        CHECK(it.access().seconds_since_access(kT0 + 2 * kSecond) == 0);
        tb.t.add_marks("m", hash_key("m"), kMarkStale, kT0);
        REQUIRE(tb.t.set_expiry("m", hash_key("m"), exp == kNoExpiry ? kT0 + kSecond * 10 : kNoExpiry, kT0));
        it = tb.find("m", kT0);
        CHECK(it.access().fetched());
        CHECK(it.client_flags() == 7);
        CHECK(it.marks() == kMarkStale);
        CHECK(value_of(it) == v);
        // Stored through Redis: no record until the first fetch, which attaches one.
        tb.set("r", v, exp);
        CHECK_FALSE(tb.find("r").access().tracked());
        it = tb.t.fetch("r", hash_key("r"), kT0, &before);
        REQUIRE(it);
        CHECK_FALSE(before.tracked());
        CHECK(it.access().fetched());
        CHECK(it.expire_at_ms() == exp);
        CHECK(value_of(it) == v);
        CHECK(tb.find("r").key() == "r");
        // A new value drops the record (a Redis SET) or restarts it (a memcached store).
        tb.set("m", v);
        CHECK_FALSE(tb.find("m").access().tracked());
        CHECK_FALSE(tb.t.fetch("missing", hash_key("missing"), kT0, &before));
      }
    }
  }
  // An expired item is not fetched.
  Table tb;
  tb.set_meta("e", "v", flagged, kT0);
  ItemAccess before;
  CHECK_FALSE(tb.t.fetch("e", hash_key("e"), kT0, &before));
  CHECK(tb.t.size() == 0);
}

TEST_CASE("next_cas is per table, monotonic, never zero, and survives clear") {
  KeyTable a;
  KeyTable b;
  CHECK(a.next_cas() == 1);
  CHECK(a.next_cas() == 2);
  CHECK(b.next_cas() == 1);
  uint64_t last = a.next_cas();
  a.clear();
  CHECK(a.next_cas() > last);
}

TEST_CASE("items without metadata keep their size; metadata costs only its bytes") {
  constexpr size_t kN = 20000;
  std::string value(16, 'v');
  size_t per_variant[3];
  for (int variant = 0; variant < 3; ++variant) {
    Table tb;
    for (size_t i = 0; i < kN; ++i) {
      if (variant == 0) {
        tb.set(key_name(i), value);
      } else if (variant == 1) {
        tb.set_meta(key_name(i), value, ItemMeta{});  // all zero: stores nothing
      } else {
        tb.set_meta(key_name(i), value, ItemMeta{1, 2});
      }
    }
    per_variant[variant] = tb.t.memory_bytes();
  }
  CHECK(per_variant[0] == per_variant[1]);
  CHECK(per_variant[2] > per_variant[0]);
}

TEST_CASE("scan reports every key present for the whole scan, across growth") {
  Table tb;
  constexpr size_t kInitial = 5000;
  for (size_t i = 0; i < kInitial; ++i) {
    tb.set(key_name(i), "v");
  }
  std::multiset<std::string> seen;
  uint64_t cursor = 0;
  size_t next_new = kInitial;
  size_t calls = 0;
  do {
    cursor = tb.t.scan(cursor, 10, 0, [&](ItemView v) { seen.insert(std::string(v.key())); });
    // Grow the table heavily between calls (several incremental resizes).
    for (int j = 0; j < 40; ++j) {
      tb.set(key_name(next_new++), "new");
    }
    ++calls;
  } while (cursor != 0);
  for (size_t i = 0; i < kInitial; ++i) {
    REQUIRE(seen.count(key_name(i)) >= 1);
  }
  CHECK(calls > 10);
  // Without concurrent changes, every key exactly once.
  seen.clear();
  cursor = 0;
  do {
    cursor = tb.t.scan(cursor, 100, 0, [&](ItemView v) { seen.insert(std::string(v.key())); });
  } while (cursor != 0);
  CHECK(seen.size() == tb.t.size());
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == seen.size());
  // Expired keys are skipped by scan.
  Table small;
  small.set("live", "1");
  small.set("dead", "1", 10);
  std::vector<std::string> got;
  CHECK(small.t.scan(0, 100, 20, [&](ItemView v) { got.emplace_back(v.key()); }) == 0);
  CHECK(got == std::vector<std::string>{"live"});
  Table empty;
  CHECK(empty.t.scan(0, 10, 0, [](ItemView) { FAIL("empty table"); }) == 0);
}

TEST_CASE("random_item returns live keys and covers the table") {
  Table tb;
  CHECK_FALSE(tb.t.random_item(1, 0));
  for (size_t i = 0; i < 1000; ++i) {
    tb.set(key_name(i), "v", i < 990 ? 10 : kNoExpiry);
  }
  // At now=10 only 10 keys are live: the fallback walk must find them.
  std::set<std::string> got;
  for (uint64_t r = 0; r < 200; ++r) {
    ItemView v = tb.t.random_item(r * 0x9E3779B97F4A7C15ull, 10);
    REQUIRE(v);
    got.emplace(v.key());
  }
  for (const auto& k : got) {
    CHECK(k >= key_name(990));
  }
  CHECK(got.size() > 5);
  std::set<std::string> all;
  for (uint64_t r = 0; r < 5000; ++r) {
    all.emplace(tb.t.random_item(r * 7919 + 1, 0).key());
  }
  CHECK(all.size() > 900);
  tb.t.expire_step(10, 1 << 20);
  CHECK(tb.t.size() == 10);
}

TEST_CASE("expire_step resumes and removes only expired keys") {
  Table tb;
  for (size_t i = 0; i < 2000; ++i) {
    tb.set(key_name(i), "v", i % 2 ? 100 : kNoExpiry);
  }
  CHECK(tb.t.expire_step(50, 1 << 20) == 0);
  size_t removed = 0;
  size_t steps = 0;
  while (removed < 1000) {
    size_t n = tb.t.expire_step(100, 64);
    CHECK(n <= 64);
    removed += n;
    REQUIRE(++steps < 10000);
  }
  CHECK(removed == 1000);
  CHECK(tb.t.size() == 1000);
  CHECK(tb.t.keys_with_expiry() == 0);
  CHECK(tb.t.expire_step(1 << 30, 1 << 20) == 0);
}

TEST_CASE("memory_bytes is honest for the 1M-key load shape (scaled down)") {
  Table tb;
  CHECK(tb.t.memory_bytes() < 1024);  // an empty table costs nothing but its header
  constexpr size_t kN = 100000;
  std::string value(16, 'v');
  for (size_t i = 0; i < kN; ++i) {
    tb.set(key_name(i), value);
  }
  double per_key = static_cast<double>(tb.t.memory_bytes()) / kN;
  MESSAGE("bytes/key at 100k keys: " << per_key);
  CHECK(per_key >= 32);  // the 32-byte item alone
  CHECK(per_key <= 48);
  size_t full = tb.t.memory_bytes();
  for (size_t i = 0; i < kN; ++i) {
    tb.erase(key_name(i));
  }
  CHECK(tb.t.memory_bytes() >= full / 2);  // freed blocks stay on free lists (slack)
  tb.t.clear();
  CHECK(tb.t.memory_bytes() < 1024);
}

TEST_CASE("memcached meta marks: set in place, kept by set_expiry, cleared by a new value") {
  Table tb;
  tb.set("k", "value", kNoExpiry);
  CHECK(tb.find("k", 0).marks() == 0);
  CHECK(tb.t.add_marks("k", hash_key("k"), kMarkStale, 0));
  CHECK(tb.find("k", 0).marks() == kMarkStale);
  CHECK(tb.t.add_marks("k", hash_key("k"), kMarkWinSent, 0));
  CHECK(tb.find("k", 0).marks() == (kMarkStale | kMarkWinSent));
  CHECK(tb.find("k", 0).raw_value() == "value");
  CHECK(tb.t.set_expiry("k", hash_key("k"), 5000, 0));  // the item grows an expiry field
  CHECK(tb.find("k", 0).marks() == (kMarkStale | kMarkWinSent));
  CHECK(tb.find("k", 0).expire_at_ms() == 5000);
  tb.set("k", "new", kNoExpiry);
  CHECK(tb.find("k", 0).marks() == 0);
  CHECK_FALSE(tb.t.add_marks("missing", hash_key("missing"), kMarkStale, 0));
}

TEST_CASE("grow_value: only out-of-line values, in place, keeping expiry, dropping metadata") {
  Table tb;
  auto grow = [&](std::string_view k, size_t n) { return tb.t.grow_value(k, hash_key(k), n); };
  CHECK(grow("missing", 10) == nullptr);
  tb.set("int", "12345");
  CHECK(grow("int", 10) == nullptr);
  tb.set("small", "abc");
  CHECK(grow("small", 10) == nullptr);
  CHECK(value_of(tb.find("small")) == "abc");

  // Value lengths around the varint widths (2 bytes up to 16383, 3 from 16384), with and
  // without an expiry and memcached metadata, inline and out-of-line keys.
  for (size_t klen : {3u, 4085u, 5000u}) {
    for (bool with_meta : {false, true}) {
      for (int64_t exp : {kNoExpiry, int64_t{4321}}) {
        std::string k(klen, 'k');
        std::string expect(16380, 'v');
        expect[7] = '\0';
        tb.set_meta(k, expect, with_meta ? ItemMeta{9, 10} : ItemMeta{}, exp);
        tb.t.add_marks(k, hash_key(k), kMarkStale, 0);
        for (size_t step : {1u, 2u, 1u, 5000u, 0u, 70000u}) {
          const size_t old_len = expect.size();
          char* v = grow(k, old_len + step);
          REQUIRE(v != nullptr);
          CHECK(std::string(v, old_len) == expect);
          CHECK(std::string(v + old_len, step) == std::string(step, '\0'));
          for (size_t i = 0; i < step; ++i) {
            v[old_len + i] = static_cast<char>('a' + i % 26);
            expect.push_back(static_cast<char>('a' + i % 26));
          }
          ItemView it = tb.find(k);
          REQUIRE(it);
          CHECK(it.key() == k);
          CHECK(it.raw_value() == expect);
          CHECK(it.expire_at_ms() == exp);
          CHECK(it.client_flags() == 0);
          CHECK(it.cas() == 0);
          CHECK(it.marks() == 0);
        }
        CHECK(tb.erase(k));
      }
    }
  }
  CHECK(tb.t.keys_with_expiry() == 0);
}

TEST_CASE("grow_value reserves room as Redis's sds does: appends rarely reallocate") {
  Table tb;
  const size_t start = 100000;
  tb.set("k", std::string(start, 'x'));
  // One-byte appends up to twice the length: the block is resized (memory_bytes changes)
  // once, when the exact-size first block is full, to twice the needed length. Exact-size
  // growth would resize it every malloc granule (16 bytes), thousands of times.
  size_t last = tb.t.memory_bytes();
  const size_t base = last;
  int resizes = 0;
  for (size_t n = start + 1; n <= 2 * start; ++n) {
    char* v = tb.t.grow_value("k", hash_key("k"), n);
    REQUIRE(v != nullptr);
    v[n - 1] = 'y';
    const size_t now = tb.t.memory_bytes();
    resizes += now != last;
    last = now;
  }
  CHECK(resizes == 1);
  CHECK(last >= base + start);  // the reserve is counted
  CHECK(last <= base + start + 4096);
  CHECK(tb.find("k").raw_value() == std::string(start, 'x') + std::string(start, 'y'));
  CHECK(tb.erase("k"));
}
