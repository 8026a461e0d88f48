#include "shim/atomic_write.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace iptmode::shim {

int write_atomic(int dirfd, const char* name, const char* data, std::size_t len, mode_t mode) {
  char tmp[320];
  int n = std::snprintf(tmp, sizeof tmp, ".%s.tmp.%d", name, static_cast<int>(::getpid()));
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof tmp) return ENAMETOOLONG;

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

}  // namespace iptmode::shim
