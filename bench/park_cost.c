// The CPU time one park costs the thread that parks, on this machine: a thread blocks
// (io_uring wait on an eventfd read, the same with a 100 ms timeout armed as tessera-server's
// parks have, epoll_wait, or an io_uring timeout alone) and is woken after a set idle time,
// by another thread writing the eventfd (a cross-CPU wake-up) or by its own timer. The parked thread's on-CPU time per cycle comes from /proc/thread-self/schedstat
// (what /proc/PID/stat charges a server), so it is the figure a server pays per park on top
// of its work. The loop's own work is a few hundred nanoseconds.
//
//   cc -O2 -o /tmp/park_cost bench/park_cost.c -luring -lpthread
//   /tmp/park_cost [idle_us ...]        (default: 0 20 50 200 1000)
//
// Prints one line per idle time: CPU per park for each wake-up kind, and wall time per cycle.
// Each measurement runs a bounded number of cycles (at most about 2 s each).
#define _GNU_SOURCE
#include "park_waker.h"

#include <liburing.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

enum Kind { kUringWake, kUringWakeWithTimeout, kEpollWake, kUringTimer };
static const char* const kKindNames[] = {"io_uring, woken by another CPU", "same, 100 ms timeout armed",
                                         "epoll, woken by another CPU", "io_uring timeout (timer)"};

static double thread_oncpu_us(void) {
  FILE* f = fopen("/proc/thread-self/schedstat", "r");
  unsigned long long ns = 0;
  if (f == NULL || fscanf(f, "%llu", &ns) != 1) {
    perror("schedstat");
    exit(1);
  }
  fclose(f);
  return ns / 1e3;
}

// Returns the parked thread's CPU microseconds per cycle; *wall gets wall time per cycle.
static double measure(enum Kind kind, double idle_us, double* wall) {
  struct ParkWaker w = {.efd = eventfd(0, 0), .idle_us = idle_us};
  w.cycles = idle_us < 100 ? 10000 : (int)(2e6 / idle_us);
  pin(0);
  struct io_uring ring;
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;  // as tessera-server
  if (io_uring_queue_init_params(64, &ring, &params) != 0) {
    fprintf(stderr, "io_uring setup failed\n");
    exit(1);
  }
  int ep = epoll_create1(0);
  struct epoll_event interest = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, w.efd, &interest);
  pthread_t thread;
  if (kind != kUringTimer) {
    pthread_create(&thread, NULL, park_waker, &w);
  }
  uint64_t value;
  double cpu0 = thread_oncpu_us(), wall0 = now_us();
  for (int i = 1; i <= w.cycles; ++i) {
    if (kind == kUringTimer) {
      struct __kernel_timespec ts = {0, (long long)(idle_us * 1000)};
      struct io_uring_cqe* cqe = NULL;
      io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
      if (cqe != NULL) {
        io_uring_cqe_seen(&ring, cqe);
      }
    } else if (kind == kUringWake || kind == kUringWakeWithTimeout) {
      io_uring_prep_read(io_uring_get_sqe(&ring), w.efd, &value, sizeof value, 0);
      io_uring_submit(&ring);
      atomic_store(&w.parked, i);
      struct io_uring_cqe* cqe = NULL;
      if (kind == kUringWakeWithTimeout) {
        struct __kernel_timespec ts = {0, 100000000};
        io_uring_wait_cqe_timeout(&ring, &cqe, &ts);
      } else {
        io_uring_wait_cqe(&ring, &cqe);
      }
      if (cqe == NULL) {
        fprintf(stderr, "the wake-up did not come within 100 ms\n");
        exit(1);
      }
      io_uring_cqe_seen(&ring, cqe);
    } else {
      atomic_store(&w.parked, i);
      struct epoll_event event;
      epoll_wait(ep, &event, 1, -1);
      if (read(w.efd, &value, sizeof value) != sizeof value) {
        perror("eventfd read");
        exit(1);
      }
    }
  }
  double cpu = (thread_oncpu_us() - cpu0) / w.cycles;
  *wall = (now_us() - wall0) / w.cycles;
  if (kind != kUringTimer) {
    pthread_join(thread, NULL);
  }
  io_uring_queue_exit(&ring);
  close(ep);
  close(w.efd);
  return cpu;
}

int main(int argc, char** argv) {
  static const double kDefaultIdle[] = {0, 20, 50, 200, 1000};
  int n = argc > 1 ? argc - 1 : (int)(sizeof kDefaultIdle / sizeof kDefaultIdle[0]);
  printf("CPU time charged to the parked thread per park (us), and wall time per cycle (us)\n");
  for (int i = 0; i < n; ++i) {
    double idle = argc > 1 ? atof(argv[i + 1]) : kDefaultIdle[i];
    printf("idle %6.0f us |", idle);
    for (enum Kind kind = kUringWake; kind <= kUringTimer; ++kind) {
      if (kind == kUringTimer && idle == 0) {
        continue;
      }
      double wall;
      double cpu = measure(kind, idle, &wall);
      printf("  %s: %5.1f (wall %6.1f) |", kKindNames[kind], cpu, wall);
    }
    printf("\n");
    fflush(stdout);
  }
  return 0;
}
