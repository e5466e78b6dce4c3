// RESP2 / RESP3 encoding of the reply model (see resp_encoder.h for the type mapping).
//
// Hot path of the replier thread: values are decoded straight from the model bytes (the
// wire form in reply.h) without building ReplyValue, integers go through a two-digits-at-
// a-time itoa, and the commonest replies are precomputed byte strings. Aggregates are
// walked iteratively with a count of values still owed, so nesting depth costs no stack.
//
// Doubles: the shortest decimal that reads back as the same double (std::to_chars), laid
// out the way printf's "%.17g" lays it out (scientific when the exponent is < -4 or >= 17,
// at least two exponent digits). That is byte-identical to Redis 7.0 whenever "%.17g" is
// already the shortest form (1e+20, 0.0001, -0.5) and drops its round-off noise otherwise
// (Redis 7.0 says 1.1000000000000001, newer Redis and Tessera say 1.1). inf, -inf and nan
// are written as Redis writes them.
//
// Thread safety: stateless functions.
#include "protocol/resp_encoder.h"

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "protocol/reply.h"

namespace tessera::protocol {
namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kResp2Null = "$-1\r\n";
constexpr std::string_view kResp2NullArray = "*-1\r\n";
constexpr std::string_view kResp3Null = "_\r\n";
constexpr std::string_view kIntegerZero = ":0\r\n";
constexpr std::string_view kIntegerOne = ":1\r\n";
constexpr std::string_view kSimpleOk = "+OK\r\n";
constexpr std::string_view kResp3True = "#t\r\n";
constexpr std::string_view kResp3False = "#f\r\n";
constexpr size_t kVerbatimFormatLen = 3;
constexpr size_t kLenLen = sizeof(uint32_t);
// Room for a prefix, a sign, 20 digits and CRLF.
constexpr size_t kMaxIntLineLen = 32;
// Bulks up to this size are assembled in a stack buffer and appended once.
constexpr size_t kSmallBulkMax = 96;
// %.17g switches to scientific notation outside [kMinFixedExponent, kPrintfPrecision).
constexpr int kPrintfPrecision = 17;
constexpr int kMinFixedExponent = -4;
constexpr size_t kMaxDoubleLen = 32;

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes the decimal digits of v so that they end just before `end`; returns their start.
char* write_digits_backwards(char* end, uint64_t v) {
  constexpr uint64_t kHundred = 100;
  constexpr uint64_t kTen = 10;
  while (v >= kHundred) {
    size_t pair = static_cast<size_t>(v % kHundred) * 2;
    v /= kHundred;
    end -= 2;
    end[0] = kDigitPairs[pair];
    end[1] = kDigitPairs[pair + 1];
  }
  if (v >= kTen) {
    size_t pair = static_cast<size_t>(v) * 2;
    end -= 2;
    end[0] = kDigitPairs[pair];
    end[1] = kDigitPairs[pair + 1];
  } else {
    *--end = static_cast<char>('0' + v);
  }
  return end;
}

// Writes "<prefix><v>\r\n" into buf (at least kMaxIntLineLen bytes); returns its length
// and sets `start`. Built backwards so the digits need no second pass.
size_t format_int_line(char* buf, char prefix, int64_t v, char*& start) {
  char* end = buf + kMaxIntLineLen;
  end -= 2;
  end[0] = '\r';
  end[1] = '\n';
  uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  char* p = write_digits_backwards(end, magnitude);
  if (v < 0) {
    *--p = '-';
  }
  *--p = prefix;
  start = p;
  return static_cast<size_t>(buf + kMaxIntLineLen - p);
}

void append_int_line(std::string& out, char prefix, int64_t v) {
  char buf[kMaxIntLineLen];
  char* start;
  size_t n = format_int_line(buf, prefix, v, start);
  out.append(start, n);
}

void append_line(std::string& out, char prefix, std::string_view s) {
  out.push_back(prefix);
  out.append(s);
  out.append(kCrlf);
}

void append_bulk(std::string& out, std::string_view s) {
  char buf[kMaxIntLineLen + kSmallBulkMax + kCrlf.size()];
  char* start;
  size_t header = format_int_line(buf, '$', static_cast<int64_t>(s.size()), start);
  if (s.size() <= kSmallBulkMax) {
    // Header is at the end of the first kMaxIntLineLen bytes; payload follows it.
    char* p = buf + kMaxIntLineLen;
    std::memcpy(p, s.data(), s.size());
    std::memcpy(p + s.size(), kCrlf.data(), kCrlf.size());
    out.append(start, header + s.size() + kCrlf.size());
    return;
  }
  out.append(start, header);
  out.append(s);
  out.append(kCrlf);
}

// Formats d as described at the top of the file; returns the length written to buf.
size_t format_double(double d, char* buf) {
  if (std::isnan(d)) {
    std::memcpy(buf, "nan", 3);
    return 3;
  }
  if (std::isinf(d)) {
    if (d > 0) {
      std::memcpy(buf, "inf", 3);
      return 3;
    }
    std::memcpy(buf, "-inf", 4);
    return 4;
  }
  char* out = buf;
  if (std::signbit(d)) {
    *out++ = '-';
    d = -d;
  }
  // Shortest round-trip digits in scientific form: "D[.DDD]e(+|-)XX".
  char sci[kMaxDoubleLen];
  auto [sci_end, ec] = std::to_chars(sci, sci + sizeof sci, d, std::chars_format::scientific);
  assert(ec == std::errc());
  char digits[kMaxDoubleLen];
  int ndigits = 0;
  const char* p = sci;
  for (; p < sci_end && *p != 'e'; ++p) {
    if (*p != '.') {
      digits[ndigits++] = *p;
    }
  }
  int exponent = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), sci_end, exponent);

  if (exponent < kMinFixedExponent || exponent >= kPrintfPrecision) {
    *out++ = digits[0];
    if (ndigits > 1) {
      *out++ = '.';
      std::memcpy(out, digits + 1, ndigits - 1);
      out += ndigits - 1;
    }
    *out++ = 'e';
    *out++ = exponent < 0 ? '-' : '+';
    int magnitude = exponent < 0 ? -exponent : exponent;
    char exp_buf[8];
    char* exp_end = exp_buf + sizeof exp_buf;
    char* exp_start = write_digits_backwards(exp_end, static_cast<uint64_t>(magnitude));
    if (exp_end - exp_start < 2) {
      *out++ = '0';
    }
    std::memcpy(out, exp_start, exp_end - exp_start);
    out += exp_end - exp_start;
  } else if (exponent >= 0) {
    int int_digits = exponent + 1;
    if (ndigits <= int_digits) {
      std::memcpy(out, digits, ndigits);
      out += ndigits;
      std::memset(out, '0', int_digits - ndigits);
      out += int_digits - ndigits;
    } else {
      std::memcpy(out, digits, int_digits);
      out += int_digits;
      *out++ = '.';
      std::memcpy(out, digits + int_digits, ndigits - int_digits);
      out += ndigits - int_digits;
    }
  } else {
    *out++ = '0';
    *out++ = '.';
    int zeros = -exponent - 1;
    std::memset(out, '0', zeros);
    out += zeros;
    std::memcpy(out, digits, ndigits);
    out += ndigits;
  }
  return static_cast<size_t>(out - buf);
}

uint32_t load_u32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Encodes one value header at p (scalars completely); returns the model bytes consumed and
// adds to `owed` the number of elements that follow in the model.
size_t encode_value(const char* p, RespVersion version, std::string& out, uint64_t& owed) {
  const bool resp3 = version == RespVersion::kResp3;
  const auto tag = static_cast<ReplyTag>(static_cast<uint8_t>(p[0]));
  const char* body = p + 1;
  switch (tag) {
    case ReplyTag::kSimple: {
      std::string_view s(body + kLenLen, load_u32(body));
      if (s == "OK") {
        out.append(kSimpleOk);
      } else {
        append_line(out, '+', s);
      }
      return 1 + kLenLen + s.size();
    }
    case ReplyTag::kError: {
      std::string_view s(body + kLenLen, load_u32(body));
      append_line(out, '-', s);
      return 1 + kLenLen + s.size();
    }
    case ReplyTag::kBulk: {
      std::string_view s(body + kLenLen, load_u32(body));
      append_bulk(out, s);
      return 1 + kLenLen + s.size();
    }
    case ReplyTag::kBigNumber: {
      std::string_view s(body + kLenLen, load_u32(body));
      if (resp3) {
        append_line(out, '(', s);
      } else {
        append_bulk(out, s);
      }
      return 1 + kLenLen + s.size();
    }
    case ReplyTag::kVerbatim: {
      std::string_view format(body, kVerbatimFormatLen);
      std::string_view s(body + kVerbatimFormatLen + kLenLen, load_u32(body + kVerbatimFormatLen));
      if (resp3) {
        append_int_line(out, '=', static_cast<int64_t>(s.size() + kVerbatimFormatLen + 1));
        out.append(format);
        out.push_back(':');
        out.append(s);
        out.append(kCrlf);
      } else {
        append_bulk(out, s);
      }
      return 1 + kVerbatimFormatLen + kLenLen + s.size();
    }
    case ReplyTag::kInteger: {
      int64_t v;
      std::memcpy(&v, body, sizeof v);
      if (v == 0) {
        out.append(kIntegerZero);
      } else if (v == 1) {
        out.append(kIntegerOne);
      } else {
        append_int_line(out, ':', v);
      }
      return 1 + sizeof v;
    }
    case ReplyTag::kDouble: {
      double d;
      std::memcpy(&d, body, sizeof d);
      char buf[kMaxDoubleLen];
      size_t n = format_double(d, buf);
      if (resp3) {
        append_line(out, ',', std::string_view(buf, n));
      } else {
        append_bulk(out, std::string_view(buf, n));
      }
      return 1 + sizeof d;
    }
    case ReplyTag::kBoolean: {
      bool b = body[0] != 0;
      if (resp3) {
        out.append(b ? kResp3True : kResp3False);
      } else {
        out.append(b ? kIntegerOne : kIntegerZero);
      }
      return 2;
    }
    case ReplyTag::kNull:
      out.append(resp3 ? kResp3Null : kResp2Null);
      return 1;
    case ReplyTag::kNullArray:
      out.append(resp3 ? kResp3Null : kResp2NullArray);
      return 1;
    case ReplyTag::kArray:
    case ReplyTag::kSet:
    case ReplyTag::kPush:
    case ReplyTag::kMap: {
      uint64_t count = load_u32(body);
      uint64_t elements = tag == ReplyTag::kMap ? 2 * count : count;
      char prefix = '*';
      if (resp3) {
        prefix = tag == ReplyTag::kMap ? '%' : tag == ReplyTag::kSet ? '~' : tag == ReplyTag::kPush ? '>' : '*';
      }
      append_int_line(out, prefix, static_cast<int64_t>(resp3 ? count : elements));
      owed += elements;
      return 1 + kLenLen;
    }
  }
  assert(false && "corrupt reply model");
  return 1;
}

}  // namespace

size_t encode_resp_one(std::string_view model, RespVersion version, std::string& out) {
  const char* p = model.data();
  uint64_t owed = 1;
  while (owed > 0) {
    assert(p < model.data() + model.size());
    --owed;
    p += encode_value(p, version, out, owed);
  }
  return static_cast<size_t>(p - model.data());
}

void encode_resp(std::string_view model, RespVersion version, std::string& out) {
  // The encoding is rarely much longer than the model; one reservation covers most batches.
  out.reserve(out.size() + model.size() + model.size() / 2);
  const char* p = model.data();
  const char* end = p + model.size();
  uint64_t owed = 0;  // not needed: elements simply follow their header in the stream
  while (p < end) {
    p += encode_value(p, version, out, owed);
  }
}

}  // namespace tessera::protocol
