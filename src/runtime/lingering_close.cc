// Lingering close (lingering_close.h).
#include "runtime/lingering_close.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace tessera::runtime {

namespace {

// Whether the client has closed its end. recv's 0 does not say so by itself: on a socket
// shut for reading (SHUT_RD, which CLIENT KILL and shutdown use) recv answers 0 whenever the
// queue is empty, while the client's input still arrives. The TCP state does say it. (Such
// sockets are closed at once rather than left to linger, but a drain need not know that.)
bool client_closed(int fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) {
    return true;  // not TCP, or no socket: nothing to linger for
  }
  switch (info.tcpi_state) {
    case TCP_CLOSE_WAIT:  // the client's FIN came, ours has not gone
    case TCP_LAST_ACK:
    case TCP_CLOSING:
    case TCP_TIME_WAIT:
    case TCP_CLOSE:  // both FINs done (or reset)
      return true;
    default:
      return false;
  }
}

}  // namespace

DrainResult drain_input(int fd, size_t max_bytes) {
  char scrap[16 * 1024];
  for (size_t drained = 0; drained < max_bytes;) {
    const ssize_t n = recv(fd, scrap, sizeof scrap, MSG_DONTWAIT);
    if (n > 0) {
      drained += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return DrainResult::kOpen;
    } else if (n == 0) {
      return client_closed(fd) ? DrainResult::kEnded : DrainResult::kOpen;
    } else {
      return DrainResult::kEnded;  // the socket failed (a reset from the client)
    }
  }
  return DrainResult::kOpen;
}

LingeringSockets::~LingeringSockets() {
  // The server is stopping: a last drain, so that what has arrived does not reset the close.
  for (const Socket& s : sockets_) {
    drain_input(s.fd, kMaxDrainBytes);
    close(s.fd);
  }
}

void LingeringSockets::start(int fd, int64_t now_ms) {
  shutdown(fd, SHUT_WR);  // the FIN follows the last reply
  if (sockets_.size() >= max_sockets_ || drain_input(fd, kMaxDrainBytes) == DrainResult::kEnded) {
    close(fd);
    return;
  }
  sockets_.push_back(Socket{fd, now_ms + kMaxLingerMs});
}

void LingeringSockets::poll(int64_t now_ms) {
  std::erase_if(sockets_, [&](const Socket& s) {
    const bool ended = drain_input(s.fd, kMaxDrainBytes) == DrainResult::kEnded;
    if (ended || now_ms >= s.close_at_ms) {
      close(s.fd);
      return true;
    }
    return false;
  });
}

}  // namespace tessera::runtime
