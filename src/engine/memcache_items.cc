// memcached semantics over the shared keyspace (memcache_items.h).
#include "engine/memcache_items.h"

#include "engine/key_lookup.h"
#include "engine/shard.h"
#include "engine/string_util.h"
#include "protocol/memcache_parser.h"

namespace tessera::engine::memcache {
namespace {

// memcached's REALTIME_MAXDELTA: exptimes up to 30 days are relative.
constexpr int64_t kRelativeMaxSeconds = 60 * 60 * 24 * 30;
constexpr int64_t kMsPerSecond = 1000;

std::string& scratch_value() {
  thread_local std::string value;
  return value;
}


void write_value(core::KeyTable& t, std::string_view key, uint64_t hash, core::ItemView item,
                 int64_t expire_at_ms, const core::ItemMeta& meta) {
  if (item.encoding() == core::ValueEncoding::kInt) {
    t.set_int(key, hash, item.int_value(), expire_at_ms, core::TtlPolicy::kReplace, meta);
    return;
  }
  // The new value may not alias the item being replaced.
  std::string& copy = scratch_value();
  copy.assign(item.raw_value());
  t.set(key, hash, copy, expire_at_ms, core::TtlPolicy::kReplace, meta);
}

uint64_t fresh_cas(CommandContext& ctx) {
  return table(ctx).next_cas() * ctx.shard->count() + ctx.shard->id();
}

// The item's metadata with a fresh CAS unique.
core::ItemMeta with_fresh_cas(CommandContext& ctx, core::ItemView item) {
  core::ItemMeta meta = item.meta();
  meta.cas = fresh_cas(ctx);
  return meta;
}

}  // namespace

Expiry to_expiry(int64_t exptime, int64_t now_ms) {
  if (exptime == 0) {
    return {};
  }
  if (exptime < 0) {
    return {core::kNoExpiry, true};
  }
  if (exptime > kRelativeMaxSeconds) {
    const int64_t at = exptime * kMsPerSecond;
    return at <= now_ms ? Expiry{core::kNoExpiry, true} : Expiry{at, false};
  }
  return {now_ms + exptime * kMsPerSecond, false};
}

int64_t remaining_seconds(int64_t expire_at_ms, int64_t now_ms) {
  if (expire_at_ms == core::kNoExpiry) {
    return -1;
  }
  // Rounded up: an item with 1.5 s left reports 2, as memcached's seconds clock would.
  return (expire_at_ms - now_ms + kMsPerSecond - 1) / kMsPerSecond;
}

core::KeyTable& table(CommandContext& ctx) { return ctx.shard->db(kMemcacheDb); }

std::string_view key_arg(const CommandContext& ctx, size_t index) { return ctx.args[kMemcacheFirstKey + index]; }

uint64_t key_hash(const CommandContext& ctx, size_t index) { return ctx.hash(kMemcacheFirstKey + index); }

core::ItemView fetch_counted(CommandContext& ctx, std::string_view key, uint64_t hash, core::ItemAccess* before) {
  core::ItemAccess ignored;
  return count_keyspace_lookup(ctx, table(ctx).fetch(key, hash, ctx.now_ms, before != nullptr ? before : &ignored));
}

core::ItemView peek_counted(CommandContext& ctx, std::string_view key, uint64_t hash) {
  return count_keyspace_lookup(ctx, table(ctx).find(key, hash, ctx.now_ms));
}

core::ItemAccess stored_now(const CommandContext& ctx) { return core::ItemAccess::stored_at(ctx.now_ms); }

core::ItemView ensure_cas(CommandContext& ctx, std::string_view key, uint64_t hash, core::ItemView item) {
  if (item.cas() != 0) {
    return item;
  }
  renew_cas(ctx, key, hash, item, item.marks());
  return table(ctx).find(key, hash, ctx.now_ms);
}

void renew_cas(CommandContext& ctx, std::string_view key, uint64_t hash, core::ItemView item,
               uint8_t marks) {
  core::KeyTable& t = table(ctx);
  write_value(t, key, hash, item, item.expire_at_ms(), with_fresh_cas(ctx, item));  // clears marks
  if (marks != 0) {
    t.add_marks(key, hash, marks, ctx.now_ms);
  }
}

std::string_view item_value(core::ItemView item, std::string& scratch) { return item.value_bytes(scratch); }

StoreOutcome store_item(CommandContext& ctx, const StoreRequest& request, uint64_t* stored_cas) {
  core::KeyTable& t = table(ctx);
  const std::string_view key = key_arg(ctx);
  const uint64_t hash = key_hash(ctx);
  core::ItemView existing = t.find(key, hash, ctx.now_ms);
  if ((request.mode == StoreMode::kAppend || request.mode == StoreMode::kPrepend) && !existing) {
    return StoreOutcome::kNotStored;  // memcached checks this before any CAS it was given
  }
  if (request.mode == StoreMode::kAdd) {
    // memcached's add never compares a CAS it was given: it stores a missing key and
    // refuses an existing one.
    if (existing) {
      return StoreOutcome::kNotStored;
    }
  } else if (request.compare_cas) {
    if (!existing) {
      return StoreOutcome::kNotFound;
    }
    // An item without a stored CAS changed since any CAS was reported for it.
    if (existing.cas() == 0 || existing.cas() != *request.compare_cas) {
      return StoreOutcome::kExists;
    }
  }
  if (request.mode == StoreMode::kReplace && !existing) {
    return StoreOutcome::kNotStored;
  }
  core::ItemMeta meta{request.client_flags, request.new_cas, stored_now(ctx)};
  if (meta.cas == 0 && stored_cas != nullptr) {
    meta.cas = fresh_cas(ctx);
  }
  if (request.mode == StoreMode::kAppend || request.mode == StoreMode::kPrepend) {
    // memcached keeps the item's flags and expiry and ignores the ones sent.
    std::string old_scratch;
    std::string_view old_value = existing.value_bytes(old_scratch);
    std::string& joined = scratch_value();
    joined.clear();
    if (request.mode == StoreMode::kAppend) {
      joined.append(old_value).append(request.data);
    } else {
      joined.append(request.data).append(old_value);
    }
    meta.client_flags = existing.client_flags();
    t.set(key, hash, joined, existing.expire_at_ms(), core::TtlPolicy::kReplace, meta);
  } else {
    const Expiry expiry = to_expiry(request.exptime, ctx.now_ms);
    if (expiry.expired) {
      // Stored and already expired: memcached's reply is STORED (with the CAS the item
      // got) and the key is gone.
      t.erase(key, hash, ctx.now_ms);
      if (stored_cas != nullptr) {
        *stored_cas = meta.cas;
      }
      return StoreOutcome::kStored;
    }
    t.set(key, hash, request.data, expiry.at_ms, core::TtlPolicy::kReplace, meta);
  }
  if (stored_cas != nullptr) {
    *stored_cas = meta.cas;
  }
  return StoreOutcome::kStored;
}

void store_number(core::KeyTable& t, std::string_view key, uint64_t hash, uint64_t value, int64_t expire_at_ms,
                  const core::ItemMeta& meta) {
  if (value <= static_cast<uint64_t>(INT64_MAX)) {
    t.set_int(key, hash, static_cast<int64_t>(value), expire_at_ms, core::TtlPolicy::kReplace, meta);
    return;
  }
  char buf[kInt64TextMax];
  t.set(key, hash, std::string_view(buf, format_uint64(buf, value)), expire_at_ms, core::TtlPolicy::kReplace, meta);
}

ArithOutcome arith_item(CommandContext& ctx, const ArithRequest& request, uint64_t& result) {
  core::KeyTable& t = table(ctx);
  const std::string_view key = key_arg(ctx);
  const uint64_t hash = key_hash(ctx);
  core::ItemView item = t.find(key, hash, ctx.now_ms);
  if (!item) {
    return ArithOutcome::kNotFound;
  }
  // memcached's do_add_delta order: an empty value is non-numeric before the CAS check,
  // any other value is parsed after it.
  const bool is_int = item.encoding() == core::ValueEncoding::kInt;
  if (!is_int && item.raw_value().empty()) {
    return ArithOutcome::kNonNumeric;
  }
  if (request.compare_cas && (item.cas() == 0 || item.cas() != *request.compare_cas)) {
    return ArithOutcome::kExists;
  }
  uint64_t value = 0;
  if (is_int) {
    if (item.int_value() < 0) {
      return ArithOutcome::kNonNumeric;  // memcached's strtoull check rejects a '-'
    }
    value = static_cast<uint64_t>(item.int_value());
  } else if (!protocol::detail::safe_strtoull(item.raw_value(), value)) {
    return ArithOutcome::kNonNumeric;
  }
  char old_text[kInt64TextMax];
  const size_t old_len = is_int ? format_int64(old_text, item.int_value()) : item.raw_value().size();
  if (request.increment) {
    value += request.delta;  // wraps, as memcached's does
  } else {
    value = request.delta > value ? 0 : value - request.delta;
  }
  // memcached rewrites a number no longer than the text it replaces in place, so the item
  // keeps its access record (h, l) and meta marks; a longer number is a new item. (memcached
  // also pads the shorter number with spaces, "10" decr 1 being "9 "; Tessera stores the
  // number, which Redis's INCR and GET then read as one: a documented difference.)
  char buf[kInt64TextMax];
  const bool in_place = format_uint64(buf, value) <= old_len;
  const uint8_t marks = in_place ? item.marks() : 0;
  store_number(t, key, hash, value, item.expire_at_ms(),
               core::ItemMeta{item.client_flags(), request.new_cas,
                              in_place ? item.access() : stored_now(ctx)});
  if (marks != 0) {
    t.add_marks(key, hash, marks, ctx.now_ms);
  }
  result = value;
  return ArithOutcome::kDone;
}

void flush_keyspace(CommandContext& ctx, int64_t delay) {
  ctx.shard->stats().count(MemcacheCounter::kCmdFlush);
  const Expiry when = delay > 0 ? to_expiry(delay, ctx.now_ms) : Expiry{core::kNoExpiry, true};
  if (!when.expired) {
    ctx.shard->schedule_flush(when.at_ms);
    return;
  }
  ctx.shard->schedule_flush(core::kNoExpiry);
  if (core::KeyTable* t = ctx.shard->db_if_exists(kMemcacheDb)) {
    t->clear();
  }
}

bool touch_item(CommandContext& ctx, std::string_view key, uint64_t hash, int64_t exptime) {
  core::KeyTable& t = table(ctx);
  const Expiry expiry = to_expiry(exptime, ctx.now_ms);
  if (expiry.expired) {
    return t.erase(key, hash, ctx.now_ms);
  }
  return t.set_expiry(key, hash, expiry.at_ms, ctx.now_ms);
}

}  // namespace tessera::engine::memcache
