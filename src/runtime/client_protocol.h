// ClientProtocol: the protocol a connection speaks. It comes from the listener the
// connection arrived on; a memcached connection whose first byte is the binary protocol's
// magic switches to kMemcacheBinary for good, as memcached does.
#pragma once

#include <cstdint>

namespace tessera::runtime {

enum class ClientProtocol : uint8_t { kResp, kMemcacheText, kMemcacheBinary };

}  // namespace tessera::runtime
