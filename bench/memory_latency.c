// The latency of one random, dependent memory load on this machine, by working-set size:
// what a cache miss costs a key lookup (a GET of a random key misses on its index group and
// then on its item, one after the other).
//
// A pointer chase through a random cyclic permutation of 64-byte lines: each load's address
// comes from the previous load, so nothing overlaps and every step pays the full latency
// (cache, TLB and page walk included). With `huge` 1 the region is marked for transparent
// huge pages, as Tessera's indexes and item arenas are (core/huge_pages.h).
//
// Usage: memory_latency MIB HUGE   e.g. `memory_latency 8 1`; prints ns per load.
// Build: cc -std=gnu11 -O2 -Wall -Wextra -o memory_latency bench/memory_latency.c
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { kLine = 64, kSteps = 2000000 };
static const size_t kHugePage = (size_t)2 << 20;

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static uint64_t next_random(uint64_t* state) {  // splitmix64
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s MIB HUGE(0|1)\n", argv[0]);
    return 2;
  }
  const size_t bytes = (size_t)strtoul(argv[1], NULL, 10) << 20;
  const int huge = atoi(argv[2]);
  const size_t lines = bytes / kLine;
  if (lines < 2) {
    fprintf(stderr, "MIB must be at least 1\n");
    return 2;
  }
  char* raw = mmap(NULL, bytes + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  size_t* order = malloc(lines * sizeof *order);
  if (raw == MAP_FAILED || order == NULL) {
    perror("memory");
    return 1;
  }
  char* region = (char*)(((uintptr_t)raw + kHugePage - 1) & ~(uintptr_t)(kHugePage - 1));
  madvise(region, bytes, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
  uint64_t seed = 1;
  for (size_t i = 0; i < lines; ++i) {
    order[i] = i;
  }
  for (size_t i = lines - 1; i > 0; --i) {  // Fisher-Yates
    size_t j = (size_t)(next_random(&seed) % (i + 1));
    size_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (size_t i = 0; i < lines; ++i) {  // one cycle through every line, in random order
    *(size_t*)(region + order[i] * kLine) = order[(i + 1) % lines] * kLine;
  }
  size_t at = order[0] * kLine;
  const double start = now_seconds();
  for (int i = 0; i < kSteps; ++i) {
    at = *(volatile size_t*)(region + at);
  }
  const double elapsed = now_seconds() - start;
  printf("%zu MiB, huge pages %s: %.1f ns per dependent random load (end %zu)\n", bytes >> 20,
         huge ? "on" : "off", elapsed / kSteps * 1e9, at);
  free(order);
  return 0;
}
