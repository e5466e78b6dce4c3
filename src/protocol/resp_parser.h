// RespParser: incremental parser for Redis requests, RESP2 multibulk ("*2\r\n$3\r\nGET...")
// and inline commands ("PING\r\n", space-separated, with Redis's quoting rules).
//
// Called by a parser thread on the bytes it received for one connection. Pure byte code:
// no threads, no sockets, no allocation on the hot path once `args` has grown.
//
// Contract (incremental):
//   parse(input) looks at the unconsumed bytes of a connection, starting at the first byte
//   of a command. It returns kOk with `consumed` = the command's length and `args` viewing
//   `input`; or kNeedMore with consumed = 0 — the caller keeps the bytes, appends more and
//   calls again with the same prefix (it may have moved in memory). The parser remembers how
//   far it got, so a 512 MB bulk arriving in small reads is scanned once, not quadratically.
//   `needed_hint()` then says how many bytes the command needs in total when known (so the
//   caller can size its buffer once). kError carries the exact Redis error text including
//   its code, without the "-" prefix ("ERR Protocol error: invalid bulk length"), ready for
//   ReplyWriter::error; the connection must be answered with it and closed, as Redis does.
//   An empty inline line (or a lone "\r\n"), "*0\r\n" and "*-1\r\n" (any count <= 0) are
//   consumed and yield kOk with zero args: skip them.
//   Lifetime of args: multibulk args and plain inline args view `input`; an inline
//   argument that had to be unescaped (quotes with escapes, or quotes glued to other
//   text) views parser storage that stays valid only until the next parse() or reset().
//
// Limits (Redis names): proto-max-bulk-len (bulk longer -> "Protocol error: invalid bulk
// length"), a multibulk count above INT_MAX as in Redis 7.0 (-> "invalid multibulk length"), inline
// lines and unterminated headers longer than 64 KiB (-> "Protocol error: too big inline
// request" / "too big mbulk count string" / "too big bulk count string").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tessera::protocol {

struct RespLimits {
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t max_multibulk_len = 2147483647;  // INT_MAX, Redis 7.0's multibulk count limit
  size_t max_inline_len = 64 * 1024;
};

enum class ParseStatus { kOk, kNeedMore, kError };

struct ParseResult {
  ParseStatus status;
  size_t consumed = 0;
  std::string_view error;  // static text, valid forever
};

class RespParser {
 public:
  explicit RespParser(const RespLimits& limits = {}) : limits_(limits) {}

  const RespLimits& limits() const { return limits_; }
  // Takes effect from the next length header parsed (CONFIG SET on a live connection).
  void set_proto_max_bulk_len(int64_t bytes) { limits_.proto_max_bulk_len = bytes; }

  ParseResult parse(std::string_view input, std::vector<std::string_view>& args);

  // Total bytes the pending command needs, when known (0 if unknown).
  size_t needed_hint() const { return needed_hint_; }
  // Forget any partial command (after an error, or when the connection is reset).
  void reset();
  // Bytes examined while searching for line ends and parsing headers since construction;
  // bulk payloads are never examined. Lets tests check that resumed parsing is linear.
  size_t scanned_bytes() const { return scanned_bytes_; }

 private:
  ParseResult parse_multibulk(std::string_view input, std::vector<std::string_view>& args);
  ParseResult parse_inline(std::string_view input, std::vector<std::string_view>& args);
  // Finds the '\r' ending the header that starts at `start`, resuming the search where the
  // previous call stopped. Returns its offset; kNoCr when there is none; kCrLast when it is
  // the last byte (Redis wants the byte after '\r' present but does not check it is '\n').
  static constexpr size_t kNoCr = static_cast<size_t>(-1);
  static constexpr size_t kCrLast = static_cast<size_t>(-2);
  size_t find_header_end(std::string_view input, size_t start);
  ParseResult need_more(size_t resume_offset, const std::vector<std::string_view>& args,
                        std::string_view input);
  ParseResult fail(std::string_view error);
  // sdssplitargs over one inline line; false on unbalanced quotes.
  bool split_inline(std::string_view line, std::vector<std::string_view>& args);

  RespLimits limits_;
  // Resume state for a multibulk command that is not complete yet. Offsets are relative to
  // the first byte of the command.
  bool in_multibulk_ = false;
  int64_t multibulk_left_ = 0;
  int64_t bulk_len_ = -1;  // length of the bulk whose header was read, -1 before its header
  size_t resume_offset_ = 0;
  // Bytes after the current header (or inline line) start already searched for its end.
  size_t scan_offset_ = 0;
  size_t scanned_bytes_ = 0;
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length) parsed so far
  size_t needed_hint_ = 0;
  // Inline arguments that need unescaping are copied here (capacity >= the line, reserved
  // before splitting so views stay valid); args view it.
  std::string inline_unescaped_;
};

}  // namespace tessera::protocol
