// ByteBuffer: a growable byte queue with a read position, for a connection's input (bytes
// received, not yet parsed) and output (bytes encoded, not yet sent). Consumed bytes are
// reclaimed by compaction when the unread part can move cheaply.
//
// Thread safety: none; each buffer has one owning thread (see connection.h).
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
    if (read_ == write_) {
      read_ = write_ = 0;
    }
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
  // Drops the storage when empty and larger than `keep` (an idle client keeps little).
  void shrink_if_idle(size_t keep) {
    if (empty() && capacity_ > keep) {
      data_.reset();
      capacity_ = 0;
    }
  }

 private:
  void make_room(size_t min_free) {
    size_t live = write_ - read_;
    if (read_ > 0 && capacity_ - live >= min_free && live <= capacity_ / 2) {
      std::memmove(data_.get(), data_.get() + read_, live);
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

  static constexpr size_t kInitialCapacity = 16 * 1024;

 public:
  // An idle connection keeps at most this much buffer (a burst's larger buffer is dropped).
  static constexpr size_t kIdleKeepBytes = 64 * 1024;

 private:
  std::unique_ptr<char[]> data_;
  size_t capacity_ = 0;
  size_t read_ = 0;
  size_t write_ = 0;
};

}  // namespace tessera::runtime
