// A long-running process rooted in a real Debian root as a container is:
// pivot_root in a mount namespace of its own (tests/support/pivot_launcher.c),
// in a test network namespace. Its argv[0] names the component
// ("kube-router"); the program is the root's own `/bin/sleep infinity` (bullseye has no merged
// /usr), or any program of the root with the flags and environment a component runs with.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/netns.h"
#include "tests/support/run.h"

namespace iptmode::test {

class RootedProcess {
 public:
  RootedProcess(const std::filesystem::path& root, const Netns& ns, const std::string& argv0,
                bool read_only = false)
      : RootedProcess(root, ns, Program{"/bin/sleep", argv0, {"infinity"}, {}, read_only}) {}

  // A component as it really runs: PROG (a path inside the root) with its
  // argv[0], flags and exactly ENV as its environment (empty: the test's).
  struct Program {
    std::string prog;
    std::string argv0;
    std::vector<std::string> args;
    std::vector<std::string> env;
    bool read_only = false;
  };
  RootedProcess(const std::filesystem::path& root, const Netns& ns, const Program& p) {
    std::vector<std::string> argv;
    if (!p.env.empty()) {
      argv = {"env", "-i"};
      argv.insert(argv.end(), p.env.begin(), p.env.end());
    }
    argv.emplace_back(PIVOT_LAUNCHER_BIN);
    if (p.read_only) argv.emplace_back("-r");
    argv.insert(argv.end(), {root.string(), p.prog, p.argv0});
    argv.insert(argv.end(), p.args.begin(), p.args.end());
    argv = ns.wrap(argv);
    child_ = spawn(argv);
    std::string out;
    const bool ready = read_until(
        child_.out.get(), out,
        [](const std::string& t) { return t.find('\n') != std::string::npos; },
        Clock::now() + std::chrono::seconds(20));
    if (ready && out.starts_with("ready ")) pid_ = std::stoi(out.substr(6));
    if (pid_ <= 0) {
      ::kill(child_.pid, SIGKILL);
      const RunResult rest = collect(child_, Clock::now() + std::chrono::seconds(10));
      FAIL(describe(argv) << " did not report ready\nstdout: " << out << rest.out
                          << "\nstderr: " << rest.err);
    }
  }
  ~RootedProcess() {
    if (child_.pid <= 0) return;
    ::kill(pid_, SIGKILL);
    (void)collect(child_, Clock::now() + std::chrono::seconds(10));
  }
  RootedProcess(const RootedProcess&) = delete;
  RootedProcess& operator=(const RootedProcess&) = delete;

  pid_t pid() const { return pid_; }

  // `nsenter -t PID -m [-n] argv...`: runs inside its mount namespace, where
  // / is its root.
  RunResult enter(const std::vector<std::string>& argv, bool net = false) const {
    std::vector<std::string> all{"nsenter", "-t", std::to_string(pid_), "-m"};
    if (net) all.emplace_back("-n");
    all.insert(all.end(), argv.begin(), argv.end());
    return run(all);
  }

 private:
  Spawned child_;
  pid_t pid_ = -1;
};

}  // namespace iptmode::test
