// StatsSampler (stats_sampler.h): rates averaged over the last 16 samples as Redis's
// getInstantaneousMetric, a first sample that only sets the baseline, totals that go down
// (CONFIG RESETSTAT), and the memory peak.
#include <doctest/doctest.h>

#include "runtime/stats_sampler.h"

namespace tessera::runtime {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;  // unix ms: never 0, the "no sample yet" mark

StatsSampler::Totals totals(uint64_t commands, uint64_t in = 0, uint64_t out = 0, int64_t memory = 0) {
  return StatsSampler::Totals{commands, in, out, memory};
}

TEST_CASE("a steady rate fills the ring sample by sample until the average is the rate") {
  StatsSampler sampler;
  CHECK(sampler.due(kStart));
  sampler.sample(kStart, totals(5000, 1024, 2048));  // baseline only: no rate yet
  CHECK(sampler.ops_per_sec() == 0);
  CHECK_FALSE(sampler.due(kStart + 99));
  CHECK(sampler.due(kStart + 100));
  uint64_t commands = 5000;
  for (size_t i = 1; i <= StatsSampler::kSamples; ++i) {
    commands += 100;  // 100 commands per 100 ms: 1000 per second
    sampler.sample(kStart + static_cast<int64_t>(i) * 100, totals(commands, 1024 + i * 1024, 2048));
    CHECK(sampler.ops_per_sec() == 1000 * i / StatsSampler::kSamples);
  }
  CHECK(sampler.ops_per_sec() == 1000);
  CHECK(sampler.input_bytes_per_sec() == 10240);
  CHECK(sampler.output_bytes_per_sec() == 0);
}

TEST_CASE("a total that goes down starts afresh instead of wrapping") {
  StatsSampler sampler;
  sampler.sample(kStart, totals(1000));
  sampler.sample(kStart + 100, totals(40));  // reset, then 40 more commands
  CHECK(sampler.ops_per_sec() == 400 / StatsSampler::kSamples);
}

TEST_CASE("the memory peak is the largest reading, from samples or from INFO") {
  StatsSampler sampler;
  sampler.sample(kStart, totals(0, 0, 0, 300));
  CHECK(sampler.note_memory(100) == 300);
  CHECK(sampler.note_memory(500) == 500);
  sampler.sample(kStart + 100, totals(0, 0, 0, 200));
  CHECK(sampler.note_memory(0) == 500);
}

}  // namespace
}  // namespace tessera::runtime
