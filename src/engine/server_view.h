// ServerView: what commands running on a parser thread (routing kLocal / kConnection) may
// ask of the server as a whole: configuration, the client list, statistics, shutdown.
// Implemented by the server layer (it knows the runtime); the engine only sees this
// interface, so dependencies keep pointing down.
//
// Thread safety: every method may be called from any parser thread concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <span>
#include <utility>
#include <vector>

#include "protocol/reply.h"

namespace tessera::engine {

struct SessionState;

// The answer to memcached's `stats [group]`: name/value pairs in memcached's order, or the
// acknowledgement of `stats reset`, or an unknown group.
struct MemcacheStats {
  enum class Kind : uint8_t { kStats, kReset, kUnknownGroup };
  Kind kind = Kind::kStats;
  std::vector<std::pair<std::string, std::string>> stats;
};

// CLIENT KILL's filters (Redis 7.0's ID, ADDR, LADDR, TYPE, SKIPME; USER has one value
// here, `default`, which every client is). A client is killed when it matches them all.
struct ClientKillFilter {
  uint64_t id = 0;          // 0: any client
  std::string_view addr;    // peer ip:port; empty: any
  std::string_view laddr;   // local ip:port; empty: any
  bool normal_type = true;  // TYPE normal or none; false: master/replica/slave/pubsub, none here
  uint64_t skip_id = 0;     // SKIPME yes: the caller; 0: nobody skipped
  uint64_t caller_id = 0;   // the caller: when it matches, it is not cut off but told to close
};

struct ClientKillResult {
  int killed = 0;       // clients matched, the caller included
  bool caller = false;  // the caller matched: it closes after its replies, as Redis's does
};

class ServerView {
 public:
  virtual ~ServerView() = default;

  // CONFIG GET pattern: a map (RESP3) / flat array (RESP2) of matching keys.
  virtual void config_get(std::span<const std::string_view> patterns, protocol::ReplyWriter& out) = 0;
  // CONFIG SET key value [key value ...]: empty on success, else the Redis error text.
  virtual std::string config_set(std::span<const std::string_view> args) = 0;
  // CONFIG REWRITE: empty on success, else the Redis error text.
  virtual std::string config_rewrite() = 0;
  virtual void reset_stats() = 0;

  // INFO's text for the sections named (lower case, as Redis 7.0 takes them: any number,
  // "default", "all" and "everything" among them; unknown names add nothing). None named:
  // the default sections.
  virtual std::string info_text(std::span<const std::string> sections) = 0;

  // CLIENT LIST / CLIENT INFO lines, Redis's format, one client per line ("\n"-terminated).
  virtual std::string client_list(uint64_t only_id) = 0;
  // CLIENT KILL: kills the clients every given filter matches, except the caller, which the
  // result says to close once its replies are sent.
  virtual ClientKillResult client_kill(const ClientKillFilter& filter) = 0;
  // The parser updates published session fields (name, db, lib) after a change.
  virtual void publish_session(const SessionState& session) = 0;

  virtual void request_shutdown() = 0;

  // memcached `stats [group]` (empty = general; "reset" resets the counters). The text and
  // binary commands render the answer in their protocol.
  virtual MemcacheStats memcache_stats(std::string_view group) = 0;

  // Counters the INFO join needs from the whole server.
  virtual int64_t now_ms() = 0;
};

}  // namespace tessera::engine
