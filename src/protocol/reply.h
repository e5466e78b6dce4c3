// The protocol-neutral reply model: command code writes typed values (not protocol bytes)
// into a ReplyBuffer with ReplyWriter; encoders (resp_encoder.h, later memcached and JSON)
// read them back with ReplyReader and produce wire bytes on the replier thread.
//
// Wire form of the model (host byte order, unaligned, private to this module):
//   tag:u8, then by tag
//     kSimple/kError/kBulk/kBigNumber: len:u32, bytes      kVerbatim: fmt[3], len:u32, bytes
//     kInteger: i64      kDouble: f64      kBoolean: u8
//     kArray/kMap/kSet/kPush: count:u32 (a map's count is the number of pairs), then elements
//     kNull (RESP2 "$-1"), kNullArray (RESP2 "*-1"): nothing
// A "reply" is one top-level value; a buffer holds any number of them back to back.
//
// Thread safety: plain values; a buffer is filled by one thread and then handed over.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

namespace tessera::protocol {

enum class ReplyTag : uint8_t {
  kSimple = 1,
  kError,
  kInteger,
  kBulk,
  kNull,
  kNullArray,
  kArray,
  kMap,
  kSet,
  kPush,
  kDouble,
  kBoolean,
  kVerbatim,
  kBigNumber,
};

// Growable byte buffer holding encoded model values. Reused across batches (clear() keeps
// capacity). Grown bytes are not zeroed: a table read reserves its column bulks (tens of
// KiB) and fills them in place, and every small reply is written right after grow().
class ReplyBuffer {
 public:
  ReplyBuffer() = default;
  ReplyBuffer(ReplyBuffer&& o) noexcept
      : bytes_(std::move(o.bytes_)), size_(std::exchange(o.size_, 0)), capacity_(std::exchange(o.capacity_, 0)) {}
  ReplyBuffer& operator=(ReplyBuffer&& o) noexcept {
    bytes_ = std::move(o.bytes_);
    size_ = std::exchange(o.size_, 0);
    capacity_ = std::exchange(o.capacity_, 0);
    return *this;
  }
  ReplyBuffer(const ReplyBuffer&) = delete;
  ReplyBuffer& operator=(const ReplyBuffer&) = delete;

  void clear() { size_ = 0; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  bool empty() const { return size_ == 0; }
  const char* data() const { return bytes_.get(); }
  // Writable bytes, for filling space reserved earlier (grow() may move them: keep offsets).
  char* data() { return bytes_.get(); }
  std::string_view view() const { return {bytes_.get(), size_}; }
  std::string_view view(size_t from, size_t to) const { return view().substr(from, to - from); }
  // Appends n uninitialised bytes and returns where they start.
  char* grow(size_t n) {
    if (n > capacity_ - size_) {
      reallocate(std::max({capacity_ * 2, size_ + n, kMinCapacity}));
    }
    char* at = bytes_.get() + size_;
    size_ += n;
    return at;
  }
  void append(std::string_view s) {
    if (!s.empty()) {  // an empty view may have a null data(), which memcpy may not take
      std::memcpy(grow(s.size()), s.data(), s.size());
    }
  }
  // REQUIRES: n <= size().
  void truncate(size_t n) { size_ = n; }
  void reserve(size_t n) {
    if (n > capacity_) {
      reallocate(n);
    }
  }

 private:
  static constexpr size_t kMinCapacity = 64;
  void reallocate(size_t capacity) {
    auto fresh = std::make_unique_for_overwrite<char[]>(capacity);
    if (size_ != 0) {
      std::memcpy(fresh.get(), bytes_.get(), size_);
    }
    bytes_ = std::move(fresh);
    capacity_ = capacity;
  }

  std::unique_ptr<char[]> bytes_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Appends model values to a ReplyBuffer. Aggregates are written header-first: call
// array(n) then write exactly n elements (2n for map(n)).
class ReplyWriter {
 public:
  explicit ReplyWriter(ReplyBuffer& out) : out_(&out) {}

  void simple(std::string_view s) { string_like(ReplyTag::kSimple, s); }
  // `message` is the full error text including its code, e.g. "ERR syntax error".
  // An error is one line on every wire: CR and LF in its text (an echoed argument) become
  // spaces, as Redis maps them in the errors it formats.
  void error(std::string_view message);
  void integer(int64_t v) { fixed(ReplyTag::kInteger, &v, sizeof v); }
  void bulk(std::string_view s) { string_like(ReplyTag::kBulk, s); }
  // Reserves a bulk of `len` bytes and returns where the caller writes them.
  char* bulk_uninitialized(size_t len);
  void null() { tag(ReplyTag::kNull); }
  void null_array() { tag(ReplyTag::kNullArray); }
  void array(uint32_t n) { fixed(ReplyTag::kArray, &n, sizeof n); }
  void map(uint32_t pairs) { fixed(ReplyTag::kMap, &pairs, sizeof pairs); }
  void set(uint32_t n) { fixed(ReplyTag::kSet, &n, sizeof n); }
  void push(uint32_t n) { fixed(ReplyTag::kPush, &n, sizeof n); }
  void dbl(double v) { fixed(ReplyTag::kDouble, &v, sizeof v); }
  void boolean(bool v) {
    uint8_t b = v ? 1 : 0;
    fixed(ReplyTag::kBoolean, &b, 1);
  }
  // RESP3 verbatim string; `format` is three characters such as "txt".
  void verbatim(std::string_view format, std::string_view s);
  void big_number(std::string_view digits) { string_like(ReplyTag::kBigNumber, digits); }

  // Common replies.
  void ok() { simple("OK"); }

  ReplyBuffer& buffer() { return *out_; }

 private:
  void tag(ReplyTag t) { *out_->grow(1) = static_cast<char>(t); }
  void fixed(ReplyTag t, const void* p, size_t n) {
    char* d = out_->grow(1 + n);
    d[0] = static_cast<char>(t);
    std::memcpy(d + 1, p, n);
  }
  void string_like(ReplyTag t, std::string_view s);

  ReplyBuffer* out_;
};

// One decoded model value. For strings `str` views the buffer; for aggregates `count` is
// the element count (pairs for maps) and the elements follow in the stream.
struct ReplyValue {
  ReplyTag tag{};
  int64_t integer = 0;
  double dbl = 0;
  bool boolean = false;
  uint32_t count = 0;
  std::string_view str;
  std::string_view verbatim_format;
};

// Sequential reader over model bytes. The input must be well-formed (written by
// ReplyWriter); a truncated stream is a programming error.
class ReplyReader {
 public:
  explicit ReplyReader(std::string_view bytes) : p_(bytes.data()), end_(bytes.data() + bytes.size()) {}
  bool at_end() const { return p_ >= end_; }
  ReplyValue next();
  // Skips one complete value including all nested elements; returns its bytes.
  std::string_view skip_value();
  const char* position() const { return p_; }

 private:
  const char* p_;
  const char* end_;
};

}  // namespace tessera::protocol
