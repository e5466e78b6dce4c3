// Tests for the open-files limit against maxclients (open_files.h): left alone when it
// suffices, raised toward maxclients + reserve up to the hard limit, and maxclients lowered
// with Redis's log lines when the hard limit is in the way. Limits are lowered only in a
// child process (a lowered hard limit cannot be raised again without privilege); the soft
// limit of the test process is restored.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <unistd.h>

#include <string>

#include "../child_process.h"
#include "server/open_files.h"

namespace tessera::server {
namespace {

rlimit current_limit() {
  rlimit limit{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &limit) == 0);
  return limit;
}

// Runs `fn` in a child process with the given soft and hard limits, as an unprivileged user
// (root may raise a hard limit: it drops to nobody), and returns what `fn` returned.
template <class Fn>
std::string in_child(rlim_t soft, rlim_t hard, Fn fn) {
  return test::run_in_child([&]() -> std::string {
    rlimit limit{soft, hard};
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      return "setrlimit failed";
    }
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
      return "setuid failed";
    }
    return fn();
  });
}

std::string describe(const OpenFilesOutcome& out) {
  std::string text = std::to_string(out.maxclients) + " " + std::to_string(out.limit) +
                     (out.too_low ? " too-low" : "");
  for (const std::string& message : out.messages) {
    text += "\n" + message;
  }
  return text;
}

TEST_CASE("the open-files limit is raised for maxclients, up to the hard limit") {
  const rlimit before = current_limit();
  if (before.rlim_max < 2000) {
    return;  // nothing to raise toward here
  }
  const std::string text = in_child(200, before.rlim_max, [] {
    const std::string enough = describe(raise_open_files_limit(100, 50));
    const std::string raised = describe(raise_open_files_limit(1000, 50));
    return enough + "|" + raised + "|" + std::to_string(current_limit().rlim_cur);
  });
  if (text == "setuid failed") {
    return;  // root that cannot become nobody (a user namespace): nothing to check here
  }
  CHECK(text ==
        "100 200|1000 1050\nIncreased maximum number of open files to 1050 (it was originally set to 200).|1050");
}

TEST_CASE("maxclients is lowered to what a low hard limit allows, with Redis's warnings") {
  const std::string text = in_child(200, 300, [] {
    const std::string lowered = describe(raise_open_files_limit(1000, 50));
    return lowered + "|" + describe(raise_open_files_limit(1000, 400));
  });
  if (text == "setuid failed") {
    return;  // root that cannot become nobody (a user namespace): nothing to check here
  }
  CHECK(text ==
        "250 300\n"
        "You requested maxclients of 1000 requiring at least 1050 max file descriptors.\n"
        "Server can't set maximum open files to 1050 because of OS error: Operation not permitted.\n"
        "Current maximum open files is 300. maxclients has been reduced to 250 to compensate for low ulimit. If you "
        "need higher maxclients increase 'ulimit -n'.|"
        "-100 300 too-low\n"
        "Your current 'ulimit -n' of 300 is not enough for the server to start. Please increase your open file "
        "limit to at least 1400. Exiting.");
}

TEST_CASE("the reserve covers Redis's 32, each thread's descriptors and the lingering sockets") {
  runtime::Topology shared;
  shared.parsers = shared.workers = shared.repliers = 1;
  shared.layout = runtime::ThreadLayout::kShared;
  runtime::Topology dedicated = shared;
  dedicated.layout = runtime::ThreadLayout::kDedicated;
  dedicated.parsers = dedicated.workers = dedicated.repliers = 2;
  CHECK(reserved_descriptors(shared) == 32 + 3 + 256);
  CHECK(reserved_descriptors(dedicated) == 32 + 6 * 3 + 256);
}

}  // namespace
}  // namespace tessera::server
