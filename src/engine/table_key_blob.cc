// TABLE.MGET's KEYBLOB: decoding (see table_key_blob.h).
#include "engine/table_key_blob.h"

#include <cstdint>

#include "engine/blob_reader.h"

namespace tessera::engine {
namespace {

std::string invalid(std::string_view why) { return "ERR invalid KEYBLOB: " + std::string(why); }

}  // namespace

std::string decode_key_blob(std::string_view blob, std::vector<std::string_view>& keys) {
  BlobReader reader(blob);
  uint32_t n = 0;
  if (!reader.u32(n)) {
    return invalid("shorter than its key count");
  }
  if (n == 0) {
    return invalid("no keys");
  }
  if (n > kMaxBlobKeys) {
    return invalid("more than " + std::to_string(kMaxBlobKeys) + " keys");
  }
  std::vector<uint32_t> offsets;
  std::string_view bytes;
  switch (reader.offsets_and_data(n, offsets, bytes)) {
    case OffsetsCheck::kOk: break;
    case OffsetsCheck::kTruncatedOffsets: return invalid("shorter than its offsets");
    case OffsetsCheck::kFirstNotZero: return invalid("the first offset is not 0");
    case OffsetsCheck::kDecreasing: return invalid("offsets are not non-decreasing");
    case OffsetsCheck::kTruncatedData: return invalid("an offset is past the end of the key bytes");
  }
  if (!reader.done()) {
    return invalid("trailing bytes after the last key");
  }
  keys.reserve(keys.size() + n);
  for (uint32_t i = 0; i < n; ++i) {
    keys.push_back(bytes.substr(offsets[i], offsets[i + 1] - offsets[i]));
  }
  return {};
}

}  // namespace tessera::engine
