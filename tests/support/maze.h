// A symlink maze as an attacker with an ordinary account can build under
// /tmp: a chain of `depth` directories d/d/d/..., a link `a` to its bottom,
// and there `iptables` and `nft` linking back to <inside>/a/<name>, so that
// every lookup walks the whole chain again until something stops it.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/fd.h"

namespace iptmode::test {

// Builds the maze at host directory `dir`, which is `inside` as the process
// that searches it sees it. Returns a PATH of `entries` entries into it.
// Built with openat, one level at a time: the chain's own path is longer
// than the kernel takes in one name.
inline std::string build_maze(const std::filesystem::path& dir, std::string_view inside,
                              int depth = 1000, int entries = 64) {
  auto fail = [](const std::string& what) {
    throw std::runtime_error("maze: " + what + ": " + std::strerror(errno));
  };
  std::filesystem::create_directories(dir);
  UniqueFd top(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!top) fail(dir.string());
  UniqueFd cur(::dup(top.get()));
  std::string chain;
  for (int i = 0; i < depth; ++i) {
    if (::mkdirat(cur.get(), "d", 0755) != 0 && errno != EEXIST) fail("mkdir");
    UniqueFd next(::openat(cur.get(), "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!next) fail("open d");
    cur = std::move(next);
    chain += i == 0 ? "d" : "/d";
  }
  for (const char* name : {"iptables", "nft"}) {
    const std::string back = std::string(inside) + "/a/" + name;
    if (::symlinkat(back.c_str(), cur.get(), name) != 0) fail(name);
  }
  if (::symlinkat(chain.c_str(), top.get(), "a") != 0) fail("a");
  std::string path;
  for (int i = 0; i < entries; ++i) path += (i ? ":" : "") + std::string(inside) + "/a";
  return path;
}

// Removes a maze: std::filesystem::remove_all would build names longer than
// PATH_MAX on the way down.
inline void remove_maze(const std::filesystem::path& dir) {
  UniqueFd cur(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cur) return;
  ::unlinkat(cur.get(), "a", 0);
  int depth = 0;
  for (;; ++depth) {
    UniqueFd next(::openat(cur.get(), "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) break;
    cur = std::move(next);
  }
  ::unlinkat(cur.get(), "iptables", 0);
  ::unlinkat(cur.get(), "nft", 0);
  for (; depth > 0; --depth) {
    UniqueFd up(::openat(cur.get(), "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!up) return;
    cur = std::move(up);
    ::unlinkat(cur.get(), "d", AT_REMOVEDIR);
  }
}

// The maze for one test: built on construction, removed on destruction (so
// declare it after the TestRoot it lives in).
class Maze {
 public:
  Maze(std::filesystem::path dir, std::string_view inside, int depth = 1000)
      : dir_(std::move(dir)), path_var_(build_maze(dir_, inside, depth)) {}
  ~Maze() { remove_maze(dir_); }
  Maze(const Maze&) = delete;
  Maze& operator=(const Maze&) = delete;

  // 64 entries into the maze, for a PATH= in the process's environment.
  const std::string& path_var() const { return path_var_; }

 private:
  std::filesystem::path dir_;
  std::string path_var_;
};

}  // namespace iptmode::test
