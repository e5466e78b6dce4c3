// The HELP reply of a container command (CLIENT, COMMAND, CONFIG), in Redis's addReplyHelp
// layout: a header naming the container, the given lines, then the HELP entry, each line a
// status reply. The lines list only what Tessera supports.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "engine/string_util.h"
#include "protocol/reply.h"

namespace tessera::engine {

inline void write_help(protocol::ReplyWriter& out, std::string_view container,
                       std::span<const std::string_view> lines) {
  const std::string header = ascii_uppercase(container) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:";
  out.array(static_cast<uint32_t>(lines.size() + 3));
  out.simple(header);
  for (std::string_view line : lines) {
    out.simple(line);
  }
  out.simple("HELP");
  out.simple("    Prints this help.");
}

}  // namespace tessera::engine
