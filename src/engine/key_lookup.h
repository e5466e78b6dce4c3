// Keyspace access shared by the command families (string_commands.cc, key_commands.cc):
// lookups that keep ShardStats the way Redis's lookupKeyRead/lookupKeyWrite do (reads count
// keyspace hits and misses, writes do not), the bulk reply of a stored value, and the
// expire-time argument rules of SET/GETEX/SETEX/PSETEX.
//
// Runs on the data worker that owns ctx.shard. No allocation on the success paths.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/key_table.h"
#include "engine/command.h"
#include "engine/errors.h"
#include "engine/shard.h"
#include "engine/string_util.h"

namespace tessera::engine {

// Counts the result of a read as a keyspace hit or miss (INFO keyspace_hits/misses).
inline core::ItemView count_keyspace_lookup(CommandContext& ctx, core::ItemView item) {
  ShardStats& stats = ctx.shard->stats();
  if (item) {
    ++stats.keyspace_hits;
  } else {
    ++stats.keyspace_misses;
  }
  return item;
}

// Lookup for a reading command (GET, MGET, STRLEN, EXISTS, TTL ...): counts a keyspace hit
// or miss. Does not create the database when it was never used.
inline core::ItemView lookup_read(CommandContext& ctx, size_t arg) {
  core::KeyTable* table = ctx.shard->db_if_exists(ctx.db);
  core::ItemView item;
  if (table != nullptr) {
    item = table->find(ctx.args[arg], ctx.hash(arg), ctx.now_ms);
  }
  return count_keyspace_lookup(ctx, item);
}

// Lookup for a writing command (SET NX, INCR, APPEND, EXPIRE ...): no stats.
inline core::ItemView lookup_write(CommandContext& ctx, size_t arg) {
  return ctx.shard->db(ctx.db).find(ctx.args[arg], ctx.hash(arg), ctx.now_ms);
}

// The value of a stored string as a bytes view; an int is formatted into `buf`.
inline std::string_view item_bytes(core::ItemView item, char (&buf)[kInt64TextMax]) {
  if (item.encoding() == core::ValueEncoding::kInt) {
    return {buf, format_int64(buf, item.int_value())};
  }
  return item.raw_value();
}

inline void reply_item(protocol::ReplyWriter& reply, core::ItemView item) {
  char buf[kInt64TextMax];
  reply.bulk(item_bytes(item, buf));
}

// Replies an error whose text has one "%s" (errors.h) filled with `arg`.
inline void reply_error_format(protocol::ReplyWriter& reply, std::string_view format,
                               std::string_view arg) {
  size_t at = format.find("%s");
  std::string text;
  text.reserve(format.size() + arg.size());
  text.append(format.substr(0, at)).append(arg).append(format.substr(at + 2));
  reply.error(text);
}

// How an expire argument is read: SET EX/SETEX count seconds from now, PX/PSETEX
// milliseconds from now, EXAT/PXAT are absolute.
enum class ExpireUnit : uint8_t { kSeconds, kMilliseconds };
enum class ExpireBase : uint8_t { kRelative, kAbsolute };

// Redis's getExpireMillisecondsOrReply: the absolute unix-ms expiry, or nullopt after
// replying "not an integer" or "invalid expire time in '<command>' command" (value <= 0,
// or the unit conversion or the addition of now overflows).
inline std::optional<int64_t> parse_set_expiry(CommandContext& ctx, std::string_view arg,
                                               ExpireUnit unit, ExpireBase base,
                                               std::string_view command) {
  constexpr int64_t kMsPerSecond = 1000;
  std::optional<int64_t> value = parse_int64(arg);
  if (!value) {
    ctx.reply.error(err::kNotInteger);
    return std::nullopt;
  }
  int64_t ms = *value;
  bool valid = ms > 0 && (unit == ExpireUnit::kMilliseconds || ms <= INT64_MAX / kMsPerSecond);
  if (valid && unit == ExpireUnit::kSeconds) {
    ms *= kMsPerSecond;
  }
  if (valid && base == ExpireBase::kRelative) {
    valid = !__builtin_add_overflow(ms, ctx.now_ms, &ms) && ms > 0;
  }
  if (!valid) {
    reply_error_format(ctx.reply, err::kInvalidExpire, command);
    return std::nullopt;
  }
  return ms;
}

}  // namespace tessera::engine
