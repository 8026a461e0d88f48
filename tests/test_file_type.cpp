// core/file_type.h, and the notes that use it: a file not used for its type
// is said to be of that type, never "Permission denied" (12.10).
#include "core/file_type.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <doctest/doctest.h>

#include "detect/in_root.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

namespace fs = std::filesystem;

}  // namespace

TEST_CASE("file type: every type has its words") {
  CHECK(describe_type(S_IFDIR | 0755) == "a directory");
  CHECK(describe_type(S_IFIFO | 0644) == "a FIFO");
  CHECK(describe_type(S_IFCHR | 0666) == "a character device");
  CHECK(describe_type(S_IFBLK | 0660) == "a block device");
  CHECK(describe_type(S_IFSOCK | 0755) == "a socket");
  CHECK(describe_type(S_IFLNK | 0777) == "a symlink");
  CHECK(describe_type(S_IFREG | 0644) == "a regular file without an execute bit");
  CHECK(describe_type(S_IFREG | 0755) == "a regular file");
  // NUL-terminated: the static shim formats it with %s.
  CHECK(describe_type(S_IFIFO)[describe_type(S_IFIFO).size()] == '\0');
}

TEST_CASE("file type: an iptables on PATH that is not a file is named by its type (12.10)") {
  test::TempDir dir{"iptmode-file-type"};
  auto root = open_root(dir.str());
  REQUIRE(root.has_value());
  fs::create_directories(dir / "a");
  fs::create_directories(dir / "b/iptables");  // a directory
  REQUIRE(::mkfifo((dir / "a/iptables").c_str(), 0755) == 0);
  auto check = [&](const char* path_var, const std::string& file, std::string_view type) {
    CAPTURE(path_var);
    auto r = which_in_root(root->get(), path_var, "iptables");
    REQUIRE_FALSE(r.has_value());
    const std::string& m = r.error().message;
    CAPTURE(m);
    CHECK(m.find(file + " is " + std::string(type)) != std::string::npos);
    CHECK(m.find("Permission denied") == std::string::npos);
  };
  check("/a", "/a/iptables", "a FIFO");
  check("/b", "/b/iptables", "a directory");
  if (::geteuid() == 0) {
    fs::create_directories(dir / "c");
    REQUIRE(::mknod((dir / "c/iptables").c_str(), S_IFCHR | 0755, makedev(1, 3)) == 0);
    check("/c", "/c/iptables", "a character device");
  }
}

}  // namespace iptmode
