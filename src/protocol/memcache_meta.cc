// MemcacheParser, meta half: mn, mg, ms, md, ma, me and their flags, with memcached
// 1.6.18's checks in its order (proto_text.c: process_m*_command, _meta_flag_preparse),
// and the base64 key decoding of the `b` flag.
//
// Verified over a socket against memcached 1.6.18:
//   "mg" / "ms" / "md" / "ma" alone -> ERROR; "me" -> CLIENT_ERROR bad command line format;
//   "mn x" -> MN; a key over 250 bytes -> CLIENT_ERROR bad command line format (checked on
//   the base64 text, before decoding); more than 20 tokens (terminal one included) ->
//   "CLIENT_ERROR options flags are too long" for mg, "... flags too long" for ms md ma;
//   an unknown flag (also E, x, S: not in 1.6.18) -> CLIENT_ERROR invalid flag; a repeated
//   flag -> CLIENT_ERROR duplicate flag; "Tx", "T", "Nx", "Cx" -> CLIENT_ERROR bad token in
//   command line format; "Fx" -> CLIENT_ERROR bad command line format; "MXY" -> CLIENT_ERROR
//   incorrect length for M token; "Jx" / "Dx" -> CLIENT_ERROR invalid numeric initial /
//   delta value; an O token over 32 bytes -> CLIENT_ERROR opaque token too long; bad base64
//   -> CLIENT_ERROR error decoding key. md and ma answer every flag error with "CLIENT_ERROR
//   invalid or duplicate flag". ms: errors up to and including its size (key, token count,
//   size) swallow nothing; flag errors after it, a bad M mode ("CLIENT_ERROR invalid mode
//   for ms M token") and a too-large size swallow the data block. "ms a x" and "ms a -1" ->
//   CLIENT_ERROR bad command line format; "me a b" (undecodable) -> the same. "ms a 1 q"
//   with a bad data chunk still answers CLIENT_ERROR bad data chunk (meta errors ignore q).
//
// Deviation: E<cas> is accepted (memcached >= 1.6.21, and listed in issue 3).
//
// Thread safety: one parser per connection, used by its parser thread only.
#include <array>
#include <climits>

#include "protocol/memcache_parser.h"

namespace tessera::protocol {
namespace {

using detail::kBadCommandLineFormat;
using detail::kError;

constexpr std::string_view kInvalidFlag = "CLIENT_ERROR invalid flag";
constexpr std::string_view kDuplicateFlag = "CLIENT_ERROR duplicate flag";
constexpr std::string_view kBadToken = "CLIENT_ERROR bad token in command line format";
constexpr std::string_view kDecodingKey = "CLIENT_ERROR error decoding key";
constexpr std::string_view kMTokenLength = "CLIENT_ERROR incorrect length for M token";
constexpr std::string_view kInitialValue = "CLIENT_ERROR invalid numeric initial value";
constexpr std::string_view kDeltaValue = "CLIENT_ERROR invalid numeric delta value";
constexpr std::string_view kOpaqueTooLong = "CLIENT_ERROR opaque token too long";
constexpr std::string_view kFlagsAreTooLong = "CLIENT_ERROR options flags are too long";
constexpr std::string_view kFlagsTooLong = "CLIENT_ERROR options flags too long";
constexpr std::string_view kInvalidOrDuplicate = "CLIENT_ERROR invalid or duplicate flag";
constexpr std::string_view kInvalidMsMode = "CLIENT_ERROR invalid mode for ms M token";
constexpr std::string_view kInvalidMaMode = "CLIENT_ERROR invalid mode for ma M token";
constexpr size_t kCrlfLen = 2;
constexpr size_t kMetaKeyToken = 1;
constexpr unsigned char kAsciiEnd = 127;  // memcached's seen[127]: bytes >= 127 "duplicate"
constexpr int kLettersInAlphabet = 26;
constexpr std::string_view kMsModes = "EAPRS";  // 1.6.18 rejects lowercase ("Ma")
constexpr std::string_view kMaModes = "I+D-";   // and "Mi"

}  // namespace

uint64_t meta_flag_bit(char flag) {
  if (flag >= 'a' && flag <= 'z') {
    return uint64_t{1} << (flag - 'a');
  }
  if (flag >= 'A' && flag <= 'Z') {
    return uint64_t{1} << (kLettersInAlphabet + flag - 'A');
  }
  return 0;
}

bool MetaFlags::has(char flag) const {
  uint64_t bit = meta_flag_bit(flag);
  return bit != 0 && (present & bit) != 0;
}

const MetaFlag* MetaFlags::find(char flag) const {
  for (size_t i = 0; i < count; ++i) {
    if (list[i].flag == flag) {
      return &list[i];
    }
  }
  return nullptr;
}

MemcacheParser::LineResult MemcacheParser::parse_meta(MemcacheRequest& request) {
  const size_t n = tokens_.size();
  std::string_view cmd = tokens_[0];
  auto error = [](std::string_view text) { return LineResult{LineOutcome::kError, text}; };
  if (cmd == "mn") {
    request.command = MemcacheCommand::kMetaNoop;
    return {};
  }
  if (cmd == "me") {
    request.command = MemcacheCommand::kMetaDebug;
    if (n < 2 || tokens_[kMetaKeyToken].size() > kKeyMaxLength) {
      return error(kBadCommandLineFormat);
    }
    request.keys.push_back(tokens_[kMetaKeyToken]);
    if (n >= 3 && tokens_[2] == "b") {
      if (!decode_base64_key(request)) {
        return error(kBadCommandLineFormat);
      }
    }
    return {};
  }
  if (cmd == "ms") {
    return parse_meta_set(request);
  }
  bool is_get = cmd == "mg";
  if (is_get) {
    request.command = MemcacheCommand::kMetaGet;
  } else if (cmd == "md") {
    request.command = MemcacheCommand::kMetaDelete;
  } else if (cmd == "ma") {
    request.command = MemcacheCommand::kMetaArithmetic;
  } else {
    return error(kError);
  }
  if (n < 2) {
    return error(kError);
  }
  request.keys.push_back(tokens_[kMetaKeyToken]);
  if (tokens_[kMetaKeyToken].size() > kKeyMaxLength) {
    return error(kBadCommandLineFormat);
  }
  if (n + 1 > kMetaMaxTokens) {
    return error(is_get ? kFlagsAreTooLong : kFlagsTooLong);
  }
  if (std::string_view e = parse_meta_flags(kMetaKeyToken + 1, request); !e.empty()) {
    return error(is_get ? e : kInvalidOrDuplicate);
  }
  if (request.meta.opaque.size() + 1 > kMetaMaxOpaqueLength) {
    return error(kOpaqueTooLong);
  }
  if (request.command == MemcacheCommand::kMetaArithmetic && request.meta.mode != 0 &&
      kMaModes.find(request.meta.mode) == std::string_view::npos) {
    return error(kInvalidMaMode);
  }
  return {};
}

// ms <key> <datalen> <flags>*
MemcacheParser::LineResult MemcacheParser::parse_meta_set(MemcacheRequest& request) {
  const size_t n = tokens_.size();
  auto error = [](std::string_view text) { return LineResult{LineOutcome::kError, text}; };
  request.command = MemcacheCommand::kMetaSet;
  if (n < 2) {
    return error(kError);
  }
  request.keys.push_back(tokens_[kMetaKeyToken]);
  if (tokens_[kMetaKeyToken].size() > kKeyMaxLength || n == 2) {
    return error(kBadCommandLineFormat);
  }
  if (n + 1 > kMetaMaxTokens) {
    return error(kFlagsTooLong);
  }
  int32_t vlen;
  if (!detail::safe_strtol(tokens_[2], vlen) || vlen < 0 ||
      vlen > INT_MAX - static_cast<int32_t>(kCrlfLen)) {
    return error(kBadCommandLineFormat);
  }
  request.bytes = static_cast<uint32_t>(vlen);
  // From here on memcached swallows the data block on error.
  auto swallowing = [&](std::string_view text) {
    return LineResult{LineOutcome::kError, text, false, request.bytes + kCrlfLen};
  };
  if (std::string_view e = parse_meta_flags(3, request); !e.empty()) {
    return swallowing(e);
  }
  if (request.meta.opaque.size() + 1 > kMetaMaxOpaqueLength) {
    return swallowing(kOpaqueTooLong);
  }
  if (request.meta.mode != 0 && kMsModes.find(request.meta.mode) == std::string_view::npos) {
    return swallowing(kInvalidMsMode);
  }
  if (request.bytes > limits_.item_size_max) {
    request.value_too_large = true;  // memcached unlinks the key (observed)
    return swallowing(detail::kObjectTooLarge);
  }
  return {LineOutcome::kData};
}

// _meta_flag_preparse: a value error is remembered and the scan goes on (a later one
// replaces its text); an unknown or repeated flag stops it at once.
std::string_view MemcacheParser::parse_meta_flags(size_t first, MemcacheRequest& request) {
  MetaFlags& m = request.meta;
  std::array<bool, kAsciiEnd> seen{};
  bool has_error = false;
  std::string_view errstr = kBadCommandLineFormat;
  for (size_t i = first; i < tokens_.size(); ++i) {
    std::string_view token = tokens_[i];
    auto o = static_cast<unsigned char>(token[0]);
    if (o >= kAsciiEnd || seen[o]) {
      return kDuplicateFlag;
    }
    seen[o] = true;
    std::string_view value = token.substr(1);
    auto value_error = [&](std::string_view text) {
      errstr = text;
      has_error = true;
    };
    int32_t i32;
    switch (o) {
      case 'b':
        if (!decode_base64_key(request)) {
          value_error(kDecodingKey);
        }
        break;
      case 'N':
      case 'T':
      case 'R':
        if (!detail::safe_strtol(value, i32)) {
          value_error(kBadToken);
        } else {
          (o == 'N' ? m.vivify_ttl : o == 'T' ? m.ttl : m.recache_ttl) = i32;
        }
        break;
      case 'F':
        if (!detail::safe_strtoul(value, m.client_flags)) {
          has_error = true;  // memcached sets no text here
        }
        break;
      case 'C':
      case 'E':
        if (!detail::safe_strtoull(value, o == 'C' ? m.compare_cas : m.new_cas)) {
          value_error(kBadToken);
        }
        break;
      case 'M':
        if (token.size() != 2) {
          value_error(kMTokenLength);
        } else {
          m.mode = token[1];
        }
        break;
      case 'J':
        if (!detail::safe_strtoull(value, m.initial)) {
          value_error(kInitialValue);
        }
        break;
      case 'D':
        if (!detail::safe_strtoull(value, m.delta)) {
          value_error(kDeltaValue);
        }
        break;
      case 'O':
        m.opaque = value;
        break;
      case 'q':
        m.quiet = true;
        request.noreply = true;
        break;
      case 'P': case 'L': case 'k': case 's': case 't': case 'c': case 'f':
      case 'v': case 'h': case 'l': case 'u': case 'I':
        break;
      default:
        return kInvalidFlag;
    }
    m.list[m.count++] = MetaFlag{static_cast<char>(o), value};
    m.present |= meta_flag_bit(static_cast<char>(o));
  }
  return has_error ? errstr : std::string_view{};
}

bool MemcacheParser::decode_base64_key(MemcacheRequest& request) {
  if (!detail::base64_decode(request.keys[0], decoded_key_)) {
    return false;
  }
  request.keys[0] = decoded_key_;
  request.meta.base64_key = true;
  return true;
}

namespace detail {
namespace {

constexpr unsigned char kNotBase64 = 0x80;
constexpr size_t kBase64Block = 4;
constexpr size_t kBase64BlockBytes = 3;

constexpr std::array<unsigned char, 256> make_base64_table() {
  std::array<unsigned char, 256> t{};
  for (auto& v : t) {
    v = kNotBase64;
  }
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (size_t i = 0; i < kAlphabet.size(); ++i) {
    t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<unsigned char>(i);
  }
  t['='] = 0;
  return t;
}

constexpr std::array<unsigned char, 256> kBase64Table = make_base64_table();

}  // namespace

bool base64_decode(std::string_view in, std::string& out) {
  out.clear();
  size_t count = 0;
  for (char c : in) {
    if (kBase64Table[static_cast<unsigned char>(c)] != kNotBase64) {
      ++count;
    }
  }
  if (count == 0 || count % kBase64Block != 0) {
    return false;
  }
  out.reserve(count / kBase64Block * kBase64BlockBytes);
  std::array<unsigned char, kBase64Block> block{};
  size_t filled = 0;
  size_t pad = 0;
  for (char c : in) {
    unsigned char v = kBase64Table[static_cast<unsigned char>(c)];
    if (v == kNotBase64) {
      continue;
    }
    if (c == '=') {
      ++pad;
    }
    block[filled++] = v;
    if (filled == kBase64Block) {
      out.push_back(static_cast<char>((block[0] << 2) | (block[1] >> 4)));
      out.push_back(static_cast<char>((block[1] << 4) | (block[2] >> 2)));
      out.push_back(static_cast<char>((block[2] << 6) | block[3]));
      filled = 0;
      if (pad > 0) {
        if (pad > 2) {
          return false;  // invalid padding
        }
        out.resize(out.size() - pad);
        break;
      }
    }
  }
  return !out.empty();
}

}  // namespace detail
}  // namespace tessera::protocol
