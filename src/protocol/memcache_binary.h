// memcached's legacy binary protocol: MemcacheBinaryParser (incremental request framing and
// per-opcode validation with memcached 1.6.18's rules and replies), the response encoder,
// and the reply-model form of a binary response (an array of 7, see below).
//
// Called by a connection's parser thread (parse) and its replier thread (encoders) once the
// text parser has reported kBinary (first byte 0x80). Pure byte code: no threads, no
// sockets, no allocation in the parser.
//
// Wire format (all integers big-endian): a 24-byte header
//   magic:u8 opcode:u8 keylen:u16 extlen:u8 datatype:u8 vbucket|status:u16 bodylen:u32
//   opaque:u32 cas:u64
// then `bodylen` bytes: extras (extlen), key (keylen), value (the rest). Requests carry
// magic 0x80, responses 0x81; datatype and vbucket are ignored, as memcached ignores them.
//
// Contract (incremental, like MemcacheParser): parse(input, request) looks at a connection's
// unconsumed bytes, starting at the first byte of a packet. The caller drops `consumed`
// bytes, then acts on status:
//   kOk       `request` holds one packet; its views point into `input`. A packet is
//             returned only once all `bodylen` bytes arrived.
//   kNeedMore keep the bytes, append more, call again. `consumed` is non-zero only while
//             the parser discards the body of a rejected packet (see kError).
//   kError    send append_binary_error(request.opcode, error, request.opaque), even for a
//             quiet opcode (memcached's write_bin_error ignores noreply). Then close if
//             `close_after_reply`, else keep reading: the parser discards the rest of the
//             packet's body across calls ("swallow"). The error is reported once header,
//             extras and key are in, before the value arrives, as memcached does.
//   kClose    close without a reply.
//
// memcached 1.6.18 behaviour reproduced (proto_bin.c; verified over a socket):
//   - magic byte other than 0x80 -> close, no reply (try_read_command_binary);
//   - header + extras + key longer than memcached's 16 KiB read buffer -> close, no reply;
//   - keylen + extlen > bodylen -> UNKNOWN_COMMAND "Unknown command", then close
//     (dispatch_bin_command); keylen > 250 -> EINVAL "Invalid arguments", then close
//     (handle_binary_protocol_error); both before the opcode is looked at;
//   - per-opcode length rules of dispatch_bin_command (table in memcache_binary.cc); a
//     violation -> EINVAL, then close. Quiet opcodes follow their loud one's rules;
//   - unknown opcodes, VERBOSITY (gone from memcached 1.6) and, with SASL off, SASL_LIST_MECHS
//     / SASL_AUTH / SASL_STEP with valid lengths -> UNKNOWN_COMMAND, body swallowed, connection
//     kept (bin_list_sasl_mechs, process_bin_sasl_auth);
//   - set/add/replace/append/prepend with a value over item_size_max -> E2BIG "Too large.",
//     value swallowed, connection kept (process_bin_update, process_bin_append_prepend).
//     memcached then unlinks the key for set / setq only; `request.value_too_large` is set and
//     `request.key` filled so the engine can do the same.
// Deviations (each makes Tessera frame by bodylen where memcached 1.6.18 loses sync):
//   - unknown opcodes: memcached swallows `bodylen` bytes after extras and key, eating
//     extlen + keylen bytes of the next packet; Tessera swallows only the rest of the body;
//   - STAT, TOUCH, GAT(Q), GATK(Q) with value bytes: memcached leaves them in the stream to be
//     read as the next header (usually a bad-magic close); Tessera accepts and skips them;
//   - the E2BIG threshold is value > item_size_max (memcached also counts its item header);
//   - a packet too long for the read buffer closes at once instead of after 16 KiB arrived.
//
// Thread safety: a parser belongs to one connection and its parser thread; the encoders are
// free functions over the caller's string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/memcache_parser.h"

namespace tessera::protocol {

class ReplyWriter;

inline constexpr size_t kBinaryHeaderSize = 24;
inline constexpr unsigned char kBinaryResponseMagic = 0x81;
// memcached 1.6's READ_BUFFER_SIZE: header + extras + key must fit in it.
inline constexpr size_t kBinaryReadBufferSize = 16384;
// Extras lengths memcached requires: set/add/replace (flags, exptime), incr/decr (delta,
// initial, exptime), touch/gat (exptime) and flush's optional delay.
inline constexpr size_t kBinaryStorageExtrasSize = 8;
inline constexpr size_t kBinaryArithmeticExtrasSize = 20;
inline constexpr size_t kBinaryExpirationExtrasSize = 4;
// An incr/decr exptime of this value means "do not create a missing key" (ENOENT).
inline constexpr uint32_t kBinaryArithmeticNoCreate = 0xffffffff;
// Fields of a binary response in the reply model (see encode_memcache_binary).
inline constexpr uint32_t kBinaryModelFields = 7;

enum class MemcacheBinaryOpcode : uint8_t {
  kGet = 0x00, kSet = 0x01, kAdd = 0x02, kReplace = 0x03, kDelete = 0x04,
  kIncrement = 0x05, kDecrement = 0x06, kQuit = 0x07, kFlush = 0x08, kGetQ = 0x09,
  kNoop = 0x0a, kVersion = 0x0b, kGetK = 0x0c, kGetKQ = 0x0d, kAppend = 0x0e,
  kPrepend = 0x0f, kStat = 0x10, kSetQ = 0x11, kAddQ = 0x12, kReplaceQ = 0x13,
  kDeleteQ = 0x14, kIncrementQ = 0x15, kDecrementQ = 0x16, kQuitQ = 0x17, kFlushQ = 0x18,
  kAppendQ = 0x19, kPrependQ = 0x1a, kVerbosity = 0x1b, kTouch = 0x1c, kGat = 0x1d,
  kGatQ = 0x1e, kSaslListMechs = 0x20, kSaslAuth = 0x21, kSaslStep = 0x22, kGatK = 0x23,
  kGatKQ = 0x24,
};

enum class MemcacheBinaryStatus : uint16_t {
  kNoError = 0x00,
  kKeyEnoent = 0x01,
  kKeyEexists = 0x02,
  kE2big = 0x03,
  kEinval = 0x04,
  kNotStored = 0x05,
  kDeltaBadval = 0x06,
  kAuthError = 0x20,
  kAuthContinue = 0x21,
  kUnknownCommand = 0x81,
  kEnomem = 0x82,
};

// Whether `opcode` is a quiet variant (GETQ, SETQ, ...), and the loud opcode it stands for
// (memcached's dispatch_bin_command translation; other opcodes map to themselves).
bool binary_opcode_is_quiet(uint8_t opcode);
MemcacheBinaryOpcode binary_loud_opcode(uint8_t opcode);

struct MemcacheBinaryRequest {
  uint8_t opcode = 0;  // as sent; responses echo it
  MemcacheBinaryOpcode command = MemcacheBinaryOpcode::kGet;  // binary_loud_opcode(opcode)
  bool quiet = false;  // binary_opcode_is_quiet(opcode)
  uint32_t opaque = 0;
  uint64_t cas = 0;
  std::string_view extras;
  std::string_view key;
  std::string_view value;
  // Decoded extras (zero when the opcode has none).
  uint32_t flags = 0;    // set/add/replace
  uint32_t exptime = 0;  // set/add/replace, incr/decr, touch/gat(k)(q), flush delay
  uint64_t delta = 0;    // incr/decr
  uint64_t initial = 0;  // incr/decr
  bool has_expiration_extra = false;  // flush: a 4-byte delay was sent
  bool value_too_large = false;       // with kError E2BIG (see the top of this file)

  void clear() { *this = MemcacheBinaryRequest{}; }
};

enum class MemcacheBinaryParseStatus : uint8_t { kOk, kNeedMore, kError, kClose };

struct MemcacheBinaryParseResult {
  MemcacheBinaryParseStatus status = MemcacheBinaryParseStatus::kNeedMore;
  size_t consumed = 0;
  MemcacheBinaryStatus error = MemcacheBinaryStatus::kNoError;  // kError: status to send
  bool close_after_reply = false;                                // kError: then close
};

class MemcacheBinaryParser {
 public:
  // Only `limits.item_size_max` applies to binary packets.
  explicit MemcacheBinaryParser(const MemcacheLimits& limits = {}) : limits_(limits) {}
  MemcacheBinaryParser(const MemcacheBinaryParser&) = delete;
  MemcacheBinaryParser& operator=(const MemcacheBinaryParser&) = delete;

  // Cost: O(1) per call besides the bytes it discards; the header is re-decoded on each
  // call while a packet is incomplete (24 bytes), its value is never examined.
  MemcacheBinaryParseResult parse(std::string_view input, MemcacheBinaryRequest& request);

  // Total bytes the pending packet needs from its first byte, when known (0 if unknown).
  size_t needed_hint() const { return needed_hint_; }
  // Forget a pending swallow (connection reset).
  void reset() {
    swallow_left_ = 0;
    needed_hint_ = 0;
  }

 private:
  MemcacheBinaryParseResult reject(std::string_view input, size_t head, uint64_t swallow,
                                   MemcacheBinaryStatus error, size_t dropped);

  MemcacheLimits limits_;
  uint64_t swallow_left_ = 0;  // body bytes of a rejected packet still to discard
  size_t needed_hint_ = 0;
};

// memcached's text for an error status (write_bin_error): "Not found", "Data exists for
// key.", "Too large.", "Invalid arguments", "Not stored.", "Non-numeric server-side value for
// incr or decr", "Auth failure.", "Unknown command", "Out of memory"; empty for kNoError and
// kAuthContinue.
std::string_view binary_status_text(MemcacheBinaryStatus status);

// One response: the 24-byte header (magic 0x81, datatype 0) and the body.
// REQUIRES: extras.size() <= 255, key.size() <= 65535, total body <= UINT32_MAX.
void append_binary_response(std::string& out, uint8_t opcode, uint16_t status, uint32_t opaque,
                            uint64_t cas, std::string_view extras, std::string_view key,
                            std::string_view value);
// An error response as memcached writes it: cas 0, no extras, no key, the status text as
// value.
void append_binary_error(std::string& out, uint8_t opcode, MemcacheBinaryStatus status,
                         uint32_t opaque);

// Reply model of one binary response: array(7) of integer opcode, integer status, integer
// opaque, integer cas (the uint64 bits as int64), bulk extras, bulk key, bulk value.
void write_binary_response(ReplyWriter& writer, uint8_t opcode, uint16_t status,
                           uint32_t opaque, uint64_t cas, std::string_view extras,
                           std::string_view key, std::string_view value);
void write_binary_error(ReplyWriter& writer, uint8_t opcode, MemcacheBinaryStatus status,
                        uint32_t opaque);
// Appends one response per top-level model value. REQUIRES: every value has the shape that
// write_binary_response writes (checked with assert). Quiet suppression is the engine's.
void encode_memcache_binary(std::string_view model, std::string& out);

}  // namespace tessera::protocol
