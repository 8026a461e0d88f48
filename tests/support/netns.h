// A network namespace of the test's own.
#pragma once

#include <string>
#include <vector>

#include "tests/support/require_root.h"  // every root test starts with it
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

}  // namespace iptmode::test
