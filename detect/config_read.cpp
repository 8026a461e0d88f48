#include "detect/config_read.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "detect/file_read.h"
#include "detect/in_root.h"

namespace iptmode {
namespace {

// Not every magic is in every linux/magic.h.
constexpr long kConfigfsMagic = 0x62656570;
constexpr long kFusectlMagic = 0x65735543;

}  // namespace

std::string_view pseudo_filesystem(long f_type) {
  static constexpr std::pair<long, std::string_view> kPseudo[] = {
      {PROC_SUPER_MAGIC, "procfs"},     {SYSFS_MAGIC, "sysfs"},
      {DEBUGFS_MAGIC, "debugfs"},       {TRACEFS_MAGIC, "tracefs"},
      {SECURITYFS_MAGIC, "securityfs"}, {CGROUP_SUPER_MAGIC, "cgroup"},
      {CGROUP2_SUPER_MAGIC, "cgroup2"}, {BPF_FS_MAGIC, "bpf"},
      {PSTOREFS_MAGIC, "pstore"},       {EFIVARFS_MAGIC, "efivarfs"},
      {SELINUX_MAGIC, "selinuxfs"},     {SMACK_MAGIC, "smackfs"},
      {DEVPTS_SUPER_MAGIC, "devpts"},   {NSFS_MAGIC, "nsfs"},
      {BINFMTFS_MAGIC, "binfmt_misc"},  {kConfigfsMagic, "configfs"},
      {kFusectlMagic, "fusectl"},
  };
  for (const auto& [magic, name] : kPseudo)
    if (magic == f_type) return name;
  return "";
}

Result<ConfigText> read_config_fd(int fd, const std::string& name, std::size_t limit) {
  ConfigText out;
  char buf[16384];
  // One byte past the limit tells a file of exactly `limit` bytes from a longer one.
  while (out.text.size() <= limit) {
    const std::size_t want = std::min(sizeof buf, limit + 1 - out.text.size());
    ssize_t n = ::read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_fail(name);
    }
    if (n == 0) break;
    out.text.append(buf, static_cast<std::size_t>(n));
  }
  if (out.text.size() > limit) {
    out.text.resize(limit);
    out.truncated = true;
  }
  return out;
}

namespace {

// The filesystem is checked on the O_PATH descriptor, before the open: opening
// some kernel files acts already.
Result<ConfigText> read_opened(UniqueFd path_fd, const std::string& name, std::size_t limit) {
  struct statfs fs {};
  if (::fstatfs(path_fd.get(), &fs) != 0) return errno_fail(name);
  if (auto pseudo = pseudo_filesystem(static_cast<long>(fs.f_type)); !pseudo.empty())
    return fail(fmt::format("{}: on {}, not a file a config can be read from", name, pseudo),
                EINVAL);
  auto fd = reopen_regular(std::move(path_fd), name);
  if (!fd) return std::unexpected(fd.error());
  return read_config_fd(fd->get(), name, limit);
}

}  // namespace

Result<ConfigText> read_config_in_root(int root_fd, std::string_view path, std::size_t limit,
                                       Budget* budget) {
  auto resolved = resolve_in_root(root_fd, path, budget);
  if (!resolved) return std::unexpected(resolved.error());
  auto path_fd = open_path_in_root(root_fd, resolved->path);
  if (!path_fd) return std::unexpected(path_fd.error());
  return read_opened(std::move(*path_fd), std::string(path), limit);
}

Result<ConfigText> read_config_path(const std::string& path, std::size_t limit) {
  UniqueFd path_fd(::open(path.c_str(), O_PATH | O_CLOEXEC));
  if (!path_fd) return errno_fail(path);
  return read_opened(std::move(path_fd), path, limit);
}

}  // namespace iptmode
