/* mc_load: a small pipelined load generator for the memcached TEXT protocol (issue "memcached
 * protocol"), used by bench/compare_memcached.py to drive Tessera and memcached alike.
 *
 * T client threads (default 1), each with its own epoll instance and an even share of the C
 * connections (default 50). Every connection keeps `depth` requests in flight: it writes a
 * batch of `depth` requests, reads the `depth` replies, and repeats (depth 1 = one request per
 * round trip). Requests: get_percent% `get key:%08d`, the rest `set key:%08d 0 0 <size>` with a
 * <size>-byte value; keys uniformly random in [0, keyspace). With -P the run is a prepopulate
 * pass instead: every key 0..keyspace-1 is set once, in order, pipelined the same way, so the
 * following gets hit.
 *
 * Bounded: stops after -n requests have been answered, or after -t seconds (whichever comes
 * first; a run cut by -t reports capped=1 and counts only the answered requests).
 *
 * Replies are parsed strictly: a get must be answered by `VALUE <its key> <flags> <bytes>
 * [<cas>]\r\n<data>\r\nEND\r\n` (hit) or `END\r\n` (miss), a set by `STORED\r\n`; anything else
 * (ERROR, CLIENT_ERROR, SERVER_ERROR, NOT_STORED, a VALUE for another key, a closed connection
 * with requests outstanding) counts as an error; any error, or no reply at all before the
 * time cap, makes the exit status 1 (2 = usage or connect failure).
 *
 * Latency of a request = time from the start of writing its batch to the arrival of its
 * reply (CLOCK_MONOTONIC, taken once per read() call), kept in a log-linear histogram
 * (< 0.8% relative error). Output, one line on stdout:
 *   ops=... seconds=... ops_per_sec=... p50_us=... p90_us=... p99_us=... p999_us=...
 *   max_us=... hits=... misses=... errors=... gets=... sets=... capped=0|1
 *   (ops = replies received, errors included; gets/sets = requests issued)
 *   client_cpu_s=... conns=... depth=... threads=... size=...
 * (all on one line). Diagnostics go to stderr.
 *
 * Build: cc -std=c11 -O2 -Wall -Wextra -pthread -o mc_load bench/mc_load.c
 * Usage: mc_load [-h host] [-p port] [-c conns] [-d depth] [-n ops] [-t max_seconds]
 *                [-s value_size] [-k keyspace] [-g get_percent] [-P] [-T threads] [-r seed]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define KEY_FMT_LEN 12 /* "key:" + 8 digits */
#define MAX_VALUE_SIZE (16 * 1024 * 1024)
#define MAX_REPLY_VALUE (64 * 1024 * 1024) /* a VALUE larger than this is garbage */

/* ---- options ---- */
static const char* g_host = "127.0.0.1";
static const char* g_port = "11211";
static int g_conns = 50;
static int g_depth = 1;
static long long g_ops = 100000;
static double g_max_seconds = 60.0;
static int g_size = 16;
static long g_keyspace = 100000;
static int g_get_pct = 90;
static int g_prepopulate = 0;
static int g_threads = 1;
static uint64_t g_seed = 12345;

static char* g_value; /* g_size bytes of payload */

static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "mc_load: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- latency histogram: values in ns, 128 sub-buckets per power of two ---- */
#define HIST_SUB_BITS 7
#define HIST_SUB (1 << HIST_SUB_BITS)
#define HIST_BUCKETS (64 * HIST_SUB + 2 * HIST_SUB)

static inline int hist_index(uint64_t v) {
  if (v < 2 * HIST_SUB) return (int)v;
  int msb = 63 - __builtin_clzll(v);
  int e = msb - HIST_SUB_BITS;
  return e * HIST_SUB + (int)(v >> e);
}

/* midpoint of the values mapping to index i */
static double hist_value(int i) {
  if (i < 2 * HIST_SUB) return (double)i;
  int e = i / HIST_SUB - 1;
  uint64_t m = (uint64_t)(i - e * HIST_SUB);
  return (double)(m << e) + (double)((1ull << e) - 1) / 2.0;
}

/* ---- per-connection state ---- */
enum { REQ_GET = 0, REQ_SET = 1 };

struct conn {
  int fd;
  int alive;
  /* outgoing batch */
  char* wbuf;
  size_t wlen, woff;
  int want_out; /* EPOLLOUT registered */
  /* the batch in flight */
  int nreq;           /* requests in the batch */
  int nreplied;       /* replies parsed so far */
  uint8_t* req_type;  /* [depth] */
  uint32_t* req_key;  /* [depth] */
  uint64_t sent_ns;   /* start of writing the batch */
  /* incoming */
  char* rbuf;
  size_t rcap, rlen, roff;
};

struct worker {
  int id;
  pthread_t tid;
  int epfd;
  struct conn* conns;
  int nconns;
  long long budget;   /* requests this thread issues */
  long long issued;
  long long answered;
  long long hits, misses, errors, gets, sets;
  long next_seq;      /* prepopulate: next key to set */
  uint64_t rng;
  uint64_t deadline_ns;
  int capped;
  uint64_t* hist;
};

static pthread_barrier_t g_start;

static inline uint64_t rng_next(uint64_t* s) {
  /* xorshift64* */
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

static inline char* put_key(char* p, uint32_t k) {
  memcpy(p, "key:", 4);
  for (int i = 11; i >= 4; i--) {
    p[i] = (char)('0' + k % 10);
    k /= 10;
  }
  return p + KEY_FMT_LEN;
}

static char g_set_suffix[32]; /* " 0 0 <size>\r\n" */
static size_t g_set_suffix_len;

/* Build the next batch into c->wbuf; returns the number of requests (0 = nothing left). */
static int build_batch(struct worker* w, struct conn* c) {
  long long left = w->budget - w->issued;
  int n = g_depth;
  if (left < n) n = (int)left;
  if (n <= 0) return 0;
  char* p = c->wbuf;
  for (int i = 0; i < n; i++) {
    uint32_t key;
    int type;
    if (g_prepopulate) {
      key = (uint32_t)w->next_seq++;
      type = REQ_SET;
    } else {
      key = (uint32_t)(rng_next(&w->rng) % (uint64_t)g_keyspace);
      type = (int)(rng_next(&w->rng) % 100) < g_get_pct ? REQ_GET : REQ_SET;
    }
    c->req_type[i] = (uint8_t)type;
    c->req_key[i] = key;
    if (type == REQ_GET) {
      memcpy(p, "get ", 4);
      p = put_key(p + 4, key);
      memcpy(p, "\r\n", 2);
      p += 2;
      w->gets++;
    } else {
      memcpy(p, "set ", 4);
      p = put_key(p + 4, key);
      memcpy(p, g_set_suffix, g_set_suffix_len);
      p += g_set_suffix_len;
      memcpy(p, g_value, (size_t)g_size);
      p += g_size;
      memcpy(p, "\r\n", 2);
      p += 2;
      w->sets++;
    }
  }
  w->issued += n;
  c->nreq = n;
  c->nreplied = 0;
  c->wlen = (size_t)(p - c->wbuf);
  c->woff = 0;
  return n;
}

static void set_events(struct worker* w, struct conn* c, int want_out) {
  if (c->want_out == want_out) return;
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | (want_out ? EPOLLOUT : 0);
  ev.data.ptr = c;
  if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
  c->want_out = want_out;
}

static void conn_close(struct worker* w, struct conn* c, const char* why) {
  if (!c->alive) return;
  int outstanding = c->nreq - c->nreplied;
  if (outstanding > 0) {
    w->errors += outstanding;
    w->answered += outstanding; /* they will never come: do not wait for them */
    fprintf(stderr, "mc_load: connection closed (%s) with %d request(s) outstanding\n", why,
            outstanding);
  }
  epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  c->alive = 0;
  c->nreq = c->nreplied = 0;
}

/* Write what is pending; returns 0 on success (done or would block), -1 if the conn died. */
static int flush_out(struct worker* w, struct conn* c) {
  while (c->woff < c->wlen) {
    ssize_t r = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff, MSG_NOSIGNAL);
    if (r > 0) {
      c->woff += (size_t)r;
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      set_events(w, c, 1);
      return 0;
    }
    conn_close(w, c, r < 0 ? strerror(errno) : "send returned 0");
    return -1;
  }
  set_events(w, c, 0);
  return 0;
}

/* Start the next batch if the current one is complete. */
static void next_batch(struct worker* w, struct conn* c, uint64_t now) {
  if (!c->alive || c->nreplied < c->nreq) return;
  if (now >= w->deadline_ns) return;
  if (build_batch(w, c) == 0) return;
  c->sent_ns = now;
  flush_out(w, c);
}

static const char* find_crlf(const char* p, const char* end) {
  const char* q = memchr(p, '\n', (size_t)(end - p));
  if (!q || q == p || q[-1] != '\r') return q ? q : NULL; /* bare \n: caller treats as error */
  return q - 1;
}

static void record(struct worker* w, struct conn* c, uint64_t now, int ok) {
  uint64_t lat = now - c->sent_ns;
  w->hist[hist_index(lat)]++;
  if (!ok) w->errors++;
  w->answered++;
  c->nreplied++;
}

static int g_error_reports = 0;
static void report_error(const char* what, const char* line, size_t len) {
  /* only the first few, to keep stderr readable (racy across threads: harmless) */
  if (g_error_reports++ >= 5) return;
  if (len > 120) len = 120;
  fprintf(stderr, "mc_load: %s: '%.*s'\n", what, (int)len, line);
}

/* Parse complete replies in c->rbuf[roff..rlen). Returns -1 if the stream is unusable. */
static int parse_replies(struct worker* w, struct conn* c, uint64_t now) {
  const char* buf = c->rbuf;
  const char* end = buf + c->rlen;
  const char* p = buf + c->roff;
  while (p < end) {
    const char* eol = find_crlf(p, end);
    if (!eol) break; /* incomplete line */
    if (*eol == '\n') {  /* a bare \n without \r */
      report_error("line without CR", p, (size_t)(eol - p));
      return -1;
    }
    size_t llen = (size_t)(eol - p);
    const char* next = eol + 2;
    if (c->nreplied >= c->nreq) {
      report_error("reply with no request outstanding", p, llen);
      return -1;
    }
    int type = c->req_type[c->nreplied];
    if (llen > 6 && memcmp(p, "VALUE ", 6) == 0) {
      /* VALUE <key> <flags> <bytes> [<cas>] */
      const char* k = p + 6;
      const char* ke = memchr(k, ' ', (size_t)(eol - k));
      if (!ke) {
        report_error("bad VALUE line", p, llen);
        return -1;
      }
      char* q;
      errno = 0;
      (void)strtoul(ke + 1, &q, 10); /* flags */
      if (q == ke + 1 || *q != ' ') {
        report_error("bad VALUE flags", p, llen);
        return -1;
      }
      const char* bs = q + 1;
      unsigned long long bytes = strtoull(bs, &q, 10);
      if (q == bs || (q != eol && *q != ' ') || bytes > MAX_REPLY_VALUE) {
        report_error("bad VALUE length", p, llen);
        return -1;
      }
      size_t need = (size_t)(next - p) + (size_t)bytes + 2 + 5; /* data \r\n END\r\n */
      if ((size_t)(end - p) < need) break; /* wait for the rest */
      const char* data_end = next + bytes;
      if (memcmp(data_end, "\r\nEND\r\n", 7) != 0) {
        report_error("VALUE data not followed by \\r\\nEND\\r\\n", p, llen);
        return -1;
      }
      char want[KEY_FMT_LEN];
      put_key(want, c->req_key[c->nreplied]);
      int ok = type == REQ_GET && (size_t)(ke - k) == KEY_FMT_LEN &&
               memcmp(k, want, KEY_FMT_LEN) == 0;
      if (ok)
        w->hits++;
      else
        report_error(type == REQ_GET ? "VALUE for another key" : "VALUE for a set", p, llen);
      record(w, c, now, ok);
      p = data_end + 7;
    } else if (llen == 3 && memcmp(p, "END", 3) == 0) {
      if (type == REQ_GET)
        w->misses++;
      else
        report_error("END for a set", p, llen);
      record(w, c, now, type == REQ_GET);
      p = next;
    } else if (llen == 6 && memcmp(p, "STORED", 6) == 0) {
      if (type != REQ_SET) report_error("STORED for a get", p, llen);
      record(w, c, now, type == REQ_SET);
      p = next;
    } else {
      report_error(type == REQ_GET ? "unexpected get reply" : "unexpected set reply", p, llen);
      record(w, c, now, 0);
      p = next;
    }
  }
  c->roff = (size_t)(p - buf);
  if (c->roff == c->rlen) {
    c->roff = c->rlen = 0;
  }
  return 0;
}

static void on_readable(struct worker* w, struct conn* c) {
  for (;;) {
    if (c->rlen == c->rcap) {
      if (c->roff > 0) {
        memmove(c->rbuf, c->rbuf + c->roff, c->rlen - c->roff);
        c->rlen -= c->roff;
        c->roff = 0;
      } else {
        c->rcap *= 2;
        c->rbuf = realloc(c->rbuf, c->rcap);
        if (!c->rbuf) die("out of memory");
      }
    }
    size_t space = c->rcap - c->rlen;
    ssize_t r = recv(c->fd, c->rbuf + c->rlen, space, 0);
    if (r > 0) {
      uint64_t now = now_ns();
      c->rlen += (size_t)r;
      if (parse_replies(w, c, now) < 0) {
        conn_close(w, c, "protocol error");
        return;
      }
      if (c->nreplied == c->nreq) {
        next_batch(w, c, now);
        return; /* level-triggered: epoll reports anything still unread */
      }
      if ((size_t)r < space) return; /* drained (likely); epoll says if not */
      continue;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    conn_close(w, c, r < 0 ? strerror(errno) : "closed by server");
    return;
  }
}

static int connect_one(void) {
  struct addrinfo hints, *res, *ai;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(g_host, g_port, &hints, &res);
  if (rc != 0) die("getaddrinfo %s:%s: %s", g_host, g_port, gai_strerror(rc));
  int fd = -1;
  for (ai = res; ai; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) break;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) die("connect %s:%s: %s", g_host, g_port, strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) die("fcntl: %s", strerror(errno));
  return fd;
}

static void* worker_main(void* arg) {
  struct worker* w = arg;
  size_t req_max = 4 + KEY_FMT_LEN + g_set_suffix_len + (size_t)g_size + 2;
  w->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (w->epfd < 0) die("epoll_create1: %s", strerror(errno));
  for (int i = 0; i < w->nconns; i++) {
    struct conn* c = &w->conns[i];
    c->fd = connect_one();
    c->alive = 1;
    c->wbuf = malloc(req_max * (size_t)g_depth);
    c->req_type = malloc((size_t)g_depth);
    c->req_key = malloc(sizeof(uint32_t) * (size_t)g_depth);
    c->rcap = 65536;
    size_t reply_max = ((size_t)g_size + 64) * (size_t)g_depth + 64;
    while (c->rcap < reply_max) c->rcap *= 2;
    c->rbuf = malloc(c->rcap);
    if (!c->wbuf || !c->req_type || !c->req_key || !c->rbuf) die("out of memory");
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl: %s", strerror(errno));
  }
  pthread_barrier_wait(&g_start);
  uint64_t now = now_ns();
  w->deadline_ns = now + (uint64_t)(g_max_seconds * 1e9);
  for (int i = 0; i < w->nconns; i++) next_batch(w, &w->conns[i], now);

  struct epoll_event evs[256];
  while (w->answered < w->issued || w->issued < w->budget) {
    int live = 0;
    for (int i = 0; i < w->nconns && !live; i++) live = w->conns[i].alive;
    if (!live) break;
    now = now_ns();
    if (now >= w->deadline_ns) {
      w->capped = 1;
      break;
    }
    int timeout_ms = (int)((w->deadline_ns - now) / 1000000ull) + 1;
    if (timeout_ms > 100) timeout_ms = 100;
    int n = epoll_wait(w->epfd, evs, 256, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    for (int i = 0; i < n; i++) {
      struct conn* c = evs[i].data.ptr;
      if (!c->alive) continue;
      if (evs[i].events & EPOLLOUT) {
        if (flush_out(w, c) < 0) continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(w, c);
    }
  }
  for (int i = 0; i < w->nconns; i++) {
    struct conn* c = &w->conns[i];
    if (c->alive) {
      close(c->fd);
      c->alive = 0;
    }
    free(c->wbuf);
    free(c->rbuf);
    free(c->req_type);
    free(c->req_key);
  }
  close(w->epfd);
  return NULL;
}

static long long parse_ll(const char* s, const char* what, long long lo, long long hi) {
  char* e;
  errno = 0;
  long long v = strtoll(s, &e, 10);
  if (errno || e == s || *e || v < lo || v > hi) die("bad %s: '%s'", what, s);
  return v;
}

static void usage(void) {
  fprintf(stderr,
          "usage: mc_load [-h host] [-p port] [-c conns=50] [-d depth=1] [-n ops=100000]\n"
          "               [-t max_seconds=60] [-s value_size=16] [-k keyspace=100000]\n"
          "               [-g get_percent=90] [-P (prepopulate only)] [-T threads=1] [-r seed]\n");
  exit(2);
}

int main(int argc, char** argv) {
  int opt;
  while ((opt = getopt(argc, argv, "h:p:c:d:n:t:s:k:g:PT:r:")) != -1) {
    switch (opt) {
      case 'h': g_host = optarg; break;
      case 'p': g_port = optarg; break;
      case 'c': g_conns = (int)parse_ll(optarg, "conns", 1, 100000); break;
      case 'd': g_depth = (int)parse_ll(optarg, "depth", 1, 100000); break;
      case 'n': g_ops = parse_ll(optarg, "ops", 1, (long long)1 << 50); break;
      case 't': {
        char* e;
        g_max_seconds = strtod(optarg, &e);
        if (e == optarg || *e || !(g_max_seconds > 0)) die("bad max_seconds: '%s'", optarg);
        break;
      }
      case 's': g_size = (int)parse_ll(optarg, "value_size", 0, MAX_VALUE_SIZE); break;
      case 'k': g_keyspace = (long)parse_ll(optarg, "keyspace", 1, 100000000); break;
      case 'g': g_get_pct = (int)parse_ll(optarg, "get_percent", 0, 100); break;
      case 'P': g_prepopulate = 1; break;
      case 'T': g_threads = (int)parse_ll(optarg, "threads", 1, 64); break;
      case 'r': g_seed = (uint64_t)parse_ll(optarg, "seed", 0, INT64_MAX); break;
      default: usage();
    }
  }
  if (optind != argc) usage();
  if (g_prepopulate) g_ops = g_keyspace;
  if (g_threads > g_conns) g_threads = g_conns;

  g_value = malloc((size_t)g_size + 1);
  if (!g_value) die("out of memory");
  for (int i = 0; i < g_size; i++) g_value[i] = (char)('a' + i % 26);
  g_set_suffix_len = (size_t)snprintf(g_set_suffix, sizeof g_set_suffix, " 0 0 %d\r\n", g_size);

  struct worker* ws = calloc((size_t)g_threads, sizeof *ws);
  if (!ws) die("out of memory");
  long seq = 0;
  for (int t = 0; t < g_threads; t++) {
    struct worker* w = &ws[t];
    w->id = t;
    w->nconns = g_conns / g_threads + (t < g_conns % g_threads);
    w->conns = calloc((size_t)w->nconns, sizeof *w->conns);
    w->budget = g_ops / g_threads + (t < g_ops % g_threads);
    w->next_seq = seq;
    seq += (long)w->budget;
    w->rng = (g_seed + 1) * 0x9E3779B97F4A7C15ull ^ ((uint64_t)t + 1) * 0xBF58476D1CE4E5B9ull;
    if (w->rng == 0) w->rng = 1;
    w->hist = calloc(HIST_BUCKETS, sizeof(uint64_t));
    if (!w->conns || !w->hist) die("out of memory");
  }

  if (pthread_barrier_init(&g_start, NULL, (unsigned)g_threads + 1) != 0) die("barrier init");
  for (int t = 0; t < g_threads; t++)
    if (pthread_create(&ws[t].tid, NULL, worker_main, &ws[t]) != 0) die("pthread_create");

  struct rusage ru0, ru1;
  /* every connection is open once all threads reached the barrier */
  getrusage(RUSAGE_SELF, &ru0);
  pthread_barrier_wait(&g_start);
  uint64_t t0 = now_ns();
  for (int t = 0; t < g_threads; t++) pthread_join(ws[t].tid, NULL);
  uint64_t t1 = now_ns();
  getrusage(RUSAGE_SELF, &ru1);

  long long hits = 0, misses = 0, errors = 0, gets = 0, sets = 0;
  int capped = 0;
  static uint64_t hist[HIST_BUCKETS];
  for (int t = 0; t < g_threads; t++) {
    struct worker* w = &ws[t];
    hits += w->hits;
    misses += w->misses;
    errors += w->errors;
    gets += w->gets;
    sets += w->sets;
    capped |= w->capped;
    for (int i = 0; i < HIST_BUCKETS; i++) hist[i] += w->hist[i];
  }
  /* requests issued but never answered (the deadline cut them off) are not counted */
  uint64_t total = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) total += hist[i];
  double pct[5] = {0.50, 0.90, 0.99, 0.999, 1.0};
  double val[5] = {0, 0, 0, 0, 0};
  for (int j = 0; j < 5; j++) {
    if (total == 0) break;
    uint64_t target = (uint64_t)(pct[j] * (double)total + 0.999999);
    if (target < 1) target = 1;
    if (target > total) target = total;
    uint64_t cum = 0;
    for (int i = 0; i < HIST_BUCKETS; i++) {
      cum += hist[i];
      if (cum >= target) {
        val[j] = hist_value(i) / 1000.0;
        break;
      }
    }
  }
  double secs = (double)(t1 - t0) / 1e9;
  double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
               (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) * 1e-6 +
               (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) * 1e-6;
  /* "ops" counts replies received (errors included); a closed connection's lost requests
     count as errors but not as ops */
  long long ops = (long long)total;
  printf("ops=%lld seconds=%.6f ops_per_sec=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f "
         "p999_us=%.1f max_us=%.1f hits=%lld misses=%lld errors=%lld gets=%lld sets=%lld "
         "capped=%d client_cpu_s=%.3f conns=%d depth=%d threads=%d size=%d%s\n",
         ops, secs, secs > 0 ? (double)ops / secs : 0.0, val[0], val[1], val[2], val[3], val[4],
         hits, misses, errors, gets, sets, capped, cpu, g_conns, g_depth, g_threads, g_size,
         g_prepopulate ? " prepopulate=1" : "");
  fflush(stdout);
  for (int t = 0; t < g_threads; t++) {
    free(ws[t].conns);
    free(ws[t].hist);
  }
  free(ws);
  free(g_value);
  return (errors || ops == 0) ? 1 : 0; /* ops == 0: no reply at all before the time cap */
}
