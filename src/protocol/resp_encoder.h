// RESP2 / RESP3 encoder: turns model values (reply.h) into Redis wire bytes.
//
// Called on the replier thread that owns the connection's write side. Pure byte code.
// RESP2 maps the RESP3-only types the way Redis does: map -> flat array of 2n, set and push
// -> array, double -> bulk string (Redis's "%.17g"-style shortest form), boolean -> integer
// 1/0, verbatim -> bulk (without the format prefix), big number -> bulk, null -> "$-1",
// null array -> "*-1". RESP3 writes `%`, `~`, `>`, `,`, `#`, `=`, `(` and `_`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tessera::protocol {

enum class RespVersion : uint8_t { kResp2 = 2, kResp3 = 3 };

// Appends the encoding of every model value in `model` to `out`.
void encode_resp(std::string_view model, RespVersion version, std::string& out);

// Appends the encoding of exactly one value starting at `model`; returns the bytes of the
// model it consumed.
size_t encode_resp_one(std::string_view model, RespVersion version, std::string& out);

}  // namespace tessera::protocol
