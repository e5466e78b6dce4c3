// Dispatch from a connection's WireFormat to its encoder (wire_format.h).
#include "protocol/wire_format.h"

#include "protocol/memcache_binary.h"
#include "protocol/memcache_model.h"

namespace tessera::protocol {

void encode_reply(std::string_view model, WireFormat format, std::string& out) {
  switch (format) {
    case WireFormat::kResp2:
      encode_resp(model, RespVersion::kResp2, out);
      return;
    case WireFormat::kResp3:
      encode_resp(model, RespVersion::kResp3, out);
      return;
    case WireFormat::kMemcacheText:
      encode_memcache_text(model, out);
      return;
    case WireFormat::kMemcacheBinary:
      encode_memcache_binary(model, out);
      return;
  }
}

}  // namespace tessera::protocol
