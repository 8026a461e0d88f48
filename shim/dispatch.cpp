#include "shim/dispatch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "shim/backend.h"
#include "shim/files.h"
#include "shim/first_call.h"
#include "shim/message.h"
#include "shim/names.h"
#include "shim/version_check.h"

namespace iptmode::shim {
namespace {

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// The directory the shim binary lives in, from the kernel (never from argv
// or the environment).
void own_dir(char* dir, std::size_t cap) {
  ssize_t n = ::readlink("/proc/self/exe", dir, cap - 1);
  if (n <= 0) refuse("/proc/self/exe: %s; /proc must be mounted", std::strerror(errno));
  dir[n] = '\0';
  char* slash = std::strrchr(dir, '/');
  if (!slash) refuse("/proc/self/exe: unexpected \"%s\"", dir);
  if (slash == dir)
    slash[1] = '\0';
  else
    *slash = '\0';
}

Settings load_settings(const Place& at) {
  Settings s;
  const SettingsRead r = read_settings(at.dirfd, s);
  if (r.load == SettingsLoad::untrusted || r.load == SettingsLoad::bad_line) {
    char why[512];
    refusal(r, at.dir, why, sizeof why);
    refuse("%s", why);
  }
  return s;
}

// Off the fast path: the exec failed. A #! script (let through by
// version-check = off) fails with ENOENT, since its interpreter would be
// handed /dev/fd/N, closed on exec: say so, and the fix.
[[noreturn]] void exec_failed(int fd, const char* backend, Mode mode, const char* dir) {
  const int e = errno;
  char head[2] = {};
  if (::pread(fd, head, sizeof head, 0) == 2 && head[0] == '#' && head[1] == '!')
    refuse(
        "%s: exec: %s: it is a #! script, which the shim cannot run from the descriptor it "
        "checked; stage the real xtables-%s-multi (package iptables) there, or set backend-dir in "
        "%s/%s to where it is",
        backend, std::strerror(e), to_string(mode).data(), dir, kSettingsFile);
  refuse("%s: exec: %s; stage a working xtables-%s-multi there", backend, std::strerror(e),
         to_string(mode).data());
}

// Runs the backend `route` picks, as the shim in `dir`; argv[0] is the name
// the backend sees.
[[noreturn]] void dispatch(const NameRoute& route, const char* dir, char** argv, char** envp) {
  const int dirfd = ::open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) refuse("%s: %s", dir, std::strerror(errno));
  struct stat dst {};
  if (::fstat(dirfd, &dst) != 0 || !dir_trusted(dst))
    refuse(
        "%s: the shim's directory must be owned by root and not writable by group or others; "
        "chown root %s && chmod go-w %s",
        dir, dir, dir);
  const Place at{dirfd, dir};
  const Settings settings = load_settings(at);

  State state;
  bool have_state = false;
  Mode mode = Mode::nft;
  if (route.forced) {
    mode = *route.forced;
    have_state = read_state(dirfd, state).load == Load::ok;  // only for the version checks
  } else {
    const StateRead r = read_state(dirfd, state);
    switch (r.load) {
      case Load::ok:
        break;
      case Load::untrusted: {
        char why[512];
        refusal(r, dir, why, sizeof why);
        refuse("%s", why);
      }
      case Load::missing:
      case Load::damaged:
        state = ensure_state(at, settings);
        break;
    }
    have_state = true;
    mode = state.mode;
  }

  char backend[PATH_MAX];
  const char* backend_dir = settings.backend_dir[0] ? settings.backend_dir : dir;
  int n = std::snprintf(backend, sizeof backend, "%s/xtables-%s-multi", backend_dir,
                        to_string(mode).data());
  if (n < 0 || static_cast<std::size_t>(n) >= sizeof backend)
    refuse("%s: backend path too long", backend_dir);

  struct stat self {};
  if (::stat("/proc/self/exe", &self) != 0) refuse("/proc/self/exe: %s", std::strerror(errno));
  // Every directory on the way to the backend is checked like the shim's own
  // (shim/backend.h): whoever could write one could swap what runs.
  const int rootfd = ::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) refuse("/: %s", std::strerror(errno));
  BackendOpen b;
  if (!open_backend(rootfd, backend, mode, dir, &self, b)) refuse("%s", b.why);
  ::close(rootfd);
  const int fd = b.fd;
  const struct stat& bst = b.st;

  check_backend_version(at, backend, fd, bst, mode, have_state ? &state : nullptr,
                        settings.version_check);
  ::close(dirfd);

  // The backend replaces this process: stdin, stdout, stderr, environment
  // and exit status are its own. The fd that was checked is the one run.
  (void)::syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);  // returns only on failure
  exec_failed(fd, backend, mode, dir);
}

// The interpreter form, reached only from the shim's own name: the kernel ran
// a `#!<dir>/iptmode-shim` script and argv[1] is the path it was asked to run.
// Routed as if that path had been argv[0], but only for the names the shim
// answers to, in the shim's own directory (byte for byte, else the same
// directory by device and inode: a bin dir reached through a symlink).
[[noreturn]] void run_script(char** argv, char** envp, const char* dir) {
  const ScriptRoute s = route_script(argv[1], dir);
  bool here = s.same_dir;
  if (s.route.known && !here && s.path_dir.size() < PATH_MAX) {
    char at[PATH_MAX];
    std::memcpy(at, s.path_dir.data(), s.path_dir.size());
    at[s.path_dir.size()] = '\0';
    struct stat a {};
    struct stat b {};
    here =
        ::stat(at, &a) == 0 && ::stat(dir, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  }
  if (!s.route.known || !here)
    refuse(
        "run as the interpreter of \"%s\"; it must be %s/NAME, NAME one of iptables, "
        "iptables-save, iptables-restore, ip6tables, ip6tables-save, ip6tables-restore (or their "
        "-nft/-legacy forms), xtables-nft-multi, xtables-legacy-multi; `iptmode shim install` "
        "writes those scripts",
        argv[1], dir);
  dispatch(s.route, dir, argv + 1, envp);
}

}  // namespace

int run(int argc, char** argv, char** envp) {
  const char* name = argc > 0 && argv[0] ? base_name(argv[0]) : "";
  if (std::strcmp(name, kShimFile) == 0) {
    // A path: the interpreter form. Only here, off the symlink route's way.
    if (argc > 1 && argv[1] && std::strchr(argv[1], '/')) {
      char dir[PATH_MAX];
      own_dir(dir, sizeof dir);
      run_script(argv, envp, dir);
    }
    if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
      std::printf("iptmode-shim %s\n", IPTMODE_VERSION);
      return 0;
    }
    (void)std::fprintf(stderr,
                       "iptmode-shim: install it with `iptmode shim install`; it runs as iptables, "
                       "iptables-save, iptables-restore and their ip6tables twins\n");
    return 2;
  }
  const NameRoute route = route_name(name);
  if (!route.known)
    refuse(
        "called as \"%s\"; only iptables, iptables-save, iptables-restore, ip6tables, "
        "ip6tables-save, "
        "ip6tables-restore (and their -nft/-legacy forms) may link to it",
        name);
  char dir[PATH_MAX];
  own_dir(dir, sizeof dir);
  dispatch(route, dir, argv, envp);
}

}  // namespace iptmode::shim
