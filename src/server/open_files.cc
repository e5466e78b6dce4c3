// The open-files limit against maxclients (open_files.h), after Redis 7.0's
// adjustOpenFilesLimit, with the same log lines.
#include "server/open_files.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "runtime/lingering_close.h"

namespace tessera::server {
namespace {

constexpr int64_t kRedisReservedFds = 32;  // Redis's CONFIG_MIN_RESERVED_FDS
constexpr int64_t kFdsPerThread = 3;       // ring or epoll, doorbell eventfd, a spare

}  // namespace

int64_t reserved_descriptors(const runtime::Topology& topology) {
  const int64_t threads = topology.thread_count();
  const auto lingering = static_cast<int64_t>(runtime::LingeringSockets::per_thread(topology.repliers)) *
                         static_cast<int64_t>(topology.repliers);
  return kRedisReservedFds + threads * kFdsPerThread + lingering;
}

OpenFilesOutcome raise_open_files_limit(int64_t maxclients, int64_t reserved) {
  OpenFilesOutcome out;
  out.maxclients = maxclients;
  const auto wanted = static_cast<rlim_t>(maxclients + reserved);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
    out.messages.push_back(fmt::format(
        "Unable to obtain the current NOFILE limit ({}), assuming 1024 and setting the max clients "
        "configuration accordingly.",
        std::strerror(errno)));
    out.limit = 1024;
    out.maxclients = std::min<int64_t>(maxclients, 1024 - reserved);
    out.too_low = out.maxclients < 1;
    return out;
  }
  const rlim_t old_limit = limit.rlim_cur;
  out.limit = static_cast<int64_t>(old_limit);
  if (old_limit >= wanted) {
    return out;
  }
  // The highest limit at or below `wanted` the kernel grants. Raising the hard limit as well
  // needs CAP_SYS_RESOURCE; without it the soft limit can still reach the hard one, which is
  // tried next (Redis steps down from `wanted` and stops short of it), then 16 at a time
  // below it, as Redis does.
  rlim_t best = wanted;
  int error = 0;
  while (best > old_limit) {
    rlimit attempt{best, std::max(limit.rlim_max, best)};
    if (setrlimit(RLIMIT_NOFILE, &attempt) == 0) {
      break;
    }
    error = errno;
    if (best > limit.rlim_max) {
      best = limit.rlim_max;
    } else if (best < 16) {
      best = old_limit;
      break;
    } else {
      best -= 16;
    }
  }
  best = std::max(best, old_limit);
  out.limit = static_cast<int64_t>(best);
  if (best >= wanted) {
    out.messages.push_back(fmt::format("Increased maximum number of open files to {} (it was originally set to {}).",
                                       wanted, old_limit));
    return out;
  }
  out.maxclients = static_cast<int64_t>(best) - reserved;
  if (out.maxclients < 1) {
    out.too_low = true;
    out.messages.push_back(fmt::format(
        "Your current 'ulimit -n' of {} is not enough for the server to start. Please increase your open file "
        "limit to at least {}. Exiting.",
        old_limit, wanted));
    return out;
  }
  out.messages.push_back(
      fmt::format("You requested maxclients of {} requiring at least {} max file descriptors.", maxclients, wanted));
  out.messages.push_back(fmt::format("Server can't set maximum open files to {} because of OS error: {}.", wanted,
                                     std::strerror(error)));
  out.messages.push_back(fmt::format(
      "Current maximum open files is {}. maxclients has been reduced to {} to compensate for low ulimit. If you "
      "need higher maxclients increase 'ulimit -n'.",
      best, out.maxclients));
  return out;
}

}  // namespace tessera::server
