// Runs a command for a test: an argv vector (no shell), optional stdin text,
// both outputs captured without deadlock, a deadline instead of sleeps.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"

namespace iptmode::test {

struct RunResult {
  int exit_code = -1;  // 128+N when killed by signal N; -1 when it timed out
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct RunOptions {
  std::optional<std::string> stdin_text;        // unset: stdin is an empty pipe
  std::optional<std::vector<std::string>> env;  // unset: this process's environment
  std::chrono::milliseconds timeout = std::chrono::seconds(120);  // then SIGKILL
};

// A started child with its three standard streams as pipes (our ends, all
// O_CLOEXEC, so no other child holds them open). SIGPIPE is default in the
// child even though tests ignore it.
struct Spawned {
  pid_t pid = -1;
  UniqueFd in;   // write end of the child's stdin
  UniqueFd out;  // read end of its stdout
  UniqueFd err;  // read end of its stderr
};

// Throws std::runtime_error when the program cannot be started (not found,
// not executable): there is nothing to test then.
Spawned spawn(const std::vector<std::string>& argv,
              const std::optional<std::vector<std::string>>& env = std::nullopt);

// Waits for `pid` and turns its status into an exit code (128+N for signal N).
int wait_exit(pid_t pid);

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts = {});

using Clock = std::chrono::steady_clock;

// Sends `stdin_text` to a spawned child (then closes its stdin), collects its
// stdout and stderr until both end, and reaps it. At the deadline it is
// killed: timed_out, exit_code -1. The child's pid is -1 afterwards.
RunResult collect(Spawned& child, Clock::time_point deadline, std::string_view stdin_text = {});

// Reads `fd` into `buf` until `done(buf)` holds, the stream ends or the
// deadline passes; returns whether `done` held. Blocking reads under poll, no
// sleeps.
bool read_until(int fd, std::string& buf, const std::function<bool(const std::string&)>& done,
                Clock::time_point deadline);

// As run, but fails the current test (doctest REQUIRE level) with the
// command, exit code and stderr unless it exits 0.
RunResult run_ok(const std::vector<std::string>& argv, const RunOptions& opts = {});

// "ip netns exec X nft 'list ruleset'": for messages.
std::string describe(const std::vector<std::string>& argv);

// Every line of `text` without its newline.
std::vector<std::string> lines(const std::string& text);

}  // namespace iptmode::test
