// Tests that a listener whose accept fails for lack of descriptors (EMFILE) is not retried in
// a busy loop by either I/O backend, and that the clients waiting in its backlog are accepted
// once descriptors are free again. Runs in a child process, whose open-files limit is lowered
// to the descriptors it already holds.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "../child_process.h"
#include "loopback_sockets.h"
#include "runtime/doorbell.h"
#include "runtime/io_backend.h"

namespace tessera::runtime {
namespace {

// Counts into an int outside itself: the test reads the count while no descriptor is free,
// and UBSan's first check of a polymorphic object's type needs one (a pipe).
class CountingHandler final : public IoHandler {
 public:
  explicit CountingHandler(int& accepted) : accepted_(accepted) {}
  void on_accept(int, int fd) override {
    ++accepted_;
    close(fd);
  }
  void on_recv(Connection*, long) override {}
  void on_sent(Connection*) override {}
  void on_send_error(Connection*, int) override {}

 private:
  int& accepted_;
};

int64_t monotonic_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// In the child: three clients wait in the backlog while no descriptor is left. Returns
// "wakeups=N accepted=M": the backend's wait() returns in one second without descriptors,
// then the clients accepted once the limit is raised again.
std::string run_out_of_descriptors(bool uring) {
  int port = 0;
  const int listener = test::listen_loopback(port);
  int clients[3];
  for (int& c : clients) {
    c = test::connect_loopback(port);  // completes in the backlog, no accept needed
  }
  Doorbell doorbell;
  int accepted = 0;
  CountingHandler handler(accepted);
  std::unique_ptr<IoBackend> backend =
      uring ? make_uring_backend(handler, doorbell.fd()) : make_epoll_backend(handler, doorbell.fd());
  if (!backend) {
    return "no backend";
  }
  backend->add_listener(listener);
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  const rlimit saved = limit;
  const int probe = dup(0);  // the lowest free descriptor: nothing from it up may be opened
  close(probe);
  limit.rlim_cur = static_cast<rlim_t>(probe);
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    return "setrlimit failed";
  }
  int wakeups = 0;
  for (const int64_t end = monotonic_ms() + 1000; monotonic_ms() < end; ++wakeups) {
    backend->wait(1000);
  }
  const int accepted_without_descriptors = accepted;
  setrlimit(RLIMIT_NOFILE, &saved);
  for (const int64_t end = monotonic_ms() + 10'000; accepted < 3 && monotonic_ms() < end;) {
    backend->wait(100);
  }
  return "wakeups=" + std::to_string(wakeups) + " accepted=" + std::to_string(accepted_without_descriptors) + "/" +
         std::to_string(accepted);
}

void check_backoff(const std::string& text) {
  INFO(text);
  int wakeups = -1;
  int during = -1;
  int after = -1;
  REQUIRE(std::sscanf(text.c_str(), "wakeups=%d accepted=%d/%d", &wakeups, &during, &after) == 3);
  // A retry every kAcceptBackoffMs is about 10 wake-ups in the second; a busy loop makes
  // thousands. The bound is loose on purpose: a slow machine only makes fewer.
  CHECK(wakeups <= 100);
  CHECK(during == 0);
  CHECK(after == 3);
}

TEST_CASE("an accept without descriptors backs off on epoll, and the clients get in later") {
  check_backoff(tessera::test::run_in_child([] { return run_out_of_descriptors(false); }));
}

TEST_CASE("an accept without descriptors backs off on io_uring, and the clients get in later") {
  if (!io_uring_available()) {
    return;  // refused here (seccomp, old kernel): the epoll case covers the fallback
  }
  check_backoff(tessera::test::run_in_child([] { return run_out_of_descriptors(true); }));
}

}  // namespace
}  // namespace tessera::runtime
