// memcached reply encoding: appends text-protocol and meta-protocol replies to a
// std::string, byte for byte as memcached 1.6.18 writes them.
//
// Called on the replier thread that owns the connection's write side. Pure byte code.
//
// Choice: this API is protocol-specific and independent of the reply model (reply.h) for
// now. memcached replies are not typed values but fixed status words whose meaning depends
// on the command (the same "not there" is NOT_FOUND for delete, NOT_STORED for replace, EN
// for mg, NF for md), and meta replies echo request flags (O, k, b) that the model has no
// place for. The engine's memcached commands will pick the status and call these; mapping
// the model's RESP-shaped values onto memcached words would lose that information. If the
// engine later emits model values for memcached, a thin `encode_memcache(model)` can sit on
// top of these functions.
//
// Invariants: every function appends exactly one complete reply line (plus its data block
// where it has one) ending in "\r\n", except the begin_meta / append_meta_* / end_meta
// sequence, which builds one meta reply in pieces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/memcache_parser.h"

namespace tessera::protocol {

// Text protocol status words.
enum class MemcacheStatus : uint8_t {
  kStored, kNotStored, kExists, kNotFound, kDeleted, kTouched, kOk, kEnd, kError,
};

std::string_view memcache_status_text(MemcacheStatus status);
void append_memcache_status(std::string& out, MemcacheStatus status);
// "VALUE <key> <flags> <bytes>\r\n<data>\r\n" (get, gat) and with " <cas>" (gets, gats).
// A get reply is any number of these followed by append_memcache_status(kEnd).
void append_memcache_value(std::string& out, std::string_view key, uint32_t flags,
                           std::string_view data);
void append_memcache_value_cas(std::string& out, std::string_view key, uint32_t flags,
                               std::string_view data, uint64_t cas);
// incr/decr result: the decimal number alone.
void append_memcache_number(std::string& out, uint64_t value);
// An error line such as "CLIENT_ERROR bad data chunk" (text from the parser or engine).
void append_memcache_error(std::string& out, std::string_view text);
// "VERSION <version>\r\n"
void append_memcache_version(std::string& out, std::string_view version);
// "STAT <name> <value>\r\n"; a stats reply ends with kEnd.
void append_memcache_stat(std::string& out, std::string_view name, std::string_view value);
void append_memcache_stat(std::string& out, std::string_view name, uint64_t value);

// Meta return codes.
enum class MetaCode : uint8_t { kHd, kVa, kEn, kNf, kNs, kEx, kMn };

std::string_view meta_code_text(MetaCode code);
// Whether quiet mode (q) drops this reply, as memcached 1.6.18 does: mg drops EN (misses),
// ms and md drop HD (success), ma drops HD and VA (success, with or without the value);
// NF, NS, EX, mg's VA and errors are always sent.
bool meta_quiet_drops(MemcacheCommand command, MetaCode code);

// Meta reply in pieces: begin_meta (or begin_meta_value for "VA <size>"), then return flags
// in request order, then end_meta (with the value for VA).
void begin_meta(std::string& out, MetaCode code);
void begin_meta_value(std::string& out, size_t value_size);
// " <flag><token>", e.g. ('O', "123") -> " O123"; an empty token gives just " <flag>".
void append_meta_flag(std::string& out, char flag, std::string_view token);
void append_meta_flag(std::string& out, char flag, uint64_t value);
void append_meta_flag_signed(std::string& out, char flag, int64_t value);  // "t-1"
// " k<key>"; a binary key (request sent with b) goes back base64-encoded followed by " b",
// as memcached's META_KEY does.
void append_meta_key(std::string& out, std::string_view key, bool base64);
void end_meta(std::string& out);
void end_meta_value(std::string& out, std::string_view value);

// Standard base64 with padding (for binary keys).
void append_base64(std::string& out, std::string_view bytes);

}  // namespace tessera::protocol
