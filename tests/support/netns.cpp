#include "tests/support/netns.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>

#include <doctest/doctest.h>

namespace iptmode::test {

Netns::Netns() {
  static std::atomic<int> counter{0};
  name_ = "iptmode-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  // Throws (through run_ok's FAIL) before the object exists: nothing to undo.
  run_ok({"ip", "netns", "add", name_});
}

Netns::~Netns() {
  // Never throws: a destructor may run while a failed check unwinds.
  try {
    RunResult r = run({"ip", "netns", "del", name_});
    if (r.exit_code != 0)
      std::fprintf(stderr, "warning: ip netns del %s failed (exit %d): %s\n", name_.c_str(),
                   r.exit_code, r.err.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warning: ip netns del %s: %s\n", name_.c_str(), e.what());
  }
}

std::vector<std::string> Netns::wrap(const std::vector<std::string>& argv) const {
  std::vector<std::string> out{"ip", "netns", "exec", name_};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

RunResult Netns::exec(const std::vector<std::string>& argv, const RunOptions& opts) const {
  return run(wrap(argv), opts);
}

RunResult Netns::exec_ok(const std::vector<std::string>& argv, const RunOptions& opts) const {
  return run_ok(wrap(argv), opts);
}

}  // namespace iptmode::test
