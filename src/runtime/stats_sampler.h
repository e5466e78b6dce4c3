// StatsSampler: INFO's instantaneous rates and memory peak, sampled as Redis's serverCron
// does: every kSamplePeriodMs a reading of each running total (commands, network bytes in
// and out) becomes a per-second rate in a ring of kSamples; a rate is the ring's average, so
// it covers the last 1.6 s. The peak of used memory is the largest reading seen by a sample
// or by INFO itself.
//
// Thread safety: sample() runs on one thread only (worker 0's, on its timer tick); the
// readers and note_memory() run on any thread. Each published value is one relaxed atomic.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace tessera::runtime {

class StatsSampler {
 public:
  static constexpr int64_t kSamplePeriodMs = 100;  // Redis's run_with_period(100)
  static constexpr size_t kSamples = 16;           // Redis's STATS_METRIC_SAMPLES

  struct Totals {
    uint64_t commands = 0;
    uint64_t net_input_bytes = 0;
    uint64_t net_output_bytes = 0;
    int64_t used_memory = 0;
  };

  // Whether a sample is due at `now_ms` (the first one always is).
  bool due(int64_t now_ms) const { return now_ms - last_sample_ms_ >= kSamplePeriodMs; }
  // REQUIRES: the sampling thread.
  void sample(int64_t now_ms, const Totals& totals);

  uint64_t ops_per_sec() const { return ops_per_sec_.load(std::memory_order_relaxed); }
  uint64_t input_bytes_per_sec() const { return input_per_sec_.load(std::memory_order_relaxed); }
  uint64_t output_bytes_per_sec() const { return output_per_sec_.load(std::memory_order_relaxed); }
  // Records a reading of used memory and returns the peak so far, this reading included.
  int64_t note_memory(int64_t used_memory);

 private:
  // One running total's samples; owned by the sampling thread.
  struct Metric {
    std::array<uint64_t, kSamples> per_sec{};
    size_t next = 0;
    uint64_t last_total = 0;
    // Takes the total at `now_ms`, `elapsed_ms` after the previous one; returns the average.
    uint64_t add(uint64_t total, int64_t elapsed_ms);
  };

  int64_t last_sample_ms_ = 0;  // 0: no sample yet
  Metric commands_;
  Metric input_;
  Metric output_;
  std::atomic<uint64_t> ops_per_sec_{0};
  std::atomic<uint64_t> input_per_sec_{0};
  std::atomic<uint64_t> output_per_sec_{0};
  std::atomic<int64_t> memory_peak_{0};
};

}  // namespace tessera::runtime
