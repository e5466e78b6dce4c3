// floor_server: the cost floor of a RESP server on this machine. One thread, epoll, read,
// frame each multibulk command (no lookup, no storage), write one canned reply per command:
// a 16-byte bulk for GET, +OK for anything else. What it costs per request at pipeline 1 is
// kernel TCP, syscalls and wake-ups only: bench/compare_redis.py runs it next to Tessera and
// Redis (BENCH_FLOOR=1) so Tessera's distance from the floor is measured, not assumed.
//
// Usage: floor_server --port N   (other flags are ignored; prints "listening resp 127.0.0.1 N")
// Not a server: no errors, no limits, no inline commands. Bench use only.
#define _GNU_SOURCE  // accept4
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

enum { kBufBytes = 64 * 1024, kMaxEvents = 256 };

struct conn {
  int fd;
  size_t len;  // unparsed bytes in buf
  char buf[kBufBytes];
  char out[kBufBytes];
};

static const char kGetReply[] = "$16\r\nxxxxxxxxxxxxxxxx\r\n";
static const char kOkReply[] = "+OK\r\n";

// Parses "<prefix><int>\r\n" at p (end e). Returns the byte after the line, or NULL if the
// line is incomplete.
static const char* read_header(const char* p, const char* e, long* value) {
  const char* cr = memchr(p, '\r', (size_t)(e - p));
  if (cr == NULL || cr + 1 >= e) {
    return NULL;
  }
  *value = strtol(p + 1, NULL, 10);
  return cr + 2;
}

// Frames one multibulk command starting at p. Returns its end (NULL if incomplete) and
// whether its first argument is GET.
static const char* frame_command(const char* p, const char* e, int* is_get) {
  long argc = 0;
  const char* q = read_header(p, e, &argc);
  *is_get = 0;
  for (long i = 0; q != NULL && i < argc; ++i) {
    long len = 0;
    q = read_header(q, e, &len);
    if (q == NULL || e - q < len + 2) {
      return NULL;
    }
    if (i == 0 && len == 3 && strncasecmp(q, "GET", 3) == 0) {
      *is_get = 1;
    }
    q += len + 2;
  }
  return q;
}

// One read per readiness event (epoll is level-triggered: what is left is reported again),
// as Redis does.
static void serve(int epfd, struct conn* c) {
  ssize_t n = read(c->fd, c->buf + c->len, kBufBytes - c->len);
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) {
      return;
    }
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c);
    return;
  }
  c->len += (size_t)n;
  const char* p = c->buf;
  const char* e = c->buf + c->len;
  size_t out = 0;
  for (;;) {
    int is_get = 0;
    const char* next = p < e ? frame_command(p, e, &is_get) : NULL;
    if (next == NULL || out + sizeof kGetReply > kBufBytes) {
      break;
    }
    const char* reply = is_get ? kGetReply : kOkReply;
    size_t reply_len = is_get ? sizeof kGetReply - 1 : sizeof kOkReply - 1;
    memcpy(c->out + out, reply, reply_len);
    out += reply_len;
    p = next;
  }
  c->len = (size_t)(e - p);
  memmove(c->buf, p, c->len);
  if (out > 0 && write(c->fd, c->out, out) < 0) {
    perror("write");  // a bench client that reads its replies never fills the socket
  }
}

int main(int argc, char** argv) {
  int port = 0;
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--port") == 0) {
      port = atoi(argv[i + 1]);
    }
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(lfd, 511) != 0) {
    perror("bind/listen");
    return 1;
  }
  socklen_t alen = sizeof addr;
  getsockname(lfd, (struct sockaddr*)&addr, &alen);
  printf("listening resp 127.0.0.1 %d\n", ntohs(addr.sin_port));
  fflush(stdout);
  int epfd = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
  struct epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(epfd, events, kMaxEvents, -1);
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr != NULL) {
        serve(epfd, events[i].data.ptr);
        continue;
      }
      int fd;
      while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        struct conn* c = calloc(1, sizeof *c);
        c->fd = fd;
        struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &cev);
      }
    }
  }
}
