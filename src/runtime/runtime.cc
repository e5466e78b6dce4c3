// Runtime: topology wiring, start and graceful stop. See runtime.h.
#include "runtime/runtime.h"

#include <time.h>

#include <algorithm>

#include "engine/command.h"
#include "runtime/cycle_clock.h"
#include "runtime/stage_thread.h"

namespace tessera::runtime {

namespace {
constexpr int64_t kShutdownGraceMs = 5000;
}

int64_t unix_time_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

Runtime::Runtime(const Topology& topology, engine::ServerView& server)
    : topology_(topology), server_(server), gauges_(std::make_unique<ShardGauges[]>(topology.workers)) {
  const uint32_t count = topology_.thread_count();
  for (uint32_t i = 0; i < count; ++i) {
    threads_.push_back(std::make_unique<StageThread>(*this, i));
  }
  for (auto& t : threads_) {
    t->create_inbound_rings(count, topology_.ring_capacity);
  }
  uint32_t next = 0;
  auto place = [&](uint32_t n, std::vector<uint32_t>& map) {
    for (uint32_t i = 0; i < n; ++i) {
      map.push_back(topology_.layout == ThreadLayout::kShared ? i : next++);
    }
  };
  place(topology_.parsers, parser_thread_);
  place(topology_.workers, worker_thread_);
  place(topology_.repliers, replier_thread_);
  for (uint32_t i = 0; i < topology_.parsers; ++i) {
    threads_[parser_thread_[i]]->host_parser(i);
  }
  for (uint32_t i = 0; i < topology_.workers; ++i) {
    threads_[worker_thread_[i]]->host_worker(i, topology_.workers);
  }
  for (uint32_t i = 0; i < topology_.repliers; ++i) {
    threads_[replier_thread_[i]]->host_replier(i, topology_.repliers);
  }
}

Runtime::~Runtime() = default;

void Runtime::add_listener(int fd, ClientProtocol protocol) {
  threads_[parser_thread_[0]]->add_listener(fd, protocol);
}

int64_t Runtime::used_memory() const {
  int64_t bytes = 0;
  for (uint32_t w = 0; w < topology_.workers; ++w) {
    bytes += gauges_[w].memory_bytes.load(std::memory_order_relaxed);
  }
  return bytes;
}

void Runtime::sample_stats(int64_t now_ms) {
  StatsSampler::Totals totals;
  const size_t slots = engine::command_stat_count();
  for (const auto& thread : threads_) {
    const CommandStats& stats = thread->command_stats();
    for (size_t i = 0; i < slots; ++i) {
      totals.commands += stats.command(i).calls;
    }
  }
  totals.net_input_bytes = counters_.net_input_bytes.load(std::memory_order_relaxed);
  totals.net_output_bytes = counters_.net_output_bytes.load(std::memory_order_relaxed);
  totals.used_memory = used_memory();
  stats_sampler_.sample(now_ms, totals);
}

void Runtime::start() {
  CycleClock::anchor();  // INFO commandstats measures the tick rate from here
  for (auto& t : threads_) {
    t->start();
  }
}

void Runtime::request_stop() {
  if (stopping_.exchange(true)) {
    return;
  }
  stop_deadline_ms_.store(unix_time_ms() + kShutdownGraceMs);
  registry_.kill_all();
  for (auto& t : threads_) {
    t->doorbell().ring();
  }
}

void Runtime::wake_workers() {
  for (uint32_t w = 0; w < topology_.workers; ++w) {
    threads_[worker_thread_[w]]->doorbell().ring_if_parked();
  }
}

void Runtime::join() {
  for (auto& t : threads_) {
    t->join();
  }
}

const char* Runtime::backend_name() const { return threads_.empty() ? "none" : threads_[0]->backend_name(); }

}  // namespace tessera::runtime
