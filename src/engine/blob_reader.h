// BlobReader: a bounds-checked little-endian reader over the binary arguments of the table
// commands: TABLE.INSERT's columnar batch (table_batch.h) and TABLE.MGET's KEYBLOB
// (table_key_blob.h), which share the "n + 1 uint32 offsets, then the bytes" section.
// Plain value over a view of the argument; any thread. Costs O(bytes read).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace tessera::engine {

// Why an offsets section is malformed (kOk: it is not).
enum class OffsetsCheck : uint8_t { kOk, kTruncatedOffsets, kFirstNotZero, kDecreasing, kTruncatedData };

class BlobReader {
 public:
  explicit BlobReader(std::string_view blob) : blob_(blob) {}
  bool take(size_t n, std::string_view& out) {
    if (blob_.size() - pos_ < n) {
      return false;
    }
    out = blob_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool u32(uint32_t& v) {
    std::string_view bytes;
    if (!take(sizeof v, bytes)) {
      return false;
    }
    std::memcpy(&v, bytes.data(), sizeof v);  // little-endian host (x86-64), as the wire format
    return true;
  }
  bool u8(uint8_t& v) {
    std::string_view bytes;
    if (!take(1, bytes)) {
      return false;
    }
    v = static_cast<uint8_t>(bytes[0]);
    return true;
  }
  // n + 1 offsets, starting at 0 and non-decreasing; the data that follows them.
  OffsetsCheck offsets_and_data(uint32_t n, std::vector<uint32_t>& offsets, std::string_view& data) {
    std::string_view bytes;
    if (!take((size_t{n} + 1) * sizeof(uint32_t), bytes)) {
      return OffsetsCheck::kTruncatedOffsets;
    }
    offsets.resize(size_t{n} + 1);
    std::memcpy(offsets.data(), bytes.data(), bytes.size());
    if (offsets[0] != 0) {
      return OffsetsCheck::kFirstNotZero;
    }
    for (uint32_t i = 0; i < n; ++i) {
      if (offsets[i + 1] < offsets[i]) {
        return OffsetsCheck::kDecreasing;
      }
    }
    return take(offsets[n], data) ? OffsetsCheck::kOk : OffsetsCheck::kTruncatedData;
  }
  bool done() const { return pos_ == blob_.size(); }

 private:
  std::string_view blob_;
  size_t pos_ = 0;
};

}  // namespace tessera::engine
