// Handlers of the key-expiry commands: EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL
// EXPIRETIME PEXPIRETIME PERSIST. Registered by key_commands() (key_commands.cc); internal
// to the engine. Data worker thread.
#pragma once

#include "engine/command.h"

namespace tessera::engine {

void expire_command(CommandContext& ctx);
void pexpire_command(CommandContext& ctx);
void expireat_command(CommandContext& ctx);
void pexpireat_command(CommandContext& ctx);
void ttl_command(CommandContext& ctx);
void pttl_command(CommandContext& ctx);
void expiretime_command(CommandContext& ctx);
void pexpiretime_command(CommandContext& ctx);
void persist_command(CommandContext& ctx);

}  // namespace tessera::engine
