// memcached's `stats` command: the general, settings, items and slabs groups and `stats
// reset`, built from the runtime's counters and the workers' published gauges. Fields that
// describe memcached internals Tessera does not have (slab classes, LRU segments) get
// plausible fixed values: one slab class holding every item, no evictions. The README lists
// what each group reports.
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "engine/shard.h"
#include "runtime/runtime.h"
#include "server/server_state.h"
#include "server/version.h"

namespace tessera::server {
namespace {

constexpr std::string_view kMemcacheVersion = "1.6.18";
constexpr int kMemcacheDb = 0;
constexpr int64_t kMsPerSecond = 1000;
constexpr double kMicrosPerSecond = 1e6;
// memcached's default -m (64 MiB): reported as limit_maxbytes / maxbytes, which Tessera
// does not enforce.
constexpr int64_t kReportedMaxBytes = 64LL * 1024 * 1024;

double seconds(const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / kMicrosPerSecond; }

}  // namespace

engine::MemcacheStats ServerState::memcache_stats(std::string_view group) {
  auto& rt = *runtime_;
  const uint32_t workers = rt.topology().workers;
  engine::MemcacheCounters counters{};
  int64_t items = 0;
  int64_t bytes = 0;
  for (uint32_t w = 0; w < workers; ++w) {
    const auto& g = rt.gauges(w);
    for (size_t i = 0; i < engine::kMemcacheCounterCount; ++i) {
      counters[i] += g.memcache[i].load(std::memory_order_relaxed);
    }
    items += g.keys[kMemcacheDb].load(std::memory_order_relaxed);
    bytes += g.memory_bytes.load(std::memory_order_relaxed);
  }
  const uint64_t total_connections = rt.counters().connections_received.load(std::memory_order_relaxed);
  engine::MemcacheStats answer;
  if (group == "reset") {
    std::lock_guard lock(stats_baseline_mutex_);
    memcache_baseline_ = counters;
    total_connections_baseline_ = total_connections;
    answer.kind = engine::MemcacheStats::Kind::kReset;
    return answer;
  }
  auto stat = [&](std::string_view name, const auto& value) {
    answer.stats.emplace_back(std::string(name), fmt::format("{}", value));
  };
  const int64_t now = runtime::unix_time_ms();
  if (group.empty()) {
    engine::MemcacheCounters base;
    uint64_t connections_base;
    {
      std::lock_guard lock(stats_baseline_mutex_);
      base = memcache_baseline_;
      connections_base = total_connections_baseline_;
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    stat("pid", getpid());
    stat("uptime", (now - started_ms_) / kMsPerSecond);
    stat("time", now / kMsPerSecond);
    stat("version", kMemcacheVersion);
    stat("tessera_version", kTesseraVersion);
    stat("pointer_size", sizeof(void*) * 8);
    stat("rusage_user", fmt::format("{:.6f}", seconds(usage.ru_utime)));
    stat("rusage_system", fmt::format("{:.6f}", seconds(usage.ru_stime)));
    stat("max_connections", rt.limits().maxclients.load(std::memory_order_relaxed));
    stat("curr_connections", rt.counters().connected_clients.load(std::memory_order_relaxed));
    stat("total_connections", total_connections - connections_base);
    stat("rejected_connections", rt.counters().rejected_connections.load(std::memory_order_relaxed));
    for (size_t i = 0; i < engine::kMemcacheCounterCount; ++i) {
      stat(engine::kMemcacheCounterNames[i], counters[i] - base[i]);
    }
    stat("bytes_read", rt.counters().net_input_bytes.load(std::memory_order_relaxed));
    stat("bytes_written", rt.counters().net_output_bytes.load(std::memory_order_relaxed));
    stat("limit_maxbytes", kReportedMaxBytes);
    stat("threads", rt.thread_count());
    stat("bytes", bytes);
    stat("curr_items", items);
    stat("evictions", 0);
  } else if (group == "settings") {
    std::lock_guard lock(config_mutex_);
    stat("maxbytes", kReportedMaxBytes);
    stat("maxconns", config_.maxclients);
    stat("tcpport", memcached_port_.load());
    stat("udpport", 0);
    stat("inter", config_.bind);
    stat("verbosity", 0);
    stat("evictions", "off");
    stat("num_threads", workers);
    stat("cas_enabled", "yes");
    stat("tcp_backlog", config_.tcp_backlog);
    stat("binding_protocol", "auto-negotiate");
    stat("item_size_max", config_.item_size_max);
    stat("idle_timeout", config_.timeout);
    stat("flush_enabled", "yes");
  } else if (group == "items") {
    if (items > 0) {
      stat("items:1:number", items);
      stat("items:1:age", 0);
      stat("items:1:evicted", 0);
      stat("items:1:outofmemory", 0);
    }
  } else if (group == "slabs") {
    if (items > 0) {
      stat("1:used_chunks", items);
      stat("1:mem_requested", bytes);
    }
    stat("active_slabs", items > 0 ? 1 : 0);
    stat("total_malloced", bytes);
  } else {
    answer.kind = engine::MemcacheStats::Kind::kUnknownGroup;
  }
  return answer;
}

}  // namespace tessera::server
