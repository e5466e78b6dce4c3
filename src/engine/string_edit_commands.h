// Handlers of the string commands that read or edit a value in place: APPEND STRLEN
// GETRANGE SETRANGE INCR DECR INCRBY DECRBY INCRBYFLOAT. Registered by string_commands()
// (string_commands.cc); internal to the engine. Data worker thread.
#pragma once

#include "engine/command.h"

namespace tessera::engine {

void append_command(CommandContext& ctx);
void strlen_command(CommandContext& ctx);
void getrange_command(CommandContext& ctx);
void setrange_command(CommandContext& ctx);
void incr_command(CommandContext& ctx);
void decr_command(CommandContext& ctx);
void incrby_command(CommandContext& ctx);
void decrby_command(CommandContext& ctx);
void incrbyfloat_command(CommandContext& ctx);

}  // namespace tessera::engine
