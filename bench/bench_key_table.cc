// KeyTable micro benchmarks at 1M keys ("key:%08d", 16-byte values): set (insert into a
// growing table, overwrite), find hits, find misses. Hashes are precomputed, as the
// parser computes them once for routing.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/key_table.h"

namespace {

using tessera::core::hash_key;
using tessera::core::KeyTable;
using tessera::core::kNoExpiry;

constexpr size_t kKeys = 1'000'000;
constexpr size_t kValueBytes = 16;
constexpr size_t kKeyBufBytes = 32;

struct Keys {
  std::vector<std::string> names;
  std::vector<uint64_t> hashes;
  explicit Keys(const char* format, size_t n) {
    char buf[kKeyBufBytes];
    for (size_t i = 0; i < n; ++i) {
      int len = std::snprintf(buf, sizeof(buf), format, i);
      names.emplace_back(buf, static_cast<size_t>(len));
      hashes.push_back(hash_key(names.back()));
    }
  }
};

const Keys& present() {
  static const Keys keys("key:%08zu", kKeys);
  return keys;
}
const Keys& absent() {
  static const Keys keys("nokey:%08zu", kKeys);
  return keys;
}

KeyTable& filled_table() {
  static KeyTable* table = [] {
    auto* t = new KeyTable;
    std::string value(kValueBytes, 'v');
    const Keys& k = present();
    for (size_t i = 0; i < kKeys; ++i) {
      t->set(k.names[i], k.hashes[i], value, kNoExpiry);
    }
    return t;
  }();
  return *table;
}

// Inserting 1M fresh keys into an empty table, resizes included.
void BM_SetInsert1M(benchmark::State& state) {
  const Keys& k = present();
  std::string value(kValueBytes, 'v');
  for (auto _ : state) {
    KeyTable t;
    for (size_t i = 0; i < kKeys; ++i) {
      t.set(k.names[i], k.hashes[i], value, kNoExpiry);
    }
    benchmark::DoNotOptimize(t.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kKeys));
}
BENCHMARK(BM_SetInsert1M)->Unit(benchmark::kMillisecond);

void BM_SetOverwrite(benchmark::State& state) {
  KeyTable& t = filled_table();
  const Keys& k = present();
  std::string value(kValueBytes, 'w');
  size_t i = 0;
  for (auto _ : state) {
    t.set(k.names[i], k.hashes[i], value, kNoExpiry);
    i = (i + 1) % kKeys;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SetOverwrite);

void BM_FindHit(benchmark::State& state) {
  KeyTable& t = filled_table();
  const Keys& k = present();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.find(k.names[i], k.hashes[i], 0));
    i = (i + 1) % kKeys;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindHit);

void BM_FindMiss(benchmark::State& state) {
  KeyTable& t = filled_table();
  const Keys& k = absent();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(t.find(k.names[i], k.hashes[i], 0));
    i = (i + 1) % kKeys;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FindMiss);

}  // namespace

BENCHMARK_MAIN();
