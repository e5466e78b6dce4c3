// Prepare/apply steps of MSETNX, RENAME and RENAMENX when their keys span shards; see
// cross_shard.h. Single-shard executions use the ordinary handlers.
#include "engine/cross_shard.h"

#include "engine/errors.h"
#include "engine/key_lookup.h"
#include "engine/shard.h"

namespace tessera::engine {
namespace {

bool holds_source(const CommandContext& ctx) { return !ctx.key_positions.empty() && ctx.key_positions[0] == 0; }

void rename_prepare_generic(CommandContext& ctx, bool nx) {
  CrossShardState& state = *ctx.cross;
  if (holds_source(ctx)) {
    core::ItemView item = lookup_write(ctx, 1);
    if (item) {
      state.source_found = true;
      state.source_expire = item.expire_at_ms();
      state.source_is_int = item.encoding() == core::ValueEncoding::kInt;
      if (state.source_is_int) {
        state.source_int = item.int_value();
      } else {
        state.source_raw.assign(item.raw_value());
      }
    }
  } else if (nx && lookup_write(ctx, 1)) {
    state.any_exists.store(true, std::memory_order_relaxed);
  }
}

void rename_apply_generic(CommandContext& ctx, bool nx) {
  const CrossShardState& state = *ctx.cross;
  if (!state.source_found) {
    ctx.reply.error(err::kNoSuchKey);
    return;
  }
  if (nx && state.any_exists.load(std::memory_order_relaxed)) {
    ctx.reply.integer(0);
    return;
  }
  core::KeyTable& table = ctx.shard->db(ctx.db);
  if (holds_source(ctx)) {
    table.erase(ctx.args[1], ctx.hash(1), ctx.now_ms);
  } else if (state.source_is_int) {
    table.set_int(ctx.args[1], ctx.hash(1), state.source_int, state.source_expire);
  } else {
    table.set(ctx.args[1], ctx.hash(1), state.source_raw, state.source_expire);
  }
  if (nx) {
    ctx.reply.integer(1);
  } else {
    ctx.reply.ok();
  }
}

}  // namespace

void msetnx_prepare(CommandContext& ctx) {
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    if (lookup_write(ctx, i)) {
      ctx.cross->any_exists.store(true, std::memory_order_relaxed);
      return;
    }
  }
}

void msetnx_apply(CommandContext& ctx) {
  if (ctx.cross->any_exists.load(std::memory_order_relaxed)) {
    ctx.reply.integer(0);
    return;
  }
  core::KeyTable& table = ctx.shard->db(ctx.db);
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    table.set(ctx.args[i], ctx.hash(i), ctx.args[i + 1], core::kNoExpiry);
  }
  ctx.reply.integer(1);
}

void rename_prepare(CommandContext& ctx) { rename_prepare_generic(ctx, false); }
void rename_apply(CommandContext& ctx) { rename_apply_generic(ctx, false); }
void renamenx_prepare(CommandContext& ctx) { rename_prepare_generic(ctx, true); }
void renamenx_apply(CommandContext& ctx) { rename_apply_generic(ctx, true); }

}  // namespace tessera::engine
