// ColumnTable batch gather: the feature-serving shape of issue 4 (1M rows x 10 float32
// columns, batches of 1000 random keys x 10 columns), in both storage layouts:
//   - Columns:   StorageLayout{0}, one contiguous array per column (a random row costs
//                one cache line per column);
//   - RowGroups: StorageLayout{64}, the 10 float32 interleaved in 40-byte rows (a random
//                row costs one or two cache lines for all 10 columns).
// Both run the real ColumnTable code; only the layout differs. "Gather" times the 10
// gathers of pre-resolved rows; "Lookup" times lookup_rows alone; "LookupGather" adds
// lookup_rows (the whole per-worker read of TABLE.MGET, one gather per column);
// "LookupGatherFixed" is what TABLE.MGET does: lookup_rows told the columns it will read
// (their row lines load with the keys), then one gather_fixed for all ten columns (one pass
// per row group). A batch's keys sit packed in one buffer, as a request's arguments do.
// "_Cold" cases first evict the caches (a 64 MiB read, not timed), as the server finds them
// after the client and other processes ran between two batches; "_NoWillRead" is the
// TABLE.MGET path without telling lookup_rows the columns; "_SeparateKeys" keeps the keys
// in an array of their own (StorageLayout::embed_keys = false); RandomLines_Cold is the floor
// under them: 1000 independent random cache-line loads from 64 MiB of huge pages on
// evicted caches. The bytes_per_row counter is memory_bytes() / rows.
//
// Run: nice -n 19 build/bench/bench_column_gather --benchmark_repetitions=5
//      (..._Cold --benchmark_enable_random_interleaving=true for A/B pairs)
//
// Measured (median CPU time per batch of 1000 x 10; 2-core AMD EPYC, L2 1 MiB, L3 32 MiB,
// machine shared with other jobs, so figures move 10-20% between runs; compare cases of
// one run):
//   Gather        Columns 99-122 us   RowGroups 58-61 us
//   LookupGather  Columns 272-360 us  RowGroups 247-258 us (before packed request keys)
//   bytes_per_row 69.6 in both (12-byte keys, before fixed-width keys)
// Hence ColumnTable::kDefaultLayout = row groups of up to 64 bytes.
//   LookupGatherFixed_RowGroups_Cold 145 us vs _NoWillRead 171 us (interleaved, 6 repetitions),
//   with 64-byte index groups (LineSlotIndex): 153 vs 170 us; bytes_per_row 59.9 -> 60.9.
//   Later, a slower hour: LookupGatherFixed_RowGroups_Cold 168-172 us, _NoWillRead 190-196
//   us, RandomLines_Cold 37-42 us (37-42 ns per line).
//   Keys embedded in the row group's rows (12-byte keys: 52-byte rows), interleaved, 8
//   repetitions, --benchmark_min_time=0.1: LookupGatherFixed_RowGroups_Cold 162 us vs
//   _SeparateKeys 199 us (medians); bytes_per_row unchanged (60.9).
//   Ingest1M (medians of 5, two builds run alternately, 3 pairs): 304-327 ms before, 278-297
//   ms with the index rebuild in prefetched chunks, then 203-223 ms (against 239-260) with
//   upsert_rows in waves (home groups loaded for 64 keys at a time).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/column_table.h"
#include "core/huge_pages.h"
#include "core/key_table.h"

namespace {

using tessera::core::ColumnTable;
using tessera::core::ColumnTypeSpec;
using tessera::core::ColumnType;
using tessera::core::hash_key;
using tessera::core::Schema;
using tessera::core::StorageLayout;

constexpr size_t kRows = 1'000'000;
constexpr size_t kColumns = 10;
constexpr size_t kBatch = 1000;
constexpr size_t kBatches = 2000;  // distinct random batches, cycled
constexpr size_t kKeyBufBytes = 32;
constexpr size_t kIngestChunk = 4096;
constexpr int64_t kNow = 1;
constexpr uint32_t kRowGroupBytes = 64;
constexpr uint32_t kSeed = 42;

struct Fixture {
  Schema schema;
  std::unique_ptr<ColumnTable> table;
  std::vector<std::string> keys;
  std::vector<uint64_t> hashes;
  std::vector<std::vector<uint32_t>> batches;  // key indexes per batch

  explicit Fixture(StorageLayout layout) {
    for (size_t c = 0; c < kColumns; ++c) {
      schema.add_column("f" + std::to_string(c), ColumnTypeSpec{ColumnType::kFloat32, 0});
    }
    table = std::make_unique<ColumnTable>(schema, layout);
    char buf[kKeyBufBytes];
    for (size_t i = 0; i < kRows; ++i) {
      int len = std::snprintf(buf, sizeof(buf), "key:%08zu", i);
      keys.emplace_back(buf, static_cast<size_t>(len));
      hashes.push_back(hash_key(keys.back()));
    }
    std::vector<std::string_view> views(keys.begin(), keys.end());
    std::vector<uint32_t> rows(kIngestChunk);
    std::vector<float> values(kIngestChunk);
    for (size_t at = 0; at < kRows; at += kIngestChunk) {
      size_t n = std::min(kIngestChunk, kRows - at);
      table->upsert_rows({views.data() + at, n}, {hashes.data() + at, n}, kNow, {rows.data(), n});
      for (size_t c = 0; c < kColumns; ++c) {
        for (size_t i = 0; i < n; ++i) {
          values[i] = static_cast<float>(at + i) + static_cast<float>(c);
        }
        table->scatter(static_cast<uint32_t>(c), {rows.data(), n},
                       reinterpret_cast<const std::byte*>(values.data()), nullptr);
      }
    }
    std::mt19937_64 rng(kSeed);
    std::uniform_int_distribution<uint32_t> pick(0, kRows - 1);
    batches.resize(kBatches);
    for (auto& b : batches) {
      b.resize(kBatch);
      for (auto& k : b) {
        k = pick(rng);
      }
    }
  }
};

Fixture& fixture(bool row_groups, bool embed_keys) {
  if (!embed_keys) {
    static Fixture separate_keys(StorageLayout{kRowGroupBytes, false});
    return separate_keys;
  }
  static Fixture columns(StorageLayout{0});
  static Fixture groups(StorageLayout{kRowGroupBytes});
  return row_groups ? groups : columns;
}

// Evicts the table from the caches, as the other work of a server (and the client, and
// other processes) does between two batches: reads a buffer twice the size of the L3.
void evict_caches() {
  static std::vector<uint64_t> junk(64u << 20 >> 3, 1);
  uint64_t sum = 0;
  for (size_t i = 0; i < junk.size(); i += 8) {
    sum += junk[i];
  }
  benchmark::DoNotOptimize(sum);
}

// One benchmark case: the storage layout, whether keys are looked up (else the rows are
// resolved beforehand), how the columns are gathered, whether lookup_rows is told the
// columns (TABLE.MGET's path), and whether the caches are evicted before each batch.
enum class Gather : uint8_t { kNone, kPerColumn, kFixed };
struct Case {
  bool row_groups = true;
  bool lookup = false;
  Gather gather = Gather::kPerColumn;
  bool will_read = false;
  bool cold = false;
  bool embed_keys = true;  // StorageLayout::embed_keys (false: keys in an array of their own)
};

void run(benchmark::State& state, const Case& k) {
  Fixture& f = fixture(k.row_groups, k.embed_keys);
  // Each batch's keys packed in one buffer, with their hashes, as a request's arguments
  // are: the key bytes a lookup compares are then sequential, as in the server.
  std::vector<std::string> packed(kBatches);
  std::vector<std::vector<std::string_view>> batch_keys(kBatches);
  std::vector<std::vector<uint64_t>> batch_hashes(kBatches);
  for (size_t b = 0; b < kBatches; ++b) {
    for (uint32_t k : f.batches[b]) {
      packed[b] += f.keys[k];
      batch_hashes[b].push_back(f.hashes[k]);
    }
    size_t at = 0;
    for (uint32_t k : f.batches[b]) {
      batch_keys[b].emplace_back(packed[b].data() + at, f.keys[k].size());
      at += f.keys[k].size();
    }
  }
  std::vector<uint32_t> rows(kBatch);
  std::vector<float> out(kBatch * kColumns);
  std::vector<uint8_t> validity((kBatch + 7) / 8 * kColumns);
  std::vector<std::vector<uint32_t>> resolved(kBatches, std::vector<uint32_t>(kBatch));
  for (size_t b = 0; b < kBatches; ++b) {
    for (size_t i = 0; i < kBatch; ++i) {
      resolved[b][i] = f.table->find_row(batch_keys[b][i], batch_hashes[b][i], kNow);
    }
  }
  std::vector<uint32_t> columns;
  std::vector<std::byte*> outs;
  std::vector<uint8_t*> vouts;
  for (size_t c = 0; c < kColumns; ++c) {
    columns.push_back(static_cast<uint32_t>(c));
    outs.push_back(reinterpret_cast<std::byte*>(out.data() + c * kBatch));
    vouts.push_back(validity.data() + c * ((kBatch + 7) / 8));
  }
  size_t b = 0;
  for (auto _ : state) {
    if (k.cold) {
      state.PauseTiming();
      evict_caches();
      state.ResumeTiming();
    }
    const std::vector<uint32_t>* use = &resolved[b];
    if (k.lookup) {
      f.table->lookup_rows(batch_keys[b], batch_hashes[b], kNow, rows,
                           k.will_read ? std::span<const uint32_t>(columns) : std::span<const uint32_t>());
      use = &rows;
    }
    if (k.gather == Gather::kFixed) {  // TABLE.MGET's path: every column in one gather_fixed call
      f.table->gather_fixed(columns, *use, outs, vouts);
    } else if (k.gather == Gather::kPerColumn) {
      for (size_t c = 0; c < kColumns; ++c) {
        f.table->gather(static_cast<uint32_t>(c), *use, reinterpret_cast<std::byte*>(out.data() + c * kBatch),
                        validity.data() + c * ((kBatch + 7) / 8));
      }
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
    b = (b + 1) % kBatches;
  }
  state.counters["bytes_per_row"] = static_cast<double>(f.table->memory_bytes()) / kRows;
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

// The floor under the _Cold cases: 1000 independent loads of random cache lines of a 64 MiB
// huge-page buffer per batch (about what a 1M-row table spans), caches evicted first.
void BM_RandomLines_Cold(benchmark::State& state) {
  constexpr size_t kBytes = size_t{64} << 20;
  constexpr size_t kLines = kBytes / tessera::core::kCacheLineBytes;
  auto* mem = static_cast<uint8_t*>(tessera::core::huge_alloc(kBytes));
  std::memset(mem, 1, kBytes);
  std::mt19937_64 rng(kSeed);
  std::vector<uint32_t> lines(kBatch * kBatches);
  for (auto& l : lines) {
    l = static_cast<uint32_t>(rng() % kLines);
  }
  size_t b = 0;
  for (auto _ : state) {
    state.PauseTiming();
    evict_caches();
    state.ResumeTiming();
    uint64_t sum = 0;
    for (size_t i = 0; i < kBatch; ++i) {
      sum += mem[size_t{lines[b * kBatch + i]} * tessera::core::kCacheLineBytes];
    }
    benchmark::DoNotOptimize(sum);
    b = (b + 1) % kBatches;
  }
  tessera::core::huge_free(mem, kBytes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

// Ingestion into the column store alone: a fresh 1M-row table filled the way TABLE.INSERT
// COLUMNAR does (upsert_rows, then one scatter per column, in chunks), growth and index
// rebuilds included. Page faults of the fresh memory are part of it (as in the server).
void BM_Ingest1M(benchmark::State& state) {
  Schema schema;
  for (size_t c = 0; c < kColumns; ++c) {
    schema.add_column("f" + std::to_string(c), ColumnTypeSpec{ColumnType::kFloat32, 0});
  }
  Fixture& f = fixture(true, true);  // its keys and hashes
  std::vector<std::string_view> views(f.keys.begin(), f.keys.end());
  std::vector<uint32_t> rows(kIngestChunk);
  std::vector<float> values(kIngestChunk, 1.0F);
  for (auto _ : state) {
    ColumnTable table(schema);
    for (size_t at = 0; at < kRows; at += kIngestChunk) {
      size_t n = std::min(kIngestChunk, kRows - at);
      table.upsert_rows({views.data() + at, n}, {f.hashes.data() + at, n}, kNow, {rows.data(), n});
      for (size_t c = 0; c < kColumns; ++c) {
        table.scatter(static_cast<uint32_t>(c), {rows.data(), n}, reinterpret_cast<const std::byte*>(values.data()),
                      nullptr);
      }
    }
    benchmark::DoNotOptimize(table.size());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRows));
}

void BM_Gather_Columns(benchmark::State& s) { run(s, {.row_groups = false}); }
void BM_Gather_RowGroups(benchmark::State& s) { run(s, {}); }
void BM_LookupGather_Columns(benchmark::State& s) { run(s, {.row_groups = false, .lookup = true}); }
void BM_LookupGather_RowGroups(benchmark::State& s) { run(s, {.lookup = true}); }
void BM_LookupGatherFixed_RowGroups(benchmark::State& s) {
  run(s, {.lookup = true, .gather = Gather::kFixed, .will_read = true});
}
void BM_Lookup_RowGroups(benchmark::State& s) { run(s, {.lookup = true, .gather = Gather::kNone}); }
void BM_LookupGatherFixed_RowGroups_Cold(benchmark::State& s) {
  run(s, {.lookup = true, .gather = Gather::kFixed, .will_read = true, .cold = true});
}
void BM_Lookup_RowGroups_Cold(benchmark::State& s) {
  run(s, {.lookup = true, .gather = Gather::kNone, .cold = true});
}
void BM_LookupGatherFixed_RowGroups_Cold_NoWillRead(benchmark::State& s) {
  run(s, {.lookup = true, .gather = Gather::kFixed, .cold = true});
}
void BM_LookupGatherFixed_RowGroups_Cold_SeparateKeys(benchmark::State& s) {
  run(s, {.lookup = true, .gather = Gather::kFixed, .will_read = true, .cold = true, .embed_keys = false});
}

BENCHMARK(BM_Gather_Columns)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gather_RowGroups)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LookupGather_Columns)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LookupGather_RowGroups)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LookupGatherFixed_RowGroups)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Lookup_RowGroups)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LookupGatherFixed_RowGroups_Cold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Lookup_RowGroups_Cold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LookupGatherFixed_RowGroups_Cold_NoWillRead)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LookupGatherFixed_RowGroups_Cold_SeparateKeys)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RandomLines_Cold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Ingest1M)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
