// The out-of-line half of the reply model (reply.h): writing string-like values and
// reading values back. The wire form is documented in reply.h; this file and the encoders
// in this directory are the only code that knows it.
//
// Invariants: a string-like value is tag, u32 length, then exactly `length` bytes; a
// verbatim value carries exactly kVerbatimFormatLen format bytes before its length.
// Thread safety: none needed; a buffer is owned by one thread at a time.
#include "protocol/reply.h"

#include <cassert>
#include <string>

namespace tessera::protocol {
namespace {

constexpr size_t kTagLen = 1;
constexpr size_t kLenLen = sizeof(uint32_t);
constexpr size_t kVerbatimFormatLen = 3;
constexpr char kVerbatimFormatPad = ' ';

uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

char* store_string_header(char* d, ReplyTag t, size_t len) {
  assert(len <= UINT32_MAX);
  d[0] = static_cast<char>(t);
  uint32_t n = static_cast<uint32_t>(len);
  std::memcpy(d + kTagLen, &n, kLenLen);
  return d + kTagLen + kLenLen;
}

}  // namespace

void ReplyWriter::error(std::string_view message) {
  if (message.find_first_of("\r\n") == std::string_view::npos) {
    string_like(ReplyTag::kError, message);
    return;
  }
  std::string one_line(message);
  for (char& c : one_line) {
    c = (c == '\r' || c == '\n') ? ' ' : c;
  }
  string_like(ReplyTag::kError, one_line);
}

void ReplyWriter::string_like(ReplyTag t, std::string_view s) {
  char* d = out_->grow(kTagLen + kLenLen + s.size());
  d = store_string_header(d, t, s.size());
  if (!s.empty()) {
    std::memcpy(d, s.data(), s.size());
  }
}

char* ReplyWriter::bulk_uninitialized(size_t len) {
  char* d = out_->grow(kTagLen + kLenLen + len);
  return store_string_header(d, ReplyTag::kBulk, len);
}

void ReplyWriter::verbatim(std::string_view format, std::string_view s) {
  assert(format.size() == kVerbatimFormatLen);
  char* d = out_->grow(kTagLen + kVerbatimFormatLen + kLenLen + s.size());
  d[0] = static_cast<char>(ReplyTag::kVerbatim);
  for (size_t i = 0; i < kVerbatimFormatLen; ++i) {
    d[kTagLen + i] = i < format.size() ? format[i] : kVerbatimFormatPad;
  }
  uint32_t n = static_cast<uint32_t>(s.size());
  std::memcpy(d + kTagLen + kVerbatimFormatLen, &n, kLenLen);
  if (!s.empty()) {
    std::memcpy(d + kTagLen + kVerbatimFormatLen + kLenLen, s.data(), s.size());
  }
}

ReplyValue ReplyReader::next() {
  assert(p_ < end_);
  ReplyValue v;
  v.tag = static_cast<ReplyTag>(static_cast<uint8_t>(*p_));
  p_ += kTagLen;
  switch (v.tag) {
    case ReplyTag::kSimple:
    case ReplyTag::kError:
    case ReplyTag::kBulk:
    case ReplyTag::kBigNumber: {
      uint32_t n = load_u32(p_);
      v.str = std::string_view(p_ + kLenLen, n);
      p_ += kLenLen + n;
      break;
    }
    case ReplyTag::kVerbatim: {
      v.verbatim_format = std::string_view(p_, kVerbatimFormatLen);
      uint32_t n = load_u32(p_ + kVerbatimFormatLen);
      v.str = std::string_view(p_ + kVerbatimFormatLen + kLenLen, n);
      p_ += kVerbatimFormatLen + kLenLen + n;
      break;
    }
    case ReplyTag::kInteger:
      std::memcpy(&v.integer, p_, sizeof v.integer);
      p_ += sizeof v.integer;
      break;
    case ReplyTag::kDouble:
      std::memcpy(&v.dbl, p_, sizeof v.dbl);
      p_ += sizeof v.dbl;
      break;
    case ReplyTag::kBoolean:
      v.boolean = *p_ != 0;
      p_ += 1;
      break;
    case ReplyTag::kArray:
    case ReplyTag::kMap:
    case ReplyTag::kSet:
    case ReplyTag::kPush:
      v.count = load_u32(p_);
      p_ += kLenLen;
      break;
    case ReplyTag::kNull:
    case ReplyTag::kNullArray:
      break;
  }
  assert(p_ <= end_);
  return v;
}

// Cost: O(number of nested values); string payloads are skipped, not read.
std::string_view ReplyReader::skip_value() {
  const char* start = p_;
  uint64_t pending = 1;  // values still to skip, counting nested elements as they appear
  while (pending > 0) {
    ReplyValue v = next();
    --pending;
    if (v.tag == ReplyTag::kMap) {
      pending += 2 * uint64_t{v.count};
    } else if (v.tag == ReplyTag::kArray || v.tag == ReplyTag::kSet || v.tag == ReplyTag::kPush) {
      pending += v.count;
    }
  }
  return std::string_view(start, static_cast<size_t>(p_ - start));
}

}  // namespace tessera::protocol
