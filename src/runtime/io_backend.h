// IoBackend: the socket I/O of one stage thread, completion style, with two implementations:
// io_uring (liburing) and an epoll fallback, chosen at startup (io_uring is refused under
// Docker's default seccomp profile). Both deliver the same events to an IoHandler:
//   - reading: while enabled for a connection, received bytes land in conn->in and
//     on_recv(conn, n) is called (n > 0 bytes, 0 on EOF, -errno on error);
//   - writing: flush(conn) hands conn->out to the kernel; on_sent(conn) reports progress
//     (bytes left the buffers), on_send_error(conn, -errno) a failure;
//   - accept: on_accept(fd) for each new socket of a listener;
//   - the thread's doorbell eventfd wakes wait(); the backend consumes its count.
//
// Thread safety: an IoBackend belongs to one stage thread; all calls come from it.
#pragma once

#include <cerrno>
#include <cstdint>
#include <memory>

namespace tessera::runtime {

struct Connection;

class IoHandler {
 public:
  virtual ~IoHandler() = default;
  virtual void on_accept(int listen_fd, int fd) = 0;
  virtual void on_recv(Connection* conn, long n) = 0;
  virtual void on_sent(Connection* conn) = 0;
  virtual void on_send_error(Connection* conn, int err) = 0;
};

class IoBackend {
 public:
  virtual ~IoBackend() = default;
  virtual const char* name() const = 0;
  virtual void add_listener(int fd) = 0;
  virtual void remove_listener(int fd) = 0;
  // Start/stop delivering received bytes for `conn` (the parser side).
  virtual void enable_read(Connection* conn) = 0;
  virtual void disable_read(Connection* conn) = 0;
  // True while the backend still owns conn->in (an io_uring recv in flight).
  virtual bool read_busy(const Connection* conn) const = 0;
  // Send what conn->out holds (the replier side). Partial progress is continued by the
  // backend; on_sent is called as bytes leave.
  virtual void flush(Connection* conn) = 0;
  // True while the backend still owns output state of `conn` (a send in flight).
  virtual bool write_busy(const Connection* conn) const = 0;
  // Drop every registration of `conn` on this thread's backend (before close(fd)).
  virtual void forget(Connection* conn) = 0;
  // Process ready events; block up to timeout_ms (-1 forever, 0 poll). Returns when events
  // were handled, the doorbell rang, or the timeout passed.
  virtual void wait(int timeout_ms) = 0;
};

// An accept that fails for lack of resources (no descriptor left in the process or the
// system, no memory) would fail again at once for the connection still waiting in the
// backlog: both backends then stop accepting on that listener for kAcceptBackoffMs instead
// of retrying in a busy loop. The waiting clients stay in the backlog meanwhile.
inline constexpr int kAcceptBackoffMs = 100;
inline bool accept_lacks_resources(int err) {
  return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM;
}

enum class IoBackendKind { kIoUring, kEpoll };

// REQUIRES: doorbell_fd stays open for the backend's lifetime.
std::unique_ptr<IoBackend> make_epoll_backend(IoHandler& handler, int doorbell_fd);
// Returns null if io_uring is unavailable (refused by seccomp, old kernel, no memory).
std::unique_ptr<IoBackend> make_uring_backend(IoHandler& handler, int doorbell_fd);
// Probes io_uring once; true if a ring can be created here.
bool io_uring_available();

}  // namespace tessera::runtime
