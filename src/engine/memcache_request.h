// How a parsed memcached request travels through the command path: the parser thread turns
// a protocol::MemcacheRequest into the same argument vector every command uses, picks its
// CommandSpec, and the data worker's handler reads it back.
//
// Argument layout (indexes into CommandContext::args):
//   0  the command name as memcached spells it ("get", "ms" ...)
//   1  MemcacheParams, the request's numeric fields, as raw bytes
//   2  the key (get/gets/gat/gats: every key from here on)
//   then, for meta commands, each flag token as sent ("T30", "O123", "v"), in request order
//   (replies echo return flags in that order); for storage commands (set ... cas, ms) the
//   data block last.
// Keys sit at kMemcacheFirstKey so the multi-key machinery (split by shard, joined in key
// order) serves `get k1 k2 ...` exactly as it serves MGET.
//
// Thread safety: pure functions; `prepare` runs on a parser thread, the readers on workers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "protocol/memcache_parser.h"

namespace tessera::engine {

inline constexpr size_t kMemcacheParamsArg = 1;
inline constexpr size_t kMemcacheFirstKey = 2;

// The numeric part of a request (trivially copyable: it travels as one argument's bytes).
struct MemcacheParams {
  protocol::MemcacheCommand command = protocol::MemcacheCommand::kGet;
  bool noreply = false;          // text: "noreply"; meta: the q flag
  bool value_too_large = false;  // the parser rejected the value: unlink the key, reply the error
  bool base64_key = false;       // meta b
  bool has_exptime = false;      // flush_all: a delay was given
  char mode = 0;                 // meta M
  uint32_t client_flags = 0;     // storage commands; meta F
  uint32_t verbosity = 0;
  int64_t exptime = 0;           // text exptime / flush_all delay; meta T
  uint64_t cas_unique = 0;       // text cas; meta C
  uint64_t new_cas = 0;          // meta E
  uint64_t delta = 0;            // incr/decr; meta D
  uint64_t initial = 0;          // meta J
  int64_t vivify_ttl = 0;        // meta N
  int64_t recache_ttl = 0;       // meta R
  uint64_t meta_present = 0;     // protocol::meta_flag_bit of each meta flag sent
  uint32_t meta_tokens = 0;      // meta flag tokens after the key

  bool has(char flag) const { return (meta_present & protocol::meta_flag_bit(flag)) != 0; }
};

// The spec of a memcached command (text, meta or binary): only routing, join, key position
// and handler matter, since the runtime dispatches by spec and never by name or arity. A
// kMultiKey command's keys run from `first_key` to the last argument.
constexpr CommandSpec memcache_command_spec(std::string_view name, Routing routing, Join join, int first_key,
                                            CommandHandler handler, uint32_t flags = 0) {
  return CommandSpec{name,    -1, flags, routing, join, first_key, routing == Routing::kMultiKey ? -1 : first_key,
                     first_key != 0 ? 1 : 0, handler, "memcached", "", ""};
}

// Builds `args` (views into the request and into `params_storage`, which must outlive the
// dispatch) and returns the spec to run. Null for `quit`, which the runtime handles by
// closing the connection.
const CommandSpec* prepare_memcache_command(const protocol::MemcacheRequest& request, std::string& params_storage,
                                            std::vector<std::string_view>& args);

// REQUIRES: ctx.args was built by prepare_memcache_command.
MemcacheParams memcache_params(const CommandContext& ctx);

// Meta flag tokens of a request, as sent: args after the key, before the data block.
std::span<const std::string_view> memcache_meta_tokens(const CommandContext& ctx, const MemcacheParams& params);

// The specs of the memcached commands, indexed by protocol::MemcacheCommand. They are not
// in the Redis registry (all_commands): a RESP client cannot reach them.
const CommandSpec& memcache_spec(protocol::MemcacheCommand command);

}  // namespace tessera::engine
