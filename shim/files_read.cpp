// The reading half of shim/files.h: the trust checks and the two readers.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "shim/files.h"
#include "shim/names.h"

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

bool dir_trusted(const struct stat& st) {
  return S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & (S_IWGRP | S_IWOTH));
}

Trust read_trusted(int dirfd, const char* name, char* buf, std::size_t cap, std::size_t* len) {
  *len = 0;
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

const char* StateRead::why() const {
  return load == Load::damaged && trust == Trust::ok ? describe(error) : describe(trust);
}

const char* StateRead::fix() const {
  return load == Load::untrusted ? fix_for(trust) : "remove it and run `iptmode detect --write`";
}

StateRead read_state(int dirfd, State& out) {
  char buf[kStateMax];
  std::size_t len = 0;
  StateRead r;
  r.trust = read_trusted(dirfd, kStateFile, buf, sizeof buf, &len);
  switch (r.trust) {
    case Trust::missing:
      r.load = Load::missing;
      return r;
    case Trust::not_root:
    case Trust::writable:
    case Trust::not_regular:
      r.load = Load::untrusted;
      return r;
    case Trust::too_large:
    case Trust::io:
      r.load = Load::damaged;
      return r;
    case Trust::ok:
      break;
  }
  r.error = parse_state(std::string_view(buf, len), out);
  r.load = r.error == StateError::none ? Load::ok : Load::damaged;
  return r;
}

SettingsRead read_settings(int dirfd, Settings& out) {
  char buf[kSettingsMax];
  std::size_t len = 0;
  SettingsRead r;
  r.trust = read_trusted(dirfd, kSettingsFile, buf, sizeof buf, &len);
  if (r.trust == Trust::missing) {
    out = default_settings();
    r.load = SettingsLoad::defaults;
    return r;
  }
  if (r.trust != Trust::ok) {
    r.load = SettingsLoad::untrusted;
    return r;
  }
  r.load = parse_settings(std::string_view(buf, len), out, &r.bad_line) ? SettingsLoad::ok
                                                                        : SettingsLoad::bad_line;
  return r;
}

void refusal(const StateRead& r, const char* dir, char* out, std::size_t cap) {
  (void)std::snprintf(out, cap, "%s/%s: %s; %s", dir, kStateFile, r.why(), r.fix());
}

void refusal(const SettingsRead& r, const char* dir, char* out, std::size_t cap) {
  if (r.load == SettingsLoad::bad_line)
    (void)std::snprintf(out, cap,
                        "%s/%s:%d: not understood (keys: detector, backend-dir, version-check, "
                        "detector-timeout); fix it, or remove the file for the defaults",
                        dir, kSettingsFile, r.bad_line);
  else
    (void)std::snprintf(out, cap, "%s/%s: %s; %s", dir, kSettingsFile, describe(r.trust),
                        fix_for(r.trust));
}

}  // namespace iptmode::shim
