// Default topology, chosen from measurements on a 2-core machine (README "Benchmarks"):
// with few cores the client needs a core too, and every cross-thread hand-off costs a
// wake-up, so one thread hosting every stage wins; larger machines get one shared thread
// per core minus one.
#include "server/topology.h"

#include <algorithm>

namespace tessera::server {

runtime::Topology choose_topology(const Config& config, unsigned cores) {
  runtime::Topology t;
  const uint32_t auto_threads = cores <= 2 ? 1u : std::max(1u, cores - 1);
  t.parsers = config.parsers > 0 ? static_cast<uint32_t>(config.parsers) : auto_threads;
  t.workers = config.workers > 0 ? static_cast<uint32_t>(config.workers) : auto_threads;
  t.repliers = config.repliers > 0 ? static_cast<uint32_t>(config.repliers) : auto_threads;
  t.layout = config.thread_layout == ThreadLayout::kDedicated ? runtime::ThreadLayout::kDedicated
                                                              : runtime::ThreadLayout::kShared;
  t.spin_iterations = static_cast<uint32_t>(config.spin_polls);
  switch (config.io_backend) {
    case IoBackend::kIoUring:
      t.backend = runtime::IoBackendKind::kIoUring;
      break;
    case IoBackend::kEpoll:
      t.backend = runtime::IoBackendKind::kEpoll;
      break;
    case IoBackend::kAuto:
      t.backend = runtime::io_uring_available() ? runtime::IoBackendKind::kIoUring : runtime::IoBackendKind::kEpoll;
      break;
  }
  return t;
}

}  // namespace tessera::server
