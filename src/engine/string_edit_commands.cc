// String commands that read or edit a value in place (Redis's t_string.c second half):
// APPEND STRLEN GETRANGE SETRANGE, and the counters INCR DECR INCRBY DECRBY INCRBYFLOAT.
// Edits keep the key's expiry, as Redis's dbOverwrite does.
//
// Called by the data worker owning the key's shard (routing kKey); specs live in
// string_commands.cc. Counters store int64 directly (KeyTable::set_int): no allocation.
// APPEND and SETRANGE edit a value kept out of line in place (KeyTable::grow_value, which
// reserves room as Redis's sds does, so repeated appends cost amortized O(bytes appended));
// a missing key, an int or a small inline value is rebuilt in a temporary string and
// stored whole. Both are bounded by proto-max-bulk-len.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "engine/errors.h"
#include "engine/key_lookup.h"
#include "engine/shard.h"
#include "engine/string_edit_commands.h"
#include "engine/string_util.h"

namespace tessera::engine {
namespace {

// Redis's checkStringLength: `size + append` must not exceed proto-max-bulk-len.
bool check_string_length(CommandContext& ctx, int64_t size, int64_t append) {
  int64_t total = 0;
  if (__builtin_add_overflow(size, append, &total) || total > kProtoMaxBulkLen) {
    ctx.reply.error(err::kStringTooLong);
    return false;
  }
  return true;
}

// Redis's incrDecrCommand: adds `delta` to the integer at args[1] (0 if missing).
void incr_decr(CommandContext& ctx, int64_t delta) {
  core::ItemView item = lookup_write(ctx, 1);
  int64_t value = 0;
  if (item) {
    if (item.encoding() == core::ValueEncoding::kInt) {
      value = item.int_value();
    } else {
      std::optional<int64_t> parsed = parse_int64(item.raw_value());
      if (!parsed) {
        ctx.reply.error(err::kNotInteger);
        return;
      }
      value = *parsed;
    }
  }
  int64_t result = 0;
  if (__builtin_add_overflow(value, delta, &result)) {
    ctx.reply.error(err::kOverflow);
    return;
  }
  ctx.shard->db(ctx.db).set_int(ctx.args[1], ctx.hash(1), result, core::kNoExpiry,
                                core::TtlPolicy::kKeep);
  ctx.reply.integer(result);
}

}  // namespace

void append_command(CommandContext& ctx) {
  std::string_view suffix = ctx.args[2];
  core::ItemView item = lookup_write(ctx, 1);
  core::KeyTable& table = ctx.shard->db(ctx.db);
  if (!item) {
    table.set(ctx.args[1], ctx.hash(1), suffix, core::kNoExpiry);
    ctx.reply.integer(static_cast<int64_t>(suffix.size()));
    return;
  }
  char buf[kInt64TextMax];
  std::string_view old = item_bytes(item, buf);
  if (!check_string_length(ctx, static_cast<int64_t>(old.size()),
                           static_cast<int64_t>(suffix.size()))) {
    return;
  }
  const size_t old_len = old.size();
  const size_t new_len = old_len + suffix.size();
  if (char* grown = table.grow_value(ctx.args[1], ctx.hash(1), new_len)) {
    if (!suffix.empty()) {
      std::memcpy(grown + old_len, suffix.data(), suffix.size());
    }
  } else {
    std::string value;
    value.reserve(new_len);
    value.append(old).append(suffix);
    table.set(ctx.args[1], ctx.hash(1), value, core::kNoExpiry, core::TtlPolicy::kKeep);
  }
  ctx.reply.integer(static_cast<int64_t>(new_len));
}

void strlen_command(CommandContext& ctx) {
  core::ItemView item = lookup_read(ctx, 1);
  ctx.reply.integer(item ? static_cast<int64_t>(item.value_length()) : 0);
}

// GETRANGE key start end: inclusive, negative indexes count from the end; Redis 7's
// clamping, including "both negative and start > end" giving "".
void getrange_command(CommandContext& ctx) {
  std::optional<int64_t> start_arg = parse_int64(ctx.args[2]);
  std::optional<int64_t> end_arg = parse_int64(ctx.args[3]);
  if (!start_arg || !end_arg) {
    ctx.reply.error(err::kNotInteger);
    return;
  }
  core::ItemView item = lookup_read(ctx, 1);
  if (!item) {
    ctx.reply.bulk({});
    return;
  }
  char buf[kInt64TextMax];
  std::string_view value = item_bytes(item, buf);
  const int64_t len = static_cast<int64_t>(value.size());
  int64_t start = *start_arg;
  int64_t end = *end_arg;
  if (start < 0 && end < 0 && start > end) {
    ctx.reply.bulk({});
    return;
  }
  if (start < 0) {
    start += len;
  }
  if (end < 0) {
    end += len;
  }
  start = std::max<int64_t>(start, 0);
  end = std::max<int64_t>(end, 0);
  end = std::min(end, len - 1);
  if (start > end || len == 0) {
    ctx.reply.bulk({});
    return;
  }
  ctx.reply.bulk(value.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

// SETRANGE key offset value: zero-pads as needed; an empty value changes nothing.
void setrange_command(CommandContext& ctx) {
  std::optional<int64_t> offset = parse_int64(ctx.args[2]);
  if (!offset) {
    ctx.reply.error(err::kNotInteger);
    return;
  }
  if (*offset < 0) {
    ctx.reply.error(err::kOffsetOutOfRange);
    return;
  }
  std::string_view patch = ctx.args[3];
  core::ItemView item = lookup_write(ctx, 1);
  char buf[kInt64TextMax];
  std::string_view old = item ? item_bytes(item, buf) : std::string_view{};
  if (patch.empty()) {
    ctx.reply.integer(static_cast<int64_t>(old.size()));
    return;
  }
  if (!check_string_length(ctx, *offset, static_cast<int64_t>(patch.size()))) {
    return;
  }
  const size_t at = static_cast<size_t>(*offset);
  const size_t new_len = std::max(old.size(), at + patch.size());
  core::KeyTable& table = ctx.shard->db(ctx.db);
  if (char* grown = item ? table.grow_value(ctx.args[1], ctx.hash(1), new_len) : nullptr) {
    std::memcpy(grown + at, patch.data(), patch.size());
  } else {
    std::string value(new_len, '\0');
    if (!old.empty()) {
      std::memcpy(value.data(), old.data(), old.size());
    }
    std::memcpy(value.data() + at, patch.data(), patch.size());
    table.set(ctx.args[1], ctx.hash(1), value, core::kNoExpiry, core::TtlPolicy::kKeep);
  }
  ctx.reply.integer(static_cast<int64_t>(new_len));
}

void incr_command(CommandContext& ctx) { incr_decr(ctx, 1); }

void decr_command(CommandContext& ctx) { incr_decr(ctx, -1); }

void incrby_command(CommandContext& ctx) {
  std::optional<int64_t> delta = parse_int64(ctx.args[2]);
  if (!delta) {
    ctx.reply.error(err::kNotInteger);
    return;
  }
  incr_decr(ctx, *delta);
}

void decrby_command(CommandContext& ctx) {
  std::optional<int64_t> delta = parse_int64(ctx.args[2]);
  if (!delta) {
    ctx.reply.error(err::kNotInteger);
    return;
  }
  if (*delta == INT64_MIN) {
    ctx.reply.error(err::kDecrementOverflow);
    return;
  }
  incr_decr(ctx, -*delta);
}

// INCRBYFLOAT key increment: long double arithmetic, result formatted as Redis's
// ld2string(LD_STR_HUMAN) and stored as that text.
void incrbyfloat_command(CommandContext& ctx) {
  core::ItemView item = lookup_write(ctx, 1);
  long double value = 0;
  if (item) {
    if (item.encoding() == core::ValueEncoding::kInt) {
      value = static_cast<long double>(item.int_value());
    } else {
      std::optional<long double> parsed = parse_long_double(item.raw_value());
      if (!parsed) {
        ctx.reply.error(err::kNotFloat);
        return;
      }
      value = *parsed;
    }
  }
  std::optional<long double> incr = parse_long_double(ctx.args[2]);
  if (!incr) {
    ctx.reply.error(err::kNotFloat);
    return;
  }
  value += *incr;
  if (std::isnan(value) || std::isinf(value)) {
    ctx.reply.error(err::kIncrFloatNanInf);
    return;
  }
  char text[kLongDoubleTextMax];
  size_t len = format_long_double(text, value);
  std::string_view result(text, len);
  ctx.shard->db(ctx.db).set(ctx.args[1], ctx.hash(1), result, core::kNoExpiry,
                            core::TtlPolicy::kKeep);
  ctx.reply.bulk(result);
}

}  // namespace tessera::engine
