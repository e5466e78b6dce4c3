// Runs a test step in a forked child and returns what it reported: for steps that change
// process-wide state the test process must keep (open-files limits, the user id).
// Tests only; the child reports through a pipe and exits without running destructors.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <string>

namespace tessera::test {

// `fn` runs in the child and returns a string, which the parent gets back.
template <class Fn>
std::string run_in_child(Fn fn) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    const std::string text = fn();
    (void)!write(fds[1], text.data(), text.size());
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[1024];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
    text.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  waitpid(pid, nullptr, 0);
  return text;
}

}  // namespace tessera::test
