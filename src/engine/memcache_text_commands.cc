// memcached's text protocol commands over the shared keyspace, as memcached 1.6.18's
// proto_text.c answers them: get gets gat gats, set add replace append prepend cas,
// delete, incr decr, touch, flush_all. Replies are the memcached shapes of the reply model
// (protocol/memcache_model.h); `noreply` suppresses every reply of the command, errors
// included, as memcached's out_string does.
//
// Called on the data worker that owns the key (get and friends: with this shard's keys of a
// split multi-key get). Database 0 is the memcached keyspace.
#include <string>

#include "engine/memcache_commands.h"
#include "engine/memcache_items.h"
#include "engine/shard.h"
#include "engine/string_util.h"
#include "protocol/memcache_model.h"
#include "protocol/memcache_parser.h"

namespace tessera::engine::memcache {
namespace {

using protocol::MemcacheCommand;

constexpr std::string_view kNonNumeric = "CLIENT_ERROR cannot increment or decrement non-numeric value";

void line(CommandContext& ctx, const MemcacheParams& p, std::string_view text) {
  if (!p.noreply) {
    ctx.reply.simple(text);
  }
}

StoreMode store_mode(MemcacheCommand command) {
  switch (command) {
    case MemcacheCommand::kAdd: return StoreMode::kAdd;
    case MemcacheCommand::kReplace: return StoreMode::kReplace;
    case MemcacheCommand::kAppend: return StoreMode::kAppend;
    case MemcacheCommand::kPrepend: return StoreMode::kPrepend;
    default: return StoreMode::kSet;
  }
}

}  // namespace

void get(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  const bool with_cas = p.command == MemcacheCommand::kGets || p.command == MemcacheCommand::kGats;
  const bool touches = p.command == MemcacheCommand::kGat || p.command == MemcacheCommand::kGats;
  ShardStats& stats = ctx.shard->stats();
  const size_t keys = ctx.args.size() - kMemcacheFirstKey;
  ctx.reply.array(static_cast<uint32_t>(keys));
  std::string scratch;
  for (size_t i = 0; i < keys; ++i) {
    const std::string_view key = key_arg(ctx, i);
    const uint64_t hash = key_hash(ctx, i);
    stats.count(touches ? MemcacheCounter::kCmdTouch : MemcacheCounter::kCmdGet);
    core::ItemView item = fetch_counted(ctx, key, hash);
    if (!item) {
      stats.count(touches ? MemcacheCounter::kTouchMisses : MemcacheCounter::kGetMisses);
      ctx.reply.null();
      continue;
    }
    stats.count(touches ? MemcacheCounter::kTouchHits : MemcacheCounter::kGetHits);
    if (with_cas) {
      item = ensure_cas(ctx, key, hash, item);
    }
    // The reply copies the value before a touch may rewrite the item.
    const std::string_view value = item_value(item, scratch);
    if (with_cas) {
      protocol::write_memcache_value_cas(ctx.reply, key, item.client_flags(), value, item.cas());
    } else {
      protocol::write_memcache_value(ctx.reply, key, item.client_flags(), value);
    }
    if (touches) {
      touch_item(ctx, key, hash, p.exptime);
    }
  }
}

void store(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  ShardStats& stats = ctx.shard->stats();
  if (p.value_too_large) {
    // memcached unlinks the key of a set whose value it refused.
    table(ctx).erase(key_arg(ctx), key_hash(ctx), ctx.now_ms);
    if (!p.noreply) {
      ctx.reply.error(protocol::detail::kObjectTooLarge);
    }
    return;
  }
  stats.count(MemcacheCounter::kCmdSet);
  StoreRequest request;
  request.mode = store_mode(p.command);
  request.data = ctx.args.back();
  request.client_flags = p.client_flags;
  request.exptime = p.exptime;
  if (p.command == MemcacheCommand::kCas) {
    request.compare_cas = p.cas_unique;
  }
  const StoreOutcome outcome = store_item(ctx, request);
  if (p.command == MemcacheCommand::kCas) {
    stats.count(outcome == StoreOutcome::kStored   ? MemcacheCounter::kCasHits
                : outcome == StoreOutcome::kExists ? MemcacheCounter::kCasBadval
                                                   : MemcacheCounter::kCasMisses);
  }
  switch (outcome) {
    case StoreOutcome::kStored: line(ctx, p, "STORED"); return;
    case StoreOutcome::kNotStored: line(ctx, p, "NOT_STORED"); return;
    case StoreOutcome::kExists: line(ctx, p, "EXISTS"); return;
    case StoreOutcome::kNotFound: line(ctx, p, "NOT_FOUND"); return;
  }
}

void remove(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  const bool deleted = table(ctx).erase(key_arg(ctx), key_hash(ctx), ctx.now_ms);
  ctx.shard->stats().count(deleted ? MemcacheCounter::kDeleteHits : MemcacheCounter::kDeleteMisses);
  line(ctx, p, deleted ? "DELETED" : "NOT_FOUND");
}

void arith(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  const bool increment = p.command == MemcacheCommand::kIncr;
  ArithRequest request;
  request.increment = increment;
  request.delta = p.delta;
  uint64_t result = 0;
  const ArithOutcome outcome = arith_item(ctx, request, result);
  ShardStats& stats = ctx.shard->stats();
  if (outcome == ArithOutcome::kNotFound) {
    stats.count(increment ? MemcacheCounter::kIncrMisses : MemcacheCounter::kDecrMisses);
    line(ctx, p, "NOT_FOUND");
    return;
  }
  if (outcome == ArithOutcome::kNonNumeric) {
    if (!p.noreply) {
      ctx.reply.error(kNonNumeric);
    }
    return;
  }
  stats.count(increment ? MemcacheCounter::kIncrHits : MemcacheCounter::kDecrHits);
  char buf[kInt64TextMax];
  line(ctx, p, std::string_view(buf, format_uint64(buf, result)));
}

void touch(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  ShardStats& stats = ctx.shard->stats();
  stats.count(MemcacheCounter::kCmdTouch);
  // memcached's touch is a fetch too: it marks the item fetched (mg h).
  core::ItemAccess before;
  const bool touched = table(ctx).fetch(key_arg(ctx), key_hash(ctx), ctx.now_ms, &before) &&
                       touch_item(ctx, key_arg(ctx), key_hash(ctx), p.exptime);
  stats.count(touched ? MemcacheCounter::kTouchHits : MemcacheCounter::kTouchMisses);
  line(ctx, p, touched ? "TOUCHED" : "NOT_FOUND");
}

void flush_all(CommandContext& ctx) {
  const MemcacheParams p = memcache_params(ctx);
  flush_keyspace(ctx, p.has_exptime ? p.exptime : 0);
  line(ctx, p, "OK");
}

}  // namespace tessera::engine::memcache
