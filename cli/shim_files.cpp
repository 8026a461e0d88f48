#include "cli/shim_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "detect/file_read.h"
#include "shim/atomic_write.h"
#include "shim/names.h"
#include "shim/trusted_file.h"

namespace iptmode::cli {
namespace {

std::unexpected<Error> sys_error(const std::string& what) {
  int e = errno;
  return fail(fmt::format("{}: {}", what, std::strerror(e)), e);
}

}  // namespace

shim::State state_for(const Evidence& ev, const Decision& d) {
  shim::State s;
  s.mode = d.mode;
  const std::string_view rule = to_string(d.rule);
  std::memcpy(s.rule, rule.data(), std::min(rule.size(), sizeof s.rule - 1));
  for (const auto& c : ev.components) {
    const auto& info = c.iptables.info;
    if (!info || info->mode != Mode::nft || !info->version) continue;
    if (!s.has_nft_writer || s.nft_writer < *info->version) s.nft_writer = *info->version;
    s.has_nft_writer = true;
  }
  return s;
}

std::string format(const shim::State& s) {
  char buf[shim::kStateMax];
  const std::size_t n = shim::format_state(s, buf, sizeof buf);
  return std::string(buf, n);
}

Result<UniqueFd> open_bin_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) {
    int e = errno;
    return fail(fmt::format("{}: {}{}", dir, std::strerror(e),
                            e == ENOENT ? " (is k0s installed here? pass --bin-dir)" : ""),
                e);
  }
  return fd;
}

Result<ShimLock> ShimLock::take(int dirfd, const std::string& dir) {
  UniqueFd fd(::openat(dirfd, shim::kLockFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return sys_error(fmt::format("{}/{}", dir, shim::kLockFile));
  while (::flock(fd.get(), LOCK_EX) != 0)
    if (errno != EINTR) return sys_error(fmt::format("{}/{}: lock", dir, shim::kLockFile));
  return ShimLock(std::move(fd));
}

std::optional<shim::State> read_state(int dirfd) {
  char buf[shim::kStateMax];
  std::size_t len = 0;
  if (shim::read_trusted(dirfd, shim::kStateFile, buf, sizeof buf, &len) != shim::Trust::ok)
    return std::nullopt;
  shim::State s;
  if (shim::parse_state(std::string_view(buf, len), s) != shim::StateError::none)
    return std::nullopt;
  return s;
}

Result<void> write_state(int dirfd, const std::string& dir, shim::State s) {
  auto lock = ShimLock::take(dirfd, dir);
  if (!lock) return std::unexpected(lock.error());
  if (auto old = read_state(dirfd)) {
    s.cache[0] = old->cache[0];
    s.cache[1] = old->cache[1];
  }
  const std::string text = format(s);
  if (int err = shim::write_atomic(dirfd, shim::kStateFile, text.data(), text.size(), 0644))
    return fail(fmt::format("{}/{}: {}", dir, shim::kStateFile, std::strerror(err)), err);
  return {};
}

std::optional<std::string> link_target(int dirfd, const std::string& name) {
  char buf[4096];
  ssize_t n = ::readlinkat(dirfd, name.c_str(), buf, sizeof buf);
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) return std::nullopt;
  return std::string(buf, static_cast<std::size_t>(n));
}

Result<bool> replace_link(int dirfd, const std::string& dir, const std::string& name,
                          const std::string& target) {
  if (link_target(dirfd, name) == target) return false;
  const std::string tmp = fmt::format(".{}.iptmode-new.{}", name, ::getpid());
  ::unlinkat(dirfd, tmp.c_str(), 0);
  if (::symlinkat(target.c_str(), dirfd, tmp.c_str()) != 0)
    return sys_error(fmt::format("{}/{}", dir, tmp));
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    auto err = sys_error(fmt::format("{}/{}", dir, name));
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return err;
  }
  return true;
}

Result<shim::Settings> read_settings(int dirfd, const std::string& dir) {
  char buf[shim::kSettingsMax];
  std::size_t len = 0;
  const auto t = shim::read_trusted(dirfd, shim::kSettingsFile, buf, sizeof buf, &len);
  if (t == shim::Trust::missing) return shim::default_settings();
  if (t != shim::Trust::ok)
    return fail(fmt::format("{}/{}: {}; {}", dir, shim::kSettingsFile, shim::describe(t),
                            shim::fix_for(t)));
  shim::Settings s;
  int bad = 0;
  if (!shim::parse_settings(std::string_view(buf, len), s, &bad))
    return fail(fmt::format("{}/{}:{}: not understood (keys: detector, backend-dir, version-check)",
                            dir, shim::kSettingsFile, bad));
  return s;
}

Result<void> write_settings(int dirfd, const std::string& dir, const shim::Settings& s) {
  std::string text = fmt::format(
      "# iptmode-shim settings, written by `iptmode shim install`.\n"
      "# The detector the shim runs when no decision is recorded yet.\n"
      "detector = {}\n",
      s.detector);
  if (s.backend_dir[0])
    text += fmt::format("# Where xtables-<mode>-multi live.\nbackend-dir = {}\n", s.backend_dir);
  text += fmt::format("# warn | enforce | off\nversion-check = {}\n", to_string(s.version_check));
  // What the shim would read back must be what was meant: a path it would
  // refuse ("..") or cut ("#", over 255 bytes) is refused here instead.
  shim::Settings back;
  if (!shim::parse_settings(text, back, nullptr) || std::strcmp(back.detector, s.detector) != 0 ||
      std::strcmp(back.backend_dir, s.backend_dir) != 0 || back.version_check != s.version_check)
    return fail(
        fmt::format("{}/{}: the shim could not read these settings back (detector \"{}\", "
                    "backend-dir \"{}\"): use absolute paths without \"..\" or \"#\"",
                    dir, shim::kSettingsFile, s.detector, s.backend_dir));
  // Unchanged settings are not rewritten: `shim watch` would see its own write.
  if (auto old = read_file_bounded(dirfd, shim::kSettingsFile, shim::kSettingsMax);
      old && *old == text)
    return {};
  if (int err = shim::write_atomic(dirfd, shim::kSettingsFile, text.data(), text.size(), 0644))
    return fail(fmt::format("{}/{}: {}", dir, shim::kSettingsFile, std::strerror(err)), err);
  return {};
}

}  // namespace iptmode::cli
