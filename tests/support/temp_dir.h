// A fresh directory under /tmp for a unit test, removed with everything in
// it on scope exit (remove_all deletes links, never what they point to).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace iptmode::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/iptmode-unit-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `content` at `rel` (leading '/' allowed, parents created) and
  // returns the file's full path.
  std::string file(std::string_view rel, std::string_view content) const {
    while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
    const std::filesystem::path p = std::filesystem::path(path_) / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }

 private:
  std::string path_;
};

}  // namespace iptmode::test
