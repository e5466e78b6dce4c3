// SpscRing: bounded lock-free single-producer/single-consumer ring of trivially copyable
// values (Tessera passes message pointers). One ring per (producer thread, consumer thread)
// pair; the stages never share a queue.
//
// Thread safety: exactly one producer thread calls try_push, exactly one consumer thread
// calls try_pop / empty_for_consumer. empty_approx may be called from either side.
//
// Invariants:
//   - head_ (consumer-owned) and tail_ (producer-owned) only increase; tail_ - head_ is the
//     number of queued items and never exceeds capacity_.
//   - Each side caches the other side's index so the common case touches no shared line.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace tessera::runtime {

inline constexpr size_t kCacheLine = 64;

template <class T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied with plain stores");

 public:
  // REQUIRES: capacity is a power of two.
  explicit SpscRing(size_t capacity)
      : capacity_(capacity), mask_(capacity - 1), slots_(std::make_unique<T[]>(capacity)) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Producer side. Returns false when full.
  bool try_push(T value) {
    const uint64_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - cached_head_ >= capacity_) {
      // acquire: the consumer's reads of the slots it freed happen before we overwrite them.
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail - cached_head_ >= capacity_) {
        return false;
      }
    }
    slots_[tail & mask_] = value;
    // release: the slot write is visible before the consumer sees the new tail.
    tail_.store(tail + 1, std::memory_order_release);
    return true;
  }

  // Consumer side. Returns false when empty.
  bool try_pop(T& out) {
    const uint64_t head = head_.load(std::memory_order_relaxed);
    if (head == cached_tail_) {
      // acquire: pairs with the producer's release store of tail_.
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head == cached_tail_) {
        return false;
      }
    }
    out = slots_[head & mask_];
    // release: our read of the slot completes before the producer may reuse it.
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Either side: a snapshot; exact only when the other side is quiescent. seq_cst so it
  // orders against the parking flag (see doorbell.h).
  bool empty_approx() const { return tail_.load() == head_.load(); }
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  const size_t mask_;
  std::unique_ptr<T[]> slots_;
  // Producer-owned line: its index and its cached view of the consumer's.
  alignas(kCacheLine) std::atomic<uint64_t> tail_{0};
  uint64_t cached_head_ = 0;
  // Consumer-owned line.
  alignas(kCacheLine) std::atomic<uint64_t> head_{0};
  uint64_t cached_tail_ = 0;
  // Keep the next object off the consumer's line.
  alignas(kCacheLine) char pad_[1] = {};
};

}  // namespace tessera::runtime
