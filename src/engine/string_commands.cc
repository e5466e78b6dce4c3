// The string command family, as Redis's t_string.c: GET SET SETNX SETEX PSETEX MGET MSET
// MSETNX GETSET GETDEL GETEX (this file) and the in-place edits APPEND STRLEN GETRANGE
// SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT (string_edit_commands.cc), plus the one
// table of their CommandSpecs, string_commands().
//
// Called by the data worker that owns the key's shard (routing kKey), or with only this
// shard's keys for the split multi-key commands (MGET, MSET, MSETNX). Replies and error
// texts are Redis 7.0's. GET and SET are the hot path: no allocation beyond the table's.
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/command.h"
#include "engine/cross_shard.h"
#include "engine/errors.h"
#include "engine/key_lookup.h"
#include "engine/shard.h"
#include "engine/string_edit_commands.h"
#include "engine/string_util.h"

namespace tessera::engine {
namespace {

// The options of SET and GETEX (Redis's OBJ_SET_* / OBJ_PERSIST / OBJ_EX ... flags).
enum SetOption : uint32_t {
  kOptNx = 1u << 0,
  kOptXx = 1u << 1,
  kOptGet = 1u << 2,
  kOptKeepTtl = 1u << 3,
  kOptPersist = 1u << 4,
  kOptEx = 1u << 5,
  kOptPx = 1u << 6,
  kOptExAt = 1u << 7,
  kOptPxAt = 1u << 8,
};
constexpr uint32_t kAnyExpireOption = kOptEx | kOptPx | kOptExAt | kOptPxAt;

enum class OptionsOf : uint8_t { kSet, kGetEx };

struct SetOptions {
  uint32_t flags = 0;
  std::string_view expire;  // the argument after EX/PX/EXAT/PXAT
};

// Redis's parseExtendedStringArgumentsOrReply, with its combination rules: NX/XX exclude
// each other, KEEPTTL/PERSIST exclude any expiry, the four expiry forms exclude each other
// (repeating the same one is allowed, last wins). Replies "syntax error" and returns
// false on any violation.
bool parse_set_options(CommandContext& ctx, size_t first, OptionsOf kind, SetOptions& out) {
  const auto& args = ctx.args;
  const bool for_set = kind == OptionsOf::kSet;
  uint32_t& f = out.flags;
  for (size_t j = first; j < args.size(); ++j) {
    std::string_view opt = args[j];
    const bool has_next = j + 1 < args.size();
    // Expiry option `self` is accepted unless a conflicting option is already set.
    auto expiry_allowed = [&](uint32_t self) {
      return !(f & (kOptKeepTtl | kOptPersist | (kAnyExpireOption & ~self))) && has_next;
    };
    uint32_t expiry = 0;
    if (equals_nocase(opt, "nx") && !(f & kOptXx) && for_set) {
      f |= kOptNx;
    } else if (equals_nocase(opt, "xx") && !(f & kOptNx) && for_set) {
      f |= kOptXx;
    } else if (equals_nocase(opt, "get") && for_set) {
      f |= kOptGet;
    } else if (equals_nocase(opt, "keepttl") && !(f & (kOptPersist | kAnyExpireOption)) &&
               for_set) {
      f |= kOptKeepTtl;
    } else if (equals_nocase(opt, "persist") && !for_set &&
               !(f & (kAnyExpireOption | kOptKeepTtl))) {
      f |= kOptPersist;
    } else if (equals_nocase(opt, "ex")) {
      expiry = kOptEx;
    } else if (equals_nocase(opt, "px")) {
      expiry = kOptPx;
    } else if (equals_nocase(opt, "exat")) {
      expiry = kOptExAt;
    } else if (equals_nocase(opt, "pxat")) {
      expiry = kOptPxAt;
    } else {
      ctx.reply.error(err::kSyntax);
      return false;
    }
    if (expiry != 0) {
      if (!expiry_allowed(expiry)) {
        ctx.reply.error(err::kSyntax);
        return false;
      }
      f |= expiry;
      out.expire = args[++j];
    }
  }
  return true;
}

// The absolute expiry an option set asks for (kNoExpiry if none), or nullopt after
// replying the error.
std::optional<int64_t> option_expiry(CommandContext& ctx, const SetOptions& opts,
                                     std::string_view command) {
  if (!(opts.flags & kAnyExpireOption)) {
    return core::kNoExpiry;
  }
  const ExpireUnit unit =
      (opts.flags & (kOptEx | kOptExAt)) ? ExpireUnit::kSeconds : ExpireUnit::kMilliseconds;
  const ExpireBase base =
      (opts.flags & (kOptEx | kOptPx)) ? ExpireBase::kRelative : ExpireBase::kAbsolute;
  return parse_set_expiry(ctx, opts.expire, unit, base, command);
}

// How SET-like commands acknowledge: SET replies +OK / null when NX/XX blocks it,
// SETNX replies 1 / 0.
enum class SetReply : uint8_t { kOkOrNull, kOneOrZero };

// Redis's setGenericCommand: args[1] is the key, `value` the new value.
void set_generic(CommandContext& ctx, const SetOptions& opts, std::string_view value,
                 std::string_view command, SetReply style) {
  std::optional<int64_t> expire_at = option_expiry(ctx, opts, command);
  if (!expire_at) {
    return;
  }
  core::ItemView existing;
  if (opts.flags & kOptGet) {
    existing = lookup_read(ctx, 1);
    if (existing) {
      reply_item(ctx.reply, existing);  // copied into the reply before the table changes
    } else {
      ctx.reply.null();
    }
  } else if (opts.flags & (kOptNx | kOptXx | kOptKeepTtl)) {
    // KEEPTTL needs it too: the lookup deletes a key whose time has passed, whose expiry
    // must not be kept for the new value (it would be born expired).
    existing = lookup_write(ctx, 1);
  }
  const bool found = static_cast<bool>(existing);
  if (((opts.flags & kOptNx) && found) || ((opts.flags & kOptXx) && !found)) {
    if (!(opts.flags & kOptGet)) {
      if (style == SetReply::kOkOrNull) {
        ctx.reply.null();
      } else {
        ctx.reply.integer(0);
      }
    }
    return;
  }
  const core::TtlPolicy ttl =
      (opts.flags & kOptKeepTtl) ? core::TtlPolicy::kKeep : core::TtlPolicy::kReplace;
  ctx.shard->db(ctx.db).set(ctx.args[1], ctx.hash(1), value, *expire_at, ttl);
  if (!(opts.flags & kOptGet)) {
    if (style == SetReply::kOkOrNull) {
      ctx.reply.ok();
    } else {
      ctx.reply.integer(1);
    }
  }
}

void get_command(CommandContext& ctx) {
  core::ItemView item = lookup_read(ctx, 1);
  if (item) {
    reply_item(ctx.reply, item);
  } else {
    ctx.reply.null();
  }
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
void set_command(CommandContext& ctx) {
  SetOptions opts;
  if (!parse_set_options(ctx, 3, OptionsOf::kSet, opts)) {
    return;
  }
  set_generic(ctx, opts, ctx.args[2], "set", SetReply::kOkOrNull);
}

void setnx_command(CommandContext& ctx) {
  set_generic(ctx, SetOptions{kOptNx, {}}, ctx.args[2], "setnx", SetReply::kOneOrZero);
}

// SETEX key seconds value
void setex_command(CommandContext& ctx) {
  set_generic(ctx, SetOptions{kOptEx, ctx.args[2]}, ctx.args[3], "setex", SetReply::kOkOrNull);
}

// PSETEX key milliseconds value
void psetex_command(CommandContext& ctx) {
  set_generic(ctx, SetOptions{kOptPx, ctx.args[2]}, ctx.args[3], "psetex",
              SetReply::kOkOrNull);
}

// GETSET key value: replies the old value; the new one has no expiry.
void getset_command(CommandContext& ctx) {
  set_generic(ctx, SetOptions{kOptGet, {}}, ctx.args[2], "getset", SetReply::kOkOrNull);
}

void getdel_command(CommandContext& ctx) {
  core::ItemView item = lookup_read(ctx, 1);
  if (!item) {
    ctx.reply.null();
    return;
  }
  reply_item(ctx.reply, item);
  ctx.shard->db(ctx.db).erase(ctx.args[1], ctx.hash(1), ctx.now_ms);
}

// GETEX key [EX s|PX ms|EXAT ts|PXAT ms-ts|PERSIST]. As in Redis, a missing key replies
// null before the expiry argument is validated, and an absolute expiry in the past
// deletes the key after replying its value.
void getex_command(CommandContext& ctx) {
  SetOptions opts;
  if (!parse_set_options(ctx, 2, OptionsOf::kGetEx, opts)) {
    return;
  }
  core::ItemView item = lookup_read(ctx, 1);
  if (!item) {
    ctx.reply.null();
    return;
  }
  std::optional<int64_t> expire_at = option_expiry(ctx, opts, "getex");
  if (!expire_at) {
    return;
  }
  reply_item(ctx.reply, item);
  core::KeyTable& table = ctx.shard->db(ctx.db);
  if ((opts.flags & (kOptExAt | kOptPxAt)) && *expire_at <= ctx.now_ms) {
    table.erase(ctx.args[1], ctx.hash(1), ctx.now_ms);
  } else if (opts.flags & kAnyExpireOption) {
    table.set_expiry(ctx.args[1], ctx.hash(1), *expire_at, ctx.now_ms);
  } else if (opts.flags & kOptPersist) {
    table.set_expiry(ctx.args[1], ctx.hash(1), core::kNoExpiry, ctx.now_ms);
  }
}

// MGET key...: one element per key given (the runtime joins shards in key order).
void mget_command(CommandContext& ctx) {
  const size_t keys = ctx.args.size() - 1;
  ctx.reply.array(static_cast<uint32_t>(keys));
  for (size_t i = 1; i <= keys; ++i) {
    core::ItemView item = lookup_read(ctx, i);
    if (item) {
      reply_item(ctx.reply, item);
    } else {
      ctx.reply.null();
    }
  }
}

// Key/value pairs must come whole: "MSET a" or "MSET a 1 b" is an arity error.
bool check_pairs(CommandContext& ctx, std::string_view command) {
  if (ctx.args.size() % 2 == 0) {
    reply_error_format(ctx.reply, err::kWrongArity, command);
    return false;
  }
  return true;
}

void set_pairs(CommandContext& ctx) {
  core::KeyTable& table = ctx.shard->db(ctx.db);
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    table.set(ctx.args[i], ctx.hash(i), ctx.args[i + 1], core::kNoExpiry);
  }
}

void mset_command(CommandContext& ctx) {
  if (!check_pairs(ctx, "mset")) {
    return;
  }
  set_pairs(ctx);
  ctx.reply.ok();
}

// MSETNX: sets every pair only if none of the keys exists. Across shards the runtime's
// atomic multi-shard ordering must make the existence check span all parts.
void msetnx_command(CommandContext& ctx) {
  if (!check_pairs(ctx, "msetnx")) {
    return;
  }
  for (size_t i = 1; i + 1 < ctx.args.size(); i += 2) {
    if (lookup_write(ctx, i)) {
      ctx.reply.integer(0);
      return;
    }
  }
  set_pairs(ctx);
  ctx.reply.integer(1);
}

constexpr uint32_t kReadFast = kReadOnly | kFast;
constexpr uint32_t kWriteFast = kWrite | kFast;
constexpr uint32_t kMultiWrite = kWrite | kAtomicMultiShard | kKeyValuePairs;

constexpr CommandSpec kStringCommands[] = {
    {"get", 2, kReadFast, Routing::kKey, Join::kNone, 1, 1, 1, get_command, "string", "1.0.0",
     "Returns the string value of a key.", "@read @string @fast"},
    {"set", -3, kWrite, Routing::kKey, Join::kNone, 1, 1, 1, set_command, "string", "1.0.0",
     "Sets the string value of a key, ignoring its type. The key is created if it doesn't "
     "exist.",
     "@write @string @slow"},
    {"setnx", 3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, setnx_command, "string",
     "1.0.0", "Set the string value of a key only when the key doesn't exist.",
     "@write @string @fast"},
    {"setex", 4, kWrite, Routing::kKey, Join::kNone, 1, 1, 1, setex_command, "string", "2.0.0",
     "Sets the string value and expiration time of a key. Creates the key if it doesn't "
     "exist.",
     "@write @string @slow"},
    {"psetex", 4, kWrite, Routing::kKey, Join::kNone, 1, 1, 1, psetex_command, "string",
     "2.6.0",
     "Sets both string value and expiration time in milliseconds of a key. The key is "
     "created if it doesn't exist.",
     "@write @string @slow"},
    {"mget", -2, kReadFast, Routing::kMultiKey, Join::kArrayInKeyOrder, 1, -1, 1, mget_command,
     "string", "1.0.0", "Atomically returns the string values of one or more keys.",
     "@read @string @fast"},
    {"mset", -3, kMultiWrite, Routing::kMultiKey, Join::kAllOk, 1, -1, 2, mset_command,
     "string", "1.0.1", "Atomically creates or modifies the string values of one or more keys.",
     "@write @string @slow"},
    // Across shards, every part runs msetnx_prepare (existence check) before any runs
    // msetnx_apply, and all parts reply the same value: Join::kNone forwards the first.
    {"msetnx", -3, kMultiWrite, Routing::kMultiKey, Join::kNone, 1, -1, 2, msetnx_command,
     "string", "1.0.1",
     "Atomically modifies the string values of one or more keys only when all keys don't "
     "exist.",
     "@write @string @slow", msetnx_prepare, msetnx_apply},
    {"getset", 3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, getset_command, "string",
     "1.0.0", "Returns the previous string value of a key after setting it to a new value.",
     "@write @string @fast"},
    {"getdel", 2, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, getdel_command, "string",
     "6.2.0", "Returns the string value of a key after deleting the key.",
     "@write @string @fast"},
    {"getex", -2, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, getex_command, "string",
     "6.2.0", "Returns the string value of a key after setting its expiration time.",
     "@write @string @fast"},
    {"append", 3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, append_command, "string",
     "2.0.0", "Appends a string to the value of a key. Creates the key if it doesn't exist.",
     "@write @string @fast"},
    {"strlen", 2, kReadFast, Routing::kKey, Join::kNone, 1, 1, 1, strlen_command, "string",
     "2.2.0", "Returns the length of a string value.", "@read @string @fast"},
    {"getrange", 4, kReadOnly, Routing::kKey, Join::kNone, 1, 1, 1, getrange_command, "string",
     "2.4.0", "Returns a substring of the string stored at a key.", "@read @string @slow"},
    {"setrange", 4, kWrite, Routing::kKey, Join::kNone, 1, 1, 1, setrange_command, "string",
     "2.2.0",
     "Overwrites a part of a string value with another by an offset. Creates the key if it "
     "doesn't exist.",
     "@write @string @slow"},
    {"incr", 2, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, incr_command, "string",
     "1.0.0",
     "Increments the integer value of a key by one. Uses 0 as initial value if the key "
     "doesn't exist.",
     "@write @string @fast"},
    {"decr", 2, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, decr_command, "string",
     "1.0.0",
     "Decrements the integer value of a key by one. Uses 0 as initial value if the key "
     "doesn't exist.",
     "@write @string @fast"},
    {"incrby", 3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, incrby_command, "string",
     "1.0.0",
     "Increments the integer value of a key by a number. Uses 0 as initial value if the key "
     "doesn't exist.",
     "@write @string @fast"},
    {"decrby", 3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, decrby_command, "string",
     "1.0.0",
     "Decrements a number from the integer value of a key. Uses 0 as initial value if the "
     "key doesn't exist.",
     "@write @string @fast"},
    {"incrbyfloat", 3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, incrbyfloat_command,
     "string", "2.6.0",
     "Increment the floating point value of a key by a number. Uses 0 as initial value if "
     "the key doesn't exist.",
     "@write @string @fast"},
};

}  // namespace

std::span<const CommandSpec> string_commands() { return kStringCommands; }

}  // namespace tessera::engine
