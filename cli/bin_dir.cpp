#include "cli/bin_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <fmt/format.h>

#include "shim/files.h"
#include "shim/names.h"

namespace iptmode::cli {

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

Result<shim::Settings> load_settings(int dirfd, const std::string& dir) {
  shim::Settings s;
  const shim::SettingsRead r = shim::read_settings(dirfd, s);
  if (r.load == shim::SettingsLoad::ok || r.load == shim::SettingsLoad::defaults) return s;
  char why[512];
  shim::refusal(r, dir.c_str(), why, sizeof why);
  return fail(why);
}

Result<void> store_settings(int dirfd, const std::string& dir, const shim::Settings& s) {
  int err = 0;
  switch (shim::write_settings(dirfd, s, &err)) {
    case shim::SettingsWrite::written:
    case shim::SettingsWrite::unchanged:
      return {};
    case shim::SettingsWrite::unreadable_back:
      return fail(
          fmt::format("{}/{}: the shim could not read these settings back (detector \"{}\", "
                      "backend-dir \"{}\"): use absolute paths without \"..\" or \"#\"",
                      dir, shim::kSettingsFile, s.detector, s.backend_dir));
    case shim::SettingsWrite::failed:
      break;
  }
  return sys_fail(fmt::format("{}/{}", dir, shim::kSettingsFile), err);
}

Result<std::optional<shim::State>> load_state(int dirfd, const std::string& dir) {
  shim::State s;
  const shim::StateRead r = shim::read_state(dirfd, s);
  if (r.load == shim::Load::ok) return s;
  if (r.load != shim::Load::untrusted) return std::nullopt;
  char why[512];
  shim::refusal(r, dir.c_str(), why, sizeof why);
  return fail(why);
}

Result<void> store_decision(int dirfd, const std::string& dir, const shim::State& s) {
  shim::StateLock lock;
  const std::string lock_path = fmt::format("{}/{}", dir, shim::kLockFile);
  switch (lock.take(dirfd, shim::lock_wait_ms(shim::default_settings()))) {
    case shim::LockStatus::ok:
      break;
    case shim::LockStatus::timed_out:
      return fail(
          fmt::format("{}: still held by pid {} ({}); a caller is stopped or stuck in "
                      "detection: resume or kill it, then run this again",
                      lock_path, lock.holder(), lock.holder_name()));
    case shim::LockStatus::read_only:
    case shim::LockStatus::failed:
      return sys_fail(lock_path, lock.error());
  }
  if (int err = shim::record_decision(dirfd, lock, s))
    return sys_fail(fmt::format("{}/{}", dir, shim::kStateFile), err);
  return {};
}

std::optional<std::string> link_target(int dirfd, const std::string& name) {
  auto t = read_link_at(dirfd, name);
  if (!t) return std::nullopt;
  return *t;
}

Result<std::string> temp_name(const std::string& name) {
  char tmp[NAME_MAX + 1];
  if (!shim::temp_name(name.c_str(), tmp, sizeof tmp)) return sys_fail(name, ENAMETOOLONG);
  return std::string(tmp);
}

Result<bool> replace_link(int dirfd, const std::string& dir, const std::string& name,
                          const std::string& target) {
  if (link_target(dirfd, name) == target) return false;
  auto tmp_name = temp_name(name);
  if (!tmp_name) return std::unexpected(tmp_name.error());
  const std::string& tmp = *tmp_name;
  ::unlinkat(dirfd, tmp.c_str(), 0);
  if (::symlinkat(target.c_str(), dirfd, tmp.c_str()) != 0)
    return errno_fail(fmt::format("{}/{}", dir, tmp));
  if (::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) != 0) {
    auto err = errno_fail(fmt::format("{}/{}", dir, name));
    ::unlinkat(dirfd, tmp.c_str(), 0);
    return err;
  }
  return true;
}

}  // namespace iptmode::cli
