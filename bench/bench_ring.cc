// Google Benchmark for the SPSC ring: single-threaded push+pop cost, and a two-thread
// transfer (producer and consumer on their own threads) in items per second.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "runtime/spsc_ring.h"

using tessera::runtime::SpscRing;

static void BM_RingPushPopSameThread(benchmark::State& state) {
  SpscRing<uint64_t> ring(1024);
  uint64_t v = 0;
  for (auto _ : state) {
    ring.try_push(v);
    ring.try_pop(v);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingPushPopSameThread);

static void BM_RingTwoThreads(benchmark::State& state) {
  constexpr uint64_t kItems = 1 << 20;
  for (auto _ : state) {
    SpscRing<uint64_t> ring(static_cast<size_t>(state.range(0)));
    std::thread consumer([&] {
      uint64_t got = 0;
      uint64_t v;
      while (got < kItems) {
        if (ring.try_pop(v)) {
          ++got;
        }
      }
    });
    for (uint64_t i = 0; i < kItems;) {
      if (ring.try_push(i)) {
        ++i;
      }
    }
    consumer.join();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kItems));
}
BENCHMARK(BM_RingTwoThreads)->Arg(64)->Arg(4096)->UseRealTime();

BENCHMARK_MAIN();
