// ServerState: the server layer's implementation of engine::ServerView: CONFIG GET/SET over
// the Config table (mutable keys are mirrored into the runtime's atomic limits), INFO text,
// the client list, and shutdown requests.
//
// Thread safety: called from any parser thread. The Config copy is guarded by config_mutex_
// (CONFIG is rare); everything else reads atomics or the registry (its own lock).
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "engine/memcache_counters.h"
#include "engine/server_view.h"
#include "server/config.h"

namespace tessera::runtime {
class Runtime;
}

namespace tessera::server {

class ServerState final : public engine::ServerView {
 public:
  explicit ServerState(const Config& config);
  // REQUIRES: called once, before the runtime starts.
  void attach(runtime::Runtime& runtime);

  void config_get(std::span<const std::string_view> patterns, protocol::ReplyWriter& out) override;
  std::string config_set(std::span<const std::string_view> args) override;
  std::string config_rewrite() override;
  void reset_stats() override;
  std::string info_text(std::span<const std::string> sections) override;
  std::string client_list(uint64_t only_id) override;
  engine::ClientKillResult client_kill(const engine::ClientKillFilter& filter) override;
  void publish_session(const engine::SessionState& session) override;
  void request_shutdown() override;
  int64_t now_ms() override;
  engine::MemcacheStats memcache_stats(std::string_view group) override;
  // Descriptors the server keeps besides its clients (open_files.h): what CONFIG SET
  // maxclients must leave room for when it raises the open-files limit. Set by main.
  void set_reserved_descriptors(int64_t n) { reserved_descriptors_ = n; }
  // The memcached port actually bound (for `stats settings`); set by main after binding.
  void set_memcached_port(int port) { memcached_port_ = port; }

 private:
  void apply_limits(const Config& config);
  // INFO's keyspace counters, summed over the workers' gauges.
  struct KeyspaceCounters {
    uint64_t expired = 0;
    uint64_t hits = 0;
    uint64_t misses = 0;
  };
  KeyspaceCounters keyspace_counters() const;
  // The same, counted from the last CONFIG RESETSTAT (counters only grow: no underflow).
  KeyspaceCounters keyspace_counters_since_reset();

  std::mutex config_mutex_;
  Config config_;
  int64_t reserved_descriptors_ = 0;
  runtime::Runtime* runtime_ = nullptr;
  int64_t started_ms_;
  // 40 random hex digits drawn at startup: INFO's run_id, and master_replid as a master
  // without replicas (Redis draws them apart; nothing here tells them apart).
  const std::string run_id_;
  std::atomic<int> memcached_port_{0};
  // Counter values at the last reset (workers own the live counters): memcached's
  // `stats reset` for the first two, CONFIG RESETSTAT for the keyspace counters.
  std::mutex stats_baseline_mutex_;
  engine::MemcacheCounters memcache_baseline_{};
  uint64_t total_connections_baseline_ = 0;
  KeyspaceCounters keyspace_baseline_;
};

}  // namespace tessera::server
