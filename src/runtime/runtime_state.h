// State shared by every stage thread of one server: the limits CONFIG SET may change, the
// client registry, server-wide counters and per-shard gauges published for INFO.
//
// Thread safety: limits and counters are relaxed atomics (a changed limit applies to the
// next check on each thread). The registry is guarded by its mutex, taken only on connect,
// close, session changes and admin commands, never per command.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/server_view.h"
#include "engine/session.h"
#include "engine/shard.h"
#include "runtime/spsc_ring.h"

namespace tessera::runtime {

struct Connection;

struct RuntimeLimits {
  std::atomic<int64_t> proto_max_bulk_len{512LL * 1024 * 1024};
  std::atomic<int64_t> client_query_buffer_limit{1024LL * 1024 * 1024};
  std::atomic<int64_t> output_hard_limit{256LL * 1024 * 1024};
  std::atomic<int64_t> output_soft_limit{64LL * 1024 * 1024};
  std::atomic<int64_t> output_soft_seconds{60};
  std::atomic<int64_t> max_inflight_commands{16384};
  std::atomic<int64_t> maxclients{10000};
  std::atomic<int64_t> hz{10};
  std::atomic<int64_t> idle_timeout_seconds{0};  // 0 = never
  std::atomic<int64_t> tcp_keepalive_seconds{300};  // 0 = off
  std::atomic<int64_t> item_size_max{1024 * 1024};  // memcached -I: largest value accepted
};

struct ServerCounters {
  std::atomic<uint64_t> connections_received{0};
  std::atomic<uint64_t> rejected_connections{0};
  std::atomic<uint64_t> net_input_bytes{0};
  std::atomic<uint64_t> net_output_bytes{0};
  std::atomic<uint64_t> output_limit_disconnections{0};
  std::atomic<uint64_t> query_limit_disconnections{0};
  std::atomic<int64_t> connected_clients{0};
};

// Published by a worker after each batch it runs (relaxed; INFO reads them).
struct alignas(kCacheLine) ShardGauges {
  std::atomic<int64_t> keys[engine::kDatabases] = {};
  std::atomic<int64_t> expires[engine::kDatabases] = {};
  std::atomic<int64_t> memory_bytes{0};
  std::atomic<uint64_t> expired_keys{0};
  std::atomic<uint64_t> keyspace_hits{0};
  std::atomic<uint64_t> keyspace_misses{0};
  std::atomic<uint64_t> memcache[engine::kMemcacheCounterCount] = {};
};

struct ClientInfo {
  Connection* conn;
  engine::SessionState session;  // the published copy
};

class ConnectionRegistry {
 public:
  void add(Connection* conn, const engine::SessionState& session);
  // REQUIRES: called before the connection's fd is closed.
  void remove(uint64_t id);
  void publish(const engine::SessionState& session);
  // Calls fn(const ClientInfo&) for each client (or only `only_id` when non-zero) under the lock.
  template <class Fn>
  void for_each(uint64_t only_id, Fn&& fn) {
    std::lock_guard lock(mutex_);
    for (auto& [id, info] : clients_) {
      if (only_id == 0 || id == only_id) {
        fn(info);
      }
    }
  }
  // Marks matching clients killed and shuts their sockets down, except the caller's (the
  // result says whether it matched; its replies are still owed).
  engine::ClientKillResult kill(const engine::ClientKillFilter& filter);
  // Shuts every client's socket down (server shutdown).
  void kill_all();

 private:
  std::mutex mutex_;
  std::unordered_map<uint64_t, ClientInfo> clients_;
};

}  // namespace tessera::runtime
