// memcached binary protocol (see memcache_binary.h): packet framing and the per-opcode
// length rules of memcached 1.6.18's dispatch_bin_command, the swallowing of rejected
// bodies, and the response encoders (raw and from the reply model).
//
// Length rules (extlen, keylen, bodylen of the request; quiet opcodes use their loud one's):
//   VERSION, NOOP, QUIT, SASL_LIST_MECHS   extlen == 0, keylen == 0, bodylen == 0
//   FLUSH                                   keylen == 0, bodylen == extlen, extlen 0 or 4
//   SET, ADD, REPLACE                       extlen == 8, keylen > 0 (value may be empty)
//   GET, GETK, DELETE                       extlen == 0, keylen > 0, bodylen == keylen
//   INCREMENT, DECREMENT                    extlen == 20, keylen > 0, bodylen == keylen + 20
//   APPEND, PREPEND                         extlen == 0, keylen > 0 (value may be empty)
//   STAT                                    extlen == 0 (key = stats group, may be empty)
//   SASL_AUTH, SASL_STEP                    extlen == 0, keylen > 0
//   TOUCH, GAT, GATK                        extlen == 4, keylen > 0
//
// Invariant between calls: either nothing is pending, or `swallow_left_` bytes of a rejected
// packet's body remain to be discarded before the next packet starts.
//
// Thread safety: a parser is used by one thread; the encoders are stateless.
#include "protocol/memcache_binary.h"

#include <algorithm>
#include <array>
#include <cassert>

#include "protocol/reply.h"

namespace tessera::protocol {
namespace {

using Opcode = MemcacheBinaryOpcode;
using Status = MemcacheBinaryStatus;
using ParseStatus = MemcacheBinaryParseStatus;

// Header field offsets (same layout for requests and responses).
constexpr size_t kMagicOffset = 0;
constexpr size_t kOpcodeOffset = 1;
constexpr size_t kKeyLengthOffset = 2;
constexpr size_t kExtrasLengthOffset = 4;
constexpr size_t kDataTypeOffset = 5;
constexpr size_t kStatusOffset = 6;
constexpr size_t kBodyLengthOffset = 8;
constexpr size_t kOpaqueOffset = 12;
constexpr size_t kCasOffset = 16;
constexpr unsigned char kRawBytesDataType = 0x00;
constexpr unsigned kBitsPerByte = 8;
constexpr uint64_t kByteMask = 0xff;
constexpr size_t kMaxExtrasLength = UINT8_MAX;
constexpr size_t kMaxKeyLength = UINT16_MAX;

uint64_t load_be(const char* p, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) {
    v = (v << kBitsPerByte) | static_cast<unsigned char>(p[i]);
  }
  return v;
}

void store_be(char* p, uint64_t v, size_t bytes) {
  for (size_t i = bytes; i > 0; --i) {
    p[i - 1] = static_cast<char>(v & kByteMask);
    v >>= kBitsPerByte;
  }
}

enum class LengthCheck : uint8_t { kValid, kInvalid, kUnknownOpcode };

// dispatch_bin_command's per-opcode conditions (table at the top of this file).
LengthCheck check_lengths(Opcode command, size_t extlen, size_t keylen, uint64_t bodylen) {
  bool ok = false;
  switch (command) {
    case Opcode::kVersion:
    case Opcode::kNoop:
    case Opcode::kQuit:
    case Opcode::kSaslListMechs:
      ok = extlen == 0 && keylen == 0 && bodylen == 0;
      break;
    case Opcode::kFlush:
      ok = keylen == 0 && bodylen == extlen &&
           (extlen == 0 || extlen == kBinaryExpirationExtrasSize);
      break;
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
      ok = extlen == kBinaryStorageExtrasSize && keylen > 0;
      break;
    case Opcode::kGet:
    case Opcode::kGetK:
    case Opcode::kDelete:
      ok = extlen == 0 && keylen > 0 && bodylen == keylen;
      break;
    case Opcode::kIncrement:
    case Opcode::kDecrement:
      ok = extlen == kBinaryArithmeticExtrasSize && keylen > 0 && bodylen == keylen + extlen;
      break;
    case Opcode::kAppend:
    case Opcode::kPrepend:
      ok = extlen == 0 && keylen > 0;
      break;
    case Opcode::kStat:
      ok = extlen == 0;
      break;
    case Opcode::kSaslAuth:
    case Opcode::kSaslStep:
      ok = extlen == 0 && keylen > 0;
      break;
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatK:
      ok = extlen == kBinaryExpirationExtrasSize && keylen > 0;
      break;
    default:
      return LengthCheck::kUnknownOpcode;
  }
  return ok ? LengthCheck::kValid : LengthCheck::kInvalid;
}

bool is_storage(Opcode command) {
  switch (command) {
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
    case Opcode::kAppend:
    case Opcode::kPrepend:
      return true;
    default:
      return false;
  }
}

bool is_sasl(Opcode command) {
  return command == Opcode::kSaslListMechs || command == Opcode::kSaslAuth ||
         command == Opcode::kSaslStep;
}

// Fills the decoded extras fields. REQUIRES: lengths passed check_lengths.
void decode_extras(MemcacheBinaryRequest& request) {
  const char* e = request.extras.data();
  constexpr size_t kWord = sizeof(uint32_t);
  constexpr size_t kLong = sizeof(uint64_t);
  switch (request.command) {
    case Opcode::kSet:
    case Opcode::kAdd:
    case Opcode::kReplace:
      request.flags = static_cast<uint32_t>(load_be(e, kWord));
      request.exptime = static_cast<uint32_t>(load_be(e + kWord, kWord));
      break;
    case Opcode::kIncrement:
    case Opcode::kDecrement:
      request.delta = load_be(e, kLong);
      request.initial = load_be(e + kLong, kLong);
      request.exptime = static_cast<uint32_t>(load_be(e + 2 * kLong, kWord));
      break;
    case Opcode::kTouch:
    case Opcode::kGat:
    case Opcode::kGatK:
      request.exptime = static_cast<uint32_t>(load_be(e, kWord));
      break;
    case Opcode::kFlush:
      request.has_expiration_extra = request.extras.size() == kBinaryExpirationExtrasSize;
      if (request.has_expiration_extra) {
        request.exptime = static_cast<uint32_t>(load_be(e, kWord));
      }
      break;
    default:
      break;
  }
}

int64_t next_integer(ReplyReader& reader) {
  ReplyValue v = reader.next();
  assert(v.tag == ReplyTag::kInteger);
  return v.integer;
}

std::string_view next_bulk(ReplyReader& reader) {
  ReplyValue v = reader.next();
  assert(v.tag == ReplyTag::kBulk);
  return v.str;
}

}  // namespace

bool binary_opcode_is_quiet(uint8_t opcode) {
  return static_cast<uint8_t>(binary_loud_opcode(opcode)) != opcode;
}

MemcacheBinaryOpcode binary_loud_opcode(uint8_t opcode) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::kGetQ: return Opcode::kGet;
    case Opcode::kGetKQ: return Opcode::kGetK;
    case Opcode::kSetQ: return Opcode::kSet;
    case Opcode::kAddQ: return Opcode::kAdd;
    case Opcode::kReplaceQ: return Opcode::kReplace;
    case Opcode::kDeleteQ: return Opcode::kDelete;
    case Opcode::kIncrementQ: return Opcode::kIncrement;
    case Opcode::kDecrementQ: return Opcode::kDecrement;
    case Opcode::kQuitQ: return Opcode::kQuit;
    case Opcode::kFlushQ: return Opcode::kFlush;
    case Opcode::kAppendQ: return Opcode::kAppend;
    case Opcode::kPrependQ: return Opcode::kPrepend;
    case Opcode::kGatQ: return Opcode::kGat;
    case Opcode::kGatKQ: return Opcode::kGatK;
    default: return static_cast<Opcode>(opcode);
  }
}

MemcacheBinaryParseResult MemcacheBinaryParser::parse(std::string_view input,
                                                      MemcacheBinaryRequest& request) {
  needed_hint_ = 0;
  size_t dropped = 0;
  if (swallow_left_ > 0) {
    dropped = static_cast<size_t>(std::min<uint64_t>(swallow_left_, input.size()));
    swallow_left_ -= dropped;
    input.remove_prefix(dropped);
    if (swallow_left_ > 0) {
      return {ParseStatus::kNeedMore, dropped};
    }
  }
  if (input.size() < kBinaryHeaderSize) {
    needed_hint_ = kBinaryHeaderSize;
    return {ParseStatus::kNeedMore, dropped};
  }
  const char* h = input.data();
  if (static_cast<unsigned char>(h[kMagicOffset]) != kBinaryRequestMagic) {
    return {ParseStatus::kClose, dropped};
  }
  request.clear();
  request.opcode = static_cast<uint8_t>(h[kOpcodeOffset]);
  request.command = binary_loud_opcode(request.opcode);
  request.quiet = binary_opcode_is_quiet(request.opcode);
  request.opaque = static_cast<uint32_t>(load_be(h + kOpaqueOffset, sizeof(uint32_t)));
  request.cas = load_be(h + kCasOffset, sizeof(uint64_t));
  const auto keylen = static_cast<size_t>(load_be(h + kKeyLengthOffset, sizeof(uint16_t)));
  const auto extlen = static_cast<size_t>(static_cast<unsigned char>(h[kExtrasLengthOffset]));
  const uint64_t bodylen = load_be(h + kBodyLengthOffset, sizeof(uint32_t));

  // memcached reads header, extras and key into its read buffer before dispatching.
  const size_t head = kBinaryHeaderSize + extlen + keylen;
  if (head > kBinaryReadBufferSize) {
    return {ParseStatus::kClose, dropped};
  }
  if (input.size() < head) {
    needed_hint_ = head;
    return {ParseStatus::kNeedMore, dropped};
  }
  request.extras = input.substr(kBinaryHeaderSize, extlen);
  request.key = input.substr(kBinaryHeaderSize + extlen, keylen);

  if (keylen + extlen > bodylen) {
    return {ParseStatus::kError, dropped + head, Status::kUnknownCommand, true};
  }
  if (keylen > kKeyMaxLength) {
    return {ParseStatus::kError, dropped + head, Status::kEinval, true};
  }
  const uint64_t value_len = bodylen - keylen - extlen;
  switch (check_lengths(request.command, extlen, keylen, bodylen)) {
    case LengthCheck::kInvalid:
      return {ParseStatus::kError, dropped + head, Status::kEinval, true};
    case LengthCheck::kUnknownOpcode:
      return reject(input, head, value_len, Status::kUnknownCommand, dropped);
    case LengthCheck::kValid:
      break;
  }
  if (is_sasl(request.command)) {
    // SASL is off: memcached answers these as unknown and swallows their value.
    return reject(input, head, value_len, Status::kUnknownCommand, dropped);
  }
  if (is_storage(request.command) && value_len > limits_.item_size_max) {
    request.value_too_large = true;
    return reject(input, head, value_len, Status::kE2big, dropped);
  }

  const size_t total = head + static_cast<size_t>(value_len);
  if (input.size() < total) {
    needed_hint_ = total;
    return {ParseStatus::kNeedMore, dropped};
  }
  request.value = input.substr(head, static_cast<size_t>(value_len));
  decode_extras(request);
  return {ParseStatus::kOk, dropped + total};
}

MemcacheBinaryParseResult MemcacheBinaryParser::reject(std::string_view input, size_t head,
                                                       uint64_t swallow,
                                                       MemcacheBinaryStatus error,
                                                       size_t dropped) {
  const size_t now = static_cast<size_t>(std::min<uint64_t>(swallow, input.size() - head));
  swallow_left_ = swallow - now;
  return {ParseStatus::kError, dropped + head + now, error, false};
}

std::string_view binary_status_text(MemcacheBinaryStatus status) {
  switch (status) {
    case Status::kKeyEnoent: return "Not found";
    case Status::kKeyEexists: return "Data exists for key.";
    case Status::kE2big: return "Too large.";
    case Status::kEinval: return "Invalid arguments";
    case Status::kNotStored: return "Not stored.";
    case Status::kDeltaBadval: return "Non-numeric server-side value for incr or decr";
    case Status::kAuthError: return "Auth failure.";
    case Status::kUnknownCommand: return "Unknown command";
    case Status::kEnomem: return "Out of memory";
    case Status::kNoError:
    case Status::kAuthContinue: return {};
  }
  return {};
}

void append_binary_response(std::string& out, uint8_t opcode, uint16_t status, uint32_t opaque,
                            uint64_t cas, std::string_view extras, std::string_view key,
                            std::string_view value) {
  assert(extras.size() <= kMaxExtrasLength);
  assert(key.size() <= kMaxKeyLength);
  const uint64_t bodylen = extras.size() + key.size() + value.size();
  assert(bodylen <= UINT32_MAX);
  std::array<char, kBinaryHeaderSize> header{};
  header[kMagicOffset] = static_cast<char>(kBinaryResponseMagic);
  header[kOpcodeOffset] = static_cast<char>(opcode);
  store_be(header.data() + kKeyLengthOffset, key.size(), sizeof(uint16_t));
  header[kExtrasLengthOffset] = static_cast<char>(extras.size());
  header[kDataTypeOffset] = static_cast<char>(kRawBytesDataType);
  store_be(header.data() + kStatusOffset, status, sizeof(uint16_t));
  store_be(header.data() + kBodyLengthOffset, bodylen, sizeof(uint32_t));
  store_be(header.data() + kOpaqueOffset, opaque, sizeof(uint32_t));
  store_be(header.data() + kCasOffset, cas, sizeof(uint64_t));
  out.reserve(out.size() + kBinaryHeaderSize + static_cast<size_t>(bodylen));
  out.append(header.data(), header.size());
  out.append(extras);
  out.append(key);
  out.append(value);
}

void append_binary_error(std::string& out, uint8_t opcode, MemcacheBinaryStatus status,
                         uint32_t opaque) {
  append_binary_response(out, opcode, static_cast<uint16_t>(status), opaque, 0, {}, {},
                         binary_status_text(status));
}

void write_binary_response(ReplyWriter& writer, uint8_t opcode, uint16_t status,
                           uint32_t opaque, uint64_t cas, std::string_view extras,
                           std::string_view key, std::string_view value) {
  writer.array(kBinaryModelFields);
  writer.integer(opcode);
  writer.integer(status);
  writer.integer(opaque);
  writer.integer(static_cast<int64_t>(cas));
  writer.bulk(extras);
  writer.bulk(key);
  writer.bulk(value);
}

void write_binary_error(ReplyWriter& writer, uint8_t opcode, MemcacheBinaryStatus status,
                        uint32_t opaque) {
  write_binary_response(writer, opcode, static_cast<uint16_t>(status), opaque, 0, {}, {},
                        binary_status_text(status));
}

void encode_memcache_binary(std::string_view model, std::string& out) {
  ReplyReader reader(model);
  while (!reader.at_end()) {
    [[maybe_unused]] ReplyValue head = reader.next();
    assert(head.tag == ReplyTag::kArray && head.count == kBinaryModelFields);
    const auto opcode = static_cast<uint8_t>(next_integer(reader));
    const auto status = static_cast<uint16_t>(next_integer(reader));
    const auto opaque = static_cast<uint32_t>(next_integer(reader));
    const auto cas = static_cast<uint64_t>(next_integer(reader));
    std::string_view extras = next_bulk(reader);
    std::string_view key = next_bulk(reader);
    std::string_view value = next_bulk(reader);
    append_binary_response(out, opcode, status, opaque, cas, extras, key, value);
  }
}

}  // namespace tessera::protocol
