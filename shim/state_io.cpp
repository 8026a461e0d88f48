#include "shim/state_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "shim/atomic_write.h"
#include "shim/message.h"
#include "shim/names.h"

namespace iptmode::shim {
namespace {

constexpr unsigned kDetectorSeconds = 30;

class Lock {
 public:
  explicit Lock(const Place& at) {
    fd_ = ::openat(at.dirfd, kLockFile, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd_ < 0)
      refuse("%s/%s: %s; the shim's directory must be writable by root", at.dir, kLockFile,
             std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) refuse("%s/%s: lock: %s", at.dir, kLockFile, std::strerror(errno));
    }
  }
  ~Lock() { ::close(fd_); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  int fd_ = -1;
};

// Runs the detector with stdout into `buf`; its stderr stays the caller's.
// Returns the bytes read, or -1 when it did not exit 0.
long run_detector(const Place& at, const char* detector, char* buf, std::size_t cap) {
  int fd = ::open(detector, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    refuse("%s/%s: missing, and the detector %s: %s; run `iptmode detect --write --bin-dir %s`",
           at.dir, kStateFile, detector, std::strerror(errno), at.dir);
  // The fd that was checked is the one run (execveat below), as for the backend.
  Trust t = check_trusted(fd);
  if (t != Trust::ok) refuse("%s: %s; %s", detector, describe(t), fix_for(t));

  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) refuse("pipe: %s", std::strerror(errno));
  // A caller that ignores SIGCHLD would have the kernel reap the detector,
  // and its exit status would be lost: take the default for the wait, and
  // give the caller's back before the backend inherits it.
  struct sigaction dfl {
  }, saved{};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, &saved);
  pid_t pid = ::fork();
  if (pid < 0) refuse("fork: %s", std::strerror(errno));
  if (pid == 0) {
    // Output that missed the pipe would land in the caller's iptables-save.
    if (::dup2(pipefd[1], STDOUT_FILENO) < 0) ::_exit(126);
    // The caller's stdin is the backend's (iptables-restore's rules), not ours to hand on.
    int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, STDIN_FILENO) < 0) ::_exit(126);
    // Every iptables call waits on the lock it holds: a hung detector must end.
    ::alarm(kDetectorSeconds);
    // The detector needs nothing from the caller's environment.
    char arg0[] = "iptmode", arg1[] = "detect", arg2[] = "--print-state";
    char* argv[] = {arg0, arg1, arg2, nullptr};
    char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {env0, nullptr};
    // A #! detector is run through /dev/fd/N: the fd must survive the exec.
    ::fcntl(fd, F_SETFD, 0);
    (void)::syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH);
    ::_exit(127);
  }
  ::close(pipefd[1]);
  ::close(fd);
  std::size_t got = 0;
  bool overflow = false;
  for (;;) {
    char* dst = got < cap ? buf + got : nullptr;
    char sink[512];
    ssize_t n = dst ? ::read(pipefd[0], dst, cap - got) : ::read(pipefd[0], sink, sizeof sink);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (dst)
      got += static_cast<std::size_t>(n);
    else
      overflow = true;
  }
  ::close(pipefd[0]);
  int status = 0;
  pid_t waited;
  while ((waited = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  ::sigaction(SIGCHLD, &saved, nullptr);
  if (waited != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || overflow) return -1;
  return static_cast<long>(got);
}

}  // namespace

Load load_state(const Place& at, State& out, Trust* trust) {
  char buf[kStateMax];
  std::size_t len = 0;
  Trust t = read_trusted(at.dirfd, kStateFile, buf, sizeof buf, &len);
  if (trust) *trust = t;
  if (t == Trust::missing) return Load::missing;
  if (t == Trust::not_root || t == Trust::writable || t == Trust::not_regular)
    return Load::untrusted;
  if (t != Trust::ok) return Load::damaged;
  return parse_state(std::string_view(buf, len), out) == StateError::none ? Load::ok
                                                                          : Load::damaged;
}

State ensure_state(const Place& at, const Settings& settings) {
  Lock lock(at);
  State s;
  Trust trust = Trust::ok;
  switch (load_state(at, s, &trust)) {
    case Load::ok:
      return s;  // another caller made it while we waited
    case Load::untrusted:
      refuse("%s/%s: %s; %s", at.dir, kStateFile, describe(trust), fix_for(trust));
    case Load::missing:
    case Load::damaged:
      break;
  }
  char buf[kStateMax];
  long n = run_detector(at, settings.detector, buf, sizeof buf);
  if (n < 0)
    refuse(
        "%s/%s: missing or damaged, and `%s detect` failed; run `iptmode detect --write --bin-dir "
        "%s` to see why",
        at.dir, kStateFile, settings.detector, at.dir);
  // The detector's answer is checked like the file: nothing unparsed is trusted.
  if (parse_state(std::string_view(buf, static_cast<std::size_t>(n)), s) != StateError::none)
    refuse("%s detect --print-state printed no valid state; is %s an iptmode binary?",
           settings.detector, settings.detector);
  if (int err = write_atomic(at.dirfd, kStateFile, buf, static_cast<std::size_t>(n), 0644))
    warn("%s/%s: could not record the decision: %s", at.dir, kStateFile, std::strerror(err));
  return s;
}

void record_cache(const Place& at, Mode mode, const CacheEntry& entry) {
  if (::geteuid() != 0) return;  // only root may write the state
  Lock lock(at);
  State s;
  if (load_state(at, s, nullptr) != Load::ok) return;
  s.cache[cache_index(mode)] = entry;
  char buf[kStateMax];
  std::size_t len = format_state(s, buf, sizeof buf);
  if (len) (void)write_atomic(at.dirfd, kStateFile, buf, len, 0644);
}

}  // namespace iptmode::shim
