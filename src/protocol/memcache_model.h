// How memcached replies are expressed in the reply model (reply.h), and the text-protocol
// encoder that turns them into memcached's wire bytes on the replier thread.
//
// The engine's memcached commands write these shapes with the helpers below; the replier of
// a memcached text connection calls encode_memcache_text on them. The shapes:
//   line     simple(text)  -> "text\r\n"   STORED, NOT_FOUND, OK, MN, "VERSION 1.6.18",
//                                          "STAT name value", incr/decr results ...
//   error    error(text)   -> "text\r\n"   ERROR, CLIENT_ERROR ..., SERVER_ERROR ...
//   values   array(n) of n elements, each array(3) [bulk key, integer flags, bulk data] or
//            array(4) with integer cas last (gets/gats), or null (a miss)
//                          -> one "VALUE key flags bytes [cas]" block per non-null
//                             element, then "END\r\n". A multi-key get split across shards
//                             is joined in key order like MGET (Join::kArrayInKeyOrder).
//   meta     push(3) [simple code, bulk value or null, bulk return flags]
//                          -> "code flags\r\n", or for a value "VA <bytes> flags\r\n" +
//                             data + "\r\n". The return flags are the text memcached puts
//                             after the code, already joined with their leading spaces
//                             (" t30 c12 kfoo O1"): their order and content depend on the
//                             request, which only the engine sees.
// A reply record may hold any number of these (a noreply command holds none).
//
// Thread safety: free functions over caller-owned buffers.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/memcache_encoder.h"
#include "protocol/reply.h"

namespace tessera::protocol {

// One element of a values reply; the caller opened it with w.array(n).
void write_memcache_value(ReplyWriter& w, std::string_view key, uint32_t flags, std::string_view data);
void write_memcache_value_cas(ReplyWriter& w, std::string_view key, uint32_t flags, std::string_view data,
                              uint64_t cas);
// A meta reply; `value` non-null only for VA.
void write_meta_reply(ReplyWriter& w, MetaCode code, const std::string_view* value, std::string_view flags);

// Appends the memcached text-protocol bytes of every model value in `model` to `out`.
void encode_memcache_text(std::string_view model, std::string& out);

}  // namespace tessera::protocol
