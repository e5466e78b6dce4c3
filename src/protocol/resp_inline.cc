// RespParser, inline half: "SET k v\r\n" style commands (networking.c processInlineBuffer
// and sds.c sdssplitargs in Redis 7.0).
//
// Rules reproduced:
//   - a line ends at the first '\n'; a '\r' right before it is dropped. No '\n' in the rest
//     of the input and more than max_inline_len bytes -> "too big inline request";
//   - splitting follows sdssplitargs exactly: leading blanks are isspace() characters; an
//     unquoted token ends at ' ', '\t', '\r', '\n' (or the end); "double quotes" know \xHH,
//     \n \r \t \b \a and \<any>; 'single quotes' know only \'; a closing quote must be
//     followed by a blank or the end of the line; an unterminated quote is an error; a
//     quote may start in the middle of a token (a"b c" is the one argument `ab c`);
//   - the line is a C string to sdssplitargs, so a NUL byte ends it.
// Deviation: Redis finds the '\n' with strchr and therefore never sees a line that has a
// NUL byte before it; here the search is binary-safe and the NUL ends the arguments.
//
// Arguments that are a contiguous slice of the line view the input; the others (escapes,
// quotes glued to text) are copied to inline_unescaped_, whose capacity is made >= the line
// length before splitting so it never moves while args view it.
// Cost: O(line length) per line; a line arriving in pieces is searched once (scan_offset_).
#include <cstring>

#include "protocol/resp_parser.h"

namespace tessera::protocol {
namespace {

constexpr std::string_view kTooBigInline = "ERR Protocol error: too big inline request";
constexpr std::string_view kUnbalancedQuotes = "ERR Protocol error: unbalanced quotes in request";
constexpr size_t kNotSet = static_cast<size_t>(-1);
constexpr int kHexBase = 16;
constexpr int kHexLetterOffset = 10;

// isspace() in the C locale.
bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_hex_digit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + kHexLetterOffset;
  }
  return c - 'A' + kHexLetterOffset;
}

char unescape(char c) {
  switch (c) {
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'b':
      return '\b';
    case 'a':
      return '\a';
    default:
      return c;
  }
}

// One token being assembled: either a slice [begin, next) of the line, or bytes in storage.
struct TokenBuilder {
  std::string_view line;
  std::string& storage;
  size_t storage_start;
  size_t begin = kNotSet;
  size_t next = kNotSet;
  bool contiguous = true;

  void take(size_t i) {  // the line's byte i, verbatim
    if (begin == kNotSet) {
      begin = i;
    } else if (i != next) {
      contiguous = false;
    }
    next = i + 1;
    storage.push_back(line[i]);
  }
  void put(char c) {  // a byte produced by an escape
    contiguous = false;
    storage.push_back(c);
  }
  std::string_view finish(size_t fallback_pos) {
    if (contiguous) {
      storage.resize(storage_start);  // storage is not needed: view the line
      if (begin == kNotSet) {
        return line.substr(fallback_pos, 0);
      }
      return line.substr(begin, next - begin);
    }
    return std::string_view(storage.data() + storage_start, storage.size() - storage_start);
  }
};

}  // namespace

ParseResult RespParser::parse_inline(std::string_view input, std::vector<std::string_view>& args) {
  size_t from = scan_offset_;
  const void* nl = std::memchr(input.data() + from, '\n', input.size() - from);
  if (nl == nullptr) {
    scanned_bytes_ += input.size() - from;
    scan_offset_ = input.size();
    if (input.size() > limits_.max_inline_len) {
      return fail(kTooBigInline);
    }
    return {ParseStatus::kNeedMore};
  }
  auto at = static_cast<size_t>(static_cast<const char*>(nl) - input.data());
  scanned_bytes_ += at + 1 - from;
  scan_offset_ = 0;
  size_t line_end = (at > 0 && input[at - 1] == '\r') ? at - 1 : at;
  if (!split_inline(input.substr(0, line_end), args)) {
    args.clear();
    return fail(kUnbalancedQuotes);
  }
  return {ParseStatus::kOk, at + 1};
}

bool RespParser::split_inline(std::string_view line, std::vector<std::string_view>& args) {
  inline_unescaped_.clear();
  if (inline_unescaped_.capacity() < line.size()) {
    inline_unescaped_.reserve(line.size());
  }
  auto at = [line](size_t i) -> char { return i < line.size() ? line[i] : '\0'; };
  size_t i = 0;
  while (true) {
    while (is_blank(at(i))) {
      ++i;
    }
    if (at(i) == '\0') {
      return true;
    }
    TokenBuilder token{line, inline_unescaped_, inline_unescaped_.size()};
    size_t token_pos = i;
    bool in_double = false;
    bool in_single = false;
    bool done = false;
    while (!done) {
      char c = at(i);
      if (in_double) {
        if (c == '\\' && at(i + 1) == 'x' && is_hex_digit(at(i + 2)) && is_hex_digit(at(i + 3))) {
          token.put(static_cast<char>(hex_value(at(i + 2)) * kHexBase + hex_value(at(i + 3))));
          i += 3;
        } else if (c == '\\' && at(i + 1) != '\0') {
          ++i;
          token.put(unescape(at(i)));
        } else if (c == '"') {
          if (at(i + 1) != '\0' && !is_blank(at(i + 1))) {
            return false;  // closing quote must be followed by a blank or the end
          }
          done = true;
        } else if (c == '\0') {
          return false;  // unterminated quotes
        } else {
          token.take(i);
        }
      } else if (in_single) {
        if (c == '\\' && at(i + 1) == '\'') {
          ++i;
          token.put('\'');
        } else if (c == '\'') {
          if (at(i + 1) != '\0' && !is_blank(at(i + 1))) {
            return false;
          }
          done = true;
        } else if (c == '\0') {
          return false;
        } else {
          token.take(i);
        }
      } else {
        switch (c) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            in_double = true;
            break;
          case '\'':
            in_single = true;
            break;
          default:
            token.take(i);
            break;
        }
      }
      if (at(i) != '\0') {
        ++i;
      }
    }
    args.push_back(token.finish(token_pos));
  }
}

}  // namespace tessera::protocol
