// What a park does to the parked thread's caches on this machine: a thread pinned to CPU 0
// walks a working set (a random cycle through its cache lines, so no prefetcher helps),
// parks in epoll_wait until a thread on CPU 1 writes an eventfd after a set idle time, and
// walks the same set again. The walk before the park runs on warm caches (the set was just
// walked); the one after shows what the idle CPU kept. The extra time per park is what any
// server pays to refill its working set (code and data, kernel and user) after each park,
// on top of the park itself (bench/park_cost.c).
//
//   cc -O2 -o /tmp/cache_after_park bench/cache_after_park.c -lpthread
//   /tmp/cache_after_park [idle_us ...]        (default: 0 50 200)
//
// Prints, per idle time and working-set size: ns per line walked warm and after the park, and
// the extra microseconds per park. Each measurement runs 2000 park cycles.
#define _GNU_SOURCE
#include "park_waker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>

enum { kCycles = 2000 };

typedef struct Line {
  struct Line* next;
  char pad[56];
} Line;

// n lines linked in one random cycle.
static Line* build_cycle(size_t n) {
  Line* lines = aligned_alloc(64, n * sizeof(Line));
  size_t* order = malloc(n * sizeof(size_t));
  for (size_t i = 0; i < n; ++i) {
    order[i] = i;
  }
  for (size_t i = n - 1; i > 0; --i) {
    size_t j = (size_t)rand() % (i + 1);
    size_t t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (size_t i = 0; i < n; ++i) {
    lines[order[i]].next = &lines[order[(i + 1) % n]];
  }
  free(order);
  return lines;
}

static Line* walk(Line* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    p = p->next;
  }
  return p;
}

static void measure(double idle_us, size_t kib, int ep, int efd) {
  const size_t n = kib * 1024 / sizeof(Line);
  Line* lines = build_cycle(n);
  Line* p = walk(lines, n);
  struct ParkWaker w = {.efd = efd, .idle_us = idle_us, .cycles = kCycles};
  pthread_t thread;
  pthread_create(&thread, NULL, park_waker, &w);
  double warm = 0, after = 0;
  for (int i = 1; i <= kCycles; ++i) {
    double a = now_us();
    p = walk(p, n);
    double b = now_us();
    warm += b - a;
    atomic_store(&w.parked, i);
    struct epoll_event event;
    epoll_wait(ep, &event, 1, -1);
    uint64_t value;
    if (read(efd, &value, sizeof value) != sizeof value) {
      perror("eventfd read");
      exit(1);
    }
    a = now_us();
    p = walk(p, n);
    b = now_us();
    after += b - a;
  }
  pthread_join(thread, NULL);
  printf("idle %5.0f us | %4zu KiB (%5zu lines) | warm %5.1f ns/line | after the park %5.1f ns/line | extra %6.2f us per park\n",
         idle_us, kib, n, warm * 1000 / kCycles / n, after * 1000 / kCycles / n, (after - warm) / kCycles);
  fflush(stdout);
  if (p == NULL) {
    exit(1);
  }
  free(lines);
}

int main(int argc, char** argv) {
  static const double kDefaultIdle[] = {0, 50, 200};
  static const size_t kSizesKib[] = {2, 8, 32, 128, 512};
  pin(0);
  int efd = eventfd(0, 0);
  int ep = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, efd, &interest);
  int count = argc > 1 ? argc - 1 : (int)(sizeof kDefaultIdle / sizeof kDefaultIdle[0]);
  for (int i = 0; i < count; ++i) {
    double idle = argc > 1 ? atof(argv[i + 1]) : kDefaultIdle[i];
    for (size_t s = 0; s < sizeof kSizesKib / sizeof kSizesKib[0]; ++s) {
      measure(idle, kSizesKib[s], ep, efd);
    }
  }
  close(ep);
  close(efd);
  return 0;
}
