// IoBackend over epoll (level-triggered), the fallback when io_uring is refused.
// Reads: EPOLLIN while enabled; one recv per readiness event into conn->in.
// Writes: send() right away; on EAGAIN, EPOLLOUT until the buffer drains.
// One epoll instance per stage thread; a connection whose parser and replier share a thread
// has one registration whose mask combines both interests.
// Accepts: all pending ones per readiness; a listener whose accept lacks resources leaves the
// set for kAcceptBackoffMs (io_backend.h).
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "runtime/connection.h"
#include "runtime/doorbell.h"
#include "runtime/io_backend.h"

namespace tessera::runtime {
namespace {

constexpr size_t kRecvChunk = 16 * 1024;
constexpr int kMaxEvents = 256;

class EpollBackend final : public IoBackend {
 public:
  EpollBackend(IoHandler& handler, int doorbell_fd)
      : handler_(handler), epfd_(epoll_create1(EPOLL_CLOEXEC)), doorbell_fd_(doorbell_fd) {
    if (epfd_ < 0) {
      throw std::runtime_error("epoll_create1 failed");
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag_fd(doorbell_fd_);
    epoll_ctl(epfd_, EPOLL_CTL_ADD, doorbell_fd_, &ev);
  }
  ~EpollBackend() override { close(epfd_); }

  const char* name() const override { return "epoll"; }

  void add_listener(int fd) override {
    listeners_.insert(fd);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag_fd(fd);
    epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  }
  void remove_listener(int fd) override {
    listeners_.erase(fd);
    std::erase_if(paused_, [fd](const PausedListener& p) { return p.fd == fd; });
    epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
  }

  void enable_read(Connection* conn) override { set_mask(conn, EPOLLIN, true); }
  void disable_read(Connection* conn) override { set_mask(conn, EPOLLIN, false); }
  bool read_busy(const Connection*) const override { return false; }

  void flush(Connection* conn) override {
    while (!conn->out.empty()) {
      auto data = conn->out.readable();
      ssize_t n = send(conn->fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        conn->out.consume(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        set_mask(conn, EPOLLOUT, true);
        handler_.on_sent(conn);
        return;
      }
      handler_.on_send_error(conn, n < 0 ? -errno : -EPIPE);
      return;
    }
    set_mask(conn, EPOLLOUT, false);
    handler_.on_sent(conn);
  }
  bool write_busy(const Connection*) const override { return false; }

  void forget(Connection* conn) override {
    auto it = regs_.find(conn->fd);
    if (it != regs_.end()) {
      epoll_ctl(epfd_, EPOLL_CTL_DEL, conn->fd, nullptr);
      regs_.erase(it);
    }
  }

  void wait(int timeout_ms) override {
    epoll_event events[kMaxEvents];
    if (!paused_.empty()) {
      const int64_t until_resume = std::max<int64_t>(paused_.front().resume_at_ms - monotonic_ms(), 0);
      timeout_ms = timeout_ms < 0 ? static_cast<int>(until_resume)
                                  : static_cast<int>(std::min<int64_t>(timeout_ms, until_resume));
    }
    int n = epoll_wait(epfd_, events, kMaxEvents, timeout_ms);
    resume_listeners();
    for (int i = 0; i < n; ++i) {
      int fd = static_cast<int>(events[i].data.u64);
      if (fd == doorbell_fd_) {
        Doorbell::drain_fd(doorbell_fd_);
        continue;
      }
      if (listeners_.count(fd)) {
        accept_all(fd);
        continue;
      }
      auto it = regs_.find(fd);
      if (it == regs_.end()) {
        continue;
      }
      Connection* conn = it->second.conn;
      uint32_t mask = it->second.mask;
      // Writable first: a read may end in the connection being freed on this thread.
      if ((events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && (mask & EPOLLOUT)) {
        flush(conn);
        it = regs_.find(fd);
        if (it == regs_.end()) {
          continue;
        }
        mask = it->second.mask;
      }
      if ((events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) && (mask & EPOLLIN)) {
        read_once(conn);
      }
    }
  }

 private:
  struct Registration {
    Connection* conn;
    uint32_t mask;
  };
  static uint64_t tag_fd(int fd) { return static_cast<uint64_t>(fd); }

  void set_mask(Connection* conn, uint32_t bit, bool on) {
    auto it = regs_.find(conn->fd);
    uint32_t old = it == regs_.end() ? 0 : it->second.mask;
    uint32_t mask = on ? (old | bit) : (old & ~bit);
    if (it != regs_.end() && mask == old) {
      return;
    }
    epoll_event ev{};
    ev.events = mask;
    ev.data.u64 = tag_fd(conn->fd);
    if (it == regs_.end()) {
      epoll_ctl(epfd_, EPOLL_CTL_ADD, conn->fd, &ev);
      regs_.emplace(conn->fd, Registration{conn, mask});
    } else {
      epoll_ctl(epfd_, EPOLL_CTL_MOD, conn->fd, &ev);
      it->second.mask = mask;
    }
  }

  void read_once(Connection* conn) {
    char* dst = conn->recv_buffer().prepare(kRecvChunk);
    ssize_t n = recv(conn->fd, dst, conn->recv_buffer().free_space(), 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      return;
    }
    if (n > 0) {
      conn->recv_buffer().commit(static_cast<size_t>(n));
    }
    handler_.on_recv(conn, n < 0 ? -errno : n);
  }

  void accept_all(int listen_fd) {
    for (;;) {
      int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (accept_lacks_resources(errno)) {
          // Level-triggered: the listener would be ready again at once. Off for a while.
          epoll_ctl(epfd_, EPOLL_CTL_DEL, listen_fd, nullptr);
          paused_.push_back(PausedListener{listen_fd, monotonic_ms() + kAcceptBackoffMs});
        }
        return;
      }
      handler_.on_accept(listen_fd, fd);
    }
  }

  // Listeners paused by accept_all whose backoff is over go back into the epoll set.
  void resume_listeners() {
    const int64_t now = monotonic_ms();
    while (!paused_.empty() && paused_.front().resume_at_ms <= now) {
      const int fd = paused_.front().fd;
      paused_.erase(paused_.begin());
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = tag_fd(fd);
      epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  static int64_t monotonic_ms() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
  }

  struct PausedListener {
    int fd;
    int64_t resume_at_ms;  // monotonic; paused_ is in this order (a fixed backoff)
  };

  IoHandler& handler_;
  int epfd_;
  int doorbell_fd_;
  std::unordered_set<int> listeners_;
  std::vector<PausedListener> paused_;
  std::unordered_map<int, Registration> regs_;
};

}  // namespace

std::unique_ptr<IoBackend> make_epoll_backend(IoHandler& handler, int doorbell_fd) {
  return std::make_unique<EpollBackend>(handler, doorbell_fd);
}

}  // namespace tessera::runtime
