// Lingering close for the replier. Input a client sent after its last command (after QUIT, a
// protocol error or a kill) is still in the socket, or still on its way, when the server is
// done with the connection. close() would answer it with a reset, and a reset makes the
// client's kernel throw away the replies it has not read yet. So the replier:
//   - reads and drops such input while the last replies leave (drain_input), and
//   - then shuts the write side (the client sees the FIN after the last reply) and keeps the
//     socket open, still reading and dropping, until the client closes its end, an error, or
//     kMaxLingerMs (LingeringSockets).
// Redis keeps reading a closing client only until it frees it; this goes further, as web
// servers do, so a client may send megabytes after QUIT and still get every reply owed.
//
// Thread safety: a LingeringSockets belongs to one replier thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tessera::runtime {

enum class DrainResult { kOpen, kEnded };

// Reads and drops what `fd` holds, up to max_bytes, without blocking. kEnded once the client
// has closed its end (or on an error): nothing more will come.
DrainResult drain_input(int fd, size_t max_bytes);

class LingeringSockets {
 public:
  static constexpr int64_t kMaxLingerMs = 2000;
  static constexpr int64_t kPollIntervalMs = 50;
  // Sockets lingering in the whole process, at most, shared out among the repliers (each
  // keeps at least kMinPerThread). Beyond its share a thread closes at once, as without
  // lingering: clients cannot pin an unbounded number of descriptors by closing connections
  // after QUIT, and the open-files limit reserves this many (server/open_files.h).
  static constexpr size_t kProcessBudget = 256;
  static constexpr size_t kMinPerThread = 16;
  static size_t per_thread(size_t repliers) {
    return repliers == 0 ? kProcessBudget : std::max(kMinPerThread, kProcessBudget / repliers);
  }
  // Per poll and socket; the client's window closes while more waits (it is not lost).
  static constexpr size_t kMaxDrainBytes = 4 * 1024 * 1024;

  explicit LingeringSockets(size_t max_sockets = kProcessBudget) : max_sockets_(max_sockets) {}
  void set_max_sockets(size_t max_sockets) { max_sockets_ = max_sockets; }
  LingeringSockets(const LingeringSockets&) = delete;
  LingeringSockets& operator=(const LingeringSockets&) = delete;
  ~LingeringSockets();  // drains and closes whatever still lingers (the server is stopping)

  // Takes `fd`, whose last reply has been handed to the kernel: shuts its write side and
  // closes it now if the client is already gone (or max_sockets linger), else keeps it.
  void start(int fd, int64_t now_ms);
  // Drains every lingering socket; closes those the client closed and those past their time.
  void poll(int64_t now_ms);
  bool empty() const { return sockets_.empty(); }
  size_t size() const { return sockets_.size(); }

 private:
  struct Socket {
    int fd;
    int64_t close_at_ms;
  };
  size_t max_sockets_;
  std::vector<Socket> sockets_;
};

}  // namespace tessera::runtime
