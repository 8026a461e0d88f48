// Running a program of the build as an unprivileged user. The build tree may
// sit under a directory only its owner can enter (root's home is 0700), so
// the program runs from a copy in a world-readable TempDir.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/temp_dir.h"

namespace iptmode::test {

// Copies of build programs that anyone may read and run.
class RunnableCopies {
 public:
  // `bin`'s copy (made on first use), as a path to run.
  std::string operator()(const std::filesystem::path& bin) const {
    const std::filesystem::path to = dir_ / bin.filename().string();
    if (!std::filesystem::exists(to)) {
      std::filesystem::copy_file(bin, to);
      std::filesystem::permissions(to, std::filesystem::perms(0755));
    }
    return to.string();
  }

 private:
  TempDir dir_{"iptmode-runnable"};
};

// `argv` run as nobody:nogroup without supplementary groups.
inline std::vector<std::string> as_nobody(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  return argv;
}

}  // namespace iptmode::test
