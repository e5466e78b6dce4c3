// memcached's meta commands over the shared keyspace, as memcached 1.6.18 answers them:
// mg (get), ms (set), md (delete), ma (arithmetic), me (debug). Return flags are echoed in
// request order (O opaque, k key, b, c cas, f flags, s size, t ttl, h, l; ms reports only
// O k c, md O k, ma O k c t, as memcached 1.6.18); t reports the TTL as memcached's in-order
// walk of T and N leaves it at t's place. q drops what memcached's quiet mode drops (mg: EN;
// ms, md: HD; ma: HD and VA, except the reply of a vivifying ma); errors are never dropped.
//
// Stale-while-revalidate, as memcached: mg N creates a missing item (empty, TTL N) and hands
// out a win token (W); mg R hands one out when the TTL left is below R; md I and ms I (with
// an older C) mark the item stale (X) instead of deleting or refusing it, and the next mg
// wins it. While a token is out, every mg reports Z. The marks live in the item header
// (KeyTable::add_marks) and any new value clears them.
//
// h and l report the item's access record (core::ItemAccess) as it was before this mg:
// whether it was fetched since stored, and the seconds since its last store or fetch. Every
// mg records a fetch unless u is given. memcached only refreshes the time on an item's
// second fetch (its LRU "active" bump), so its l can be older than Tessera's, which is the
// exact time of the last fetch. An item stored through Redis has no record until its first
// memcached fetch, which reports h0 l0.
//
// Called on the data worker that owns the key; database 0 is the memcached keyspace.
#include <optional>
#include <span>
#include <string>

#include "engine/memcache_commands.h"
#include "engine/memcache_items.h"
#include "engine/shard.h"
#include "engine/string_util.h"
#include "protocol/memcache_model.h"

namespace tessera::engine::memcache {
namespace {

using protocol::MemcacheCommand;
using protocol::MetaCode;

constexpr std::string_view kNonNumeric = "CLIENT_ERROR cannot increment or decrement non-numeric value";
// memcached's `me` reports its slab class and item size; Tessera reports class 1 and an
// estimate: key + value + the item header memcached would use (48 bytes plus CAS).
constexpr size_t kItemHeaderEstimate = 56;

// What the return flags may report about an item (absent fields are not echoed).
struct ItemFacts {
  bool found = false;
  uint64_t cas = 0;
  uint32_t client_flags = 0;
  size_t size = 0;
  int64_t ttl = -1;
  bool fetched = false;      // h
  int64_t idle_seconds = 0;  // l
  // memcached walks a request's flags in order: T sets the item's TTL where it appears, and
  // so does N on the item the request vivified (which starts with none); t reports the TTL
  // as it stands at its place ("t T50" the old one, "T50 t" the new one). `ttl` above is
  // the TTL before the first of them; these are the TTLs T and N set (seconds, -1 none).
  std::optional<int64_t> touch_ttl;
  std::optional<int64_t> vivify_ttl;
};

// The TTL, in seconds, that memcached reports for an item given this exptime (-1: none, or
// already expired).
int64_t reported_ttl(const CommandContext& ctx, int64_t exptime) {
  const Expiry expiry = to_expiry(exptime, ctx.now_ms);
  return expiry.expired ? -1 : remaining_seconds(expiry.at_ms, ctx.now_ms);
}

// mg R's test, made where R stands among the flags (after any T before it): whether the
// item has an expiry and less than `recache_ttl` seconds of it are left. A T in the past
// leaves an expiry of 0 seconds (a win); T0 leaves none.
bool recache_due(const CommandContext& ctx, const MemcacheParams& p, core::ItemView item) {
  int64_t expire_at_ms = item.expire_at_ms();
  for (std::string_view token : memcache_meta_tokens(ctx, p)) {
    if (token[0] == 'R') {
      break;
    }
    if (token[0] == 'T') {
      const Expiry expiry = to_expiry(p.exptime, ctx.now_ms);
      expire_at_ms = expiry.expired ? ctx.now_ms : expiry.at_ms;
    }
  }
  if (expire_at_ms == core::kNoExpiry) {
    return false;
  }
  return remaining_seconds(expire_at_ms, ctx.now_ms) < p.recache_ttl;
}

// Whether the vivify TTL (N) is the one an item keeps: in flag order, N comes after every T.
bool vivify_ttl_last(std::span<const std::string_view> tokens) {
  bool last = false;
  for (std::string_view token : tokens) {
    if (token[0] == 'N') {
      last = true;
    } else if (token[0] == 'T') {
      last = false;
    }
  }
  return last;
}

// Sets what t reports of a request's T and N (ItemFacts) for an item it found or, when
// `vivified`, created; the item's facts were taken before T applies.
void note_ttl_flags(const CommandContext& ctx, const MemcacheParams& p, bool vivified, ItemFacts& facts) {
  if (vivified) {
    facts.ttl = -1;
    facts.vivify_ttl = reported_ttl(ctx, p.vivify_ttl);
  }
  if (p.has('T')) {
    facts.touch_ttl = reported_ttl(ctx, p.exptime);
  }
}

// Applies T to the item, unless the request vivified it and N comes after T (N's TTL stands).
void apply_touch(CommandContext& ctx, const MemcacheParams& p, bool vivified) {
  if (p.has('T') && !(vivified && vivify_ttl_last(memcache_meta_tokens(ctx, p)))) {
    touch_item(ctx, key_arg(ctx), key_hash(ctx), p.exptime);
  }
}

// The return flags a command reports, as memcached 1.6.18: mg all of them; ms, md and ma
// ignore the ones that describe the stored item (ma keeps t).
std::string_view reported_flags(MemcacheCommand command) {
  switch (command) {
    case MemcacheCommand::kMetaSet: return "Okc";
    case MemcacheCommand::kMetaDelete: return "Ok";
    case MemcacheCommand::kMetaArithmetic: return "Okct";
    default: return "Okcfsthl";
  }
}

// Appends the return flags requested by `tokens` for `facts`, in request order.
void append_return_flags(std::string& out, std::span<const std::string_view> tokens, std::string_view key,
                         const MemcacheParams& p, const ItemFacts& facts) {
  const std::string_view reported = reported_flags(p.command);
  int64_t ttl = facts.ttl;
  for (std::string_view token : tokens) {
    if (token[0] == 'T' && facts.touch_ttl) {
      ttl = *facts.touch_ttl;
    } else if (token[0] == 'N' && facts.vivify_ttl) {
      ttl = *facts.vivify_ttl;
    }
    if (reported.find(token[0]) == std::string_view::npos) {
      continue;
    }
    switch (token[0]) {
      case 'O':
        out.push_back(' ');
        out.append(token);
        break;
      case 'k':
        protocol::append_meta_key(out, key, p.base64_key);
        break;
      case 'c':
        if (facts.found) {
          protocol::append_meta_flag(out, 'c', facts.cas);
        }
        break;
      case 'f':
        if (facts.found) {
          protocol::append_meta_flag(out, 'f', uint64_t{facts.client_flags});
        }
        break;
      case 's':
        if (facts.found) {
          protocol::append_meta_flag(out, 's', uint64_t{facts.size});
        }
        break;
      case 't':
        if (facts.found) {
          protocol::append_meta_flag_signed(out, 't', ttl);
        }
        break;
      case 'h':
        if (facts.found) {
          protocol::append_meta_flag(out, 'h', uint64_t{facts.fetched ? 1u : 0u});
        }
        break;
      case 'l':
        if (facts.found) {
          protocol::append_meta_flag(out, 'l', static_cast<uint64_t>(facts.idle_seconds));
        }
        break;
      default:
        break;
    }
  }
}

// `access`: the record h and l report (mg passes the one from before its fetch).
ItemFacts facts_of(const CommandContext& ctx, core::ItemView item, core::ItemAccess access = {}) {
  ItemFacts facts{true, item.cas(), item.client_flags(), item.value_length(),
                  remaining_seconds(item.expire_at_ms(), ctx.now_ms)};
  if (access.tracked()) {
    facts.fetched = access.fetched();
    facts.idle_seconds = access.seconds_since_access(ctx.now_ms);
  }
  return facts;
}

// Writes a meta reply unless quiet mode drops it (`keep` overrides: memcached 1.6.18 sends
// the reply of an autovivifying ma even in quiet mode).
void reply_meta(CommandContext& ctx, const MemcacheParams& p, MetaCode code, const std::string_view* value,
                const ItemFacts& facts, bool keep = false, std::string_view marks = {}) {
  if (p.noreply && !keep && protocol::meta_quiet_drops(p.command, code)) {
    return;
  }
  std::string flags;
  append_return_flags(flags, memcache_meta_tokens(ctx, p), key_arg(ctx), p, facts);
  flags.append(marks);
  protocol::write_meta_reply(ctx.reply, code, value, flags);
}

StoreMode ms_mode(char mode) {
  switch (mode) {
    case 'E': return StoreMode::kAdd;
    case 'A': return StoreMode::kAppend;
    case 'P': return StoreMode::kPrepend;
    case 'R': return StoreMode::kReplace;
    default: return StoreMode::kSet;
  }
}

}  // namespace

void meta_get(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  const std::string_view key = key_arg(ctx);
  const uint64_t hash = key_hash(ctx);
  ShardStats& stats = ctx.shard->stats();
  stats.count(MemcacheCounter::kCmdGet);
  core::KeyTable& t = table(ctx);
  core::ItemAccess access;
  core::ItemView item = p.has('u') ? peek_counted(ctx, key, hash) : fetch_counted(ctx, key, hash, &access);
  if (item && p.has('u')) {
    access = item.access();
  }
  bool win = false;
  bool vivified = false;
  bool vivified_expired = false;
  if (!item) {
    stats.count(MemcacheCounter::kGetMisses);
    if (!p.has('N')) {
      reply_meta(ctx, p, MetaCode::kEn, nullptr, ItemFacts{});
      return;
    }
    // Vivify: an empty item stands in while this client, the winner, recomputes it.
    // As memcached: this mg reports a fresh item (h0 l0) and counts as its first fetch.
    // With a TTL already past (N-1) memcached still creates it and answers the win, but the
    // item is expired for every later request: it is removed once this mg has answered.
    const Expiry vivify = to_expiry(p.vivify_ttl, ctx.now_ms);
    vivified_expired = vivify.expired;
    access = stored_now(ctx);
    t.set(key, hash, std::string_view(), vivify.expired ? core::kNoExpiry : vivify.at_ms,
          core::TtlPolicy::kReplace, core::ItemMeta{0, 0, core::ItemAccess::fetched_at(ctx.now_ms)});
    t.add_marks(key, hash, core::kMarkWinSent, ctx.now_ms);
    item = t.find(key, hash, ctx.now_ms);
    win = true;
    vivified = true;
  } else {
    stats.count(MemcacheCounter::kGetHits);
  }
  // memcached's order: Z if a token was already out, X if stale, then W for this win.
  const uint8_t marks = win ? 0 : item.marks();
  const bool token_out = (marks & core::kMarkWinSent) != 0;
  const bool stale = (marks & core::kMarkStale) != 0;
  if (!win && !token_out) {
    win = stale || (p.has('R') && recache_due(ctx, p, item));
    if (win) {
      t.add_marks(key, hash, core::kMarkWinSent, ctx.now_ms);
    }
  }
  std::string mark_flags;
  mark_flags.append(token_out ? " Z" : "").append(stale ? " X" : "").append(win ? " W" : "");
  if (p.has('c')) {
    item = ensure_cas(ctx, key, hash, item);
  }
  ItemFacts facts = facts_of(ctx, item, access);
  note_ttl_flags(ctx, p, vivified, facts);
  if (p.has('T')) {
    // The item is answered even when T expires it (memcached applies T to the fetched item).
    stats.count(MemcacheCounter::kCmdTouch);
    stats.count(MemcacheCounter::kTouchHits);
  }
  // The reply copies the value before T may rewrite or remove the item.
  if (p.has('v')) {
    std::string scratch;
    const std::string_view value = item_value(item, scratch);
    reply_meta(ctx, p, MetaCode::kVa, &value, facts, false, mark_flags);
  } else {
    reply_meta(ctx, p, MetaCode::kHd, nullptr, facts, false, mark_flags);
  }
  apply_touch(ctx, p, vivified);
  if (vivified_expired) {
    t.erase(key, hash, ctx.now_ms);
  }
}

void meta_set(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  if (p.value_too_large) {
    table(ctx).erase(key_arg(ctx), key_hash(ctx), ctx.now_ms);
    ctx.reply.error(protocol::detail::kObjectTooLarge);
    return;
  }
  ctx.shard->stats().count(MemcacheCounter::kCmdSet);
  StoreRequest request;
  request.mode = ms_mode(p.mode);
  request.data = ctx.args.back();
  request.client_flags = p.client_flags;
  request.exptime = p.exptime;
  bool invalidate = false;
  int64_t old_expiry = core::kNoExpiry;
  uint8_t old_marks = 0;
  // memcached compares a C token as its `cas` command does in set and replace mode, where
  // C0 matches nothing; in append and prepend mode C0 means no CAS, and add ignores C.
  const bool joins = request.mode == StoreMode::kAppend || request.mode == StoreMode::kPrepend;
  if (p.has('C') && !(joins && p.cas_unique == 0)) {  // (store_item ignores it in add mode)
    request.compare_cas = p.cas_unique;
    // I: a CAS older than the item's still stores, but the new value is stale: it keeps
    // the old item's expiry and win token, as memcached's does. Only in set and replace
    // mode, and C0 is older than nothing.
    if (p.has('I') && (request.mode == StoreMode::kSet || request.mode == StoreMode::kReplace) &&
        p.cas_unique != 0) {
      core::ItemView existing = table(ctx).find(key_arg(ctx), key_hash(ctx), ctx.now_ms);
      if (existing) {
        // An item without a CAS changed after every CAS handed out for it: give it its
        // own now, which is newer than all of them (memcached's always is).
        existing = ensure_cas(ctx, key_arg(ctx), key_hash(ctx), existing);
      }
      invalidate = existing && p.cas_unique < existing.cas();
      if (invalidate) {
        request.compare_cas.reset();
        old_expiry = existing.expire_at_ms();
        old_marks = existing.marks();
      }
    }
  }
  request.new_cas = p.new_cas;
  uint64_t cas = 0;
  const StoreOutcome outcome = store_item(ctx, request, p.has('c') ? &cas : nullptr);
  if (invalidate && outcome == StoreOutcome::kStored) {
    core::KeyTable& t = table(ctx);
    t.set_expiry(key_arg(ctx), key_hash(ctx), old_expiry, ctx.now_ms);
    t.add_marks(key_arg(ctx), key_hash(ctx), static_cast<uint8_t>(old_marks | core::kMarkStale), ctx.now_ms);
  }
  // ms reports `c` whatever the outcome, as memcached does: the new CAS, or 0 when
  // nothing was stored (NS, EX, NF). It reports no other fact of the item.
  ItemFacts facts;
  facts.found = true;
  facts.cas = outcome == StoreOutcome::kStored ? cas : 0;
  switch (outcome) {
    case StoreOutcome::kStored: reply_meta(ctx, p, MetaCode::kHd, nullptr, facts); return;
    case StoreOutcome::kNotStored: reply_meta(ctx, p, MetaCode::kNs, nullptr, facts); return;
    case StoreOutcome::kExists: reply_meta(ctx, p, MetaCode::kEx, nullptr, facts); return;
    case StoreOutcome::kNotFound: reply_meta(ctx, p, MetaCode::kNf, nullptr, facts); return;
  }
}

void meta_delete(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  core::KeyTable& t = table(ctx);
  const std::string_view key = key_arg(ctx);
  const uint64_t hash = key_hash(ctx);
  ShardStats& stats = ctx.shard->stats();
  core::ItemView item = t.find(key, hash, ctx.now_ms);
  if (!item) {
    stats.count(MemcacheCounter::kDeleteMisses);
    reply_meta(ctx, p, MetaCode::kNf, nullptr, ItemFacts{});
    return;
  }
  if (p.has('C') && (item.cas() == 0 || item.cas() != p.cas_unique)) {
    reply_meta(ctx, p, MetaCode::kEx, nullptr, ItemFacts{});
    return;
  }
  if (p.has('I')) {
    // Invalidate: the item stays, marked stale, with a new CAS (so a writer holding the old
    // one is now "older", see ms I) and a new TTL if T is given. A win token already out is
    // taken back, so that the next mg wins (as memcached clears ITEM_TOKEN_SENT).
    renew_cas(ctx, key, hash, item, core::kMarkStale);
    if (p.has('T')) {
      touch_item(ctx, key, hash, p.exptime);
    }
  } else {
    t.erase(key, hash, ctx.now_ms);
  }
  stats.count(MemcacheCounter::kDeleteHits);
  reply_meta(ctx, p, MetaCode::kHd, nullptr, ItemFacts{});
}

void meta_arith(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  const std::string_view key = key_arg(ctx);
  const uint64_t hash = key_hash(ctx);
  const bool increment = p.mode != 'D' && p.mode != '-';
  ShardStats& stats = ctx.shard->stats();
  ArithRequest request;
  request.increment = increment;
  request.delta = p.delta;
  if (p.has('C') && p.cas_unique != 0) {  // memcached's ma takes C0 as no CAS
    request.compare_cas = p.cas_unique;
  }
  request.new_cas = p.new_cas;
  uint64_t result = 0;
  ArithOutcome outcome = arith_item(ctx, request, result);
  core::KeyTable& t = table(ctx);
  const bool vivified = outcome == ArithOutcome::kNotFound && p.has('N');
  if (vivified) {
    // Autovivify: the item is created with the initial value J, which is the result.
    const Expiry expiry = to_expiry(p.vivify_ttl, ctx.now_ms);
    if (!expiry.expired) {
      store_number(t, key, hash, p.initial, expiry.at_ms, core::ItemMeta{0, p.new_cas, stored_now(ctx)});
    }
    result = p.initial;
    outcome = ArithOutcome::kDone;
  }
  switch (outcome) {
    case ArithOutcome::kNotFound:
      stats.count(increment ? MemcacheCounter::kIncrMisses : MemcacheCounter::kDecrMisses);
      reply_meta(ctx, p, MetaCode::kNf, nullptr, ItemFacts{});
      return;
    case ArithOutcome::kExists:
      reply_meta(ctx, p, MetaCode::kEx, nullptr, ItemFacts{});
      return;
    case ArithOutcome::kNonNumeric:
      ctx.reply.error(kNonNumeric);
      return;
    case ArithOutcome::kDone:
      break;
  }
  stats.count(increment ? MemcacheCounter::kIncrHits : MemcacheCounter::kDecrHits);
  // The facts are the item's before T applies, as memcached reports them even when T
  // expires it; t then follows T and N in flag order (ItemFacts).
  ItemFacts facts;
  if (core::ItemView item = t.find(key, hash, ctx.now_ms)) {
    if (p.has('c')) {
      item = ensure_cas(ctx, key, hash, item);
    }
    facts = facts_of(ctx, item);
  }
  facts.found = true;
  note_ttl_flags(ctx, p, vivified, facts);
  apply_touch(ctx, p, vivified);
  char buf[kInt64TextMax];
  const std::string_view number(buf, format_uint64(buf, result));
  facts.size = number.size();
  if (p.has('v')) {
    reply_meta(ctx, p, MetaCode::kVa, &number, facts, vivified);
  } else {
    reply_meta(ctx, p, MetaCode::kHd, nullptr, facts, vivified);
  }
}

void meta_debug(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  const std::string_view key = key_arg(ctx);
  core::ItemView item = table(ctx).find(key, key_hash(ctx), ctx.now_ms);
  if (!item) {
    ctx.reply.simple("EN");
    return;
  }
  std::string text = "ME ";
  if (p.base64_key) {
    protocol::append_base64(text, key);
  } else {
    text.append(key);
  }
  text.append(" exp=").append(std::to_string(remaining_seconds(item.expire_at_ms(), ctx.now_ms)));
  const core::ItemAccess access = item.access();
  text.append(" la=").append(std::to_string(access.tracked() ? access.seconds_since_access(ctx.now_ms) : 0));
  text.append(" cas=").append(std::to_string(item.cas()));
  text.append(access.fetched() ? " fetch=yes" : " fetch=no").append(" cls=1 size=").append(std::to_string(key.size() + item.value_length() + kItemHeaderEstimate));
  ctx.reply.simple(text);
}

}  // namespace tessera::engine::memcache
