// The TABLE.* command family (typed columnar tables, ML feature serving): CREATE, DROP,
// LIST, SCHEMA, INFO, UPSERT, MGET, DEL, SCAN, INSERT, and the one table of their specs,
// table_commands(). Storage is core::ColumnTable, one partition per table per shard
// (engine/table_registry.h); replies and batches are in table_format/table_batch.
//
// Routing (all handlers run on data workers):
//   CREATE DROP LIST SCHEMA INFO  every shard (kAllShards); every shard holds every table,
//                                 so LIST/SCHEMA take the first part; INFO sums counters.
//   UPSERT        the key's shard (kKey, key = args[2]).
//   MGET          split by key (kMultiKey, keys found by find_mget_keys); the replier merges
//                 the parts in request order (Join::kColumnarInKeyOrder, table_join.h). A
//                 KEYBLOB is expanded to KEYS before routing (table_key_blob.h).
//   DEL           split by key, counts summed.
//   INSERT        every shard: each validates the whole batch and writes the rows that
//                 hash to it (table_batch.h); counts summed.
//   SCAN          every shard; only the shard named by the cursor's low 8 bits answers,
//                 the others reply null (Join::kAnyNonNull). The runtime routes kCursor by
//                 args[1], which is the table name here; see README "Tables".
//
// Writes do a bounded amount of table maintenance afterwards: expire_step and compact_step
// over at most kMaintenanceRowsPerWrite rows each (so deleted and expired rows are
// reclaimed as the table is written).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "engine/errors.h"
#include "engine/scan_cursor.h"
#include "engine/shard.h"
#include "engine/string_util.h"
#include "engine/table_batch.h"
#include "engine/table_cells.h"
#include "engine/table_format.h"
#include "engine/table_join.h"
#include "engine/table_key_blob.h"

namespace tessera::engine {
namespace {

constexpr size_t kScanDefaultCount = 10;
constexpr size_t kMaintenanceRowsPerWrite = 16;
constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMaxTtlSeconds = INT64_MAX / kMsPerSecond;
constexpr std::string_view kReservedColumnName = "key";  // the row key in JSON batches

// Argument positions shared by several commands.
constexpr size_t kTableArg = 1;
constexpr size_t kUpsertKeyArg = 2;
constexpr size_t kFirstColumnArg = 3;  // after "COLUMNS"

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::string no_such_table(std::string_view name) { return "ERR no such table " + quoted(name); }

// The table named by args[1], or null after replying the error.
Table* table_or_reply(CommandContext& ctx) {
  Table* table = ctx.shard->tables().find(ctx.args[kTableArg]);
  if (table == nullptr) {
    ctx.reply.error(no_such_table(ctx.args[kTableArg]));
  }
  return table;
}

void maintain(core::ColumnTable& table, int64_t now_ms) {
  table.expire_step(now_ms, kMaintenanceRowsPerWrite);
  if (table.holes() != 0) {
    table.compact_step(kMaintenanceRowsPerWrite);
  }
}

// ---- CREATE / DROP / LIST / SCHEMA / INFO ----

// TABLE.CREATE name COLUMNS col type [col type ...] [TTL seconds]. A trailing "TTL x" pair
// is the option unless x is a column type (then it declares a column called TTL).
void create_command(CommandContext& ctx) {
  const auto& args = ctx.args;
  if (!equals_nocase(args[2], "columns")) {
    ctx.reply.error(err::kSyntax);
    return;
  }
  core::Schema schema;
  size_t end = args.size();
  if (end >= kFirstColumnArg + 4 && equals_nocase(args[end - 2], "ttl") && !core::parse_column_type(args[end - 1])) {
    std::optional<int64_t> seconds = parse_int64(args[end - 1]);
    if (!seconds || *seconds <= 0 || *seconds > kMaxTtlSeconds) {
      ctx.reply.error("ERR invalid TTL " + quoted(args[end - 1]) + ": expected a positive number of seconds");
      return;
    }
    schema.set_ttl_ms(*seconds * kMsPerSecond);
    end -= 2;
  }
  if ((end - kFirstColumnArg) % 2 != 0) {
    ctx.reply.error("ERR column " + quoted(args[end - 1]) + " has no type");
    return;
  }
  for (size_t i = kFirstColumnArg; i < end; i += 2) {
    if (args[i] == kReservedColumnName) {
      ctx.reply.error("ERR column name 'key' is reserved for the row key");
      return;
    }
    std::optional<core::ColumnTypeSpec> spec = core::parse_column_type(args[i + 1]);
    if (!spec) {
      ctx.reply.error("ERR unknown type " + quoted(args[i + 1]) + " for column " + quoted(args[i]));
      return;
    }
    if (std::optional<std::string> why = schema.add_column(args[i], *spec)) {
      ctx.reply.error("ERR " + *why);
      return;
    }
  }
  if (!ctx.shard->tables().create(args[kTableArg], std::move(schema))) {
    ctx.reply.error("ERR table " + quoted(args[kTableArg]) + " already exists");
    return;
  }
  ctx.reply.ok();
}

void drop_command(CommandContext& ctx) {
  if (!ctx.shard->tables().drop(ctx.args[kTableArg])) {
    ctx.reply.error(no_such_table(ctx.args[kTableArg]));
    return;
  }
  ctx.reply.ok();
}

void list_command(CommandContext& ctx) {
  TableRegistry& tables = ctx.shard->tables();
  ctx.reply.array(static_cast<uint32_t>(tables.size()));
  tables.for_each([&](std::string_view name, Table&) { ctx.reply.bulk(name); });
}

void schema_command(CommandContext& ctx) {
  if (Table* table = table_or_reply(ctx)) {
    ctx.reply.bulk(schema_json(ctx.args[kTableArg], *table->schema));
  }
}

// TABLE.INFO name: rows (live, including expired rows not yet reclaimed), holes,
// memory_bytes, and per column "bytes:<column>"; summed over shards.
void info_command(CommandContext& ctx) {
  Table* table = table_or_reply(ctx);
  if (table == nullptr) {
    return;
  }
  const core::ColumnTable& rows = table->rows;
  const core::Schema& schema = *table->schema;
  constexpr uint32_t kFixedFields = 3;
  const auto fields = static_cast<uint32_t>(kFixedFields + schema.size());
  const bool as_part = ctx.shard->count() > 1;
  if (as_part) {
    begin_table_part(ctx.reply, TablePartKind::kSums);
    ctx.reply.array(2 * fields);
  } else {
    ctx.reply.map(fields);
  }
  ctx.reply.bulk("rows");
  ctx.reply.integer(static_cast<int64_t>(rows.size()));
  ctx.reply.bulk("holes");
  ctx.reply.integer(static_cast<int64_t>(rows.holes()));
  ctx.reply.bulk("memory_bytes");
  ctx.reply.integer(static_cast<int64_t>(rows.memory_bytes()));
  for (uint32_t c = 0; c < schema.size(); ++c) {
    ctx.reply.bulk("bytes:" + schema.column(c).name);
    ctx.reply.integer(static_cast<int64_t>(rows.column_memory_bytes(c)));
  }
}

// ---- UPSERT / DEL ----

// TABLE.UPSERT name key col value [col value ...]: every value is parsed before anything
// is written. Replies 1 if the row was created, 0 if it existed.
void upsert_command(CommandContext& ctx) {
  const auto& args = ctx.args;
  if ((args.size() - kFirstColumnArg) % 2 != 0) {
    ctx.reply.error("ERR wrong number of arguments for 'table.upsert' command");
    return;
  }
  Table* table = table_or_reply(ctx);
  if (table == nullptr) {
    return;
  }
  const core::Schema& schema = *table->schema;
  struct Pending {
    uint32_t column;
    size_t begin;
    size_t end;
  };
  std::vector<Pending> cells;
  std::string packed;
  std::vector<bool> named(schema.size());
  for (size_t i = kFirstColumnArg; i < args.size(); i += 2) {
    std::optional<uint32_t> column = schema.find(args[i]);
    if (!column) {
      ctx.reply.error("ERR no such column " + quoted(args[i]) + " in table " + quoted(args[kTableArg]));
      return;
    }
    if (named[*column]) {
      ctx.reply.error("ERR duplicate column " + quoted(args[i]));
      return;
    }
    named[*column] = true;
    const core::ColumnTypeSpec spec = schema.column(*column).spec;
    const size_t begin = packed.size();
    if (std::optional<std::string> why = parse_text_cell(spec, args[i + 1], packed)) {
      ctx.reply.error("ERR invalid value for column " + quoted(args[i]) + " (" + core::column_type_name(spec) +
                      "): " + *why);
      return;
    }
    if (packed.size() - begin > core::ColumnTable::kMaxVariableValueBytes) {
      ctx.reply.error("ERR value for column " + quoted(args[i]) + " is too long");
      return;
    }
    cells.push_back(Pending{*column, begin, packed.size()});
  }
  core::ColumnTable& rows = table->rows;
  const std::string_view key = args[kUpsertKeyArg];
  const uint64_t hash = ctx.hash(kUpsertKeyArg);
  const bool existed = rows.find_row(key, hash, ctx.now_ms) != core::kNoRow;
  const uint32_t row = rows.upsert_row(key, hash, ctx.now_ms);
  for (const Pending& cell : cells) {
    rows.set_cell(row, cell.column, std::string_view(packed).substr(cell.begin, cell.end - cell.begin));
  }
  maintain(rows, ctx.now_ms);
  ctx.reply.integer(existed ? 0 : 1);
}

// TABLE.DEL name key [key ...]: rows deleted (this shard's keys).
void del_command(CommandContext& ctx) {
  Table* table = table_or_reply(ctx);
  if (table == nullptr) {
    return;
  }
  int64_t deleted = 0;
  for (size_t i = 2; i < ctx.args.size(); ++i) {
    deleted += table->rows.erase(ctx.args[i], ctx.hash(i), ctx.now_ms) ? 1 : 0;
  }
  maintain(table->rows, ctx.now_ms);
  ctx.reply.integer(deleted);
}

// ---- MGET ----

struct MgetArgs {
  size_t columns_begin = 0;  // args index of the first column
  size_t columns_end = 0;    // one past the last column (the word KEYS or KEYBLOB)
  size_t keys_begin = 0;
  size_t keys_end = 0;         // one past the last key (or the blob)
  std::string_view format;     // empty: COLUMNAR
  bool key_blob = false;       // KEYBLOB <blob> instead of KEYS k1 .. kN
};

// TABLE.MGET name COLUMNS c1 .. cM KEYS k1 .. kN [FORMAT f] (or KEYBLOB blob [FORMAT f]): the
// first "KEYS" or "KEYBLOB" after at least one column ends the columns; a trailing
// "FORMAT f" after at least one key is the option. Nullopt if the shape is wrong.
std::optional<MgetArgs> parse_mget(std::span<const std::string_view> args) {
  constexpr size_t kColumnsWordArg = 2;
  if (args.size() <= kFirstColumnArg || !equals_nocase(args[kColumnsWordArg], "columns")) {
    return std::nullopt;
  }
  MgetArgs m;
  m.columns_begin = kFirstColumnArg;
  for (size_t i = kFirstColumnArg + 1; i < args.size(); ++i) {
    m.key_blob = equals_nocase(args[i], "keyblob");
    if (m.key_blob || equals_nocase(args[i], "keys")) {
      m.columns_end = i;
      break;
    }
  }
  if (m.columns_end == 0) {
    return std::nullopt;
  }
  m.keys_begin = m.columns_end + 1;
  m.keys_end = args.size();
  if (args.size() >= m.keys_begin + 3 && equals_nocase(args[args.size() - 2], "format")) {
    m.format = args.back();
    m.keys_end = args.size() - 2;
  }
  if (m.keys_end <= m.keys_begin) {
    return std::nullopt;
  }
  return m;
}

// The KEYS form only: the runtime has expanded any KEYBLOB (expand_mget_key_blob) before
// it looks for keys or runs the handler.
std::optional<MgetArgs> parse_mget_keys(std::span<const std::string_view> args) {
  std::optional<MgetArgs> m = parse_mget(args);
  return m && !m->key_blob ? m : std::nullopt;
}

KeySpan find_mget_keys(std::span<const std::string_view> args) {
  std::optional<MgetArgs> m = parse_mget_keys(args);
  if (!m) {
    return {};
  }
  return KeySpan{m->keys_begin, m->keys_end - 1, 1};
}

// CommandSpec::rewrite_args of TABLE.MGET: `... KEYBLOB blob [FORMAT f]` becomes
// `... KEYS k1 .. kN [FORMAT f]` in `out`; other shapes leave `out` empty (the handler
// answers a malformed one); anything but one blob after KEYBLOB is a syntax error.
std::string expand_mget_key_blob(std::span<const std::string_view> args, std::vector<std::string_view>& out) {
  std::optional<MgetArgs> m = parse_mget(args);
  if (!m || !m->key_blob) {
    return {};
  }
  if (m->keys_end != m->keys_begin + 1) {
    return std::string(err::kSyntax);
  }
  out.assign(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(m->columns_end));
  out.push_back("KEYS");
  std::string error = decode_key_blob(args[m->keys_begin], out);
  if (!error.empty()) {
    out.clear();
    return error;
  }
  out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(m->keys_end), args.end());  // FORMAT f
  return {};
}

std::optional<ReadFormat> parse_format(std::string_view name) {
  if (name.empty() || equals_nocase(name, "columnar")) {
    return ReadFormat::kColumnar;
  }
  if (equals_nocase(name, "resp")) {
    return ReadFormat::kResp;
  }
  if (equals_nocase(name, "json")) {
    return ReadFormat::kJson;
  }
  return std::nullopt;
}

void mget_command(CommandContext& ctx) {
  std::optional<MgetArgs> m = parse_mget_keys(ctx.args);
  if (!m) {
    ctx.reply.error(err::kSyntax);
    return;
  }
  std::optional<ReadFormat> format = parse_format(m->format);
  if (!format) {
    ctx.reply.error("ERR unknown FORMAT " + quoted(m->format) + " (expected COLUMNAR, RESP or JSON)");
    return;
  }
  Table* table = table_or_reply(ctx);
  if (table == nullptr) {
    return;
  }
  std::vector<uint32_t> columns;
  for (size_t i = m->columns_begin; i < m->columns_end; ++i) {
    std::optional<uint32_t> column = table->schema->find(ctx.args[i]);
    if (!column) {
      ctx.reply.error("ERR no such column " + quoted(ctx.args[i]) + " in table " + quoted(ctx.args[kTableArg]));
      return;
    }
    columns.push_back(*column);
  }
  const size_t n = m->keys_end - m->keys_begin;
  std::vector<uint64_t> hashes(n);
  for (size_t i = 0; i < n; ++i) {
    hashes[i] = ctx.hash(m->keys_begin + i);
  }
  std::vector<uint32_t> rows(n);
  table->rows.lookup_rows(ctx.args.subspan(m->keys_begin, n), hashes, ctx.now_ms, rows, columns);
  write_table_read(ctx.reply, TableRead{table->rows, columns, rows}, *format, !ctx.key_positions.empty());
}

// ---- SCAN ----

// The runtime routes TABLE.SCAN (Routing::kCursor) to the shard its cursor names.
constexpr int kScanCursorArg = 2;

// TABLE.SCAN name cursor [COUNT n]: [next cursor, [keys]] as SCAN; the cursor is
// (ColumnTable::scan cursor << 8) | shard.
void scan_command(CommandContext& ctx) {
  const auto& args = ctx.args;
  constexpr size_t kCursorArg = kScanCursorArg;
  std::optional<uint64_t> cursor = parse_cursor(args[kCursorArg]);
  if (!cursor) {
    ctx.reply.error(err::kInvalidCursor);
    return;
  }
  size_t count = kScanDefaultCount;
  for (size_t i = kCursorArg + 1; i < args.size(); i += 2) {
    if (!equals_nocase(args[i], "count") || i + 1 >= args.size()) {
      ctx.reply.error(err::kSyntax);
      return;
    }
    std::optional<int64_t> n = parse_int64(args[i + 1]);
    if (!n) {
      ctx.reply.error(err::kNotInteger);
      return;
    }
    if (*n < 1) {
      ctx.reply.error(err::kSyntax);
      return;
    }
    count = static_cast<size_t>(*n);
  }
  Table* table = table_or_reply(ctx);
  if (table == nullptr) {
    return;
  }
  if ((*cursor & kCursorShardMask) % ctx.shard->count() != ctx.shard->id()) {
    ctx.reply.error(err::kInvalidCursor);  // the runtime routes a valid cursor to its shard
    return;
  }
  std::vector<std::string_view> keys;
  uint64_t inner = table->rows.scan(*cursor >> kCursorShardBits, count, ctx.now_ms,
                                    [&](uint32_t, std::string_view key) { keys.push_back(key); });
  reply_scan_page(ctx.reply, inner << kCursorShardBits, ctx.shard->id(), ctx.shard->id() + 1, ctx.shard->count(),
                  keys);
}

// ---- INSERT ----

// TABLE.INSERT name JSON|COLUMNAR batch: rows written on this shard (summed by the join).
void insert_command(CommandContext& ctx) {
  constexpr size_t kFormatArg = 2;
  constexpr size_t kBatchArg = 3;
  Table* table = table_or_reply(ctx);
  if (table == nullptr) {
    return;
  }
  const Shard& shard = *ctx.shard;
  size_t written = 0;
  if (equals_nocase(ctx.args[kFormatArg], "json")) {
    Parsed<JsonBatch> batch = parse_json_batch(*table->schema, ctx.args[kBatchArg]);
    if (!batch.ok()) {
      ctx.reply.error(batch.error);
      return;
    }
    written = apply_json_batch(table->rows, batch.value, shard.id(), shard.count(), ctx.now_ms);
  } else if (equals_nocase(ctx.args[kFormatArg], "columnar")) {
    Parsed<ColumnarBatch> batch = parse_columnar_batch(*table->schema, ctx.args[kBatchArg]);
    if (!batch.ok()) {
      ctx.reply.error(batch.error);
      return;
    }
    written = apply_columnar_batch(table->rows, batch.value, shard.id(), shard.count(), ctx.now_ms);
  } else {
    ctx.reply.error("ERR unknown batch format " + quoted(ctx.args[kFormatArg]) + " (expected JSON or COLUMNAR)");
    return;
  }
  maintain(table->rows, ctx.now_ms);
  ctx.reply.integer(static_cast<int64_t>(written));
}

constexpr uint32_t kReadFast = kReadOnly | kFast;

constexpr CommandSpec kTableCommands[] = {
    {"table.create", -5, kWrite, Routing::kAllShards, Join::kAllOk, 0, 0, 0, create_command, "table", "0.1.0",
     "Creates a typed columnar table.", "@write @slow"},
    {"table.drop", 2, kWrite, Routing::kAllShards, Join::kAllOk, 0, 0, 0, drop_command, "table", "0.1.0",
     "Deletes a table and all its rows.", "@write @slow"},
    {"table.list", 1, kReadOnly, Routing::kAllShards, Join::kNone, 0, 0, 0, list_command, "table", "0.1.0",
     "Returns the names of all tables.", "@read @slow"},
    {"table.schema", 2, kReadOnly, Routing::kAllShards, Join::kNone, 0, 0, 0, schema_command, "table", "0.1.0",
     "Returns a table's columns and TTL as JSON.", "@read @slow"},
    {"table.info", 2, kReadOnly, Routing::kAllShards, Join::kColumnarInKeyOrder, 0, 0, 0, info_command, "table",
     "0.1.0", "Returns a table's row count and memory use per column.", "@read @slow"},
    {"table.upsert", -5, kWrite | kFast, Routing::kKey, Join::kNone, 2, 2, 1, upsert_command, "table", "0.1.0",
     "Sets some columns of one row, creating the row if needed.", "@write @fast"},
    {"table.mget", -6, kReadFast, Routing::kMultiKey, Join::kColumnarInKeyOrder, 0, 0, 0, mget_command, "table",
     "0.1.0", "Reads columns of many rows as packed columnar arrays, RESP rows or JSON.", "@read @fast",
     nullptr, nullptr, find_mget_keys, 1, expand_mget_key_blob},
    {"table.del", -3, kWrite, Routing::kMultiKey, Join::kSumIntegers, 2, -1, 1, del_command, "table", "0.1.0",
     "Deletes rows by key.", "@write @slow"},
    {"table.scan", -3, kReadOnly, Routing::kCursor, Join::kNone, 0, 0, 0, scan_command, "table", "0.1.0",
     "Iterates over the keys of a table.", "@read @slow", nullptr, nullptr, nullptr, kScanCursorArg},
    {"table.insert", 4, kWrite, Routing::kAllShards, Join::kSumIntegers, 0, 0, 0, insert_command, "table", "0.1.0",
     "Writes a batch of rows given as JSON or as a binary columnar batch, all or nothing.", "@write @slow"},
};

}  // namespace

std::span<const CommandSpec> table_commands() { return kTableCommands; }

}  // namespace tessera::engine
