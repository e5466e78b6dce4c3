// Tests for the lingering close (lingering_close.h) over real loopback TCP connections: the
// client sees the FIN after what was sent, its later input is read and dropped (never
// answered with a reset), and the socket closes once the client closes its end, or at the
// deadline, or at once when the client is already gone.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "loopback_sockets.h"
#include "runtime/lingering_close.h"

namespace tessera::runtime {
namespace {

// A connected (client, server) pair of loopback TCP sockets.
std::pair<int, int> tcp_pair() {
  int port = 0;
  const int listener = test::listen_loopback(port);
  const int client = test::connect_loopback(port);
  const int server = accept4(listener, nullptr, nullptr, 0);  // the handshake is done: no wait
  REQUIRE(server >= 0);
  close(listener);
  return {client, server};
}

// Polls until nothing lingers; bounded (the client's FIN crosses loopback at once).
void poll_until_empty(LingeringSockets& lingering, int64_t now_ms) {
  for (int i = 0; i < 100 && !lingering.empty(); ++i) {
    usleep(1000);
    lingering.poll(now_ms);
  }
}

bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1 || errno != EBADF; }

// Blocking read of everything until EOF; "reset" if the connection was reset instead.
std::string read_to_end(int fd) {
  std::string got;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      return "reset";
    }
    if (n == 0) {
      return got;
    }
    got.append(buf, static_cast<size_t>(n));
  }
}

void send_all(int fd, const std::string& data) {
  for (size_t done = 0; done < data.size();) {
    const ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    done += static_cast<size_t>(n);
  }
}

TEST_CASE("a lingering socket reads and drops input until the client closes its end") {
  auto [client, server] = tcp_pair();
  send_all(server, "+OK\r\n");  // the last reply
  send_all(client, "SET after quit\r\n");
  LingeringSockets lingering;
  lingering.start(server, 0);
  CHECK(lingering.size() == 1);
  // The client still sends: drained, not reset, and it sees the reply then the FIN.
  send_all(client, std::string(32 * 1024, 'x'));
  lingering.poll(1);
  CHECK(read_to_end(client) == "+OK\r\n");
  send_all(client, std::string(32 * 1024, 'y'));
  lingering.poll(2);
  CHECK(lingering.size() == 1);
  CHECK(is_open(server));
  close(client);
  poll_until_empty(lingering, 3);
  CHECK(lingering.empty());
  CHECK_FALSE(is_open(server));
}

TEST_CASE("a lingering socket closes at its deadline, and at once when the client is gone") {
  SUBCASE("deadline") {
    auto [client, server] = tcp_pair();
    LingeringSockets lingering;
    lingering.start(server, 1000);
    lingering.poll(1000 + LingeringSockets::kMaxLingerMs - 1);
    CHECK(lingering.size() == 1);
    lingering.poll(1000 + LingeringSockets::kMaxLingerMs);
    CHECK(lingering.empty());
    CHECK_FALSE(is_open(server));
    close(client);
  }
  SUBCASE("client already closed") {
    auto [client, server] = tcp_pair();
    close(client);
    LingeringSockets lingering;
    lingering.start(server, 0);  // closes at once if the FIN is in (loopback: it is)
    poll_until_empty(lingering, 1);
    CHECK(lingering.empty());
    CHECK_FALSE(is_open(server));
  }
}

TEST_CASE("drain_input tells an empty queue from a client that closed") {
  auto [client, server] = tcp_pair();
  CHECK(drain_input(server, 1 << 20) == DrainResult::kOpen);
  // Loopback delivers in the sender's call, and this fits the receive buffer.
  send_all(client, std::string(32 * 1024, 'z'));
  CHECK(drain_input(server, 1 << 20) == DrainResult::kOpen);
  char byte;
  CHECK(recv(server, &byte, 1, MSG_DONTWAIT) == -1);  // all of it was read
  close(client);
  DrainResult result = DrainResult::kOpen;
  for (int i = 0; i < 100 && result == DrainResult::kOpen; ++i) {
    usleep(1000);
    result = drain_input(server, 1 << 20);
  }
  CHECK(result == DrainResult::kEnded);
  close(server);
}

}  // namespace
}  // namespace tessera::runtime
