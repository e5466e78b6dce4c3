// Doorbell over an eventfd; see doorbell.h for the parking protocol.
#include "runtime/doorbell.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>

namespace tessera::runtime {

Doorbell::Doorbell() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (fd_ < 0) {
    throw std::runtime_error("eventfd failed");
  }
}

Doorbell::~Doorbell() { close(fd_); }

void Doorbell::ring() {
  rings_.fetch_add(1, std::memory_order_relaxed);
  uint64_t one = 1;
  // A full counter (EAGAIN) still leaves the fd readable: the wake-up is not lost.
  [[maybe_unused]] ssize_t n = write(fd_, &one, sizeof one);
}

void Doorbell::drain_fd(int fd) {
  uint64_t value;
  while (read(fd, &value, sizeof value) == static_cast<ssize_t>(sizeof value)) {
  }
}

}  // namespace tessera::runtime
