// Config files are read from regular files on filesystems that store files,
// inside their root, bounded, saying when they were cut.
#include <doctest/doctest.h>

#include <linux/magic.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "detect/config_read.h"
#include "detect/in_root.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

UniqueFd root_of(const std::string& dir) {
  auto r = open_root(dir);
  REQUIRE(r);
  return std::move(*r);
}

}  // namespace

TEST_CASE("config read: pseudo_filesystem names the kernel's filesystems, not real ones") {
  CHECK(pseudo_filesystem(PROC_SUPER_MAGIC) == "procfs");
  CHECK(pseudo_filesystem(SYSFS_MAGIC) == "sysfs");
  CHECK(pseudo_filesystem(DEBUGFS_MAGIC) == "debugfs");
  CHECK(pseudo_filesystem(TRACEFS_MAGIC) == "tracefs");
  CHECK(pseudo_filesystem(SECURITYFS_MAGIC) == "securityfs");
  CHECK(pseudo_filesystem(CGROUP2_SUPER_MAGIC) == "cgroup2");
  CHECK(pseudo_filesystem(CGROUP_SUPER_MAGIC) == "cgroup");
  for (long real :
       {long{EXT4_SUPER_MAGIC}, long{TMPFS_MAGIC}, long{XFS_SUPER_MAGIC}, long{BTRFS_SUPER_MAGIC},
        long{OVERLAYFS_SUPER_MAGIC}, long{NFS_SUPER_MAGIC}, long{SQUASHFS_MAGIC}})
    CHECK(pseudo_filesystem(real).empty());
}

// /proc/kmsg would drain the kernel log for everyone; /proc/self/status is
// any procfs file (readable without root), /sys/kernel/... any sysfs one.
TEST_CASE("config read: procfs and sysfs files are refused before a byte is read") {
  UniqueFd host = root_of("/");
  for (const char* path : {"/proc/self/status", "/proc/version", "/sys/kernel/uevent_seqnum"}) {
    CAPTURE(path);
    auto r = read_config_in_root(host.get(), path, 4096);
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("not a file a config can be read from") != std::string::npos);
    CHECK(r.error().message.find(path) != std::string::npos);
  }
  auto direct = read_config_path("/proc/self/status", 4096);
  REQUIRE_FALSE(direct);
  CHECK(direct.error().message ==
        "/proc/self/status: on procfs, not a file a config can be read from");
}

TEST_CASE("config read: a real file is read whole, or cut with truncated set") {
  test::TempDir dir;
  dir.file("/etc/a.conf", std::string(100, 'x'));
  UniqueFd root = root_of(dir.str());
  auto whole = read_config_in_root(root.get(), "/etc/a.conf", 100);
  REQUIRE(whole);
  CHECK(whole->text.size() == 100);
  CHECK_FALSE(whole->truncated);

  auto cut = read_config_in_root(root.get(), "etc/a.conf", 99);
  REQUIRE(cut);
  CHECK(cut->text == std::string(99, 'x'));
  CHECK(cut->truncated);

  auto missing = read_config_in_root(root.get(), "/etc/none.conf", 99);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().errnum == ENOENT);
}

// The root's own /proc is not the host's: a link to /proc/kmsg inside a root
// names <root>/proc/kmsg, and a FIFO there is not a file.
TEST_CASE("config read: links stay in the root, and a FIFO is refused") {
  test::TempDir dir;
  dir.file("/proc/kmsg", "mode: ipvs\n");
  std::filesystem::create_directories(dir.str() + "/var/lib");
  std::filesystem::create_symlink("/proc/kmsg", dir.str() + "/var/lib/config.conf");
  REQUIRE(::mkfifo((dir.str() + "/fifo").c_str(), 0600) == 0);
  UniqueFd root = root_of(dir.str());

  auto via_link = read_config_in_root(root.get(), "/var/lib/config.conf", 4096);
  REQUIRE(via_link);
  CHECK(via_link->text == "mode: ipvs\n");

  auto fifo = read_config_in_root(root.get(), "/fifo", 4096);
  REQUIRE_FALSE(fifo);
  CHECK(fifo.error().message == "/fifo: a FIFO, not a regular file");
}

}  // namespace iptmode
