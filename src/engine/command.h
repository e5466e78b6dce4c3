// The command registry: one table of CommandSpec (name, arity, flags, key positions,
// routing, how split parts are joined, handler, docs) from which routing, COMMAND and the
// README's command list are derived. There is no second list of command names anywhere.
//
// Handlers run on a data worker (routing kKey, kMultiKey, kAllShards, kCursor) against that
// worker's Shard, or on the parser thread (kLocal, kConnection) with no shard. They write
// exactly one model value to ctx.reply (reply.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/key_table.h"
#include "protocol/reply.h"

namespace tessera::engine {

class Shard;
struct SessionState;
class ServerView;
struct CrossShardState;

enum class Routing : uint8_t {
  kLocal,       // no keyspace: runs on the parser thread (PING, ECHO, TIME, COMMAND, CONFIG)
  kConnection,  // changes SessionState: runs on the parser thread (HELLO, SELECT, CLIENT)
  kKey,         // one key, at first_key
  kMultiKey,    // keys first_key..last_key by key_step: split per shard, parts joined
  kAllShards,   // every shard runs it, parts joined (DBSIZE, FLUSHALL, KEYS ...)
  kCursor,      // SCAN: the shard is encoded in the cursor
};

// How the replier joins the parts of a command that ran on several shards.
enum class Join : uint8_t {
  kNone,             // single part: forwarded as is
  kArrayInKeyOrder,  // each part is an array with one element per key: MGET
  kSumIntegers,      // DEL, EXISTS, UNLINK, TOUCH, DBSIZE
  kAllOk,            // MSET, FLUSHALL: +OK unless a part failed (first error wins)
  kConcatArrays,     // KEYS
  kAnyNonNull,       // RANDOMKEY: the first non-null part
  kColumnarInKeyOrder,  // TABLE.MGET: per-column packed arrays, rows merged in key order
  kFirstPart,        // every part writes the same reply, or none: memcached's flush_all
};

// Where a command's keys are when their positions depend on the arguments (TABLE.MGET's
// keys follow the word KEYS). Indexes into args; last inclusive; count 0 = no keys.
struct KeySpan {
  size_t first = 0;
  size_t last = 0;
  size_t step = 1;
  bool empty() const { return first == 0; }
};

enum CommandFlags : uint32_t {
  kWrite = 1u << 0,
  kReadOnly = 1u << 1,
  kFast = 1u << 2,
  kAdmin = 1u << 3,
  kNoScript = 1u << 4,
  kLoading = 1u << 5,
  kStale = 1u << 6,
  kAtomicMultiShard = 1u << 7,  // parts on several shards must appear atomic (MSET ...)
  kKeyValuePairs = 1u << 8,     // keys are followed by values (MSET): split keeps pairs
  // Runs on the parser only once every earlier command of its connection is answered, so
  // what it reads or resets (counts the workers publish) includes them: INFO, CONFIG,
  // memcached's stats. Not shown by COMMAND.
  kAfterEarlierCommands = 1u << 9,
};

struct CommandContext {
  std::span<const std::string_view> args;  // args[0] is the command name as sent
  protocol::ReplyWriter& reply;
  int64_t now_ms = 0;
  int db = 0;
  Shard* shard = nullptr;              // set for worker-routed commands
  SessionState* session = nullptr;     // set for kConnection commands
  ServerView* server = nullptr;        // set for kLocal/kConnection commands
  const uint64_t* key_hashes = nullptr;  // optional, parallel to args
  // Set only for one part of a command split across shards under the ticket protocol:
  // the shared state of its prepare/apply steps, and the positions of this part's keys
  // among the whole command's keys.
  CrossShardState* cross = nullptr;
  std::span<const uint32_t> key_positions = {};

  uint64_t hash(size_t arg_index) const {
    return key_hashes ? key_hashes[arg_index] : core::hash_key(args[arg_index]);
  }
};

using CommandHandler = void (*)(CommandContext&);

// A subcommand of a container command (CONFIG GET, CLIENT SETNAME), with its own arity
// (Redis convention, the container's name and the subcommand's both counted).
struct Subcommand {
  std::string_view name;  // lower case
  int arity;
};

struct CommandSpec {
  std::string_view name;  // lower case
  int arity;              // Redis convention: N exact, -N at least N (name included)
  uint32_t flags;
  Routing routing;
  Join join;
  int first_key;  // 0 if none
  int last_key;   // -1 = last argument
  int key_step;
  CommandHandler handler;
  std::string_view group;    // Redis doc group: "string", "generic", "connection", "server"
  std::string_view since;    // Redis version that introduced it
  std::string_view summary;  // one line, for COMMAND DOCS and the README
  std::string_view acl_categories = {};  // e.g. "@write @string @slow"
  // Cross-shard steps (cross_shard.h); null: no prepare, and `handler` is the apply step.
  CommandHandler cross_prepare = nullptr;
  CommandHandler cross_apply = nullptr;
  // kMultiKey only: finds the keys when first_key/last_key/key_step cannot say where they
  // are. An empty span means "no keys": the command then runs on worker 0 unsplit.
  KeySpan (*find_keys)(std::span<const std::string_view> args) = nullptr;
  // kCursor only: which argument is the cursor whose low 8 bits name the shard.
  int cursor_arg = 1;
  // Optional: rewrites the arguments before routing (TABLE.MGET's KEYBLOB becomes KEYS k1 ..
  // kN). Returns "" with `out` empty (unchanged), "" with `out` filled (route `out`, whose
  // views point into args), or an error reply text.
  std::string (*rewrite_args)(std::span<const std::string_view> args, std::vector<std::string_view>& out) = nullptr;
  // Container commands only: their subcommands. Given any argument after the name, the
  // parser refuses an unknown subcommand or a wrong subcommand arity with Redis 7's texts
  // before the handler runs, and INFO commandstats keeps a line per subcommand.
  std::span<const Subcommand> subcommands = {};
  // INFO commandstats line of the command (see command_stat_count). Set by the registry in its
  // own copies, which are what find_command returns; -1 in tables outside it (memcached's
  // commands have their own statistics).
  int stat_slot = -1;
};

// Where a call's keys are: the command's own finder, else its first/last/step positions (a
// negative last counts from the end). Empty when the call names no key.
inline KeySpan key_span(const CommandSpec& spec, std::span<const std::string_view> args) {
  if (spec.find_keys != nullptr) {
    return spec.find_keys(args);
  }
  const auto argc = static_cast<int64_t>(args.size());
  const int64_t last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  if (spec.first_key <= 0 || spec.key_step <= 0 || last < spec.first_key) {
    return {};
  }
  return KeySpan{static_cast<size_t>(spec.first_key), static_cast<size_t>(last), static_cast<size_t>(spec.key_step)};
}

// Looks a command up by name, case-insensitively. Null if unknown.
const CommandSpec* find_command(std::string_view name);
// Every registered command, in registration order.
std::span<const CommandSpec> all_commands();
// INFO commandstats keeps a line per command and per subcommand ("config|get"), numbered
// 0 .. command_stat_count() - 1: the commands in registry order (CommandSpec::stat_slot),
// then the subcommands.
size_t command_stat_count();
std::string_view command_stat_name(size_t slot);
// The slot of subcommand number `sub` of a registered container command.
int subcommand_stat_slot(const CommandSpec& spec, size_t sub);
// Position of `name` (any case) in spec.subcommands, or -1.
int find_subcommand(const CommandSpec& spec, std::string_view name);

// True if `arity` admits `argc` arguments (name included).
inline bool arity_ok(int arity, size_t argc) {
  return arity >= 0 ? argc == static_cast<size_t>(arity) : argc >= static_cast<size_t>(-arity);
}

// Per-family registration: each returns its specs (static storage).
std::span<const CommandSpec> string_commands();
std::span<const CommandSpec> key_commands();
std::span<const CommandSpec> server_commands();
std::span<const CommandSpec> connection_commands();
std::span<const CommandSpec> table_commands();

}  // namespace tessera::engine
