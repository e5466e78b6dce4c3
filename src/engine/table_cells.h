// Conversions of single TABLE.* cells between their packed little-endian form (see
// core/column_schema.h) and text: the parse of a TABLE.UPSERT value, the RESP and JSON
// renderings of a cell for the human-readable TABLE.MGET formats, base64 for bytes cells in
// JSON, and UTF-8 validation.
//
// Text forms accepted by parse_text_cell (TABLE.UPSERT):
//   int8..uint64   decimal, no sign for unsigned, range-checked against the column width;
//   float32/64     decimal or exponent form, "inf", "-inf", "nan"; out of range is an error;
//   bool           0, 1, true, false (case-insensitive);
//   utf8           any valid UTF-8;  bytes: raw, any bytes;
//   vector:float32:N  exactly N comma-separated float32 values ("0.5,1,-2e3").
//
// Pure functions; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/column_schema.h"
#include "protocol/reply.h"

namespace tessera::engine {

// Appends the packed cell of `text` to `out`. On failure returns why (e.g. "out of range
// for int8") and leaves `out` with unspecified extra bytes the caller discards.
std::optional<std::string> parse_text_cell(core::ColumnTypeSpec spec, std::string_view text,
                                           std::string& out);

// Range-checks an integer for an integer column and appends its packed cell. False if out
// of range. REQUIRES: spec is an integer type.
bool append_int_cell(core::ColumnTypeSpec spec, int64_t value, std::string& out);
bool append_uint_cell(core::ColumnTypeSpec spec, uint64_t value, std::string& out);
// float32 cells reject finite values beyond FLT_MAX; returns false then.
bool append_float_cell(core::ColumnTypeSpec spec, double value, std::string& out);

bool is_valid_utf8(std::string_view s);

void append_base64(std::string& out, std::string_view bytes);
// Standard alphabet with '=' padding; nullopt if malformed.
std::optional<std::string> decode_base64(std::string_view text);

// JSON string literal with quotes; control characters, '"' and '\\' escaped.
void append_json_string(std::string& out, std::string_view s);
// One packed cell as a JSON value: numbers (non-finite floats as null), true/false,
// strings (utf8), base64 strings (bytes), arrays (vectors).
void append_json_cell(std::string& out, core::ColumnTypeSpec spec, std::string_view cell);
// One packed cell as a reply value: integers as integers (uint64 above INT64_MAX and all
// floats as bulk decimal text, shortest round-trip form), bool as 0/1, utf8/bytes as bulk,
// vectors as arrays of bulk floats.
void write_reply_cell(protocol::ReplyWriter& out, core::ColumnTypeSpec spec, std::string_view cell);

}  // namespace tessera::engine
