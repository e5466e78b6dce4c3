// Runtime: builds the stage threads for a topology (P parsers, D workers, R repliers, either
// one role set per thread -- "shared" -- or one role per thread -- "dedicated"), wires one
// SPSC ring per (producer thread, consumer thread) pair, owns the listening sockets' hand-off
// and the shared state (limits, registry, counters), and stops everything gracefully.
//
// Thread safety: construct, start and join on the main thread. Accessors used by stage
// threads are const after start() or atomics.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/byte_transform.h"
#include "runtime/client_protocol.h"
#include "runtime/io_backend.h"
#include "runtime/runtime_state.h"
#include "runtime/stats_sampler.h"
#include "runtime/transaction.h"

namespace tessera::engine {
class ServerView;
}

namespace tessera::runtime {

class StageThread;

enum class ThreadLayout { kShared, kDedicated };

struct Topology {
  uint32_t parsers = 1;
  uint32_t workers = 1;
  uint32_t repliers = 1;
  ThreadLayout layout = ThreadLayout::kShared;
  IoBackendKind backend = IoBackendKind::kEpoll;
  // Empty polls before a thread parks. Each poll is one non-blocking I/O wait.
  uint32_t spin_iterations = 0;
  size_t ring_capacity = 4096;

  // Stage threads: shared, one per role index up to the largest count; dedicated, one per role.
  uint32_t thread_count() const {
    return layout == ThreadLayout::kShared ? std::max({parsers, workers, repliers}) : parsers + workers + repliers;
  }
};

class Runtime final : public engine::ShardDirectory {
 public:
  Runtime(const Topology& topology, engine::ServerView& server);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // REQUIRES: before start(). The socket is listening and non-blocking; connections
  // accepted on it speak `protocol`.
  void add_listener(int fd, ClientProtocol protocol);
  // REQUIRES: before start(). Installs per-connection transforms (the TLS seam).
  void set_transform_factory(TransformFactory factory) { transform_factory_ = std::move(factory); }
  const TransformFactory& transform_factory() const { return transform_factory_; }
  void start();
  // Graceful stop: stop accepting and reading, answer what was already read, close.
  // Safe from any thread (signal handling thread, SHUTDOWN).
  void request_stop();
  // Waits for every stage thread; returns once all connections are closed (or the
  // shutdown grace period passed).
  void join();

  const Topology& topology() const { return topology_; }
  RuntimeLimits& limits() { return limits_; }
  ServerCounters& counters() { return counters_; }
  ConnectionRegistry& registry() { return registry_; }
  engine::ServerView& server() { return server_; }
  ShardGauges& gauges(uint32_t worker) { return gauges_[worker]; }
  // engine::ShardDirectory, from the key counts the workers publish (ShardGauges).
  bool may_hold_keys(uint32_t shard, int db) const override {
    return gauges_[shard].keys[db].load(std::memory_order_relaxed) != 0;
  }
  // INFO's used_memory: the bytes the workers last published for their tables, summed.
  int64_t used_memory() const;
  TicketBoard& tickets() { return tickets_; }
  StatsSampler& stats_sampler() { return stats_sampler_; }
  // Takes one sample of the running totals (commands, network bytes, used memory) for INFO's
  // instantaneous rates. REQUIRES: worker 0's thread, as the sampler has one writer. O(threads
  // x commands).
  void sample_stats(int64_t now_ms);
  // Wakes every worker thread that is parked (a ticket completed: stalled sources may run).
  void wake_workers();
  uint32_t thread_count() const { return static_cast<uint32_t>(threads_.size()); }
  StageThread& thread(uint32_t i) { return *threads_[i]; }
  const char* backend_name() const;

  // Role -> thread maps.
  uint32_t parser_thread(uint32_t parser) const { return parser_thread_[parser]; }
  uint32_t worker_thread(uint32_t worker) const { return worker_thread_[worker]; }
  uint32_t replier_thread(uint32_t replier) const { return replier_thread_[replier]; }

  bool stopping() const { return stopping_.load(std::memory_order_acquire); }
  int64_t stop_deadline_ms() const { return stop_deadline_ms_.load(std::memory_order_relaxed); }
  uint64_t next_client_id() { return next_client_id_.fetch_add(1, std::memory_order_relaxed); }
  // Round-robin choice of parser and replier for a new connection.
  uint32_t next_parser() { return static_cast<uint32_t>(rr_parser_.fetch_add(1) % topology_.parsers); }
  uint32_t next_replier() { return static_cast<uint32_t>(rr_replier_.fetch_add(1) % topology_.repliers); }

 private:
  Topology topology_;
  engine::ServerView& server_;
  RuntimeLimits limits_;
  ServerCounters counters_;
  ConnectionRegistry registry_;
  TicketBoard tickets_;
  StatsSampler stats_sampler_;
  TransformFactory transform_factory_;
  std::unique_ptr<ShardGauges[]> gauges_;
  std::vector<std::unique_ptr<StageThread>> threads_;
  std::vector<uint32_t> parser_thread_;
  std::vector<uint32_t> worker_thread_;
  std::vector<uint32_t> replier_thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> stop_deadline_ms_{0};
  std::atomic<uint64_t> next_client_id_{1};
  std::atomic<uint64_t> rr_parser_{0};
  std::atomic<uint64_t> rr_replier_{0};
};

// Wall clock in unix milliseconds (CLOCK_REALTIME).
int64_t unix_time_ms();

}  // namespace tessera::runtime
