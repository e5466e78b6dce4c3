// The handlers of the memcached commands (private to src/engine): text commands in
// memcache_text_commands.cc, meta commands in memcache_meta_commands.cc, the server-level
// ones (version, verbosity, stats, mn) in memcache_request.cc. memcache_spec() maps each
// protocol::MemcacheCommand to its spec and handler.
#pragma once

#include "engine/command.h"

namespace tessera::engine::memcache {

// Text protocol, on the key's worker.
void get(CommandContext& ctx);      // get gets gat gats
void store(CommandContext& ctx);    // set add replace append prepend cas
void remove(CommandContext& ctx);   // delete
void arith(CommandContext& ctx);    // incr decr
void touch(CommandContext& ctx);
void flush_all(CommandContext& ctx);  // every worker

// Meta protocol, on the key's worker.
void meta_get(CommandContext& ctx);
void meta_set(CommandContext& ctx);
void meta_delete(CommandContext& ctx);
void meta_arith(CommandContext& ctx);
void meta_debug(CommandContext& ctx);

// On the parser thread (ctx.server set).
void version(CommandContext& ctx);
void verbosity(CommandContext& ctx);
void stats(CommandContext& ctx);
void meta_noop(CommandContext& ctx);

}  // namespace tessera::engine::memcache
