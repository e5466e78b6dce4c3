// Key expiry commands, as Redis 7.0's expire.c: EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT with the
// NX XX GT LT conditions, TTL/PTTL/EXPIRETIME/PEXPIRETIME, PERSIST. A time at or before
// now deletes the key (and still replies 1), as Redis does on a master.
//
// Called by the data worker owning the key's shard (routing kKey); specs live in
// key_commands.cc. No allocation except on the "Unsupported option" error path.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/errors.h"
#include "engine/expire_commands.h"
#include "engine/key_lookup.h"
#include "engine/shard.h"
#include "engine/string_util.h"

namespace tessera::engine {
namespace {

constexpr int64_t kMsPerSecond = 1000;
// What TTL/PTTL reply for a missing key and for a key without expiry.
constexpr int64_t kTtlMissingKey = -2;
constexpr int64_t kTtlNoExpiry = -1;

enum ExpireCondition : uint32_t {
  kExpireNx = 1u << 0,
  kExpireXx = 1u << 1,
  kExpireGt = 1u << 2,
  kExpireLt = 1u << 3,
};

// Redis's parseExtendedExpireArgumentsOrReply. Nullopt after replying the error.
std::optional<uint32_t> parse_conditions(CommandContext& ctx) {
  uint32_t flags = 0;
  for (size_t j = 3; j < ctx.args.size(); ++j) {
    std::string_view opt = ctx.args[j];
    if (equals_nocase(opt, "nx")) {
      flags |= kExpireNx;
    } else if (equals_nocase(opt, "xx")) {
      flags |= kExpireXx;
    } else if (equals_nocase(opt, "gt")) {
      flags |= kExpireGt;
    } else if (equals_nocase(opt, "lt")) {
      flags |= kExpireLt;
    } else {
      std::string text(err::kUnsupportedOptionPrefix);
      text.append(as_c_string(opt));
      ctx.reply.error(text);
      return std::nullopt;
    }
  }
  if ((flags & kExpireNx) && (flags & (kExpireXx | kExpireGt | kExpireLt))) {
    ctx.reply.error(err::kExpireNxWithOthers);
    return std::nullopt;
  }
  if ((flags & kExpireGt) && (flags & kExpireLt)) {
    ctx.reply.error(err::kExpireGtAndLt);
    return std::nullopt;
  }
  return flags;
}

// True if the conditions allow replacing `current` (kTtlNoExpiry if none) with `when`.
// No expiry counts as an infinite TTL: GT never passes, LT always does.
bool conditions_pass(uint32_t flags, int64_t current, int64_t when) {
  if ((flags & kExpireNx) && current != kTtlNoExpiry) {
    return false;
  }
  if ((flags & kExpireXx) && current == kTtlNoExpiry) {
    return false;
  }
  if ((flags & kExpireGt) && (current == kTtlNoExpiry || when <= current)) {
    return false;
  }
  if ((flags & kExpireLt) && current != kTtlNoExpiry && when >= current) {
    return false;
  }
  return true;
}

enum class TimeUnit : uint8_t { kSeconds, kMilliseconds };

// Redis's expireGenericCommand: args[2] is a time in `unit` added to `base_ms` (now for
// EXPIRE/PEXPIRE, 0 for the AT forms). Negative values are allowed; only overflow of the
// unit conversion or the addition is an "invalid expire time" error.
void expire_generic(CommandContext& ctx, int64_t base_ms, TimeUnit unit,
                    std::string_view command) {
  std::optional<uint32_t> flags = parse_conditions(ctx);
  if (!flags) {
    return;
  }
  std::optional<int64_t> value = parse_int64(ctx.args[2]);
  if (!value) {
    ctx.reply.error(err::kNotInteger);
    return;
  }
  int64_t when = *value;
  if (unit == TimeUnit::kSeconds) {
    if (when > INT64_MAX / kMsPerSecond || when < INT64_MIN / kMsPerSecond) {
      reply_error_format(ctx.reply, err::kInvalidExpire, command);
      return;
    }
    when *= kMsPerSecond;
  }
  if (when > INT64_MAX - base_ms) {
    reply_error_format(ctx.reply, err::kInvalidExpire, command);
    return;
  }
  when += base_ms;

  core::ItemView item = lookup_write(ctx, 1);
  if (!item) {
    ctx.reply.integer(0);
    return;
  }
  if (*flags != 0) {
    int64_t current = item.expire_at_ms();
    if (current == core::kNoExpiry) {
      current = kTtlNoExpiry;
    }
    if (!conditions_pass(*flags, current, when)) {
      ctx.reply.integer(0);
      return;
    }
  }
  core::KeyTable& table = ctx.shard->db(ctx.db);
  if (when <= ctx.now_ms) {
    table.erase(ctx.args[1], ctx.hash(1), ctx.now_ms);
  } else {
    table.set_expiry(ctx.args[1], ctx.hash(1), when, ctx.now_ms);
  }
  ctx.reply.integer(1);
}

enum class TtlForm : uint8_t { kRemaining, kAbsolute };

// Redis's ttlGenericCommand: -2 missing, -1 no expiry; seconds are rounded to nearest.
void ttl_generic(CommandContext& ctx, TimeUnit unit, TtlForm form) {
  core::ItemView item = lookup_read(ctx, 1);
  if (!item) {
    ctx.reply.integer(kTtlMissingKey);
    return;
  }
  int64_t expire = item.expire_at_ms();
  if (expire == core::kNoExpiry) {
    ctx.reply.integer(kTtlNoExpiry);
    return;
  }
  int64_t ttl = form == TtlForm::kAbsolute ? expire : expire - ctx.now_ms;
  if (ttl < 0) {
    ttl = 0;
  }
  // Seconds rounded to nearest, without ttl + 500 (which overflows for PXAT INT64_MAX).
  ctx.reply.integer(unit == TimeUnit::kMilliseconds
                        ? ttl
                        : ttl / kMsPerSecond + (ttl % kMsPerSecond >= kMsPerSecond / 2 ? 1 : 0));
}

}  // namespace

void expire_command(CommandContext& ctx) {
  expire_generic(ctx, ctx.now_ms, TimeUnit::kSeconds, "expire");
}

void pexpire_command(CommandContext& ctx) {
  expire_generic(ctx, ctx.now_ms, TimeUnit::kMilliseconds, "pexpire");
}

void expireat_command(CommandContext& ctx) {
  expire_generic(ctx, 0, TimeUnit::kSeconds, "expireat");
}

void pexpireat_command(CommandContext& ctx) {
  expire_generic(ctx, 0, TimeUnit::kMilliseconds, "pexpireat");
}

void ttl_command(CommandContext& ctx) { ttl_generic(ctx, TimeUnit::kSeconds, TtlForm::kRemaining); }

void pttl_command(CommandContext& ctx) {
  ttl_generic(ctx, TimeUnit::kMilliseconds, TtlForm::kRemaining);
}

void expiretime_command(CommandContext& ctx) {
  ttl_generic(ctx, TimeUnit::kSeconds, TtlForm::kAbsolute);
}

void pexpiretime_command(CommandContext& ctx) {
  ttl_generic(ctx, TimeUnit::kMilliseconds, TtlForm::kAbsolute);
}

void persist_command(CommandContext& ctx) {
  core::ItemView item = lookup_write(ctx, 1);
  if (!item || item.expire_at_ms() == core::kNoExpiry) {
    ctx.reply.integer(0);
    return;
  }
  ctx.shard->db(ctx.db).set_expiry(ctx.args[1], ctx.hash(1), core::kNoExpiry, ctx.now_ms);
  ctx.reply.integer(1);
}

}  // namespace tessera::engine
