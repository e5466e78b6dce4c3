// memcached reply encoding (see memcache_encoder.h). Formats checked against memcached
// 1.6.18 on loopback: "VALUE a 0 1\r\nz\r\nEND\r\n", "VALUE a 0 1 27\r\n..." for gets,
// "VA 1 f0 t-1 c33 s1 ka O99 h1 l0\r\nz\r\n", "HD c35 ka O5", "EN", "NF", "NS", "MN",
// "VERSION 1.6.18", incr results as bare numbers.
//
// Thread safety: free functions over the caller's string.
#include "protocol/memcache_encoder.h"

#include <array>
#include <charconv>

namespace tessera::protocol {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr size_t kMaxDecimalDigits = 20;  // UINT64_MAX and INT64_MIN both fit
constexpr size_t kBase64Group = 3;
constexpr unsigned kSixBits = 0x3f;

void append_decimal(std::string& out, uint64_t value) {
  std::array<char, kMaxDecimalDigits + 1> buf;
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;
  out.append(buf.data(), static_cast<size_t>(end - buf.data()));
}

void append_signed(std::string& out, int64_t value) {
  std::array<char, kMaxDecimalDigits + 1> buf;
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;
  out.append(buf.data(), static_cast<size_t>(end - buf.data()));
}

void append_value_header(std::string& out, std::string_view key, uint32_t flags,
                         size_t bytes) {
  out.append("VALUE ");
  out.append(key);
  out.push_back(' ');
  append_decimal(out, flags);
  out.push_back(' ');
  append_decimal(out, bytes);
}

}  // namespace

std::string_view memcache_status_text(MemcacheStatus status) {
  switch (status) {
    case MemcacheStatus::kStored: return "STORED";
    case MemcacheStatus::kNotStored: return "NOT_STORED";
    case MemcacheStatus::kExists: return "EXISTS";
    case MemcacheStatus::kNotFound: return "NOT_FOUND";
    case MemcacheStatus::kDeleted: return "DELETED";
    case MemcacheStatus::kTouched: return "TOUCHED";
    case MemcacheStatus::kOk: return "OK";
    case MemcacheStatus::kEnd: return "END";
    case MemcacheStatus::kError: return "ERROR";
  }
  return "ERROR";
}

void append_memcache_status(std::string& out, MemcacheStatus status) {
  out.append(memcache_status_text(status));
  out.append(kCrlf);
}

void append_memcache_value(std::string& out, std::string_view key, uint32_t flags,
                           std::string_view data) {
  append_value_header(out, key, flags, data.size());
  out.append(kCrlf);
  out.append(data);
  out.append(kCrlf);
}

void append_memcache_value_cas(std::string& out, std::string_view key, uint32_t flags,
                               std::string_view data, uint64_t cas) {
  append_value_header(out, key, flags, data.size());
  out.push_back(' ');
  append_decimal(out, cas);
  out.append(kCrlf);
  out.append(data);
  out.append(kCrlf);
}

void append_memcache_number(std::string& out, uint64_t value) {
  append_decimal(out, value);
  out.append(kCrlf);
}

void append_memcache_error(std::string& out, std::string_view text) {
  out.append(text);
  out.append(kCrlf);
}

void append_memcache_version(std::string& out, std::string_view version) {
  out.append("VERSION ");
  out.append(version);
  out.append(kCrlf);
}

void append_memcache_stat(std::string& out, std::string_view name, std::string_view value) {
  out.append("STAT ");
  out.append(name);
  out.push_back(' ');
  out.append(value);
  out.append(kCrlf);
}

void append_memcache_stat(std::string& out, std::string_view name, uint64_t value) {
  out.append("STAT ");
  out.append(name);
  out.push_back(' ');
  append_decimal(out, value);
  out.append(kCrlf);
}

std::string_view meta_code_text(MetaCode code) {
  switch (code) {
    case MetaCode::kHd: return "HD";
    case MetaCode::kVa: return "VA";
    case MetaCode::kEn: return "EN";
    case MetaCode::kNf: return "NF";
    case MetaCode::kNs: return "NS";
    case MetaCode::kEx: return "EX";
    case MetaCode::kMn: return "MN";
  }
  return "HD";
}

bool meta_quiet_drops(MemcacheCommand command, MetaCode code) {
  switch (command) {
    case MemcacheCommand::kMetaGet:
      return code == MetaCode::kEn;
    case MemcacheCommand::kMetaSet:
    case MemcacheCommand::kMetaDelete:
      return code == MetaCode::kHd;
    case MemcacheCommand::kMetaArithmetic:
      return code == MetaCode::kHd || code == MetaCode::kVa;  // also the value (ma v)
    default:
      return false;
  }
}

void begin_meta(std::string& out, MetaCode code) { out.append(meta_code_text(code)); }

void begin_meta_value(std::string& out, size_t value_size) {
  out.append("VA ");
  append_decimal(out, value_size);
}

void append_meta_flag(std::string& out, char flag, std::string_view token) {
  out.push_back(' ');
  out.push_back(flag);
  out.append(token);
}

void append_meta_flag(std::string& out, char flag, uint64_t value) {
  out.push_back(' ');
  out.push_back(flag);
  append_decimal(out, value);
}

void append_meta_flag_signed(std::string& out, char flag, int64_t value) {
  out.push_back(' ');
  out.push_back(flag);
  append_signed(out, value);
}

void append_meta_key(std::string& out, std::string_view key, bool base64) {
  out.append(" k");
  if (!base64) {
    out.append(key);
    return;
  }
  append_base64(out, key);
  out.append(" b");
}

void end_meta(std::string& out) { out.append(kCrlf); }

void end_meta_value(std::string& out, std::string_view value) {
  out.append(kCrlf);
  out.append(value);
  out.append(kCrlf);
}

void append_base64(std::string& out, std::string_view bytes) {
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + kBase64Group <= bytes.size(); i += kBase64Group) {
    uint32_t v = (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                 (static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & kSixBits]);
    out.push_back(kAlphabet[(v >> 12) & kSixBits]);
    out.push_back(kAlphabet[(v >> 6) & kSixBits]);
    out.push_back(kAlphabet[v & kSixBits]);
  }
  size_t rest = bytes.size() - i;
  if (rest == 0) {
    return;
  }
  uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) {
    v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  }
  out.push_back(kAlphabet[(v >> 18) & kSixBits]);
  out.push_back(kAlphabet[(v >> 12) & kSixBits]);
  out.push_back(rest == 2 ? kAlphabet[(v >> 6) & kSixBits] : '=');
  out.push_back('=');
}

}  // namespace tessera::protocol
