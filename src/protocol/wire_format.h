// WireFormat: how a connection's replies are encoded, chosen per connection by its
// protocol (and, for RESP, by HELLO). Every reply record carries the format its connection
// had when the command was parsed, so the replier needs no per-connection protocol state.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/resp_encoder.h"

namespace tessera::protocol {

enum class WireFormat : uint8_t { kResp2, kResp3, kMemcacheText, kMemcacheBinary };

inline WireFormat resp_wire_format(RespVersion version) {
  return version == RespVersion::kResp3 ? WireFormat::kResp3 : WireFormat::kResp2;
}

// Appends the wire bytes of every model value in `model` to `out`.
void encode_reply(std::string_view model, WireFormat format, std::string& out);

}  // namespace tessera::protocol
