#include "shim/trusted_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace iptmode::shim {

Trust check_trusted(int fd, struct stat* st_out) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Trust::io;
  if (st_out) *st_out = st;
  if (!S_ISREG(st.st_mode)) return Trust::not_regular;
  if (st.st_uid != 0) return Trust::not_root;
  if (st.st_mode & (S_IWGRP | S_IWOTH)) return Trust::writable;
  return Trust::ok;
}

Trust read_trusted(int dirfd, const char* name, char* buf, std::size_t cap, std::size_t* len) {
  int fd = ::openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return errno == ENOENT ? Trust::missing : (errno == ELOOP ? Trust::not_regular : Trust::io);
  Trust t = check_trusted(fd);
  std::size_t got = 0;
  while (t == Trust::ok) {
    if (got == cap) {
      // One byte more than the cap says the file is larger than allowed.
      char extra;
      ssize_t n = ::read(fd, &extra, 1);
      if (n > 0) t = Trust::too_large;
      break;
    }
    ssize_t n = ::read(fd, buf + got, cap - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      t = Trust::io;
      break;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  *len = got;
  return t;
}

const char* describe(Trust t) {
  switch (t) {
    case Trust::ok:
      return "trusted";
    case Trust::missing:
      return "missing";
    case Trust::not_regular:
      return "not a regular file";
    case Trust::not_root:
      return "not owned by root";
    case Trust::writable:
      return "writable by group or others";
    case Trust::too_large:
      return "too large";
    case Trust::io:
      return "unreadable";
  }
  return "unreadable";
}

const char* fix_for(Trust t) {
  switch (t) {
    case Trust::not_root:
      return "chown root:root it, or remove it";
    case Trust::writable:
      return "chmod go-w it";
    case Trust::not_regular:
      return "replace it with a regular file";
    default:
      return "remove it and run `iptmode detect --write`";
  }
}

}  // namespace iptmode::shim
