// The one temporary directory of the test suite: a fresh directory under
// /tmp, mode 0755 and root's when the test runs as root (the shim trusts
// nothing else, and a world-readable directory lets a test run a program in
// it as another user), removed with everything in it on scope exit
// (remove_all deletes links, never what they point to). Header-only: the unit
// and the root tests both use it.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace iptmode::test {

class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "iptmode-test") {
    std::string templ = "/tmp/" + std::string(prefix) + ".XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr)
      throw std::runtime_error("mkdtemp " + templ + ": " + std::strerror(errno));
    str_ = templ;
    path_ = templ;
    ::chmod(str_.c_str(), 0755);  // mkdtemp makes it 0700
    if (::geteuid() == 0 && ::chown(str_.c_str(), 0, 0) != 0)
      throw std::runtime_error("chown " + str_ + ": " + std::strerror(errno));
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
    if (ec) std::fprintf(stderr, "warning: remove %s: %s\n", str_.c_str(), ec.message().c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::string& str() const { return str_; }
  std::filesystem::path operator/(std::string_view rel) const { return at(rel); }

  // Writes `content` at `rel` (leading '/' allowed, parents created) with
  // `mode` and returns the file's full path.
  std::string file(std::string_view rel, std::string_view content, mode_t mode = 0644) const {
    const std::filesystem::path p = made_parent(rel);
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out.write(content.data(), static_cast<std::streamsize>(content.size()));
      if (!out) throw std::runtime_error("cannot write " + p.string());
    }
    std::filesystem::permissions(p, static_cast<std::filesystem::perms>(mode));
    return p.string();
  }
  // A directory at `rel`, with its parents.
  void dir(std::string_view rel) const { std::filesystem::create_directories(at(rel)); }
  // A symlink at `rel` to `target`, stored as given (relative or absolute).
  void link(std::string_view rel, std::string_view target) const {
    const std::filesystem::path p = made_parent(rel);
    if (::symlink(std::string(target).c_str(), p.c_str()) != 0)
      throw std::runtime_error("symlink " + p.string() + ": " + std::strerror(errno));
  }

 private:
  std::filesystem::path at(std::string_view rel) const {
    while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
    return path_ / rel;
  }
  std::filesystem::path made_parent(std::string_view rel) const {
    std::filesystem::path p = at(rel);
    std::filesystem::create_directories(p.parent_path());
    return p;
  }

  std::string str_;
  std::filesystem::path path_;
};

}  // namespace iptmode::test
