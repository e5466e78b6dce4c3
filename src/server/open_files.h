// The open-files limit against maxclients, as Redis's adjustOpenFilesLimit: every client is
// a descriptor, and the server needs some of its own. At startup (and when CONFIG SET raises
// maxclients) the soft RLIMIT_NOFILE is raised toward maxclients + the reserve, up to the
// hard limit; when that is not enough, maxclients is lowered to what the limit allows, with
// Redis's warnings. Without this, a default `ulimit -n` of 1024 would make accept fail with
// EMFILE long before maxclients.
//
// Thread safety: raise_open_files_limit changes a process-wide limit; call it from one
// thread at a time (startup, or under the config lock).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/runtime.h"

namespace tessera::server {

// Descriptors the server keeps besides its clients: Redis's 32 (standard streams, log,
// listeners, a CONFIG REWRITE temp file ...), each stage thread's ring or epoll and doorbell,
// and the sockets in their lingering close.
int64_t reserved_descriptors(const runtime::Topology& topology);

struct OpenFilesOutcome {
  int64_t maxclients = 0;             // what the limit allows, at most the one asked for
  int64_t limit = 0;                  // the soft limit now in force
  std::vector<std::string> messages;  // Redis's log lines for what happened (may be empty)
  bool too_low = false;               // not even the reserve fits: the server cannot start
};

// Raises the soft limit to maxclients + reserved if it is lower (as far as the hard limit
// and the kernel allow) and says how many clients it then allows.
OpenFilesOutcome raise_open_files_limit(int64_t maxclients, int64_t reserved);

}  // namespace tessera::server
