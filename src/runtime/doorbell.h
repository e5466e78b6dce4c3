// Doorbell: how a thread parks and how producers wake it, ringing only when it is parked.
//
// Protocol (a Dekker-style handshake; both sides use seq_cst):
//   consumer: parked_ = true; re-check every inbound ring; if any has work, parked_ = false
//             and run; otherwise block in its I/O wait (epoll_wait / io_uring) which also
//             watches the eventfd; on return parked_ = false.
//   producer: push into the ring; fence; if parked_ is true, write the eventfd.
// Either the consumer's re-check sees the pushed item, or the producer sees parked_ and
// rings: a wake-up is never lost, and a running consumer is never signalled.
//
// Thread safety: ring() from any thread; the rest from the owning thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "runtime/spsc_ring.h"

namespace tessera::runtime {

class Doorbell {
 public:
  Doorbell();
  ~Doorbell();
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  int fd() const { return fd_; }  // the eventfd to watch for readability

  void set_parked(bool parked) { parked_.store(parked, std::memory_order_seq_cst); }
  // Producer side, after publishing work.
  void ring_if_parked() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (parked_.load(std::memory_order_seq_cst)) {
      ring();
    }
  }
  void ring();
  // Owner: consume pending rings (after the eventfd became readable).
  void drain() { drain_fd(fd_); }
  // The same on a doorbell's fd, for the I/O backend that watches it.
  static void drain_fd(int fd);
  uint64_t rings_sent() const { return rings_.load(std::memory_order_relaxed); }

 private:
  int fd_ = -1;
  alignas(kCacheLine) std::atomic<bool> parked_{false};
  std::atomic<uint64_t> rings_{0};
};

}  // namespace tessera::runtime
