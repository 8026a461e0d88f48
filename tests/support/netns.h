// A network namespace of the test's own, and the root check every root test
// starts with.
#pragma once

#include <string>
#include <vector>

#include "tests/support/run.h"

namespace iptmode::test {

// `ip netns add iptmode-test-<pid>-<n>` on construction, `ip netns del` on
// destruction. Anything the test writes into its packet filter goes with it.
class Netns {
 public:
  Netns();
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }

  // {"ip", "netns", "exec", NAME, argv...}
  std::vector<std::string> wrap(const std::vector<std::string>& argv) const;

  RunResult exec(const std::vector<std::string>& argv, const RunOptions& opts = {}) const;
  RunResult exec_ok(const std::vector<std::string>& argv, const RunOptions& opts = {}) const;

 private:
  std::string name_;
};

// True when the test may go on. Not root: outside CI the test is skipped with
// a MESSAGE (return early on false); under CI=true it fails, because CI must
// run the root tests.
bool require_root();

}  // namespace iptmode::test
