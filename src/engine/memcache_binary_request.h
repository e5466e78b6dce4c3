// How a memcached binary-protocol packet travels through the command path, like
// memcache_request.h does for text: the parser thread packs a protocol::MemcacheBinaryRequest
// into an argument vector and picks its spec; the data worker's handler reads it back and
// writes binary responses (protocol::write_binary_response) to the reply model.
//
// Argument layout: 0 the command name ("bin:get" ...), 1 MemcacheBinaryParams as raw bytes,
// 2 the key (for keyed opcodes; STAT: its group, possibly empty), 3 the value (storage).
//
// Thread safety: pure functions; `prepare` runs on a parser thread, readers on workers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/command.h"
#include "protocol/memcache_binary.h"

namespace tessera::engine {

struct MemcacheBinaryParams {
  uint8_t opcode = 0;  // as sent: responses echo it
  protocol::MemcacheBinaryOpcode command = protocol::MemcacheBinaryOpcode::kGet;  // the loud form
  bool quiet = false;
  bool value_too_large = false;  // E2BIG from the parser: unlink the key (set), reply the error
  bool has_expiration_extra = false;
  uint32_t opaque = 0;
  uint64_t cas = 0;
  uint32_t client_flags = 0;
  uint32_t exptime = 0;
  uint64_t delta = 0;
  uint64_t initial = 0;
};

// Builds `args` (views into the request and `params_storage`) and returns the spec to run.
// Null for QUIT / QUITQ, which the runtime answers (QUIT only) and then closes.
const CommandSpec* prepare_memcache_binary_command(const protocol::MemcacheBinaryRequest& request,
                                                   std::string& params_storage,
                                                   std::vector<std::string_view>& args);

MemcacheBinaryParams memcache_binary_params(const CommandContext& ctx);

}  // namespace tessera::engine
