// ByteBuffer: a growable byte queue with a read position, for a connection's input (bytes
// received, not yet parsed) and output (bytes encoded, not yet sent). Consumed bytes are
// reclaimed by compaction when the unread part can move cheaply.
//
// Storage is lent, not kept: an empty buffer gives its block back (release_if_idle), and a
// standard-size block goes to its thread's spare pool, which hands the most recently
// returned block out first. A thread serving many connections one request at a time thus
// writes into the same few cached blocks instead of one cold block per connection, and an
// idle connection holds no buffer memory.
//
// Thread safety: none; each buffer has one owning thread (see connection.h). The spare pool
// is per thread: a block returns to the pool of the thread that released it.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace tessera::runtime {

class ByteBuffer {
 public:
  ByteBuffer() = default;
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;

  std::string_view readable() const { return {data_.get() + read_, write_ - read_}; }
  size_t size() const { return write_ - read_; }
  bool empty() const { return write_ == read_; }
  size_t capacity() const { return capacity_; }

  void consume(size_t n) {
    read_ += n;
    rewind_if_drained();
  }
  // Free space at the end, at least `min_free` bytes (grows or compacts as needed).
  char* prepare(size_t min_free) {
    if (capacity_ - write_ < min_free) {
      make_room(min_free);
    }
    return data_.get() + write_;
  }
  size_t free_space() const { return capacity_ - write_; }
  void commit(size_t n) { write_ += n; }
  // Lends the free space at the end (at least `min_free` bytes, free_space() in all) to a
  // writer the owning thread does not run, a single-shot io_uring receive, until
  // give_back_tail. Meanwhile the buffer neither resets its positions when its bytes are
  // consumed nor gives its block back, so the lent bytes stay where the writer puts them.
  // REQUIRES: nothing else writes to the buffer while its tail is lent.
  char* lend_tail(size_t min_free) {
    char* tail = prepare(min_free);
    tail_lent_ = true;
    return tail;
  }
  // Ends the loan: the writer put `written` bytes at the lent address.
  void give_back_tail(size_t written) {
    tail_lent_ = false;
    write_ += written;
    rewind_if_drained();  // everything before the tail may have been consumed meanwhile
  }
  void append(std::string_view s) {
    if (s.empty()) {
      return;  // s.data() may be null, which memcpy must not get even for 0 bytes
    }
    std::memcpy(prepare(s.size()), s.data(), s.size());
    write_ += s.size();
  }
  void clear() { read_ = write_ = 0; }
  void swap(ByteBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(capacity_, other.capacity_);
    std::swap(read_, other.read_);
    std::swap(write_, other.write_);
  }
  // Gives the storage back when empty: a standard block to this thread's spare pool, a
  // larger one (after a burst) to the allocator.
  void release_if_idle() {
    if (!empty() || !data_ || tail_lent_) {
      return;
    }
    if (capacity_ == kInitialCapacity) {
      put_spare_block(std::move(data_));
    } else {
      data_.reset();
    }
    capacity_ = 0;
  }

 private:
  // Invariant: an empty buffer whose tail is not lent has both positions at 0.
  void rewind_if_drained() {
    if (read_ == write_ && !tail_lent_) {
      read_ = write_ = 0;
    }
  }
  void make_room(size_t min_free) {
    size_t live = write_ - read_;
    if (read_ > 0 && capacity_ - live >= min_free && live <= capacity_ / 2) {
      std::memmove(data_.get(), data_.get() + read_, live);
    } else if (capacity_ == 0 && min_free <= kInitialCapacity) {
      data_ = take_spare_block();
      capacity_ = kInitialCapacity;
    } else {
      size_t want = capacity_ ? capacity_ * 2 : kInitialCapacity;
      while (want < live + min_free) {
        want *= 2;
      }
      auto bigger = std::make_unique_for_overwrite<char[]>(want);
      if (live) {
        std::memcpy(bigger.get(), data_.get() + read_, live);
      }
      data_ = std::move(bigger);
      capacity_ = want;
    }
    read_ = 0;
    write_ = live;
  }

  // This thread's spare pool of kInitialCapacity blocks (byte_buffer.cc).
  static std::unique_ptr<char[]> take_spare_block();
  static void put_spare_block(std::unique_ptr<char[]> block);

 public:
  // The standard block size: the first block of every buffer, and the unit of the pool.
  static constexpr size_t kInitialCapacity = 16 * 1024;
  // Spare blocks a thread keeps at most; more are freed.
  static constexpr size_t kMaxSpareBlocks = 64;

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t read_ = 0;
  size_t write_ = 0;
  bool tail_lent_ = false;
};

}  // namespace tessera::runtime
