// INFO: the text of the server, clients, memory, stats, commandstats, errorstats and keyspace
// sections, in Redis's order and "# Section\r\nfield:value\r\n" format, built from the
// runtime's counters, the workers' published gauges and every thread's CommandStats.
#include <sys/resource.h>
#include <unistd.h>

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

bool wants(std::string_view requested, std::string_view section, bool in_default) {
  if (requested.empty() || requested == "default") {
    return in_default;
  }
  return requested == "all" || requested == "everything" || requested == section;
}

}  // namespace

std::string ServerState::info_text(std::string_view section) {
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
  if (wants(section, "server", true)) {
    header("Server");
    out += fmt::format(
        "redis_version:{}\r\ntessera_version:{}\r\nredis_mode:standalone\r\nos:Linux\r\narch_bits:64\r\n"
        "multiplexing_api:{}\r\nprocess_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{}\r\nuptime_in_days:{}\r\n"
        "hz:{}\r\nexecutable:tessera-server\r\nparsers:{}\r\nworkers:{}\r\nrepliers:{}\r\nthread_layout:{}\r\n",
        kRedisCompatibleVersion, kTesseraVersion, rt.backend_name(), getpid(), config_.port,
        (now - started_ms_) / 1000, (now - started_ms_) / 86400000, rt.limits().hz.load(), topo.parsers,
        topo.workers, topo.repliers, topo.layout == runtime::ThreadLayout::kShared ? "shared" : "dedicated");
  }
  if (wants(section, "clients", true)) {
    header("Clients");
    out += fmt::format("connected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:0\r\n",
                       counters.connected_clients.load(), rt.limits().maxclients.load());
  }
  int64_t data_bytes = 0;
  for (uint32_t w = 0; w < topo.workers; ++w) {
    data_bytes += rt.gauges(w).memory_bytes.load(std::memory_order_relaxed);
  }
  if (wants(section, "memory", true)) {
    header("Memory");
    int64_t rss = resident_bytes();
    out += fmt::format(
        "used_memory:{}\r\nused_memory_human:{:.2f}M\r\nused_memory_rss:{}\r\nused_memory_dataset:{}\r\n"
        "maxmemory:0\r\nmaxmemory_policy:noeviction\r\nmem_allocator:libc\r\n",
        data_bytes, static_cast<double>(data_bytes) / (1024.0 * 1024.0), rss, data_bytes);
  }
  if (wants(section, "stats", true)) {
    header("Stats");
    const KeyspaceCounters keyspace = keyspace_counters_since_reset();
    out += fmt::format(
        "total_connections_received:{}\r\ntotal_commands_processed:{}\r\ntotal_net_input_bytes:{}\r\n"
        "total_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:0\r\n"
        "keyspace_hits:{}\r\nkeyspace_misses:{}\r\nclient_output_buffer_limit_disconnections:{}\r\n"
        "client_query_buffer_limit_disconnections:{}\r\ntotal_error_replies:{}\r\n",
        counters.connections_received.load(), total_calls, counters.net_input_bytes.load(),
        counters.net_output_bytes.load(), counters.rejected_connections.load(), keyspace.expired, keyspace.hits,
        keyspace.misses, counters.output_limit_disconnections.load(), counters.query_limit_disconnections.load(),
        error_replies);
  }
  if (wants(section, "commandstats", false)) {
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
  if (wants(section, "errorstats", true)) {
    header("Errorstats");
    for (const auto& [code, count] : error_codes) {
      if (count > 0) {
        out += fmt::format("errorstat_{}:count={}\r\n", code, count);
      }
    }
  }
  if (wants(section, "keyspace", true)) {
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
