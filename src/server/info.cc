// INFO: the text of the server, clients, memory, persistence, stats, replication, cpu,
// commandstats, errorstats, cluster and keyspace sections, in Redis 7.0's order and
// "# Section\r\nfield:value\r\n" format, built from the runtime's counters, the workers'
// published gauges and every thread's CommandStats. Persistence, replication and cluster
// report what Tessera is: nothing persisted, a master without replicas, no cluster.
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/command.h"
#include "runtime/cycle_clock.h"
#include "runtime/runtime.h"
#include "runtime/stage_thread.h"
#include "server/server_state.h"
#include "server/version.h"

namespace tessera::server {
namespace {

int64_t resident_bytes() {
  long pages = 0;
  long resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) {
      resident = 0;
    }
    std::fclose(f);
  }
  return static_cast<int64_t>(resident) * sysconf(_SC_PAGESIZE);
}

// Redis's bytesToHuman: "512B", "1.50K", "20.00M", "3.00G" ...
std::string bytes_to_human(int64_t bytes) {
  static constexpr const char* kUnits = "KMGTP";
  const auto n = static_cast<uint64_t>(std::max<int64_t>(bytes, 0));
  if (n < 1024) {
    return fmt::format("{}B", n);
  }
  double value = static_cast<double>(n) / 1024.0;
  for (int unit = 0; unit < 5; ++unit, value /= 1024.0) {
    if (value < 1024.0) {
      return fmt::format("{:.2f}{}", value, kUnits[unit]);
    }
  }
  return fmt::format("{}B", n);
}

int64_t total_system_memory() {
  struct sysinfo info {};
  return sysinfo(&info) == 0 ? static_cast<int64_t>(info.totalram) * info.mem_unit : 0;
}

// Whether INFO with the `requested` sections shows `section` (Redis 7.0's genInfoSectionDict).
bool wants(std::span<const std::string> requested, std::string_view section, bool in_default) {
  if (requested.empty()) {
    return in_default;
  }
  for (const std::string& name : requested) {
    if (name == section || name == "all" || name == "everything" || (name == "default" && in_default)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string ServerState::info_text(std::span<const std::string> sections) {
  auto& rt = *runtime_;
  const auto& counters = rt.counters();
  const auto& topo = rt.topology();
  const int64_t now = runtime::unix_time_ms();
  // Every thread's share of the command and error statistics, summed.
  const size_t stat_slots = engine::command_stat_count();
  std::vector<runtime::CommandStats::CommandTotals> totals(stat_slots);
  std::map<std::string, uint64_t, std::less<>> error_codes;  // sorted, as Redis lists them
  uint64_t total_calls = 0;
  uint64_t error_replies = 0;
  for (uint32_t t = 0; t < rt.thread_count(); ++t) {
    const runtime::CommandStats& stats = rt.thread(t).command_stats();
    for (size_t i = 0; i < stat_slots; ++i) {
      const auto c = stats.command(i);
      totals[i].calls += c.calls;
      totals[i].ticks += c.ticks;
      totals[i].failed += c.failed;
      totals[i].rejected += c.rejected;
      total_calls += c.calls;
    }
    error_replies += stats.error_replies();
    for (size_t i = 0; i < stats.error_code_count(); ++i) {
      error_codes[std::string(stats.error_code_text(i))] += stats.error_code_replies(i);
    }
  }
  std::string out;
  auto header = [&](std::string_view name) {
    if (!out.empty()) {
      out += "\r\n";
    }
    out += fmt::format("# {}\r\n", name);
  };
  if (wants(sections, "server", true)) {
    header("Server");
    out += fmt::format(
        "redis_version:{}\r\ntessera_version:{}\r\nredis_mode:standalone\r\nos:Linux\r\narch_bits:64\r\n"
        "multiplexing_api:{}\r\nprocess_id:{}\r\nrun_id:{}\r\ntcp_port:{}\r\nserver_time_usec:{}\r\n"
        "uptime_in_seconds:{}\r\nuptime_in_days:{}\r\nhz:{}\r\nconfigured_hz:{}\r\nexecutable:tessera-server\r\n"
        "config_file:{}\r\nparsers:{}\r\nworkers:{}\r\nrepliers:{}\r\nthread_layout:{}\r\n",
        kRedisCompatibleVersion, kTesseraVersion, rt.backend_name(), getpid(), run_id_, config_.port, now * 1000,
        (now - started_ms_) / 1000, (now - started_ms_) / 86400000, rt.limits().hz.load(), rt.limits().hz.load(),
        config_.config_file, topo.parsers, topo.workers, topo.repliers,
        topo.layout == runtime::ThreadLayout::kShared ? "shared" : "dedicated");
  }
  if (wants(sections, "clients", true)) {
    header("Clients");
    out += fmt::format("connected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:0\r\n",
                       counters.connected_clients.load(), rt.limits().maxclients.load());
  }
  if (wants(sections, "memory", true)) {
    const int64_t data_bytes = rt.used_memory();
    header("Memory");
    const int64_t rss = resident_bytes();
    const int64_t peak = rt.stats_sampler().note_memory(data_bytes);
    const int64_t system = total_system_memory();
    out += fmt::format(
        "used_memory:{}\r\nused_memory_human:{}\r\nused_memory_rss:{}\r\nused_memory_rss_human:{}\r\n"
        "used_memory_peak:{}\r\nused_memory_peak_human:{}\r\nused_memory_dataset:{}\r\n"
        "total_system_memory:{}\r\ntotal_system_memory_human:{}\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\n"
        "maxmemory_policy:noeviction\r\nmem_fragmentation_ratio:{:.2f}\r\nmem_fragmentation_bytes:{}\r\n"
        "mem_allocator:libc\r\n",
        data_bytes, bytes_to_human(data_bytes), rss, bytes_to_human(rss), peak, bytes_to_human(peak), data_bytes,
        system, bytes_to_human(system),
        // Redis's rss / used_memory; with no data yet there is nothing to divide by.
        data_bytes > 0 ? static_cast<double>(rss) / static_cast<double>(data_bytes) : 0.0, rss - data_bytes);
  }
  if (wants(sections, "persistence", true)) {
    header("Persistence");  // nothing is persisted: never loading, never saving
    out += "loading:0\r\nasync_loading:0\r\nrdb_bgsave_in_progress:0\r\naof_enabled:0\r\n"
           "aof_rewrite_in_progress:0\r\n";
  }
  if (wants(sections, "stats", true)) {
    header("Stats");
    const KeyspaceCounters keyspace = keyspace_counters_since_reset();
    out += fmt::format(
        "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ntotal_net_input_bytes:{}\r\n"
        "total_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\n"
        "keyspace_hits:{}\r\nkeyspace_misses:{}\r\nclient_output_buffer_limit_disconnections:{}\r\n"
        "client_query_buffer_limit_disconnections:{}\r\ntotal_error_replies:{}\r\ninstantaneous_ops_per_sec:{}\r\n"
        "instantaneous_input_kbps:{:.2f}\r\ninstantaneous_output_kbps:{:.2f}\r\n",
        counters.connections_received.load(), total_calls, counters.net_input_bytes.load(),
        counters.net_output_bytes.load(), counters.rejected_connections.load(), keyspace.expired, keyspace.hits,
        keyspace.misses, counters.output_limit_disconnections.load(), counters.query_limit_disconnections.load(),
        error_replies, rt.stats_sampler().ops_per_sec(),
        static_cast<double>(rt.stats_sampler().input_bytes_per_sec()) / 1024.0,
        static_cast<double>(rt.stats_sampler().output_bytes_per_sec()) / 1024.0);
  }
  if (wants(sections, "replication", true)) {
    header("Replication");  // a master without replicas (replication is not built)
    out += fmt::format(
        "role:master\r\nconnected_slaves:0\r\nmaster_failover_state:no-failover\r\nmaster_replid:{}\r\n"
        "master_replid2:0000000000000000000000000000000000000000\r\nmaster_repl_offset:0\r\n"
        "second_repl_offset:-1\r\nrepl_backlog_active:0\r\n",
        run_id_);
  }
  if (wants(sections, "cpu", true)) {
    header("CPU");
    rusage self{};
    rusage children{};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
    out += fmt::format("used_cpu_sys:{:.6f}\r\nused_cpu_user:{:.6f}\r\nused_cpu_sys_children:{:.6f}\r\n"
                       "used_cpu_user_children:{:.6f}\r\n",
                       seconds(self.ru_stime), seconds(self.ru_utime), seconds(children.ru_stime),
                       seconds(children.ru_utime));
  }
  if (wants(sections, "commandstats", false)) {
    header("Commandstats");
    const double ticks_per_usec = runtime::CycleClock::ticks_per_usec();
    for (size_t i = 0; i < stat_slots; ++i) {
      const auto& c = totals[i];
      if (c.calls == 0 && c.failed == 0 && c.rejected == 0) {
        continue;
      }
      const auto usec = static_cast<uint64_t>(static_cast<double>(c.ticks) / ticks_per_usec);
      const double per_call = c.calls == 0 ? 0.0 : static_cast<double>(usec) / static_cast<double>(c.calls);
      out += fmt::format("cmdstat_{}:calls={},usec={},usec_per_call={:.2f},rejected_calls={},failed_calls={}\r\n",
                         engine::command_stat_name(i), c.calls, usec, per_call, c.rejected, c.failed);
    }
  }
  if (wants(sections, "errorstats", true)) {
    header("Errorstats");
    for (const auto& [code, count] : error_codes) {
      if (count > 0) {
        out += fmt::format("errorstat_{}:count={}\r\n", code, count);
      }
    }
  }
  if (wants(sections, "cluster", true)) {
    header("Cluster");
    out += "cluster_enabled:0\r\n";
  }
  if (wants(sections, "keyspace", true)) {
    header("Keyspace");
    for (int db = 0; db < engine::kDatabases; ++db) {
      int64_t keys = 0;
      int64_t expires = 0;
      for (uint32_t w = 0; w < topo.workers; ++w) {
        keys += rt.gauges(w).keys[db].load(std::memory_order_relaxed);
        expires += rt.gauges(w).expires[db].load(std::memory_order_relaxed);
      }
      if (keys > 0) {
        out += fmt::format("db{}:keys={},expires={},avg_ttl=0\r\n", db, keys, expires);
      }
    }
  }
  return out;
}

}  // namespace tessera::server
