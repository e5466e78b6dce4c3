// RespParser, multibulk half: the incremental parse of "*<n>\r\n$<len>\r\n<bytes>\r\n..."
// with Redis 7.0's exact acceptance rules and error texts (networking.c,
// processMultibulkBuffer). Inline commands are in resp_inline.cc.
//
// Redis rules reproduced on purpose:
//   - a header ends at the first '\r'; the byte after it must be present but is not
//     checked, and the two bytes after a bulk's payload are skipped unchecked;
//   - counts and lengths are parsed like string2ll (no '+', no leading zeros, no "-0",
//     at most 20 characters); a count <= 0 is an empty command; a count above
//     max_multibulk_len, a negative bulk length or one above proto-max-bulk-len is an error;
//   - a header with no '\r' in the rest of the input fails once that rest exceeds
//     max_inline_len bytes (64 KiB);
//   - "expected '$', got '%c'" goes through addReplyErrorFormat, which turns CR and LF into
//     spaces and stops at a NUL byte (the message then ends at "got '").
// Deviation: Redis searches with strchr and so never sees past a NUL byte (it waits for
// more input forever); the search here is binary-safe.
//
// Resume invariants (between a kNeedMore and the next call; offsets from the command start):
//   arg_spans_ holds every complete argument; resume_offset_ is where the next header
//   starts (bulk_len_ == -1) or where the pending bulk's payload starts (bulk_len_ >= 0);
//   scan_offset_ bytes after resume_offset_ are known to hold no '\r'. Each input byte is
//   therefore examined at most once per command, and bulk payloads never.
//
// Thread safety: one parser per connection, used by its parser thread only.
#include "protocol/resp_parser.h"

#include <algorithm>
#include <cstring>

namespace tessera::protocol {
namespace {

constexpr std::string_view kInvalidMultibulkLength = "ERR Protocol error: invalid multibulk length";
constexpr std::string_view kInvalidBulkLength = "ERR Protocol error: invalid bulk length";
constexpr std::string_view kTooBigMbulkCount = "ERR Protocol error: too big mbulk count string";
constexpr std::string_view kTooBigBulkCount = "ERR Protocol error: too big bulk count string";
constexpr std::string_view kExpectedDollarPrefix = "ERR Protocol error: expected '$', got '";
constexpr size_t kExpectedDollarMaxLen = kExpectedDollarPrefix.size() + 2;
constexpr int kByteValues = 256;
// Redis's LONG_STR_SIZE: string2ll rejects strings this long or longer.
constexpr size_t kLongStrSize = 21;
// Like Redis, never preallocate argv for more than this many arguments from the count.
constexpr int64_t kMaxArgsPrealloc = 1024;
constexpr size_t kCrlfLen = 2;
// Bytes searched for a header's '\r' with a plain loop before falling back to memchr.
constexpr size_t kQuickScanLen = 16;

// "ERR Protocol error: expected '$', got 'X'" for every byte X, as Redis would send it.
struct ExpectedDollarMessages {
  char text[kByteValues][kExpectedDollarMaxLen];
  size_t len[kByteValues];
};

constexpr ExpectedDollarMessages make_expected_dollar_messages() {
  ExpectedDollarMessages m{};
  for (int b = 0; b < kByteValues; ++b) {
    size_t n = 0;
    for (char c : kExpectedDollarPrefix) {
      m.text[b][n++] = c;
    }
    if (b != 0) {  // sdscat stops at the NUL that %c produced
      char c = static_cast<char>(b);
      m.text[b][n++] = (c == '\r' || c == '\n') ? ' ' : c;  // sdsmapchars(s, "\r\n", "  ")
      m.text[b][n++] = '\'';
    }
    m.len[b] = n;
  }
  return m;
}

constexpr ExpectedDollarMessages kExpectedDollar = make_expected_dollar_messages();

std::string_view expected_dollar_error(char got) {
  auto b = static_cast<unsigned char>(got);
  return std::string_view(kExpectedDollar.text[b], kExpectedDollar.len[b]);
}

// Redis's string2ll: strict decimal, optional '-', no leading zeros, no overflow.
bool parse_ll(const char* s, size_t len, int64_t& value) {
  if (len == 0 || len >= kLongStrSize) {
    return false;
  }
  if (len == 1 && s[0] == '0') {
    value = 0;
    return true;
  }
  size_t i = 0;
  bool negative = false;
  if (s[0] == '-') {
    negative = true;
    if (++i == len) {
      return false;
    }
  }
  if (s[i] < '1' || s[i] > '9') {
    return false;
  }
  uint64_t v = static_cast<uint64_t>(s[i++] - '0');
  constexpr uint64_t kTen = 10;
  for (; i < len; ++i) {
    if (s[i] < '0' || s[i] > '9') {
      return false;
    }
    auto digit = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - digit) / kTen) {
      return false;
    }
    v = v * kTen + digit;
  }
  if (negative) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) {
      return false;
    }
    value = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) {
      return false;
    }
    value = static_cast<int64_t>(v);
  }
  return true;
}

// A bulk header as clients send it, "$<digits>\r" plus the byte after the '\r', read in one
// pass: at most kFastDigits digits (no overflow), no sign, no leading zero unless the length
// is 0, and at most max_len. Returns the header's length up to the '\r' (0 when the header
// is anything else or incomplete: the general path then handles it, errors included).
constexpr size_t kFastDigits = 18;
size_t fast_bulk_header(std::string_view input, size_t pos, int64_t max_len, int64_t& len) {
  const char* p = input.data() + pos;
  const char* end = input.data() + input.size();
  if (end - p < 4 || p[0] != '$') {  // the shortest header is "$0\r" plus one byte
    return 0;
  }
  const char* digits = p + 1;
  const char* limit = std::min(end - 1, digits + kFastDigits);  // a byte must follow '\r'
  const char* q = digits;
  uint64_t v = 0;
  while (q < limit && static_cast<unsigned char>(*q - '0') < 10) {
    v = v * 10 + static_cast<uint64_t>(*q - '0');
    ++q;
  }
  if (q == digits || q == limit || *q != '\r' || (*digits == '0' && q - digits > 1) ||
      v > static_cast<uint64_t>(max_len)) {
    return 0;
  }
  len = static_cast<int64_t>(v);
  return static_cast<size_t>(q - p);
}

}  // namespace

void RespParser::reset() {
  in_multibulk_ = false;
  multibulk_left_ = 0;
  bulk_len_ = -1;
  resume_offset_ = 0;
  scan_offset_ = 0;
  arg_spans_.clear();
  needed_hint_ = 0;
}

ParseResult RespParser::parse(std::string_view input, std::vector<std::string_view>& args) {
  args.clear();
  needed_hint_ = 0;
  if (input.empty()) {
    return {ParseStatus::kNeedMore};
  }
  if (in_multibulk_ || input[0] == '*') {
    return parse_multibulk(input, args);
  }
  return parse_inline(input, args);
}

ParseResult RespParser::fail(std::string_view error) {
  reset();
  return {ParseStatus::kError, 0, error};
}

ParseResult RespParser::need_more(size_t resume_offset, const std::vector<std::string_view>& args,
                                  std::string_view input) {
  resume_offset_ = resume_offset;
  arg_spans_.clear();
  for (std::string_view a : args) {
    arg_spans_.emplace_back(static_cast<size_t>(a.data() - input.data()), a.size());
  }
  return {ParseStatus::kNeedMore};
}

size_t RespParser::find_header_end(std::string_view input, size_t start) {
  size_t from = start + scan_offset_;
  // Headers are a few bytes long: a plain loop beats a memchr call for the first bytes.
  const char* cr = nullptr;
  size_t quick_end = std::min(input.size(), from + kQuickScanLen);
  for (size_t i = from; i < quick_end; ++i) {
    if (input[i] == '\r') {
      cr = input.data() + i;
      break;
    }
  }
  if (cr == nullptr && quick_end < input.size()) {
    cr = static_cast<const char*>(std::memchr(input.data() + quick_end, '\r', input.size() - quick_end));
  }
  if (cr == nullptr) {
    scanned_bytes_ += input.size() - from;
    scan_offset_ = input.size() - start;
    return kNoCr;
  }
  auto at = static_cast<size_t>(cr - input.data());
  scanned_bytes_ += at + 1 - from;
  if (at + 1 >= input.size()) {
    scan_offset_ = at - start;  // find the same '\r' again at once next time
    return kCrLast;
  }
  scan_offset_ = 0;
  return at;
}

ParseResult RespParser::parse_multibulk(std::string_view input,
                                        std::vector<std::string_view>& args) {
  size_t pos;
  if (!in_multibulk_) {
    size_t cr = find_header_end(input, 0);
    if (cr == kNoCr) {
      if (input.size() > limits_.max_inline_len) {
        return fail(kTooBigMbulkCount);
      }
      return {ParseStatus::kNeedMore};
    }
    if (cr == kCrLast) {
      return {ParseStatus::kNeedMore};
    }
    int64_t count;
    if (!parse_ll(input.data() + 1, cr - 1, count) || count > limits_.max_multibulk_len) {
      return fail(kInvalidMultibulkLength);
    }
    pos = cr + kCrlfLen;
    if (count <= 0) {
      return {ParseStatus::kOk, pos};
    }
    in_multibulk_ = true;
    multibulk_left_ = count;
    bulk_len_ = -1;
    resume_offset_ = pos;
    scan_offset_ = 0;
    if (args.capacity() < static_cast<size_t>(count) && count <= kMaxArgsPrealloc) {
      args.reserve(static_cast<size_t>(count));
    }
  } else {
    pos = resume_offset_;
    for (auto [offset, len] : arg_spans_) {
      args.emplace_back(input.data() + offset, len);
    }
  }

  while (multibulk_left_ > 0) {
    if (bulk_len_ < 0 && scan_offset_ == 0) {
      int64_t len;
      if (size_t header = fast_bulk_header(input, pos, limits_.proto_max_bulk_len, len); header != 0) {
        scanned_bytes_ += header + 1;  // as find_header_end counts: through the '\r'
        pos += header + kCrlfLen;
        bulk_len_ = len;
      }
    }
    if (bulk_len_ < 0) {
      size_t cr = find_header_end(input, pos);
      if (cr == kNoCr) {
        if (input.size() - pos > limits_.max_inline_len) {
          return fail(kTooBigBulkCount);
        }
        return need_more(pos, args, input);
      }
      if (cr == kCrLast) {
        return need_more(pos, args, input);
      }
      if (input[pos] != '$') {
        return fail(expected_dollar_error(input[pos]));
      }
      int64_t len;
      if (!parse_ll(input.data() + pos + 1, cr - pos - 1, len) || len < 0 ||
          len > limits_.proto_max_bulk_len) {
        return fail(kInvalidBulkLength);
      }
      pos = cr + kCrlfLen;
      bulk_len_ = len;
    }
    size_t need = static_cast<size_t>(bulk_len_) + kCrlfLen;
    if (input.size() - pos < need) {
      needed_hint_ = pos + need;
      return need_more(pos, args, input);
    }
    args.emplace_back(input.data() + pos, static_cast<size_t>(bulk_len_));
    pos += need;
    bulk_len_ = -1;
    --multibulk_left_;
  }
  in_multibulk_ = false;
  resume_offset_ = 0;
  scan_offset_ = 0;
  arg_spans_.clear();
  return {ParseStatus::kOk, pos};
}

}  // namespace tessera::protocol
