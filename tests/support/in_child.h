// Running a call that might block (an open of a FIFO, a read that never
// ends) in a forked child under a deadline, so that a hang fails the test
// instead of hanging the suite.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "tests/support/run.h"

namespace iptmode::test {

// Runs `fn` (returning std::string) in a child process and waits for it at
// most `ms` milliseconds. Returns what `fn` returned, or nullopt when the
// deadline passed (the child is killed and reaped).
template <class F>
std::optional<std::string> in_child_with_deadline(F fn, int ms) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(p[0]);
    const std::string out = fn();
    (void)!::write(p[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(p[1]);
  Spawned child;
  child.pid = pid;
  child.out = UniqueFd(p[0]);
  RunResult r = collect(child, Clock::now() + std::chrono::milliseconds(ms));
  if (r.timed_out) return std::nullopt;
  return r.out;
}

}  // namespace iptmode::test
