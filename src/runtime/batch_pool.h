// BatchPool: a stage thread's free list of emptied batches. A batch keeps the capacity of
// its vectors when it goes back to the pool, so steady-state traffic allocates nothing per
// batch. A batch returns to the pool of the thread that consumed it: in the shared layout
// that is the thread that produced it; in the dedicated layout pools fill on consumers and
// producers allocate, and the cap bounds what a pool may hold.
//
// Thread safety: none; each pool belongs to one stage thread.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace tessera::runtime {

template <class Batch>
class BatchPool {
 public:
  static constexpr size_t kMaxPooled = 16;
  // A batch bigger than this goes back to the allocator instead (a huge pipeline should not
  // pin its memory forever).
  static constexpr size_t kMaxPooledBytes = 256 * 1024;

  BatchPool() = default;
  BatchPool(const BatchPool&) = delete;
  BatchPool& operator=(const BatchPool&) = delete;
  ~BatchPool() {
    for (Batch* b : free_) {
      delete b;
    }
  }

  Batch* acquire() {
    if (free_.empty()) {
      return new Batch();
    }
    Batch* b = free_.back();
    free_.pop_back();
    return b;
  }

  void release(Batch* b) {
    if (free_.size() >= kMaxPooled || b->capacity_bytes() > kMaxPooledBytes) {
      delete b;
      return;
    }
    b->clear();
    free_.push_back(b);
  }

 private:
  std::vector<Batch*> free_;
};

}  // namespace tessera::runtime
