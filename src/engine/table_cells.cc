// Cell text/JSON/reply conversions; see table_cells.h.
#include "engine/table_cells.h"

#include <simdjson.h>

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/string_util.h"

namespace tessera::engine {
namespace {

using core::ColumnType;
using core::ColumnTypeSpec;

static_assert(std::endian::native == std::endian::little, "cells are stored in host order");

constexpr size_t kNumberTextMax = 64;  // room for any to_chars of a double
constexpr char kVectorSeparator = ',';

template <class T>
void append_raw(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <class T>
T load(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

template <class T>
bool append_if_fits(int64_t v, std::string& out) {
  if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) {
    return false;
  }
  append_raw(out, static_cast<T>(v));
  return true;
}

template <class T>
bool append_if_fits_unsigned(uint64_t v, std::string& out) {
  if (v > std::numeric_limits<T>::max()) {
    return false;
  }
  append_raw(out, static_cast<T>(v));
  return true;
}

bool is_unsigned(ColumnType t) {
  return t == ColumnType::kUint8 || t == ColumnType::kUint16 || t == ColumnType::kUint32 ||
         t == ColumnType::kUint64;
}

std::optional<double> parse_double_text(std::string_view text) {
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return v;
}

std::string_view number_text(char* buf, double v) {
  auto res = std::to_chars(buf, buf + kNumberTextMax, v);
  return {buf, static_cast<size_t>(res.ptr - buf)};
}

std::string_view number_text(char* buf, float v) {
  auto res = std::to_chars(buf, buf + kNumberTextMax, v);
  return {buf, static_cast<size_t>(res.ptr - buf)};
}

template <class F>
void append_json_float(std::string& out, F v) {
  if (!std::isfinite(v)) {
    out += "null";
    return;
  }
  char buf[kNumberTextMax];
  out += number_text(buf, v);
}

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64Pad = '=';
constexpr int kBase64Invalid = -1;

int base64_value(char c) {
  size_t pos = kBase64Alphabet.find(c);
  return pos == std::string_view::npos ? kBase64Invalid : static_cast<int>(pos);
}

}  // namespace

bool append_int_cell(ColumnTypeSpec spec, int64_t v, std::string& out) {
  switch (spec.type) {
    case ColumnType::kInt8: return append_if_fits<int8_t>(v, out);
    case ColumnType::kInt16: return append_if_fits<int16_t>(v, out);
    case ColumnType::kInt32: return append_if_fits<int32_t>(v, out);
    case ColumnType::kInt64: return append_if_fits<int64_t>(v, out);
    default: return v >= 0 && append_uint_cell(spec, static_cast<uint64_t>(v), out);
  }
}

bool append_uint_cell(ColumnTypeSpec spec, uint64_t v, std::string& out) {
  switch (spec.type) {
    case ColumnType::kUint8: return append_if_fits_unsigned<uint8_t>(v, out);
    case ColumnType::kUint16: return append_if_fits_unsigned<uint16_t>(v, out);
    case ColumnType::kUint32: return append_if_fits_unsigned<uint32_t>(v, out);
    case ColumnType::kUint64: return append_if_fits_unsigned<uint64_t>(v, out);
    default:
      return v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) &&
             append_int_cell(spec, static_cast<int64_t>(v), out);
  }
}

bool append_float_cell(ColumnTypeSpec spec, double v, std::string& out) {
  if (spec.type == ColumnType::kFloat64) {
    append_raw(out, v);
    return true;
  }
  if (std::isfinite(v) && std::fabs(v) > std::numeric_limits<float>::max()) {
    return false;
  }
  append_raw(out, static_cast<float>(v));
  return true;
}

std::optional<std::string> parse_text_cell(ColumnTypeSpec spec, std::string_view text, std::string& out) {
  switch (spec.type) {
    case ColumnType::kInt8:
    case ColumnType::kInt16:
    case ColumnType::kInt32:
    case ColumnType::kInt64:
    case ColumnType::kUint8:
    case ColumnType::kUint16:
    case ColumnType::kUint32:
    case ColumnType::kUint64: {
      if (is_unsigned(spec.type)) {
        uint64_t v = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
        if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
          return "not an integer";
        }
        if (ec != std::errc() || !append_uint_cell(spec, v, out)) {
          return "out of range";
        }
        return std::nullopt;
      }
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
        return "not an integer";
      }
      if (ec != std::errc() || !append_int_cell(spec, v, out)) {
        return "out of range";
      }
      return std::nullopt;
    }
    case ColumnType::kFloat32:
    case ColumnType::kFloat64: {
      std::optional<double> v = parse_double_text(text);
      if (!v) {
        return "not a number";
      }
      if (!append_float_cell(spec, *v, out)) {
        return "out of range";
      }
      return std::nullopt;
    }
    case ColumnType::kBool:
      if (text == "1" || equals_nocase(text, "true")) {
        out.push_back(1);
      } else if (text == "0" || equals_nocase(text, "false")) {
        out.push_back(0);
      } else {
        return "not a bool (0, 1, true or false)";
      }
      return std::nullopt;
    case ColumnType::kUtf8:
      if (!is_valid_utf8(text)) {
        return "not valid UTF-8";
      }
      out.append(text);
      return std::nullopt;
    case ColumnType::kBytes:
      out.append(text);
      return std::nullopt;
    case ColumnType::kVectorFloat32: {
      uint32_t dims = 0;
      size_t start = 0;
      while (true) {
        size_t comma = text.find(kVectorSeparator, start);
        std::string_view item = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        std::optional<double> v = parse_double_text(item);
        if (!v) {
          return "not a comma-separated list of numbers";
        }
        if (++dims > spec.vector_dims || !append_float_cell(spec, *v, out)) {
          return dims > spec.vector_dims ? "has more than " + std::to_string(spec.vector_dims) + " elements"
                                         : std::string("out of range");
        }
        if (comma == std::string_view::npos) {
          break;
        }
        start = comma + 1;
      }
      if (dims != spec.vector_dims) {
        return "has " + std::to_string(dims) + " elements, expected " + std::to_string(spec.vector_dims);
      }
      return std::nullopt;
    }
  }
  return "unsupported type";
}

bool is_valid_utf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

void append_base64(std::string& out, std::string_view bytes) {
  constexpr int kGroupBytes = 3;
  constexpr int kBitsPerChar = 6;
  constexpr uint32_t kCharMask = 0x3F;
  size_t i = 0;
  for (; i + kGroupBytes <= bytes.size(); i += kGroupBytes) {
    uint32_t v = (uint32_t{static_cast<uint8_t>(bytes[i])} << 16) | (uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8) |
                 uint32_t{static_cast<uint8_t>(bytes[i + 2])};
    for (int shift = 3 * kBitsPerChar; shift >= 0; shift -= kBitsPerChar) {
      out.push_back(kBase64Alphabet[(v >> shift) & kCharMask]);
    }
  }
  size_t rest = bytes.size() - i;
  if (rest != 0) {
    uint32_t v = uint32_t{static_cast<uint8_t>(bytes[i])} << 16;
    if (rest == 2) {
      v |= uint32_t{static_cast<uint8_t>(bytes[i + 1])} << 8;
    }
    out.push_back(kBase64Alphabet[(v >> 18) & kCharMask]);
    out.push_back(kBase64Alphabet[(v >> 12) & kCharMask]);
    out.push_back(rest == 2 ? kBase64Alphabet[(v >> 6) & kCharMask] : kBase64Pad);
    out.push_back(kBase64Pad);
  }
}

std::optional<std::string> decode_base64(std::string_view text) {
  constexpr size_t kQuad = 4;
  if (text.size() % kQuad != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() / kQuad * 3);
  for (size_t i = 0; i < text.size(); i += kQuad) {
    const bool last = i + kQuad == text.size();
    int pads = 0;
    uint32_t v = 0;
    for (size_t j = 0; j < kQuad; ++j) {
      char c = text[i + j];
      if (c == kBase64Pad && last && j >= 2) {
        ++pads;
        v <<= 6;
        continue;
      }
      int d = base64_value(c);
      if (d == kBase64Invalid || pads != 0) {
        return std::nullopt;
      }
      v = (v << 6) | static_cast<uint32_t>(d);
    }
    out.push_back(static_cast<char>(v >> 16));
    if (pads < 2) {
      out.push_back(static_cast<char>(v >> 8));
    }
    if (pads < 1) {
      out.push_back(static_cast<char>(v));
    }
  }
  return out;
}

void append_json_string(std::string& out, std::string_view s) {
  constexpr unsigned char kFirstPrintable = 0x20;
  constexpr std::string_view kHex = "0123456789abcdef";
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < kFirstPrintable) {
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

void append_json_cell(std::string& out, ColumnTypeSpec spec, std::string_view cell) {
  const char* p = cell.data();
  switch (spec.type) {
    case ColumnType::kInt8: out += std::to_string(load<int8_t>(p)); return;
    case ColumnType::kInt16: out += std::to_string(load<int16_t>(p)); return;
    case ColumnType::kInt32: out += std::to_string(load<int32_t>(p)); return;
    case ColumnType::kInt64: out += std::to_string(load<int64_t>(p)); return;
    case ColumnType::kUint8: out += std::to_string(load<uint8_t>(p)); return;
    case ColumnType::kUint16: out += std::to_string(load<uint16_t>(p)); return;
    case ColumnType::kUint32: out += std::to_string(load<uint32_t>(p)); return;
    case ColumnType::kUint64: out += std::to_string(load<uint64_t>(p)); return;
    case ColumnType::kFloat32: append_json_float(out, load<float>(p)); return;
    case ColumnType::kFloat64: append_json_float(out, load<double>(p)); return;
    case ColumnType::kBool: out += p[0] != 0 ? "true" : "false"; return;
    case ColumnType::kUtf8: append_json_string(out, cell); return;
    case ColumnType::kBytes: out.push_back('"'); append_base64(out, cell); out.push_back('"'); return;
    case ColumnType::kVectorFloat32:
      out.push_back('[');
      for (uint32_t i = 0; i < spec.vector_dims; ++i) {
        if (i != 0) {
          out.push_back(',');
        }
        append_json_float(out, load<float>(p + i * sizeof(float)));
      }
      out.push_back(']');
      return;
  }
}

void write_reply_cell(protocol::ReplyWriter& out, ColumnTypeSpec spec, std::string_view cell) {
  const char* p = cell.data();
  char buf[kNumberTextMax];
  switch (spec.type) {
    case ColumnType::kInt8: out.integer(load<int8_t>(p)); return;
    case ColumnType::kInt16: out.integer(load<int16_t>(p)); return;
    case ColumnType::kInt32: out.integer(load<int32_t>(p)); return;
    case ColumnType::kInt64: out.integer(load<int64_t>(p)); return;
    case ColumnType::kUint8: out.integer(load<uint8_t>(p)); return;
    case ColumnType::kUint16: out.integer(load<uint16_t>(p)); return;
    case ColumnType::kUint32: out.integer(load<uint32_t>(p)); return;
    case ColumnType::kUint64: {
      auto v = load<uint64_t>(p);
      if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        out.integer(static_cast<int64_t>(v));
      } else {
        out.bulk(std::to_string(v));
      }
      return;
    }
    case ColumnType::kFloat32: out.bulk(number_text(buf, load<float>(p))); return;
    case ColumnType::kFloat64: out.bulk(number_text(buf, load<double>(p))); return;
    case ColumnType::kBool: out.integer(p[0] != 0 ? 1 : 0); return;
    case ColumnType::kUtf8:
    case ColumnType::kBytes: out.bulk(cell); return;
    case ColumnType::kVectorFloat32:
      out.array(spec.vector_dims);
      for (uint32_t i = 0; i < spec.vector_dims; ++i) {
        out.bulk(number_text(buf, load<float>(p + i * sizeof(float))));
      }
      return;
  }
}

}  // namespace tessera::engine
