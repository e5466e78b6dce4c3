// Connection: one client socket, split between two owners for life:
//   - the parser thread owns the read side: input buffer, RESP parser, session state and
//     the next sequence number;
//   - the replier thread owns the write side: the reorder window (replies that arrived
//     before their turn), joins of multi-shard commands, output buffers and the fd's close.
// The two may be the same thread. Shared fields are atomics on their own cache lines.
//
// Lifetime: created by the listener's thread, handed to its parser. When the read side ends
// (EOF, error, QUIT, kill) the parser stops touching the connection and sends a close
// record carrying the next sequence number; the replier handles it in order (after every
// earlier reply), waits for in-flight sends, closes the fd and frees the connection.
// Workers only carry Connection* inside records, which are all sequenced before the close.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/session.h"
#include "protocol/memcache_binary.h"
#include "protocol/memcache_parser.h"
#include "protocol/resp_parser.h"
#include "protocol/wire_format.h"
#include "runtime/byte_buffer.h"
#include "runtime/byte_transform.h"
#include "runtime/client_protocol.h"
#include "runtime/spsc_ring.h"

namespace tessera::engine {
struct CommandSpec;
}

namespace tessera::runtime {

// A kAfterEarlierCommands command (INFO, CONFIG, memcached stats) parsed while earlier
// commands of its connection were unanswered: it runs once they are, and the connection is
// not parsed further until then.
struct HeldCommand {
  const engine::CommandSpec* spec = nullptr;
  uint64_t seq = 0;
  std::vector<std::string> args;
};

// A reply waiting in the reorder window, or a multi-part reply being joined.
struct PendingReply {
  uint32_t parts_expected = 1;
  uint32_t parts_received = 0;
  protocol::WireFormat format = protocol::WireFormat::kResp2;
  uint8_t join = 0;         // engine::Join
  bool is_close = false;    // the read side's final record
  uint32_t total_keys = 0;  // for joins in key order
  struct Part {
    std::string model;
    std::vector<uint32_t> positions;
  };
  std::vector<Part> parts;
};

struct Connection {
  Connection(uint64_t id_, int fd_) : id(id_), fd(fd_) {}
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Immutable after the connection is handed to its parser.
  const uint64_t id;
  const int fd;
  uint32_t parser_thread = 0;
  uint32_t replier_thread = 0;
  uint32_t replier_index = 0;

  // ---- Read side (parser thread) ----
  ByteBuffer in;                    // plain bytes to parse
  ByteBuffer wire_in;               // received bytes, when a receive transform exists
  std::unique_ptr<RecvTransform> recv_transform;
  // Where the backend puts received bytes. A single-shot io_uring receive borrows its free
  // space while in flight (ByteBuffer::lend_tail); multishot receives copy in on completion.
  ByteBuffer& recv_buffer() { return recv_transform ? wire_in : in; }
  ClientProtocol protocol = ClientProtocol::kResp;
  protocol::RespParser parser;
  std::unique_ptr<protocol::MemcacheParser> memcache_parser;  // memcached connections only
  std::unique_ptr<protocol::MemcacheBinaryParser> memcache_binary_parser;  // after the switch
  engine::SessionState session;
  uint64_t next_seq = 0;
  std::unique_ptr<HeldCommand> held;  // at most one; parsing stops behind it
  bool reading = false;        // a receive is armed
  bool read_ending = false;    // no more commands: waiting for an in-flight recv to finish
  bool read_closed = false;    // close record sent: nothing on the read side may run again
  bool recv_in_flight = false; // io_uring: a recv SQE is armed

  // How replies to the commands parsed now are encoded (travels with each record).
  protocol::WireFormat reply_format() const {
    switch (protocol) {
      case ClientProtocol::kMemcacheText: return protocol::WireFormat::kMemcacheText;
      case ClientProtocol::kMemcacheBinary: return protocol::WireFormat::kMemcacheBinary;
      case ClientProtocol::kResp: break;
    }
    return protocol::resp_wire_format(session.resp);
  }

  // ---- Write side (replier thread) ----
  std::unique_ptr<SendTransform> send_transform;
  uint64_t next_reply_seq = 0;
  std::map<uint64_t, PendingReply> window;  // out-of-order and partial replies
  ByteBuffer out;                           // encoded, not yet handed to the kernel
  ByteBuffer sending;                       // io_uring: bytes owned by an in-flight send
  bool send_in_flight = false;
  bool in_flush_list = false;
  bool close_pending = false;     // the close record was reached; free once sends finish
  bool write_failed = false;      // a send failed or the output limit was hit: drop replies
  int64_t soft_limit_since_ms = 0;

  // ---- Shared ----
  // Replies fully handled (sent or dropped) by the replier: the parser's flow control.
  alignas(kCacheLine) std::atomic<uint64_t> replies_done{0};
  // Set by anyone (CLIENT KILL, output limit, shutdown); the parser then ends the read side.
  std::atomic<bool> kill_requested{false};
  // The parser paused reading (too many replies outstanding, or a held command waits for
  // earlier replies); the replier asks it to resume.
  std::atomic<bool> read_paused{false};
  // How the replier decides to resume, written by the parser before it publishes
  // read_paused: 0 = once half the window has drained; otherwise once replies_done reaches
  // this sequence number (the held command's: every earlier command answered; never 0, as
  // the first command of a connection has nothing to wait for).
  std::atomic<uint64_t> resume_at_seq{0};
  // For CLIENT LIST / INFO: sizes published by their owners (relaxed).
  std::atomic<uint64_t> qbuf_bytes{0};
  std::atomic<uint64_t> omem_bytes{0};
  std::atomic<int64_t> last_interaction_ms{0};
  // CLIENT LIST's cmd=: the statistics slot (engine/command.h) of the command last looked
  // up, whether it then ran or not; -1 (NULL) before any, or after an unknown one.
  std::atomic<int32_t> last_command{-1};
};

}  // namespace tessera::runtime
