// Doorbell: how a thread parks and how producers wake it, ringing only when it is parked.
//
// Protocol (a Dekker-style handshake, with read-modify-writes on parked_ in place of fences):
//   consumer: exchange parked_ to 1; re-check every inbound ring; if any has work,
//             parked_ = 0 and run; otherwise block in its I/O wait (epoll_wait / io_uring)
//             which also watches the eventfd; on return parked_ = 0.
//   producer: push into the ring; fetch_add(0) on parked_; if it read 1, write the eventfd.
// Both sides' RMWs are seq_cst and ordered in parked_'s modification order. If the
// producer's comes first, the consumer's exchange reads from it (an RMW reads the value
// just before it), so the push happens-before the consumer's re-check, which sees the item.
// If the consumer's comes first, the producer reads 1 and rings. A wake-up is never lost,
// and a running consumer is never signalled. (A standalone seq_cst fence would do the same
// on x86, where both compile to one locked instruction, but ThreadSanitizer cannot model
// fences; RMWs it checks.)
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

  void set_parked(bool parked) {
    if (parked) {
      parked_.exchange(1, std::memory_order_seq_cst);
    } else {
      parked_.store(0, std::memory_order_seq_cst);
    }
  }
  // Producer side, after publishing work.
  void ring_if_parked() {
    if (parked_.fetch_add(0, std::memory_order_seq_cst) != 0) {
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
  alignas(kCacheLine) std::atomic<uint32_t> parked_{0};  // 1 while the owner is parked
  std::atomic<uint64_t> rings_{0};
};

}  // namespace tessera::runtime
