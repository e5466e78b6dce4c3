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
//   caller can size its buffer once). kError carries the exact Redis error text (without the
//   "-" prefix); the connection must be answered with it and closed, as Redis does.
//   An empty inline line (or a lone "\r\n") is consumed and yields kOk with zero args: skip it.
//
// Limits (Redis names): proto-max-bulk-len (bulk longer -> "Protocol error: invalid bulk
// length"), a multibulk count above 1024*1024*1024 (-> "invalid multibulk length"), inline
// lines and unterminated headers longer than 64 KiB (-> "Protocol error: too big inline
// request" / "too big mbulk count string" / "too big bulk count string").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tessera::protocol {

struct RespLimits {
  int64_t proto_max_bulk_len = 512LL * 1024 * 1024;
  int64_t max_multibulk_len = 1024LL * 1024 * 1024;
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

  ParseResult parse(std::string_view input, std::vector<std::string_view>& args);

  // Total bytes the pending command needs, when known (0 if unknown).
  size_t needed_hint() const { return needed_hint_; }
  // Forget any partial command (after an error, or when the connection is reset).
  void reset();

 private:
  ParseResult parse_multibulk(std::string_view input, std::vector<std::string_view>& args);
  ParseResult parse_inline(std::string_view input, std::vector<std::string_view>& args);

  RespLimits limits_;
  // Resume state for a multibulk command that is not complete yet. Offsets are relative to
  // the first byte of the command.
  bool in_multibulk_ = false;
  int64_t multibulk_left_ = 0;
  size_t resume_offset_ = 0;
  std::vector<std::pair<size_t, size_t>> arg_spans_;  // (offset, length) parsed so far
  size_t needed_hint_ = 0;
  // Inline quoted arguments are unescaped into this storage; args view it.
  std::vector<std::string> inline_storage_;
};

}  // namespace tessera::protocol
