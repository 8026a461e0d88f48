// The writing half of shim/files.h: the atomic write and the recorders.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "shim/files.h"
#include "shim/names.h"

namespace iptmode::shim {

bool temp_name(const char* name, char* out, std::size_t cap) {
  const int n = std::snprintf(out, cap, ".%s.tmp.%d", name, static_cast<int>(::getpid()));
  return n >= 0 && n <= NAME_MAX && static_cast<std::size_t>(n) < cap;
}

int write_atomic(int dirfd, const char* name, const char* data, std::size_t len, mode_t mode,
                 const struct timespec* times) {
  char tmp[NAME_MAX + 1];
  if (!temp_name(name, tmp, sizeof tmp)) return ENAMETOOLONG;

  // A stale temporary from a crashed writer with our pid is ours to replace.
  ::unlinkat(dirfd, tmp, 0);
  int fd = ::openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return errno;
  int err = 0;
  std::size_t done = 0;
  while (done < len && !err) {
    ssize_t w = ::write(fd, data + done, len - done);
    if (w < 0 && errno != EINTR) err = errno;
    if (w > 0) done += static_cast<std::size_t>(w);
  }
  // The mode asked for, whatever the umask made of it.
  if (!err && ::fchmod(fd, mode) != 0) err = errno;
  if (!err && times != nullptr && ::futimens(fd, times) != 0) err = errno;
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (!err && ::renameat(dirfd, tmp, dirfd, name) != 0) err = errno;
  if (err) {
    ::unlinkat(dirfd, tmp, 0);
    return err;
  }
  (void)::fsync(dirfd);  // the rename is done; a lost directory sync cannot be undone here
  return 0;
}

SettingsWrite write_settings(int dirfd, const Settings& s, int* err) {
  char text[kSettingsMax];
  const std::size_t len = format_settings(s, text, sizeof text);
  // What the shim would read back must be what was meant.
  Settings back;
  if (len == 0 || !parse_settings(std::string_view(text, len), back, nullptr) || !(back == s))
    return SettingsWrite::unreadable_back;
  char old[kSettingsMax];
  std::size_t old_len = 0;
  if (read_trusted(dirfd, kSettingsFile, old, sizeof old, &old_len) == Trust::ok &&
      std::string_view(old, old_len) == std::string_view(text, len))
    return SettingsWrite::unchanged;
  if (int e = write_atomic(dirfd, kSettingsFile, text, len, 0644)) {
    if (err) *err = e;
    return SettingsWrite::failed;
  }
  return SettingsWrite::written;
}

int write_state(int dirfd, const StateLock&, const State& s) {
  char buf[kStateMax];
  const std::size_t len = format_state(s, buf, sizeof buf);
  if (len == 0) return EOVERFLOW;
  return write_atomic(dirfd, kStateFile, buf, len, 0644);
}

int record_decision(int dirfd, const StateLock& held, State s) {
  State old;
  if (read_state(dirfd, old).load == Load::ok) {
    s.cache[0] = old.cache[0];
    s.cache[1] = old.cache[1];
  }
  return write_state(dirfd, held, s);
}

int record_cache(int dirfd, const StateLock& held, Mode mode, const CacheEntry& entry) {
  State s;
  if (read_state(dirfd, s).load != Load::ok) return ENOENT;
  s.cache[cache_index(mode)] = entry;
  return write_state(dirfd, held, s);
}

}  // namespace iptmode::shim
