// Topology choice: flags and config win; unset counts and the I/O backend are derived from
// the machine (core count, whether io_uring is allowed here).
#pragma once

#include "runtime/runtime.h"
#include "server/config.h"

namespace tessera::server {

runtime::Topology choose_topology(const Config& config, unsigned cores);

}  // namespace tessera::server
