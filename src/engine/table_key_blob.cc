// TABLE.MGET's KEYBLOB: decoding and the argument rewrite (see table_key_blob.h).
#include "engine/table_key_blob.h"

#include <cstdint>
#include <cstring>

#include "engine/string_util.h"

namespace tessera::engine {
namespace {

constexpr size_t kWord = sizeof(uint32_t);
constexpr size_t kColumnsWordArg = 2;
constexpr size_t kFirstColumnArg = 3;
constexpr size_t kFormatOptionArgs = 2;  // FORMAT f

uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, kWord);  // little-endian host (x86-64), as the wire format
  return v;
}

std::string invalid(std::string_view why) { return "ERR invalid KEYBLOB: " + std::string(why); }

}  // namespace

std::string decode_key_blob(std::string_view blob, std::vector<std::string_view>& keys) {
  if (blob.size() < kWord) {
    return invalid("shorter than its key count");
  }
  const size_t n = load_u32(blob.data());
  if (n == 0) {
    return invalid("no keys");
  }
  if (n > kMaxBlobKeys) {
    return invalid("more than " + std::to_string(kMaxBlobKeys) + " keys");
  }
  const size_t header = kWord * (n + 2);
  if (blob.size() < header) {
    return invalid("shorter than its offsets");
  }
  const char* off = blob.data() + kWord;
  const char* bytes = blob.data() + header;
  const size_t available = blob.size() - header;
  if (load_u32(off) != 0) {
    return invalid("the first offset is not 0");
  }
  keys.reserve(keys.size() + n);
  uint32_t begin = 0;
  for (size_t i = 1; i <= n; ++i) {
    const uint32_t end = load_u32(off + i * kWord);
    if (end < begin) {
      return invalid("offsets are not non-decreasing");
    }
    if (end > available) {
      return invalid("an offset is past the end of the key bytes");
    }
    keys.emplace_back(bytes + begin, end - begin);
    begin = end;
  }
  if (begin != available) {
    return invalid("trailing bytes after the last key");
  }
  return {};
}

std::string expand_mget_key_blob(std::span<const std::string_view> args, std::vector<std::string_view>& out) {
  // TABLE.MGET name COLUMNS c1 .. cM KEYBLOB blob [FORMAT f]: as parse_mget, the first
  // KEYS or KEYBLOB after at least one column ends the columns.
  if (args.size() <= kFirstColumnArg + 2 || !equals_nocase(args[kColumnsWordArg], "columns")) {
    return {};
  }
  size_t word = 0;
  for (size_t i = kFirstColumnArg + 1; i < args.size(); ++i) {
    if (equals_nocase(args[i], "keys")) {
      return {};
    }
    if (equals_nocase(args[i], "keyblob")) {
      word = i;
      break;
    }
  }
  if (word == 0) {
    return {};
  }
  const size_t rest = args.size() - word - 1;  // the blob, then FORMAT f or nothing
  const bool with_format = rest == 1 + kFormatOptionArgs && equals_nocase(args[word + 2], "format");
  if (rest != 1 && !with_format) {
    return "ERR syntax error";
  }
  out.assign(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(word));
  out.push_back("KEYS");
  std::string error = decode_key_blob(args[word + 1], out);
  if (!error.empty()) {
    out.clear();
    return error;
  }
  if (with_format) {
    out.push_back(args[word + 2]);
    out.push_back(args[word + 3]);
  }
  return {};
}

}  // namespace tessera::engine
