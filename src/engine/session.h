// SessionState: the per-connection state commands can read or change (SELECT, HELLO,
// CLIENT SETNAME ...). Owned by the connection's parser thread; a copy of the fields a
// reply needs (protocol version) travels with each command, so state changes take effect
// in stream order for the commands pipelined after them.
#pragma once

#include <cstdint>
#include <string>

#include "protocol/resp_encoder.h"

namespace tessera::engine {

struct SessionState {
  uint64_t client_id = 0;
  int db = 0;
  protocol::RespVersion resp = protocol::RespVersion::kResp2;
  std::string name;
  std::string lib_name;
  std::string lib_ver;
  std::string peer;   // "ip:port"
  std::string local;  // "ip:port"
  int64_t created_ms = 0;
  bool close_after_reply = false;  // QUIT
};

}  // namespace tessera::engine
