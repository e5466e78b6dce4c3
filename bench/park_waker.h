// Shared by bench/park_cost.c and bench/cache_after_park.c: pinning a thread to a CPU, a
// monotonic clock, and the waker thread both use. The waker, pinned to CPU 1, waits until the
// parking thread announces cycle i in `parked`, lets it sit idle for idle_us, then writes the
// eventfd it parks on. Header-only: each tool is built with one `cc` command.
// REQUIRES: _GNU_SOURCE defined before the first #include (for CPU_SET and
// pthread_setaffinity_np).
#pragma once

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct ParkWaker {
  atomic_int parked;  // cycle number the parking thread is about to park in
  int efd;            // the eventfd it parks on
  double idle_us;
  int cycles;
};

static inline double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static inline void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

// Thread body (pthread_create with a struct ParkWaker*).
static inline void* park_waker(void* arg) {
  struct ParkWaker* w = arg;
  pin(1);
  for (int i = 1; i <= w->cycles; ++i) {
    while (atomic_load(&w->parked) != i) {
    }
    double start = now_us();
    while (now_us() - start < w->idle_us) {
    }
    uint64_t one = 1;
    if (write(w->efd, &one, sizeof one) != sizeof one) {
      perror("eventfd write");
      exit(1);
    }
  }
  return NULL;
}
