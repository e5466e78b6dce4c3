// The generic keyspace commands, as Redis's db.c: DEL UNLINK EXISTS TOUCH TYPE KEYS SCAN
// RANDOMKEY RENAME RENAMENX DBSIZE FLUSHDB FLUSHALL, and the one table of their specs plus
// the expiry commands' (handlers in expire_commands.cc), key_commands().
//
// Called by data workers: multi-key commands receive only this shard's keys and the
// replier sums the parts; KEYS, RANDOMKEY, DBSIZE and FLUSH* run on every shard; SCAN runs
// on the shard named by its cursor (below). RENAME/RENAMENX get both keys on this shard
// (the runtime orders them as atomic multi-shard commands).
//
// SCAN cursor: the low 8 bits name the shard, the rest is KeyTable::scan's cursor, which is
// a position in hash order (keys with hash >= cursor are still to come). Masking its low 8
// bits moves that position back, never forward, so it can only repeat keys whose hash lies
// in the masked-off range, never skip one. Each call advances until the masked cursor has
// strictly grown, so a scan always makes progress.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/glob.h"
#include "engine/command.h"
#include "engine/cross_shard.h"
#include "engine/errors.h"
#include "engine/expire_commands.h"
#include "engine/key_lookup.h"
#include "engine/scan_cursor.h"
#include "engine/shard.h"
#include "engine/string_util.h"

namespace tessera::engine {
namespace {

constexpr int64_t kScanDefaultCount = 10;    // Redis's default COUNT
constexpr std::string_view kStringTypeName = "string";
constexpr std::string_view kNoneTypeName = "none";

void del_command(CommandContext& ctx) {
  int64_t deleted = 0;
  core::KeyTable* table = ctx.shard->db_if_exists(ctx.db);
  if (table != nullptr) {
    for (size_t i = 1; i < ctx.args.size(); ++i) {
      deleted += table->erase(ctx.args[i], ctx.hash(i), ctx.now_ms) ? 1 : 0;
    }
  }
  ctx.reply.integer(deleted);
}

// EXISTS and TOUCH: how many of the given keys exist (a repeated key counts each time).
void count_existing(CommandContext& ctx) {
  int64_t found = 0;
  for (size_t i = 1; i < ctx.args.size(); ++i) {
    found += lookup_read(ctx, i) ? 1 : 0;
  }
  ctx.reply.integer(found);
}

void type_command(CommandContext& ctx) {
  ctx.reply.simple(lookup_read(ctx, 1) ? kStringTypeName : kNoneTypeName);
}

// KEYS pattern: this shard's live keys matching the glob. Cost: one pass over the table.
void keys_command(CommandContext& ctx) {
  std::string_view pattern = ctx.args[1];
  const bool match_all = pattern == "*";
  std::vector<std::string_view> keys;
  core::KeyTable* table = ctx.shard->db_if_exists(ctx.db);
  if (table != nullptr && table->size() != 0) {
    uint64_t cursor = 0;
    do {
      cursor = table->scan(cursor, table->size(), ctx.now_ms, [&](core::ItemView item) {
        if (match_all || core::glob_match(pattern, item.key())) {
          keys.push_back(item.key());
        }
      });
    } while (cursor != 0);
  }
  ctx.reply.array(static_cast<uint32_t>(keys.size()));
  for (std::string_view key : keys) {
    ctx.reply.bulk(key);
  }
}

struct ScanOptions {
  size_t count = kScanDefaultCount;
  std::string_view pattern;  // empty: no MATCH or MATCH *
  std::string_view type;     // empty: no TYPE
};

// Redis's scanGenericCommand option loop. Nullopt after replying the error.
std::optional<ScanOptions> parse_scan_options(CommandContext& ctx) {
  ScanOptions opts;
  const auto& args = ctx.args;
  for (size_t i = 2; i < args.size(); i += 2) {
    const bool has_value = i + 1 < args.size();
    if (equals_nocase(args[i], "count") && has_value) {
      std::optional<int64_t> count = parse_int64(args[i + 1]);
      if (!count) {
        ctx.reply.error(err::kNotInteger);
        return std::nullopt;
      }
      if (*count < 1) {
        ctx.reply.error(err::kSyntax);
        return std::nullopt;
      }
      opts.count = static_cast<size_t>(*count);
    } else if (equals_nocase(args[i], "match") && has_value) {
      opts.pattern = args[i + 1] == "*" ? std::string_view{} : args[i + 1];
    } else if (equals_nocase(args[i], "type") && has_value) {
      opts.type = args[i + 1];
    } else {
      ctx.reply.error(err::kSyntax);
      return std::nullopt;
    }
  }
  return opts;
}

// SCAN cursor [MATCH pattern] [COUNT n] [TYPE t]. An unknown TYPE matches nothing (Redis
// 7.0 does not reject it). See the top of the file for the cursor encoding.
void scan_command(CommandContext& ctx) {
  std::optional<uint64_t> cursor = parse_cursor(ctx.args[1]);
  if (!cursor) {
    ctx.reply.error(err::kInvalidCursor);
    return;
  }
  std::optional<ScanOptions> opts = parse_scan_options(ctx);
  if (!opts) {
    return;
  }
  const bool type_ok = opts->type.empty() || equals_nocase(opts->type, kStringTypeName);
  const uint64_t start = *cursor & ~kCursorShardMask;
  std::vector<std::string_view> keys;
  uint64_t inner = 0;
  core::KeyTable* table = ctx.shard->db_if_exists(ctx.db);
  if (table != nullptr) {
    inner = start;
    // Continue until the masked cursor has moved past `start` (or the table is done), so
    // that the next call cannot restart at the same place.
    do {
      inner = table->scan(inner, opts->count, ctx.now_ms, [&](core::ItemView item) {
        if (type_ok && (opts->pattern.empty() || core::glob_match(opts->pattern, item.key()))) {
          keys.push_back(item.key());
        }
      });
    } while (inner != 0 && (inner & ~kCursorShardMask) <= start);
  }
  reply_scan_page(ctx.reply, inner & ~kCursorShardMask, ctx.shard->id(), ctx.shard->next_shard_with_keys(ctx.db),
                  ctx.shard->count(), keys);
}

// A per-thread splitmix64 stream for RANDOMKEY (quality need only be "uniform-ish").
uint64_t next_random() {
  constexpr uint64_t kGamma = 0x9E3779B97F4A7C15ull;
  thread_local uint64_t state = kGamma;
  uint64_t z = (state += kGamma);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void randomkey_command(CommandContext& ctx) {
  core::KeyTable* table = ctx.shard->db_if_exists(ctx.db);
  core::ItemView item;
  if (table != nullptr) {
    item = table->random_item(next_random(), ctx.now_ms);
  }
  if (item) {
    ctx.reply.bulk(item.key());
  } else {
    ctx.reply.null();
  }
}

enum class RenameMode : uint8_t { kOverwrite, kOnlyIfNew };

// Redis's renameGenericCommand. The value and the expiry move to the new name.
void rename_generic(CommandContext& ctx, RenameMode mode) {
  const bool nx = mode == RenameMode::kOnlyIfNew;
  if (!lookup_write(ctx, 1)) {
    ctx.reply.error(err::kNoSuchKey);
    return;
  }
  if (ctx.args[1] == ctx.args[2]) {
    if (nx) {
      ctx.reply.integer(0);
    } else {
      ctx.reply.ok();
    }
    return;
  }
  if (nx && lookup_write(ctx, 2)) {
    ctx.reply.integer(0);
    return;
  }
  // Looked up again: the destination lookup may have reclaimed an expired key, which
  // invalidates earlier views.
  core::KeyTable& table = ctx.shard->db(ctx.db);
  core::ItemView item = table.find(ctx.args[1], ctx.hash(1), ctx.now_ms);
  const int64_t expire_at = item.expire_at_ms();
  if (item.encoding() == core::ValueEncoding::kInt) {
    const int64_t value = item.int_value();
    table.erase(ctx.args[1], ctx.hash(1), ctx.now_ms);
    table.set_int(ctx.args[2], ctx.hash(2), value, expire_at);
  } else {
    std::string value(item.raw_value());
    table.erase(ctx.args[1], ctx.hash(1), ctx.now_ms);
    table.set(ctx.args[2], ctx.hash(2), value, expire_at);
  }
  if (nx) {
    ctx.reply.integer(1);
  } else {
    ctx.reply.ok();
  }
}

void rename_command(CommandContext& ctx) { rename_generic(ctx, RenameMode::kOverwrite); }

void renamenx_command(CommandContext& ctx) { rename_generic(ctx, RenameMode::kOnlyIfNew); }

void dbsize_command(CommandContext& ctx) {
  core::KeyTable* table = ctx.shard->db_if_exists(ctx.db);
  ctx.reply.integer(table != nullptr ? static_cast<int64_t>(table->size()) : 0);
}

// FLUSHDB/FLUSHALL [ASYNC|SYNC]: both modes free synchronously here. False after replying
// "syntax error".
bool check_flush_mode(CommandContext& ctx) {
  if (ctx.args.size() > 2 ||
      (ctx.args.size() == 2 && !equals_nocase(ctx.args[1], "sync") &&
       !equals_nocase(ctx.args[1], "async"))) {
    ctx.reply.error(err::kSyntax);
    return false;
  }
  return true;
}

void flushdb_command(CommandContext& ctx) {
  if (!check_flush_mode(ctx)) {
    return;
  }
  if (core::KeyTable* table = ctx.shard->db_if_exists(ctx.db)) {
    table->clear();
  }
  ctx.reply.ok();
}

void flushall_command(CommandContext& ctx) {
  if (!check_flush_mode(ctx)) {
    return;
  }
  for (int db = 0; db < kDatabases; ++db) {
    if (core::KeyTable* table = ctx.shard->db_if_exists(db)) {
      table->clear();
    }
  }
  ctx.reply.ok();
}

constexpr uint32_t kReadFast = kReadOnly | kFast;
constexpr uint32_t kWriteFast = kWrite | kFast;

constexpr CommandSpec kKeyCommands[] = {
    {"del", -2, kWrite, Routing::kMultiKey, Join::kSumIntegers, 1, -1, 1, del_command,
     "generic", "1.0.0", "Deletes one or more keys.", "@keyspace @write @slow"},
    {"unlink", -2, kWriteFast, Routing::kMultiKey, Join::kSumIntegers, 1, -1, 1, del_command,
     "generic", "4.0.0", "Asynchronously deletes one or more keys.", "@keyspace @write @fast"},
    {"exists", -2, kReadFast, Routing::kMultiKey, Join::kSumIntegers, 1, -1, 1,
     count_existing, "generic", "1.0.0", "Determines whether one or more keys exist.",
     "@keyspace @read @fast"},
    {"touch", -2, kReadFast, Routing::kMultiKey, Join::kSumIntegers, 1, -1, 1, count_existing,
     "generic", "3.2.1",
     "Returns the number of existing keys out of those specified after updating the time "
     "they were last accessed.",
     "@keyspace @read @fast"},
    {"type", 2, kReadFast, Routing::kKey, Join::kNone, 1, 1, 1, type_command, "generic",
     "1.0.0", "Determines the type of value stored at a key.", "@keyspace @read @fast"},
    {"keys", 2, kReadOnly, Routing::kAllShards, Join::kConcatArrays, 0, 0, 0, keys_command,
     "generic", "1.0.0", "Returns all key names that match a pattern.",
     "@keyspace @read @slow @dangerous"},
    {"scan", -2, kReadOnly, Routing::kCursor, Join::kNone, 0, 0, 0, scan_command, "generic",
     "2.8.0", "Iterates over the key names in the database.", "@keyspace @read @slow"},
    {"randomkey", 1, kReadOnly, Routing::kAllShards, Join::kAnyNonNull, 0, 0, 0,
     randomkey_command, "generic", "1.0.0", "Returns a random key name from the database.",
     "@keyspace @read @slow"},
    {"rename", 3, kWrite | kAtomicMultiShard, Routing::kMultiKey, Join::kNone, 1, 2, 1,
     rename_command, "generic", "1.0.0", "Renames a key and overwrites the destination.",
     "@keyspace @write @slow", rename_prepare, rename_apply},
    {"renamenx", 3, kWriteFast | kAtomicMultiShard, Routing::kMultiKey, Join::kNone, 1, 2, 1,
     renamenx_command, "generic", "1.0.0",
     "Renames a key only when the target key name doesn't exist.", "@keyspace @write @fast",
     renamenx_prepare, renamenx_apply},
    {"expire", -3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, expire_command, "generic",
     "1.0.0", "Sets the expiration time of a key in seconds.", "@keyspace @write @fast"},
    {"pexpire", -3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, pexpire_command,
     "generic", "2.6.0", "Sets the expiration time of a key in milliseconds.",
     "@keyspace @write @fast"},
    {"expireat", -3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, expireat_command,
     "generic", "1.2.0", "Sets the expiration time of a key to a Unix timestamp.",
     "@keyspace @write @fast"},
    {"pexpireat", -3, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, pexpireat_command,
     "generic", "2.6.0",
     "Sets the expiration time of a key to a Unix milliseconds timestamp.",
     "@keyspace @write @fast"},
    {"ttl", 2, kReadFast, Routing::kKey, Join::kNone, 1, 1, 1, ttl_command, "generic", "1.0.0",
     "Returns the expiration time in seconds of a key.", "@keyspace @read @fast"},
    {"pttl", 2, kReadFast, Routing::kKey, Join::kNone, 1, 1, 1, pttl_command, "generic",
     "2.6.0", "Returns the expiration time in milliseconds of a key.",
     "@keyspace @read @fast"},
    {"expiretime", 2, kReadFast, Routing::kKey, Join::kNone, 1, 1, 1, expiretime_command,
     "generic", "7.0.0", "Returns the expiration time of a key as a Unix timestamp.",
     "@keyspace @read @fast"},
    {"pexpiretime", 2, kReadFast, Routing::kKey, Join::kNone, 1, 1, 1, pexpiretime_command,
     "generic", "7.0.0",
     "Returns the expiration time of a key as a Unix milliseconds timestamp.",
     "@keyspace @read @fast"},
    {"persist", 2, kWriteFast, Routing::kKey, Join::kNone, 1, 1, 1, persist_command, "generic",
     "2.2.0", "Removes the expiration time of a key.", "@keyspace @write @fast"},
    {"dbsize", 1, kReadFast, Routing::kAllShards, Join::kSumIntegers, 0, 0, 0, dbsize_command,
     "server", "1.0.0", "Returns the number of keys in the database.",
     "@keyspace @read @fast"},
    {"flushdb", -1, kWrite, Routing::kAllShards, Join::kAllOk, 0, 0, 0, flushdb_command,
     "server", "1.0.0", "Removes all keys from the current database.",
     "@keyspace @write @slow @dangerous"},
    {"flushall", -1, kWrite, Routing::kAllShards, Join::kAllOk, 0, 0, 0, flushall_command,
     "server", "1.0.0", "Removes all keys from all databases.",
     "@keyspace @write @slow @dangerous"},
};

}  // namespace

std::span<const CommandSpec> key_commands() { return kKeyCommands; }

}  // namespace tessera::engine
