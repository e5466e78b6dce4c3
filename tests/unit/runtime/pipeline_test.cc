// The staged pipeline in-process: a Runtime with parser, workers and replier on their own
// threads (and the shared layout), driven through a real loopback socket. Checks replies in
// order across workers, split multi-key commands joined in key order, and clean shutdown.
// Run under TSan by scripts/test.sh: it exercises every cross-thread hand-off.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "engine/server_view.h"
#include "loopback_sockets.h"
#include "runtime/runtime.h"

using namespace tessera;

namespace {

class FakeServer : public engine::ServerView {
 public:
  void config_get(std::span<const std::string_view>, protocol::ReplyWriter& out) override { out.map(0); }
  std::string config_set(std::span<const std::string_view>) override { return "ERR not here"; }
  std::string config_rewrite() override { return "ERR not here"; }
  void reset_stats() override {}
  std::string info_text(std::span<const std::string>) override { return "# Server\r\n"; }
  std::string client_list(uint64_t) override { return ""; }
  engine::ClientKillResult client_kill(const engine::ClientKillFilter&) override { return {}; }
  void publish_session(const engine::SessionState&) override {}
  void request_shutdown() override {}
  int64_t now_ms() override { return runtime::unix_time_ms(); }
  engine::MemcacheStats memcache_stats(std::string_view) override { return {}; }
};

using runtime::test::connect_loopback;
using runtime::test::listen_loopback;

std::string resp_command(std::initializer_list<std::string_view> args) {
  std::string out = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args) {
    out += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
  }
  return out;
}

// Reads until `expected` bytes arrived (bounded by a generous timeout).
std::string read_exactly(int fd, size_t expected) {
  std::string got;
  char buf[65536];
  while (got.size() < expected) {
    pollfd p{fd, POLLIN, 0};
    REQUIRE(poll(&p, 1, 20000) == 1);
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    REQUIRE(n > 0);
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// A stand-in for TLS at the transform seam: every byte XOR kMask on the wire, both ways.
constexpr char kMask = 0x5A;

std::string xor_bytes(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(c ^ kMask);
  }
  return out;
}

class XorRecv final : public runtime::RecvTransform {
 public:
  bool decode(runtime::ByteBuffer& wire, runtime::ByteBuffer& plain) override {
    plain.append(xor_bytes(wire.readable()));
    wire.consume(wire.size());
    return true;
  }
};

class XorSend final : public runtime::SendTransform {
 public:
  void encode(std::string_view plain, runtime::ByteBuffer& wire) override { wire.append(xor_bytes(plain)); }
};

void exercise(runtime::Topology topology, bool xor_transform = false) {
  FakeServer server;
  int port = 0;
  int listen_fd = listen_loopback(port);
  runtime::Runtime rt(topology, server);
  if (xor_transform) {
    rt.set_transform_factory([](int) {
      return runtime::ConnectionTransforms{std::make_unique<XorRecv>(), std::make_unique<XorSend>()};
    });
  }
  rt.add_listener(listen_fd, tessera::runtime::ClientProtocol::kResp);
  rt.start();
  int fd = connect_loopback(port);

  constexpr int kKeys = 200;
  std::string request;
  std::string expected;
  for (int i = 0; i < kKeys; ++i) {
    std::string key = "key:" + std::to_string(i);
    std::string value = "v" + std::to_string(i);
    request += resp_command({"SET", key, value});
    expected += "+OK\r\n";
    request += resp_command({"GET", key});
    expected += "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
  }
  request += resp_command({"MGET", "key:5", "nosuch", "key:7", "key:199"});
  expected += "*4\r\n$2\r\nv5\r\n$-1\r\n$2\r\nv7\r\n$4\r\nv199\r\n";
  request += resp_command({"DEL", "key:1", "key:2", "key:3", "nosuch"});
  expected += ":3\r\n";
  request += resp_command({"DBSIZE"});
  expected += ":" + std::to_string(kKeys - 3) + "\r\n";
  request += resp_command({"PING"});
  expected += "+PONG\r\n";
  // Cross-shard atomic commands (the ticket protocol when workers > 1): whatever shards the
  // keys land on, the results are Redis's.
  for (int i = 10; i < 30; ++i) {
    std::string from = "key:" + std::to_string(i);
    std::string to = "renamed:" + std::to_string(i);
    request += resp_command({"RENAME", from, to});
    expected += "+OK\r\n";
    request += resp_command({"GET", to});
    std::string value = "v" + std::to_string(i);
    expected += "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n";
    request += resp_command({"EXISTS", from});
    expected += ":0\r\n";
  }
  request += resp_command({"RENAME", "nosuch", "other"});
  expected += "-ERR no such key\r\n";
  request += resp_command({"RENAMENX", "renamed:10", "renamed:11"});
  expected += ":0\r\n";
  request += resp_command({"MSETNX", "n1", "1", "n2", "2", "n3", "3", "n4", "4"});
  expected += ":1\r\n";
  request += resp_command({"MSETNX", "n5", "5", "n6", "6", "n7", "7", "n1", "x"});
  expected += ":0\r\n";
  request += resp_command({"MGET", "n1", "n5", "n4"});
  expected += "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n4\r\n";
  if (xor_transform) {
    request = xor_bytes(request);
    expected = xor_bytes(expected);
  }
  REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  CHECK(read_exactly(fd, expected.size()) == expected);

  close(fd);
  rt.request_stop();
  rt.join();
  close(listen_fd);
}

// One command per round trip and pipelines, mixed on one connection, while a second
// connection pipelines writes to the same keys: every reply comes in order and sees every
// write acknowledged before it, also when a pipeline's last command arrives in two pieces.
void exercise_round_trips_and_pipelines(runtime::Topology topology) {
  FakeServer server;
  int port = 0;
  int listen_fd = listen_loopback(port);
  runtime::Runtime rt(topology, server);
  rt.add_listener(listen_fd, tessera::runtime::ClientProtocol::kResp);
  rt.start();
  int single = connect_loopback(port);
  int piped = connect_loopback(port);
  auto round_trip = [](int fd, const std::string& request, const std::string& expected) {
    REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
    CHECK(read_exactly(fd, expected.size()) == expected);
  };
  constexpr int kRounds = 50;
  constexpr int kKeys = 8;
  for (int round = 1; round <= kRounds; ++round) {
    // The pipelining connection: one INCR per key, then a GET of each (batched).
    std::string request;
    std::string expected;
    for (int k = 0; k < kKeys; ++k) {
      request += resp_command({"INCR", "counter:" + std::to_string(k)});
      expected += ":" + std::to_string(round) + "\r\n";
    }
    for (int k = 0; k < kKeys; ++k) {
      request += resp_command({"GET", "counter:" + std::to_string(k)});
      expected += "$" + std::to_string(std::to_string(round).size()) + "\r\n" + std::to_string(round) + "\r\n";
    }
    round_trip(piped, request, expected);
    // The other connection sees every acknowledged INCR, one command per round trip.
    for (int k = 0; k < kKeys; ++k) {
      const std::string value = std::to_string(round);
      round_trip(single, resp_command({"GET", "counter:" + std::to_string(k)}),
                 "$" + std::to_string(value.size()) + "\r\n" + value + "\r\n");
    }
    // A write in its own round trip, then a pipeline on the same connection that reads it
    // back, with its last command split across two sends.
    round_trip(single, resp_command({"SET", "mine", "r" + std::to_string(round)}), "+OK\r\n");
    const std::string value = "r" + std::to_string(round);
    std::string tail = resp_command({"APPEND", "mine", "!"}) + resp_command({"GET", "mine"});
    const size_t cut = tail.size() - 3;
    REQUIRE(send(single, tail.data(), cut, 0) == static_cast<ssize_t>(cut));
    REQUIRE(send(single, tail.data() + cut, tail.size() - cut, 0) == static_cast<ssize_t>(tail.size() - cut));
    const std::string appended = value + "!";
    const std::string want = ":" + std::to_string(appended.size()) + "\r\n$" + std::to_string(appended.size()) +
                             "\r\n" + appended + "\r\n";
    CHECK(read_exactly(single, want.size()) == want);
  }
  close(single);
  close(piped);
  rt.request_stop();
  rt.join();
  close(listen_fd);
}

// A ServerView whose INFO reports the keys the workers have published for database 0.
class KeyCountingServer final : public FakeServer {
 public:
  runtime::Runtime* rt = nullptr;
  std::string info_text(std::span<const std::string>) override {
    int64_t keys = 0;
    for (uint32_t w = 0; w < rt->topology().workers; ++w) {
      keys += rt->gauges(w).keys[0].load(std::memory_order_relaxed);
    }
    return "keys=" + std::to_string(keys);
  }
};

std::string bulk(std::string_view s) { return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n"; }

// INFO runs on the parser, the SETs before it on workers: pipelined behind them, INFO waits
// until they are answered (their counts published) and parsing stops behind it, so each
// INFO counts exactly the SETs sent before it. A client killed with an INFO still held is
// closed and freed, the other client is still served, and the server stops cleanly.
void exercise_info_in_stream_order(runtime::Topology topology) {
  KeyCountingServer server;
  int port = 0;
  int listen_fd = listen_loopback(port);
  runtime::Runtime rt(topology, server);
  server.rt = &rt;
  rt.add_listener(listen_fd, tessera::runtime::ClientProtocol::kResp);
  rt.start();
  int fd = connect_loopback(port);
  constexpr int kRounds = 100;
  constexpr int kSetsPerRound = 3;
  std::string request;
  std::string expected;
  for (int round = 1; round <= kRounds; ++round) {
    for (int i = 0; i < kSetsPerRound; ++i) {
      request += resp_command({"SET", "key:" + std::to_string(round) + ":" + std::to_string(i), "v"});
      expected += "+OK\r\n";
    }
    request += resp_command({"INFO"});
    expected += bulk("keys=" + std::to_string(round * kSetsPerRound));
  }
  REQUIRE(send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  CHECK(read_exactly(fd, expected.size()) == expected);

  // A client that closes right after a pipeline with an INFO behind 500 SETs.
  int leaving = connect_loopback(port);
  std::string last;
  for (int i = 0; i < 500; ++i) {
    last += resp_command({"SET", "leaving:" + std::to_string(i), "v"});
  }
  last += resp_command({"INFO"}) + resp_command({"SET", "after", "info"});
  REQUIRE(send(leaving, last.data(), last.size(), 0) == static_cast<ssize_t>(last.size()));
  close(leaving);
  // A client that stops reading: its GET replies pass the output limit while its INFO is
  // held behind them, and the kill ends its read side with the INFO still held. The held
  // command must still take its turn, or the close record behind it would never be released
  // and the connection never freed.
  rt.limits().output_hard_limit.store(4 << 20);
  const std::string big(1 << 20, 'x');
  const std::string set_big = resp_command({"SET", "big", big});
  REQUIRE(send(fd, set_big.data(), set_big.size(), 0) == static_cast<ssize_t>(set_big.size()));
  CHECK(read_exactly(fd, 5) == "+OK\r\n");
  int stalled = connect_loopback(port);
  std::string gets;
  for (int i = 0; i < 20; ++i) {
    gets += resp_command({"GET", "big"});
  }
  gets += resp_command({"INFO"});
  REQUIRE(send(stalled, gets.data(), gets.size(), 0) == static_cast<ssize_t>(gets.size()));
  const auto stalled_freed = [&] {
    return rt.counters().output_limit_disconnections.load() == 1 && rt.counters().connected_clients.load() == 1;
  };
  for (int waited_ms = 0; waited_ms < 20000 && !stalled_freed(); waited_ms += 10) {
    usleep(10000);
  }
  CHECK(rt.counters().output_limit_disconnections.load() == 1);
  CHECK(rt.counters().connected_clients.load() == 1);
  close(stalled);
  const std::string ping = resp_command({"PING"});
  REQUIRE(send(fd, ping.data(), ping.size(), 0) == static_cast<ssize_t>(ping.size()));
  CHECK(read_exactly(fd, 7) == "+PONG\r\n");

  close(fd);
  rt.request_stop();
  rt.join();
  close(listen_fd);
}

// The topologies the tests run: one thread for everything (io_uring when the kernel allows
// it), two threads each hosting every stage, and one thread per stage with two workers.
runtime::Topology single_thread() {
  runtime::Topology t;
  t.backend = runtime::io_uring_available() ? runtime::IoBackendKind::kIoUring : runtime::IoBackendKind::kEpoll;
  return t;
}

runtime::Topology two_shared_threads() {
  runtime::Topology t;
  t.parsers = 2;
  t.workers = 2;
  t.repliers = 2;
  t.layout = runtime::ThreadLayout::kShared;
  t.backend = runtime::IoBackendKind::kEpoll;
  return t;
}

runtime::Topology dedicated_two_workers() {
  runtime::Topology t;
  t.parsers = 1;
  t.workers = 2;
  t.repliers = 1;
  t.layout = runtime::ThreadLayout::kDedicated;
  t.backend = runtime::IoBackendKind::kEpoll;
  return t;
}

}  // namespace

TEST_CASE("round trips and pipelines interleave in order: one thread") {
  exercise_round_trips_and_pipelines(single_thread());
}

TEST_CASE("round trips and pipelines interleave in order: two shared threads, keys on both") {
  exercise_round_trips_and_pipelines(two_shared_threads());
}

TEST_CASE("INFO pipelined behind commands counts exactly those before it: one thread") {
  exercise_info_in_stream_order(single_thread());
}

TEST_CASE("INFO pipelined behind commands counts exactly those before it: one parser, two workers") {
  exercise_info_in_stream_order(dedicated_two_workers());
}

TEST_CASE("dedicated layout: one parser, two workers, one replier, epoll") { exercise(dedicated_two_workers()); }

TEST_CASE("shared layout: two threads each hosting every stage, epoll") { exercise(two_shared_threads()); }

TEST_CASE("single thread, io_uring when available") { exercise(single_thread()); }

TEST_CASE("receive and send transforms (the TLS seam) see every byte, on parser and replier threads") {
  exercise(dedicated_two_workers(), true);
}
