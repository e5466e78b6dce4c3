// MemcacheParser: incremental parser for memcached requests, text protocol (get, set, ...)
// and meta commands (mg, ms, md, ma, mn, me), with memcached 1.6.18's acceptance rules and
// exact error texts. The legacy binary protocol is only detected (first byte 0x80).
//
// Called by a parser thread on the bytes it received for one connection. Pure byte code:
// no threads, no sockets, no allocation on the hot path once `keys` has grown.
//
// Contract (incremental, like RespParser):
//   parse(input, request) looks at the unconsumed bytes of a connection, starting at the
//   first byte of a command. The caller always drops `consumed` bytes, then acts on status:
//     kOk       `request` holds one command; its views point into `input` (a base64 key
//               from the meta `b` flag points into parser storage, valid until the next
//               parse()). Storage commands (set ... cas, ms) are returned only once their
//               `<bytes>\r\n` data block arrived; `request.data` views it.
//     kNeedMore nothing complete: keep the bytes, append more, call again with the same
//               prefix (it may have moved). The parser remembers the line end and the data
//               length, so a large value arriving in small reads is never re-scanned.
//               `consumed` is non-zero only while the parser discards the data block of a
//               rejected command (see kError); those bytes are gone.
//     kError    send `error` (exact memcached text, without "\r\n") unless `suppressed`
//               (memcached drops error replies of text commands that carry `noreply`), and
//               keep reading: memcached never closes on these. After a too-large value the
//               parser discards its data block as memcached does ("swallow"), across calls;
//               `request` is then filled too and `value_too_large` is set, because memcached
//               also unlinks the key of a too-large set / ms.
//     kClose    close the connection without a reply (memcached's conn_closing): a line of
//               more than kMaxLineWithoutNewline bytes with no '\n' that is not a multiget,
//               a multiget line past `max_multiget_line`, or an unknown command whose last
//               token starts with "HTTP/". ("quit" is kOk: the runtime closes after it.)
//     kBinary   the connection's first byte is 0x80, the binary protocol magic: the
//               runtime switches this connection to the binary parser. Nothing is
//               consumed. Later commands starting with 0x80 are text (memcached decides
//               the protocol once per connection).
//
// memcached framing reproduced (verified over a socket against memcached 1.6.18):
//   - a line ends at '\n'; a '\r' before it is dropped; the line is cut at its first NUL;
//     tokens are separated by one or more ' ' (not tabs), and commands are case-sensitive;
//   - a data block is exactly `<bytes>` + 2 bytes; if its last two are not "\r\n" the reply
//     is "CLIENT_ERROR bad data chunk", the block (bytes + 2) is consumed anyway and parsing
//     resumes right after it (so "set a 0 0 1\r\nxy\r\n" gives bad data chunk, then ERROR
//     for the lone "\n");
//   - an invalid command line is answered without swallowing any data block (the data line
//     then gives "ERROR"), except for values over item_size_max and for ms flag errors
//     found after the size, whose blocks are swallowed.
//
// Thread safety: one parser per connection, used by its parser thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessera::protocol {

// memcached's KEY_MAX_LENGTH.
inline constexpr size_t kKeyMaxLength = 250;
// memcached reads a line without '\n' up to this many bytes, then closes the connection
// unless the line is a "get "/"gets " multiget (try_read_command_ascii).
inline constexpr size_t kMaxLineWithoutNewline = 2048;
// memcached's MFLAG_MAX_OPT_LENGTH (a meta command's token count, terminal token included,
// may not exceed it) and MFLAG_MAX_OPAQUE_LENGTH (an O token, 'O' included).
inline constexpr size_t kMetaMaxTokens = 20;
inline constexpr size_t kMetaMaxOpaqueLength = 32;
// Flags a meta command can carry: kMetaMaxTokens minus command, key and terminal token.
inline constexpr size_t kMaxMetaFlags = kMetaMaxTokens - 3;
inline constexpr unsigned char kBinaryRequestMagic = 0x80;

struct MemcacheLimits {
  // memcached's item_size_max (-I), default 1 MiB. Deviation: memcached's real limit also
  // counts its item header and key (a value of item_size_max - ~60 bytes already fails
  // there); Tessera stores values up to item_size_max bytes.
  size_t item_size_max = 1024 * 1024;
  // memcached accepts multiget lines of any length; Tessera closes past this many bytes.
  size_t max_multiget_line = 16 * 1024 * 1024;
};

enum class MemcacheCommand : uint8_t {
  kGet, kGets, kGat, kGats,
  kSet, kAdd, kReplace, kAppend, kPrepend, kCas,
  kDelete, kIncr, kDecr, kTouch,
  kFlushAll, kVersion, kVerbosity, kQuit, kStats,
  kMetaNoop, kMetaGet, kMetaSet, kMetaDelete, kMetaArithmetic, kMetaDebug,
};

// One meta flag as sent: its letter and the token glued to it ("T30" -> 'T', "30").
struct MetaFlag {
  char flag = 0;
  std::string_view token;
};

// Meta flags of one command, in request order (replies echo return flags in this order),
// plus the values of the flags that carry numbers, validated as memcached does.
struct MetaFlags {
  std::array<MetaFlag, kMaxMetaFlags> list{};
  size_t count = 0;
  uint64_t present = 0;  // bit meta_flag_bit(c) for each flag letter seen

  bool has(char flag) const;
  const MetaFlag* find(char flag) const;

  bool base64_key = false;  // b: keys[0] was decoded from base64
  bool quiet = false;       // q
  int64_t ttl = 0;          // T (int32 range, as memcached parses it)
  int64_t vivify_ttl = 0;   // N
  int64_t recache_ttl = 0;  // R
  uint32_t client_flags = 0;  // F
  uint64_t compare_cas = 0;   // C
  uint64_t new_cas = 0;       // E (memcached >= 1.6.21; 1.6.18 rejects it as invalid)
  uint64_t delta = 1;         // D (ma; default 1)
  uint64_t initial = 0;       // J (ma)
  char mode = 0;              // M<mode> (ms: E A P R S, ma: I + D -), 0 if absent
  std::string_view opaque;    // O token without the 'O'
};

struct MemcacheRequest {
  MemcacheCommand command = MemcacheCommand::kGet;
  std::vector<std::string_view> keys;  // get/gets/gat/gats: all keys; others: at most one
  std::vector<std::string_view> args;  // stats: its arguments ("settings", "items", ...)
  uint32_t flags = 0;        // client flags (storage commands)
  int64_t exptime = 0;       // set..cas, touch, gat(s), flush_all delay (int32 range)
  bool has_exptime = false;  // flush_all: a delay was given
  uint32_t bytes = 0;        // data length (storage commands)
  uint64_t cas_unique = 0;   // cas
  uint64_t delta = 0;        // incr/decr
  uint32_t verbosity = 0;    // verbosity level
  bool noreply = false;      // text: trailing "noreply"; meta: the q flag
  bool value_too_large = false;  // with kError: the key should be unlinked (see above)
  std::string_view data;     // storage commands: the value, without its "\r\n"
  MetaFlags meta;            // meta commands only

  void clear();
};

enum class MemcacheParseStatus : uint8_t { kOk, kNeedMore, kError, kClose, kBinary };

struct MemcacheParseResult {
  MemcacheParseStatus status = MemcacheParseStatus::kNeedMore;
  size_t consumed = 0;
  std::string_view error;  // static text, valid forever
  bool suppressed = false;  // kError: do not send `error` (noreply)
};

// Bit of `MetaFlags::present` for a flag letter; 0 for a non-letter.
uint64_t meta_flag_bit(char flag);

class MemcacheParser {
 public:
  explicit MemcacheParser(const MemcacheLimits& limits = {}) : limits_(limits) {}
  MemcacheParser(const MemcacheParser&) = delete;
  MemcacheParser& operator=(const MemcacheParser&) = delete;

  MemcacheParseResult parse(std::string_view input, MemcacheRequest& request);

  // Total bytes the pending command needs, when known (0 if unknown).
  size_t needed_hint() const { return needed_hint_; }
  // Forget any partial command and pending swallow (connection reset).
  void reset();
  // Bytes examined (line-end search and tokenizing) since construction; data blocks are
  // never examined beyond their last two bytes. Lets tests check that parsing is linear.
  size_t scanned_bytes() const { return scanned_bytes_; }

 private:
  // What parse_line found. kData: a storage command whose block of `data_len` + 2 bytes
  // follows the line.
  enum class LineOutcome : uint8_t { kDone, kData, kError, kClose };
  struct LineResult {
    LineOutcome outcome = LineOutcome::kDone;
    std::string_view error;
    bool suppressed = false;
    size_t swallow = 0;  // kError: bytes of data block to discard after the line
  };

  // Tokenizes and checks one line (without "\r\n"); fills `request`.
  LineResult parse_line(std::string_view line, MemcacheRequest& request);
  LineResult parse_text(MemcacheRequest& request);
  LineResult parse_storage(MemcacheRequest& request);
  LineResult parse_meta(MemcacheRequest& request);
  LineResult parse_meta_set(MemcacheRequest& request);
  // Validates meta flag tokens from tokens_[first] on; error text or empty.
  std::string_view parse_meta_flags(size_t first, MemcacheRequest& request);
  bool decode_base64_key(MemcacheRequest& request);

  MemcacheParseResult finish_error(const LineResult& r, size_t consumed);

  MemcacheLimits limits_;
  std::vector<std::string_view> tokens_;
  // Resume state (offsets from the command start): `scan_offset_` bytes known to hold no
  // '\n'; once the line is found, `line_end_` (offset of the byte after '\n') and the line
  // length without "\r\n"; `data_len_` for a pending data block.
  size_t scan_offset_ = 0;
  size_t line_end_ = 0;
  size_t line_len_ = 0;
  size_t data_len_ = 0;
  bool have_line_ = false;
  bool at_connection_start_ = true;  // no byte seen yet: a 0x80 now means binary
  size_t swallow_left_ = 0;  // bytes of a rejected data block still to discard
  size_t needed_hint_ = 0;
  size_t scanned_bytes_ = 0;
  std::string decoded_key_;  // base64-decoded meta key
};

// Shared by memcache_parser.cc and memcache_meta.cc; not part of the parser's interface.
namespace detail {

inline constexpr std::string_view kError = "ERROR";
inline constexpr std::string_view kBadCommandLineFormat = "CLIENT_ERROR bad command line format";
inline constexpr std::string_view kObjectTooLarge = "SERVER_ERROR object too large for cache";

// memcached's tokenize_command: words separated by runs of ' ', the line cut at its first
// NUL (memcached handles the line as a C string).
void tokenize(std::string_view line, std::vector<std::string_view>& tokens);
// memcached's safe_strtoul / safe_strtol / safe_strtoull over one token: C strtoul/strtol
// rules (leading whitespace, '+'/'-', base 10, trailing whitespace allowed, overflow fails),
// negative values rejected by the unsigned ones, and the result truncated to the
// destination's width exactly as memcached's assignments do.
bool safe_strtoul(std::string_view token, uint32_t& out);
bool safe_strtol(std::string_view token, int32_t& out);
bool safe_strtoull(std::string_view token, uint64_t& out);
// memcached's base64_decode (Jouni Malinen's): characters outside the alphabet are skipped,
// the rest must be a multiple of 4 with valid padding. Returns false on failure or empty.
bool base64_decode(std::string_view in, std::string& out);

}  // namespace detail
}  // namespace tessera::protocol
