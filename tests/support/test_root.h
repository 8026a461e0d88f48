// A small container-like root directory for component tests, and a process
// that runs chrooted into it in a mount namespace of its own.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/run.h"
#include "tests/support/temp_dir.h"

namespace iptmode::test {

class Netns;

// A TempDir seen as a root directory. Paths called `inside` are absolute
// paths as seen from within the root.
class TestRoot {
 public:
  const std::filesystem::path& dir() const { return dir_.path(); }

  // ROOT + inside.
  std::filesystem::path host_path(std::string_view inside) const;

  // Copies a host file in, keeping its permission bits (so the exec bit);
  // parent directories are created.
  void copy_in(const std::filesystem::path& host_file, std::string_view inside);

  // ROOT/inside -> target (the target is stored as given, relative or absolute).
  void symlink(std::string_view inside, std::string_view target);

  void write_file(std::string_view inside, std::string_view bytes, mode_t mode = 0644);

 private:
  TempDir dir_{"iptmode-root"};
};

// FAKE_COMPONENT_BIN copied into the root as /usr/local/bin/<name> (so its
// comm is <name>) and started there through
//   [ip netns exec NS] unshare --mount --fork --kill-child --root=ROOT /usr/local/bin/<name>
//   ARGS...
// with exactly `env` as its environment (ARGS as kube-proxy's --config). The constructor returns
// once the process has said "ready <pid>"; the destructor closes its stdin, which makes it exit,
// and reaps it.
class FakeProcess {
 public:
  static std::vector<std::string> default_env() {
    return {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  }

  // `netns` null: the test's own network namespace. `run_as` set ("nobody"):
  // started through setpriv as that user (and its group nogroup, no
  // supplementary groups) from its host path, with neither a mount namespace
  // nor a chroot, which an ordinary user could not make.
  FakeProcess(TestRoot& root, std::string name, const Netns* netns,
              std::vector<std::string> env = default_env(), std::vector<std::string> args = {},
              std::string run_as = "");
  ~FakeProcess();
  FakeProcess(const FakeProcess&) = delete;
  FakeProcess& operator=(const FakeProcess&) = delete;

  // The fake component's own pid (not that of the unshare that started it).
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

 private:
  void stop() noexcept;
  std::string name_;
  Spawned child_;  // ip / unshare, parent of the fake
  pid_t pid_ = -1;
};

}  // namespace iptmode::test
