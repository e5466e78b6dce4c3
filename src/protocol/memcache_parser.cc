// MemcacheParser, framing and text half: finding lines and data blocks across reads,
// discarding rejected data blocks, and the text commands (get ... stats) with memcached
// 1.6.18's token-count rules and error texts (proto_text.c, process_command_ascii and the
// process_*_command functions). Meta commands are in memcache_meta.cc.
//
// Token counts below are memcached's "ntokens" minus its terminal empty token, i.e. the
// number of words on the line. Verified over a socket against memcached 1.6.18:
//   "get" -> ERROR; "gat 10" -> END (no keys); "gat x a" -> CLIENT_ERROR invalid exptime
//   argument; "set a 0 0" -> ERROR; "set a 0 0 1 bogus" stores (the 6th word only counts if
//   it is "noreply"); "set a 0 0 1 noreply extra" -> ERROR; flags 4294967297 store as 1
//   (strtoul truncated to 32 bits), bytes 4294967296 is read as 0 (strtol truncated to
//   int32), "01" and "+1" are accepted, "-1" is not; bytes > INT_MAX - 2 -> bad command line
//   format; "delete a 0" deletes, "delete a 5" -> "CLIENT_ERROR bad command line format.
//   Usage: delete <key> [noreply]"; "incr n -1" / "incr n 18446744073709551616" ->
//   CLIENT_ERROR invalid numeric delta argument; "touch a x" -> CLIENT_ERROR invalid exptime
//   argument; "flush_all x" -> the same; "verbosity" -> ERROR, "verbosity x" -> CLIENT_ERROR
//   bad command line format; "version x" and "quit x" act like version and quit; errors of
//   a command ending in "noreply" are not sent (incr, touch, set key too long, too large,
//   bad data chunk ...) while token-count ERRORs are; "GET / HTTP/1.1" closes.
//
// Resume invariants (between a kNeedMore and the next call; offsets from the command start):
//   without a line, `scan_offset_` bytes hold no '\n'; with one (`have_line_`), the line is
//   complete and valid and only the data block is missing. Each byte of a line is searched
//   once and tokenized at most twice (again when its data block completes); data bytes are
//   never examined except the two after the value.
//
// Thread safety: one parser per connection, used by its parser thread only.
#include <algorithm>
#include <climits>
#include <cstring>

#include "protocol/memcache_parser.h"

namespace tessera::protocol {
namespace {

using detail::kBadCommandLineFormat;
using detail::kError;
using detail::safe_strtol;
using detail::safe_strtoul;
using detail::safe_strtoull;

constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk";
constexpr std::string_view kDeleteUsage =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]";
constexpr std::string_view kInvalidDelta = "CLIENT_ERROR invalid numeric delta argument";
constexpr std::string_view kInvalidExptime = "CLIENT_ERROR invalid exptime argument";
constexpr std::string_view kNoreply = "noreply";
constexpr std::string_view kHttpPrefix = "HTTP/";
constexpr std::string_view kCrlf = "\r\n";
// memcached lets up to this many spaces precede "get " in an over-long multiget line.
constexpr size_t kMaxMultigetLeadingSpaces = 100;

bool is_multiget_start(std::string_view input) {
  size_t spaces = 0;
  while (spaces < input.size() && input[spaces] == ' ') {
    ++spaces;
  }
  if (spaces > kMaxMultigetLeadingSpaces) {
    return false;
  }
  std::string_view rest = input.substr(spaces);
  return rest.starts_with("get ") || rest.starts_with("gets ");
}

bool keys_too_long(const std::vector<std::string_view>& keys) {
  return std::any_of(keys.begin(), keys.end(),
                     [](std::string_view k) { return k.size() > kKeyMaxLength; });
}

}  // namespace

void MemcacheRequest::clear() {
  keys.clear();
  args.clear();
  flags = 0;
  exptime = 0;
  has_exptime = false;
  bytes = 0;
  cas_unique = 0;
  delta = 0;
  verbosity = 0;
  noreply = false;
  value_too_large = false;
  data = {};
  // Only a meta command with flags sets any field of `meta`; skipping the reset otherwise
  // saves zeroing its flag list (~0.8 KB) for every text command.
  if (meta.count != 0 || meta.present != 0) {
    meta = MetaFlags{};
  }
}

void MemcacheParser::reset() {
  scan_offset_ = 0;
  line_end_ = 0;
  line_len_ = 0;
  data_len_ = 0;
  have_line_ = false;
  swallow_left_ = 0;
  needed_hint_ = 0;
}

MemcacheParseResult MemcacheParser::parse(std::string_view input, MemcacheRequest& request) {
  needed_hint_ = 0;
  size_t dropped = 0;
  if (swallow_left_ > 0) {
    dropped = std::min(swallow_left_, input.size());
    swallow_left_ -= dropped;
    input.remove_prefix(dropped);
    if (swallow_left_ > 0 || input.empty()) {
      return {MemcacheParseStatus::kNeedMore, dropped};
    }
  }
  if (input.empty()) {
    return {MemcacheParseStatus::kNeedMore, dropped};
  }

  if (!have_line_) {
    // memcached picks the protocol once, from a connection's first byte.
    if (at_connection_start_ && static_cast<unsigned char>(input[0]) == kBinaryRequestMagic) {
      return {MemcacheParseStatus::kBinary, dropped};
    }
    at_connection_start_ = false;
    const char* nl = static_cast<const char*>(
        std::memchr(input.data() + scan_offset_, '\n', input.size() - scan_offset_));
    if (nl == nullptr) {
      scanned_bytes_ += input.size() - scan_offset_;
      scan_offset_ = input.size();
      if (input.size() > kMaxLineWithoutNewline &&
          (!is_multiget_start(input) || input.size() > limits_.max_multiget_line)) {
        reset();
        return {MemcacheParseStatus::kClose, dropped};
      }
      return {MemcacheParseStatus::kNeedMore, dropped};
    }
    auto at = static_cast<size_t>(nl - input.data());
    scanned_bytes_ += at + 1 - scan_offset_;
    scan_offset_ = 0;
    line_end_ = at + 1;
    // memcached strips the '\r' only when the line has another byte before it.
    line_len_ = (at > 1 && input[at - 1] == '\r') ? at - 1 : at;
  } else if (input.size() < line_end_ + data_len_ + kCrlf.size()) {
    needed_hint_ = line_end_ + data_len_ + kCrlf.size();
    return {MemcacheParseStatus::kNeedMore, dropped};
  }

  request.clear();
  LineResult r = parse_line(input.substr(0, line_len_), request);
  switch (r.outcome) {
    case LineOutcome::kDone: {
      size_t consumed = line_end_;
      reset();
      return {MemcacheParseStatus::kOk, dropped + consumed};
    }
    case LineOutcome::kClose:
      reset();
      return {MemcacheParseStatus::kClose, dropped};
    case LineOutcome::kError: {
      size_t line_end = line_end_;
      reset();
      swallow_left_ = r.swallow;
      size_t now = std::min(swallow_left_, input.size() - line_end);
      swallow_left_ -= now;
      return {MemcacheParseStatus::kError, dropped + line_end + now, r.error, r.suppressed};
    }
    case LineOutcome::kData:
      break;
  }
  data_len_ = request.bytes;
  size_t total = line_end_ + data_len_ + kCrlf.size();
  if (input.size() < total) {
    have_line_ = true;
    needed_hint_ = total;
    return {MemcacheParseStatus::kNeedMore, dropped};
  }
  reset();
  if (input.substr(total - kCrlf.size(), kCrlf.size()) != kCrlf) {
    // Text noreply hides it; ms with q still answers (verified on 1.6.18).
    bool suppressed = request.noreply && request.command != MemcacheCommand::kMetaSet;
    return {MemcacheParseStatus::kError, dropped + total, kBadDataChunk, suppressed};
  }
  request.data = input.substr(total - kCrlf.size() - request.bytes, request.bytes);
  return {MemcacheParseStatus::kOk, dropped + total};
}

MemcacheParser::LineResult MemcacheParser::parse_line(std::string_view line,
                                                      MemcacheRequest& request) {
  scanned_bytes_ += line.size();
  detail::tokenize(line, tokens_);
  if (tokens_.empty()) {
    return {LineOutcome::kError, kError};
  }
  std::string_view cmd = tokens_[0];
  if (cmd.size() == 2 && cmd[0] == 'm') {
    return parse_meta(request);
  }
  return parse_text(request);
}

MemcacheParser::LineResult MemcacheParser::parse_text(MemcacheRequest& request) {
  const size_t n = tokens_.size();
  std::string_view cmd = tokens_[0];
  auto error = [&](std::string_view text) {
    return LineResult{LineOutcome::kError, text, request.noreply};
  };
  auto wrong_count = LineResult{LineOutcome::kError, kError};
  auto set_noreply_maybe = [&] { request.noreply = n > 1 && tokens_[n - 1] == kNoreply; };

  if (cmd == "get" || cmd == "gets") {
    request.command = cmd == "get" ? MemcacheCommand::kGet : MemcacheCommand::kGets;
    if (n < 2) {
      return wrong_count;
    }
    request.keys.assign(tokens_.begin() + 1, tokens_.end());
    return keys_too_long(request.keys) ? error(kBadCommandLineFormat) : LineResult{};
  }
  if (cmd == "gat" || cmd == "gats") {
    request.command = cmd == "gat" ? MemcacheCommand::kGat : MemcacheCommand::kGats;
    if (n < 2) {
      return wrong_count;
    }
    int32_t exptime;
    if (!safe_strtol(tokens_[1], exptime)) {
      return error(kInvalidExptime);
    }
    request.exptime = exptime;
    request.keys.assign(tokens_.begin() + 2, tokens_.end());
    return keys_too_long(request.keys) ? error(kBadCommandLineFormat) : LineResult{};
  }
  if (cmd == "set" || cmd == "add" || cmd == "replace" || cmd == "append" ||
      cmd == "prepend" || cmd == "cas") {
    return parse_storage(request);
  }
  if (cmd == "delete") {
    request.command = MemcacheCommand::kDelete;
    if (n < 2 || n > 4) {
      return wrong_count;
    }
    if (n > 2) {
      bool hold_is_zero = tokens_[2] == "0";
      set_noreply_maybe();
      bool valid = (n == 3 && (hold_is_zero || request.noreply)) ||
                   (n == 4 && hold_is_zero && request.noreply);
      if (!valid) {
        return error(kDeleteUsage);
      }
    }
    request.keys.push_back(tokens_[1]);
    return keys_too_long(request.keys) ? error(kBadCommandLineFormat) : LineResult{};
  }
  if (cmd == "incr" || cmd == "decr") {
    request.command = cmd == "incr" ? MemcacheCommand::kIncr : MemcacheCommand::kDecr;
    if (n != 3 && n != 4) {
      return wrong_count;
    }
    set_noreply_maybe();
    request.keys.push_back(tokens_[1]);
    if (keys_too_long(request.keys)) {
      return error(kBadCommandLineFormat);
    }
    return safe_strtoull(tokens_[2], request.delta) ? LineResult{} : error(kInvalidDelta);
  }
  if (cmd == "touch") {
    request.command = MemcacheCommand::kTouch;
    if (n != 3 && n != 4) {
      return wrong_count;
    }
    set_noreply_maybe();
    request.keys.push_back(tokens_[1]);
    if (keys_too_long(request.keys)) {
      return error(kBadCommandLineFormat);
    }
    int32_t exptime;
    if (!safe_strtol(tokens_[2], exptime)) {
      return error(kInvalidExptime);
    }
    request.exptime = exptime;
    return {};
  }
  if (cmd == "flush_all") {
    request.command = MemcacheCommand::kFlushAll;
    if (n > 3) {
      return wrong_count;
    }
    set_noreply_maybe();
    if (n != (request.noreply ? 2U : 1U)) {
      int32_t delay;
      if (!safe_strtol(tokens_[1], delay)) {
        return error(kInvalidExptime);
      }
      request.exptime = delay;
      request.has_exptime = true;
    }
    return {};
  }
  if (cmd == "verbosity") {
    request.command = MemcacheCommand::kVerbosity;
    if (n != 2 && n != 3) {
      return wrong_count;
    }
    set_noreply_maybe();
    return safe_strtoul(tokens_[1], request.verbosity) ? LineResult{}
                                                       : error(kBadCommandLineFormat);
  }
  if (cmd == "version") {
    request.command = MemcacheCommand::kVersion;
    return {};
  }
  if (cmd == "quit") {
    request.command = MemcacheCommand::kQuit;
    return {};
  }
  if (cmd == "stats") {
    request.command = MemcacheCommand::kStats;
    request.args.assign(tokens_.begin() + 1, tokens_.end());
    return {};
  }
  // memcached dispatches on the first letter first: an unknown command starting with one
  // of these letters is an ERROR before the HTTP check is reached.
  constexpr std::string_view kDispatchedLetters = "gsacidt";
  if (kDispatchedLetters.find(cmd[0]) == std::string_view::npos &&
      tokens_[n - 1].starts_with(kHttpPrefix)) {
    return {LineOutcome::kClose};
  }
  return wrong_count;
}

// set/add/replace/append/prepend <key> <flags> <exptime> <bytes> [noreply]
// cas <key> <flags> <exptime> <bytes> <cas unique> [noreply]
MemcacheParser::LineResult MemcacheParser::parse_storage(MemcacheRequest& request) {
  const size_t n = tokens_.size();
  std::string_view cmd = tokens_[0];
  bool is_cas = cmd == "cas";
  request.command = cmd == "set"       ? MemcacheCommand::kSet
                    : cmd == "add"     ? MemcacheCommand::kAdd
                    : cmd == "replace" ? MemcacheCommand::kReplace
                    : cmd == "append"  ? MemcacheCommand::kAppend
                    : cmd == "prepend" ? MemcacheCommand::kPrepend
                                       : MemcacheCommand::kCas;
  constexpr size_t kStorageWords = 5;  // command key flags exptime bytes
  size_t min_words = kStorageWords + (is_cas ? 1 : 0);
  if (n != min_words && n != min_words + 1) {
    return {LineOutcome::kError, kError};
  }
  request.noreply = tokens_[n - 1] == kNoreply;
  auto error = [&](std::string_view text) {
    return LineResult{LineOutcome::kError, text, request.noreply};
  };
  request.keys.push_back(tokens_[1]);
  if (tokens_[1].size() > kKeyMaxLength) {
    return error(kBadCommandLineFormat);
  }
  int32_t exptime;
  int32_t vlen;
  if (!safe_strtoul(tokens_[2], request.flags) || !safe_strtol(tokens_[3], exptime) ||
      !safe_strtol(tokens_[4], vlen)) {
    return error(kBadCommandLineFormat);
  }
  if (is_cas && !safe_strtoull(tokens_[5], request.cas_unique)) {
    return error(kBadCommandLineFormat);
  }
  if (vlen < 0 || vlen > INT_MAX - static_cast<int32_t>(kCrlf.size())) {
    return error(kBadCommandLineFormat);
  }
  request.exptime = exptime;
  request.bytes = static_cast<uint32_t>(vlen);
  if (request.bytes > limits_.item_size_max) {
    // memcached unlinks the old item only for set (process_update_command).
    request.value_too_large = request.command == MemcacheCommand::kSet;
    LineResult r = error(detail::kObjectTooLarge);
    r.swallow = request.bytes + kCrlf.size();
    return r;
  }
  return {LineOutcome::kData};
}

}  // namespace tessera::protocol

namespace tessera::protocol::detail {
namespace {

bool is_c_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// The part of strtoul/strtol shared by all three: optional whitespace and sign, then
// base-10 digits. `magnitude` saturates; `overflow` is set past UINT64_MAX. The number must
// be followed by the end of the token or a whitespace byte (memcached's endptr check).
bool scan_c_integer(std::string_view token, bool& negative, uint64_t& magnitude,
                    bool& overflow) {
  size_t i = 0;
  while (i < token.size() && is_c_space(token[i])) {
    ++i;
  }
  negative = false;
  if (i < token.size() && (token[i] == '+' || token[i] == '-')) {
    negative = token[i] == '-';
    ++i;
  }
  size_t digits_start = i;
  magnitude = 0;
  overflow = false;
  constexpr uint64_t kTen = 10;
  for (; i < token.size() && token[i] >= '0' && token[i] <= '9'; ++i) {
    auto digit = static_cast<uint64_t>(token[i] - '0');
    if (magnitude > (UINT64_MAX - digit) / kTen) {
      overflow = true;
    } else {
      magnitude = magnitude * kTen + digit;
    }
  }
  if (i == digits_start) {
    return false;
  }
  return i == token.size() || is_c_space(token[i]);
}

// strtoull plus memcached's "(long long) value < 0 and a '-' in the string" rejection.
bool c_strtoull_nonnegative(std::string_view token, uint64_t& out) {
  bool negative;
  uint64_t magnitude;
  bool overflow;
  if (!scan_c_integer(token, negative, magnitude, overflow) || overflow) {
    return false;
  }
  uint64_t value = negative ? 0 - magnitude : magnitude;
  if (static_cast<int64_t>(value) < 0 && negative) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace

void tokenize(std::string_view line, std::vector<std::string_view>& tokens) {
  tokens.clear();
  if (const void* nul = std::memchr(line.data(), '\0', line.size()); nul != nullptr) {
    line = line.substr(0, static_cast<size_t>(static_cast<const char*>(nul) - line.data()));
  }
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ') {
      ++i;
    }
    if (i > start) {
      tokens.push_back(line.substr(start, i - start));
    }
  }
}

bool safe_strtoul(std::string_view token, uint32_t& out) {
  uint64_t value;
  if (!c_strtoull_nonnegative(token, value)) {
    return false;
  }
  out = static_cast<uint32_t>(value);  // memcached stores an unsigned long into 32 bits
  return true;
}

bool safe_strtoull(std::string_view token, uint64_t& out) {
  return c_strtoull_nonnegative(token, out);
}

bool safe_strtol(std::string_view token, int32_t& out) {
  bool negative;
  uint64_t magnitude;
  bool overflow;
  if (!scan_c_integer(token, negative, magnitude, overflow) || overflow) {
    return false;
  }
  constexpr uint64_t kLongMax = INT64_MAX;
  if (magnitude > kLongMax + (negative ? 1 : 0)) {
    return false;  // strtol's ERANGE
  }
  uint64_t bits = negative ? 0 - magnitude : magnitude;
  out = static_cast<int32_t>(static_cast<uint32_t>(bits));  // memcached truncates to int32
  return true;
}

}  // namespace tessera::protocol::detail
