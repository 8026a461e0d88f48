#include "shim/backend.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "core/file_type.h"
#include "shim/files.h"
#include "shim/names.h"

namespace iptmode::shim {
namespace {

constexpr int kMaxLinks = 40;  // as the kernel's own resolution

// printf into a fixed buffer; what does not fit is cut (a message stays one
// line, a shown path is only shown).
[[gnu::format(printf, 3, 4)]] void say(char* out, std::size_t cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  (void)std::vsnprintf(out, cap, fmt, ap);
  va_end(ap);
}

enum class DirTrust { ok, sticky, no };

// The shim's own directory's check (dir_trusted), or a sticky directory
// root owns (/tmp): there only an entry's owner may rename or remove it, so
// the walk goes on only through root's entries.
DirTrust dir_trust(const struct stat& st) {
  if (dir_trusted(st)) return DirTrust::ok;
  if (S_ISDIR(st.st_mode) && st.st_uid == 0 && (st.st_mode & S_ISVTX)) return DirTrust::sticky;
  return DirTrust::no;
}

struct Walk {
  int rootfd;
  struct stat root {};
  int cur = -1;              // O_PATH descriptor of the directory the walk stands in
  bool sticky = false;       // cur is sticky and writable by others: its entries must be root's
  char at[PATH_MAX] = {};    // cur's path as walked, for messages
  char rest[PATH_MAX] = {};  // what is left to walk
  int links = 0;
  Walk(const Walk&) = delete;
  Walk& operator=(const Walk&) = delete;
  explicit Walk(int r) : rootfd(r) {}
  ~Walk() {
    if (cur >= 0) ::close(cur);
  }
  void stand(int fd, bool is_sticky) {
    if (cur >= 0) ::close(cur);
    cur = fd;
    sticky = is_sticky;
  }
};

// What the walk reached: the final component's name in `w.cur`, and its stat.
struct Reached {
  char name[NAME_MAX + 1] = {};
  struct stat st {};
};

bool bad_dir(const char* path, char* why, std::size_t cap) {
  say(why, cap,
      "%s: a directory on the way there that is not root's, or that group or others can write: "
      "they could swap what runs as iptables; chown root %s && chmod go-w %s",
      path, path, path);
  return false;
}

bool start(Walk& w, char* why, std::size_t cap) {
  const int fd = ::openat(w.rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || ::fstat(fd, &w.root) != 0) {
    say(why, cap, "/: %s; mount the root filesystem", std::strerror(errno));
    if (fd >= 0) ::close(fd);
    return false;
  }
  w.stand(fd, false);
  w.at[0] = '\0';
  if (dir_trust(w.root) != DirTrust::ok) return bad_dir("/", why, cap);
  return true;
}

// Follows the symlink `name` in w.cur: its target is walked next, from the
// root when it is absolute.
bool follow(Walk& w, const char* name, const char* tail, const char* shown, char* why,
            std::size_t cap) {
  char link[PATH_MAX];
  const ssize_t n = ::readlinkat(w.cur, name, link, sizeof link);
  if (++w.links > kMaxLinks || n <= 0 || static_cast<std::size_t>(n) >= sizeof link) {
    say(why, cap, "%s: %s; link the backend by a shorter chain", shown,
        n < 0 ? std::strerror(errno) : std::strerror(ELOOP));
    return false;
  }
  link[n] = '\0';
  char next[PATH_MAX];
  const int m = std::snprintf(next, sizeof next, "%s/%s", link, tail);
  if (m < 0 || static_cast<std::size_t>(m) >= sizeof next) {
    say(why, cap, "%s: %s; link the backend by a shorter path", shown, std::strerror(ENAMETOOLONG));
    return false;
  }
  std::memcpy(w.rest, next, static_cast<std::size_t>(m) + 1);
  if (link[0] == '/') {
    const int fd = ::openat(w.rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      say(why, cap, "/: %s", std::strerror(errno));
      return false;
    }
    w.stand(fd, false);
    w.at[0] = '\0';
  }
  return true;
}

// Steps into the directory `name` (already stat'ed as `st`, open as `fd`).
bool enter(Walk& w, int fd, const struct stat& st, const char* shown, char* why, std::size_t cap) {
  const DirTrust t = dir_trust(st);
  if (t == DirTrust::no) {
    ::close(fd);
    return bad_dir(shown, why, cap);
  }
  w.stand(fd, t == DirTrust::sticky);
  // The root is "" so that its entries show as "/name".
  say(w.at, sizeof w.at, "%s", std::strcmp(shown, "/") == 0 ? "" : shown);
  return true;
}

// Walks `path`, checking each directory on the way. With `want_file`, stops
// before opening the last component (`out`); without, the last is a
// directory and w.cur is it.
bool walk(Walk& w, const char* path, bool want_file, Reached& out, bool* missing, char* why,
          std::size_t cap) {
  if (!start(w, why, cap)) return false;
  say(w.rest, sizeof w.rest, "%s", path);
  for (;;) {
    const char* p = w.rest;
    while (*p == '/') ++p;
    const std::size_t len = std::strcspn(p, "/");
    if (len == 0) return !want_file;  // a file path never ends in "/" (settings refuse it)
    char name[NAME_MAX + 1];
    if (len > NAME_MAX) {
      say(why, cap, "%s: %s", path, std::strerror(ENAMETOOLONG));
      return false;
    }
    std::memcpy(name, p, len);
    name[len] = '\0';
    const char* tail = p + len;
    while (*tail == '/') ++tail;
    char tail_copy[PATH_MAX];
    say(tail_copy, sizeof tail_copy, "%s", tail);
    std::memmove(w.rest, tail_copy, std::strlen(tail_copy) + 1);
    const bool last = w.rest[0] == '\0';
    if (std::strcmp(name, ".") == 0) continue;
    char shown[PATH_MAX];
    say(shown, sizeof shown, "%s/%s", w.at, name);
    const bool dotdot = std::strcmp(name, "..") == 0;
    struct stat cst {};
    if (dotdot && ::fstat(w.cur, &cst) == 0 && cst.st_dev == w.root.st_dev &&
        cst.st_ino == w.root.st_ino)
      continue;  // ".." stops at the root
    const int fd = ::openat(w.cur, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      const int e = errno;
      if (fd >= 0) ::close(fd);
      if (missing) *missing = e == ENOENT;
      say(why, cap, "%s: %s", shown, std::strerror(e));
      return false;
    }
    if (w.sticky && !dotdot && st.st_uid != 0) {
      ::close(fd);
      say(why, cap,
          "%s: not root's, in %s, a sticky directory others can write, so its "
          "owner could swap what runs as iptables; chown root %s",
          shown, w.at[0] ? w.at : "/", shown);
      return false;
    }
    if (S_ISLNK(st.st_mode)) {
      ::close(fd);
      if (!follow(w, name, w.rest, shown, why, cap)) return false;
      continue;
    }
    if (last && want_file) {
      ::close(fd);
      std::memcpy(out.name, name, len + 1);
      out.st = st;
      say(w.at, sizeof w.at, "%s", shown);  // now the file's path
      return true;
    }
    if (!S_ISDIR(st.st_mode)) {
      ::close(fd);
      say(why, cap, "%s: %s, not a directory", shown, describe_type(st.st_mode).data());
      return false;
    }
    if (dotdot) {
      const char* slash = std::strrchr(w.at, '/');
      say(shown, sizeof shown, "%.*s", slash ? static_cast<int>(slash - w.at) : 0, w.at);
    }
    if (!enter(w, fd, st, shown[0] ? shown : "/", why, cap)) return false;
  }
}

void add_fix(char* why, std::size_t cap, Mode mode, const char* bin_dir) {
  const std::size_t used = std::strlen(why);
  if (used + 1 >= cap) return;
  say(why + used, cap - used, "; stage xtables-%s-multi there, or set backend-dir in %s/%s",
      to_string(mode).data(), bin_dir, kSettingsFile);
}

}  // namespace

bool open_backend(int rootfd, const char* backend, Mode mode, const char* bin_dir,
                  const struct stat* shim, BackendOpen& out) {
  Walk w(rootfd);
  Reached r;
  out.missing = false;
  char why[kWhyMax];
  if (!walk(w, backend, true, r, &out.missing, why, sizeof why)) {
    // Named by the backend first, then where the walk stopped (a directory
    // above it, or where a link led).
    const std::size_t n = std::strlen(backend);
    if (std::strncmp(why, backend, n) == 0 && why[n] == ':')
      say(out.why, sizeof out.why, "%s", why);
    else
      say(out.why, sizeof out.why, "%s: %s", backend, why);
    if (!std::strstr(out.why, "; ")) add_fix(out.why, sizeof out.why, mode, bin_dir);
    return false;
  }
  // Named as configured, and where links led when they did.
  char file[2 * PATH_MAX + 8];
  if (std::strcmp(w.at, backend) == 0)
    say(file, sizeof file, "%s", backend);
  else
    say(file, sizeof file, "%s (-> %s)", backend, w.at);
  // The type before any open for reading: a FIFO could block, a device act.
  if (!S_ISREG(r.st.st_mode)) {
    say(out.why, sizeof out.why, "%s: %s, not a regular file", file,
        describe_type(r.st.st_mode).data());
    add_fix(out.why, sizeof out.why, mode, bin_dir);
    return false;
  }
  out.fd = ::openat(w.cur, r.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (out.fd < 0) {
    say(out.why, sizeof out.why, "%s: %s", file, std::strerror(errno));
    add_fix(out.why, sizeof out.why, mode, bin_dir);
    return false;
  }
  if (const Trust t = check_trusted(out.fd, &out.st); t != Trust::ok) {
    say(out.why, sizeof out.why, "%s: %s; %s", file, describe(t), fix_for(t));
    return false;
  }
  if (shim && shim->st_dev == out.st.st_dev && shim->st_ino == out.st.st_ino) {
    say(out.why, sizeof out.why,
        "%s is the shim itself; set backend-dir in %s/%s to where the real "
        "xtables binaries are",
        file, bin_dir, kSettingsFile);
    return false;
  }
  return true;
}

bool backend_dir_trusted(int rootfd, const char* dir, char* why, std::size_t cap, bool* missing) {
  Walk w(rootfd);
  Reached unused;
  *missing = false;
  return walk(w, dir, false, unused, missing, why, cap);
}

bool backend_bytes_ok(const BinaryInfo& info, Mode mode, const char* backend, const char* bin_dir,
                      char* why, std::size_t cap) {
  const char* m = to_string(mode).data();
  if (info.mode == mode &&
      (info.kind == BinaryKind::xtables_nft_multi || info.kind == BinaryKind::xtables_legacy_multi))
    return true;
  if (info.mode)
    // A legacy binary staged under the nft name (or the reverse) would run
    // the other backend behind everyone's back.
    say(why, cap, "%s is an iptables-%s binary, not %s; stage the right xtables binary there",
        backend, to_string(*info.mode).data(), m);
  else if (info.script)
    say(why, cap,
        "%s is a #! script, not an xtables binary: the shim runs the backend by "
        "the descriptor it checked, which no script can be run from, and does the "
        "wrapper's job itself; stage the real xtables-%s-multi (package iptables) "
        "there, or set backend-dir in %s/%s to where it is",
        backend, m, bin_dir, kSettingsFile);
  else
    say(why, cap,
        "%s is not an xtables-%s-multi binary: its bytes name no xtables build "
        "(%s); stage the real one there, or set version-check = off in %s/%s if "
        "it is one",
        backend, m,
        info.kind == BinaryKind::iptables_wrapper ? "an iptables wrapper" : "another program",
        bin_dir, kSettingsFile);
  return false;
}

}  // namespace iptmode::shim
