// ServerState: CONFIG, CLIENT LIST/KILL and shutdown for the engine; INFO is in info.cc.
#include "server/server_state.h"

#include <signal.h>
#include <unistd.h>

#include <random>

#include <fmt/format.h>

#include "engine/command.h"
#include "runtime/connection.h"
#include "runtime/runtime.h"
#include "runtime/stage_thread.h"
#include "server/config_rewrite.h"
#include "server/open_files.h"

namespace tessera::server {

namespace {

std::string random_run_id() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 40; ++i) {
    id += "0123456789abcdef"[random() % 16];
  }
  return id;
}

}  // namespace

ServerState::ServerState(const Config& config)
    : config_(config), started_ms_(runtime::unix_time_ms()), run_id_(random_run_id()) {}

void ServerState::attach(runtime::Runtime& runtime) {
  runtime_ = &runtime;
  apply_limits(config_);
}

void ServerState::apply_limits(const Config& c) {
  auto& l = runtime_->limits();
  l.proto_max_bulk_len.store(c.proto_max_bulk_len);
  l.client_query_buffer_limit.store(c.client_query_buffer_limit);
  l.output_hard_limit.store(c.client_output_buffer_hard);
  l.output_soft_limit.store(c.client_output_buffer_soft);
  l.output_soft_seconds.store(c.client_output_buffer_soft_seconds);
  l.max_inflight_commands.store(c.client_max_inflight_commands);
  l.maxclients.store(c.maxclients);
  l.hz.store(c.hz);
  l.idle_timeout_seconds.store(c.timeout);
  l.tcp_keepalive_seconds.store(c.tcp_keepalive);
  l.item_size_max.store(c.item_size_max);
}

void ServerState::config_get(std::span<const std::string_view> patterns, protocol::ReplyWriter& out) {
  std::vector<std::pair<std::string, std::string>> pairs;
  {
    std::lock_guard lock(config_mutex_);
    for (auto pattern : patterns) {
      for (auto& kv : server::config_get(config_, pattern)) {
        bool seen = false;
        for (auto& existing : pairs) {
          seen = seen || existing.first == kv.first;
        }
        if (!seen) {
          pairs.push_back(std::move(kv));
        }
      }
    }
  }
  out.map(static_cast<uint32_t>(pairs.size()));
  for (auto& [key, value] : pairs) {
    out.bulk(key);
    out.bulk(value);
  }
}

std::string ServerState::config_set(std::span<const std::string_view> args) {
  std::lock_guard lock(config_mutex_);
  Config changed = config_;
  if (auto error = server::config_set(changed, args)) {
    return *error;
  }
  if (changed.maxclients > config_.maxclients) {
    // Redis 7.0's updateMaxclients: the open-files limit must follow, or the change fails.
    const OpenFilesOutcome files = raise_open_files_limit(changed.maxclients, reserved_descriptors_);
    for (const std::string& message : files.messages) {
      fmt::print(stderr, "tessera: {}\n", message);
    }
    if (files.maxclients < changed.maxclients) {
      return fmt::format(
          "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to "
          "handle the specified number of clients, try with {}",
          std::max<int64_t>(files.maxclients, 0));
    }
  }
  config_ = std::move(changed);
  apply_limits(config_);
  return {};
}

std::string ServerState::config_rewrite() {
  std::lock_guard lock(config_mutex_);
  if (config_.config_file.empty()) {
    return "ERR The server is running without a config file";
  }
  if (auto error = rewrite_config_file(config_.config_file, config_)) {
    return "ERR Rewriting config file: " + *error;
  }
  return {};
}

void ServerState::reset_stats() {
  auto& c = runtime_->counters();
  c.connections_received.store(0);
  c.rejected_connections.store(0);
  for (uint32_t t = 0; t < runtime_->thread_count(); ++t) {
    runtime_->thread(t).command_stats().reset();
  }
  c.net_input_bytes.store(0);
  c.net_output_bytes.store(0);
  c.output_limit_disconnections.store(0);
  c.query_limit_disconnections.store(0);
  const KeyspaceCounters now = keyspace_counters();
  std::lock_guard lock(stats_baseline_mutex_);
  keyspace_baseline_ = now;
}

ServerState::KeyspaceCounters ServerState::keyspace_counters_since_reset() {
  KeyspaceCounters base;
  {
    std::lock_guard lock(stats_baseline_mutex_);
    base = keyspace_baseline_;
  }
  const KeyspaceCounters now = keyspace_counters();
  return {now.expired - base.expired, now.hits - base.hits, now.misses - base.misses};
}

ServerState::KeyspaceCounters ServerState::keyspace_counters() const {
  KeyspaceCounters sum;
  for (uint32_t w = 0; w < runtime_->topology().workers; ++w) {
    const auto& g = runtime_->gauges(w);
    sum.expired += g.expired_keys.load(std::memory_order_relaxed);
    sum.hits += g.keyspace_hits.load(std::memory_order_relaxed);
    sum.misses += g.keyspace_misses.load(std::memory_order_relaxed);
  }
  return sum;
}

std::string ServerState::client_list(uint64_t only_id) {
  std::string text;
  const int64_t now = runtime::unix_time_ms();
  runtime_->registry().for_each(only_id, [&](const runtime::ClientInfo& info) {
    const auto& s = info.session;
    const runtime::Connection& conn = *info.conn;
    int64_t idle_ms = now - conn.last_interaction_ms.load(std::memory_order_relaxed);
    const int32_t last_command = conn.last_command.load(std::memory_order_relaxed);
    text += fmt::format(
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags=N db={} sub=0 psub=0 ssub=0 multi=-1 "
        "qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem={} tot-mem=0 events=r "
        "cmd={} user=default redir=-1 resp={} lib-name={} lib-ver={}\n",
        s.client_id, s.peer, s.local, conn.fd, s.name, (now - s.created_ms) / 1000,
        idle_ms > 0 ? idle_ms / 1000 : 0, s.db, conn.qbuf_bytes.load(std::memory_order_relaxed),
        conn.omem_bytes.load(std::memory_order_relaxed), last_command < 0 ? "NULL" : engine::command_stat_name(
                                                                                 static_cast<size_t>(last_command)),
        static_cast<int>(s.resp), s.lib_name, s.lib_ver);
  });
  return text;
}

engine::ClientKillResult ServerState::client_kill(const engine::ClientKillFilter& filter) {
  return runtime_->registry().kill(filter);
}

void ServerState::publish_session(const engine::SessionState& session) { runtime_->registry().publish(session); }

void ServerState::request_shutdown() {
  // main() waits for SIGTERM with sigwait; the stop is then the same as a signal's.
  kill(getpid(), SIGTERM);
}

int64_t ServerState::now_ms() { return runtime::unix_time_ms(); }

}  // namespace tessera::server
