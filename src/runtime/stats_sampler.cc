// StatsSampler: the sampling arithmetic of Redis's trackInstantaneousMetric and
// getInstantaneousMetric (stats_sampler.h).
#include "runtime/stats_sampler.h"

namespace tessera::runtime {

uint64_t StatsSampler::Metric::add(uint64_t total, int64_t elapsed_ms) {
  // A total that went down (CONFIG RESETSTAT) counts as a fresh start, not a negative rate.
  const uint64_t delta = total >= last_total ? total - last_total : total;
  per_sec[next] = elapsed_ms > 0 ? delta * 1000 / static_cast<uint64_t>(elapsed_ms) : 0;
  next = (next + 1) % kSamples;
  last_total = total;
  uint64_t sum = 0;
  for (uint64_t rate : per_sec) {
    sum += rate;
  }
  return sum / kSamples;
}

void StatsSampler::sample(int64_t now_ms, const Totals& totals) {
  if (last_sample_ms_ == 0) {
    // The first reading only sets the baseline: everything before it is not "instantaneous".
    commands_.last_total = totals.commands;
    input_.last_total = totals.net_input_bytes;
    output_.last_total = totals.net_output_bytes;
  } else {
    const int64_t elapsed = now_ms - last_sample_ms_;
    ops_per_sec_.store(commands_.add(totals.commands, elapsed), std::memory_order_relaxed);
    input_per_sec_.store(input_.add(totals.net_input_bytes, elapsed), std::memory_order_relaxed);
    output_per_sec_.store(output_.add(totals.net_output_bytes, elapsed), std::memory_order_relaxed);
  }
  last_sample_ms_ = now_ms;
  note_memory(totals.used_memory);
}

int64_t StatsSampler::note_memory(int64_t used_memory) {
  int64_t peak = memory_peak_.load(std::memory_order_relaxed);
  while (used_memory > peak && !memory_peak_.compare_exchange_weak(peak, used_memory, std::memory_order_relaxed)) {
  }
  return used_memory > peak ? used_memory : peak;
}

}  // namespace tessera::runtime
