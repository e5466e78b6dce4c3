// Whether anything can end an io_uring wait for several completions early, as a doorbell
// would have to if a parked thread waited for a batch of receives (the rejected wake
// batching of bench/results/p1_levers_rejected.txt). The thread waits for 8 completions with
// a 1 s timeout (DEFER_TASKRUN, as tessera-server's rings); 10 ms in, another thread
// completes one armed operation: an eventfd read, an EPOLLEXCLUSIVE poll, a plain poll, or an
// io_uring futex wait woken by FUTEX_WAKE. Prints how long each wait took: about 1000 ms means
// the one completion did not end it.
//
//   cc -O2 -o /tmp/batched_wait_wake bench/batched_wait_wake.c -luring -lpthread
//   /tmp/batched_wait_wake
#define _GNU_SOURCE
#include <liburing.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum Kind { kEventfdRead, kExclusivePoll, kPoll, kFutexWait };
static const char* const kNames[] = {"eventfd read", "EPOLLEXCLUSIVE poll", "poll", "futex wait"};
enum { kIoringOpFutexWait = 51, kFutex2SizeU32 = 2, kFutex2Private = 128 };  // kernel 6.7+

struct Waker {
  enum Kind kind;
  int efd;
  _Atomic uint32_t* word;
};

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void* wake_after_10ms(void* arg) {
  struct Waker* w = arg;
  usleep(10000);
  if (w->kind == kFutexWait) {
    atomic_fetch_add(w->word, 1);
    syscall(SYS_futex, w->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
  } else {
    uint64_t one = 1;
    if (write(w->efd, &one, sizeof one) != sizeof one) {
      perror("eventfd write");
    }
  }
  return NULL;
}

int main(void) {
  for (enum Kind kind = kEventfdRead; kind <= kFutexWait; ++kind) {
    _Atomic uint32_t word = 0;
    struct Waker w = {.kind = kind, .efd = eventfd(0, EFD_NONBLOCK), .word = &word};
    struct io_uring ring;
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    params.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    if (io_uring_queue_init_params(64, &ring, &params) != 0) {
      fprintf(stderr, "io_uring setup failed\n");
      return 1;
    }
    uint64_t value;
    struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    if (kind == kEventfdRead) {
      io_uring_prep_read(sqe, w.efd, &value, sizeof value, 0);
    } else if (kind == kExclusivePoll || kind == kPoll) {
      io_uring_prep_poll_add(sqe, w.efd, POLLIN | (kind == kExclusivePoll ? EPOLLEXCLUSIVE : 0));
    } else {
      io_uring_prep_rw(kIoringOpFutexWait, sqe, kFutex2SizeU32 | kFutex2Private, (void*)&word, 0, 0);
      sqe->addr3 = 0xffffffffu;  // mask: any bit; sqe->off (0) is the expected value
    }
    pthread_t thread;
    pthread_create(&thread, NULL, wake_after_10ms, &w);
    struct __kernel_timespec timeout = {1, 0};
    struct io_uring_cqe* cqe = NULL;
    double start = now_ms();
    io_uring_submit_and_wait_timeout(&ring, &cqe, 8, &timeout, NULL);
    const double waited = now_ms() - start;
    struct io_uring_cqe* first = NULL;
    io_uring_peek_cqe(&ring, &first);
    printf("%-20s: the wait for 8 returned after %6.1f ms with %u completion(s), the first res %d\n",
           kNames[kind], waited, io_uring_cq_ready(&ring), first != NULL ? first->res : 0);
    pthread_join(thread, NULL);
    io_uring_queue_exit(&ring);
    close(w.efd);
  }
  return 0;
}
