#include "shim/detector.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace iptmode::shim {
namespace {

std::int64_t now_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

// In the child, before exec: nothing of the caller's signal state survives
// (an ignored SIGTERM or a blocked SIGKILL-sender would), and it leads a
// process group of its own, so the deadline can end all it started.
[[noreturn]] void exec_detector(int detector_fd, int out_fd) {
  ::setpgid(0, 0);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) (void)::sigaction(sig, &dfl, nullptr);
  sigset_t none;
  sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);
  // Output that missed the pipe would land in the caller's iptables-save.
  if (::dup2(out_fd, STDOUT_FILENO) < 0) ::_exit(126);
  // The caller's stdin is the backend's (iptables-restore's rules), not ours to hand on.
  int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (null < 0 || ::dup2(null, STDIN_FILENO) < 0) ::_exit(126);
  // The detector needs nothing from the caller's environment.
  char arg0[] = "iptmode", arg1[] = "detect", arg2[] = "--print-state";
  char* argv[] = {arg0, arg1, arg2, nullptr};
  char env0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
  char* envp[] = {env0, nullptr};
  // A #! detector is run through /dev/fd/N: the fd must survive the exec.
  ::fcntl(detector_fd, F_SETFD, 0);
  (void)::syscall(SYS_execveat, detector_fd, "", argv, envp, AT_EMPTY_PATH);
  ::_exit(127);
}

// Whether `pid` has exited, without reaping it: while it is a zombie its pid
// (and so its process group id) cannot be reused, so killing the group stays safe.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

struct Reader {
  int fd;
  char* buf;
  std::size_t cap;
  std::size_t got = 0;
  bool overflow = false;
  bool eof = false;

  // One read; false when nothing more is there now (EAGAIN) or ever (EOF).
  bool once() {
    char sink[512];
    char* dst = got < cap ? buf + got : sink;
    const std::size_t room = got < cap ? cap - got : sizeof sink;
    ssize_t n = ::read(fd, dst, room);
    if (n < 0 && errno == EINTR) return true;
    if (n == 0 || (n < 0 && errno != EAGAIN)) eof = true;
    if (n <= 0) return false;
    if (dst == sink)
      overflow = true;
    else
      got += static_cast<std::size_t>(n);
    return true;
  }
};

// Reads the pipe until the child exits or the deadline; true when it exited.
bool read_until_exit(pid_t pid, int pidfd, Reader& r, std::int64_t deadline) {
  for (;;) {
    if (pidfd < 0 && has_exited(pid)) return true;
    const std::int64_t left = deadline - now_ms();
    if (left <= 0) return false;
    pollfd p[2] = {{r.eof ? -1 : r.fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
    // Without a pidfd (a kernel before 5.3), look at the child every 20 ms.
    const int wait = pidfd < 0 ? static_cast<int>(left < 20 ? left : 20) : static_cast<int>(left);
    const int ready = ::poll(p, 2, wait);
    if (ready < 0 && errno != EINTR) return has_exited(pid);  // no poll: end it now
    if (ready <= 0) continue;
    if (p[0].revents) r.once();
    if (p[1].revents) return true;
  }
}

}  // namespace

DetectorRun run_detector(int detector_fd, int timeout_s, char* buf, std::size_t cap) {
  DetectorRun run;
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) {
    run.code = errno;
    return run;
  }
  // A caller that ignores SIGCHLD would have the kernel reap the detector,
  // and its exit status would be lost: take the default for the wait, and
  // give the caller's back before the backend inherits it.
  struct sigaction dfl {
  }, saved{};
  dfl.sa_handler = SIG_DFL;
  ::sigaction(SIGCHLD, &dfl, &saved);
  const std::int64_t deadline = now_ms() + std::int64_t{timeout_s} * 1000;
  const pid_t pid = ::fork();
  if (pid == 0) exec_detector(detector_fd, pipefd[1]);
  ::close(pipefd[1]);
  if (pid < 0) {
    run.code = errno;
    ::close(pipefd[0]);
    ::sigaction(SIGCHLD, &saved, nullptr);
    return run;
  }
  ::setpgid(pid, pid);  // also here: the kill below must not race the child's own call
  ::fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  Reader r{pipefd[0], buf, cap};
  const bool exited = read_until_exit(pid, pidfd, r, deadline);
  // What the child wrote before it exited is in the pipe: take it, but wait
  // for nothing more (a grandchild may hold the pipe open).
  while (exited && !r.eof && r.once()) {
  }
  // The child is not reaped yet, so its group id is still its own: end
  // whatever it started, and the child itself at the deadline.
  ::kill(-pid, SIGKILL);
  if (!exited) ::kill(pid, SIGKILL);
  int status = 0;
  pid_t waited;
  while ((waited = ::waitpid(pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (pidfd >= 0) ::close(pidfd);
  ::close(pipefd[0]);
  ::sigaction(SIGCHLD, &saved, nullptr);
  if (!exited) {
    run.kind = DetectorRun::timed_out;
  } else if (waited != pid) {
    run.code = errno;
  } else if (WIFSIGNALED(status)) {
    run.kind = DetectorRun::signaled;
    run.code = WTERMSIG(status);
  } else if (WEXITSTATUS(status) != 0) {
    run.kind = DetectorRun::exited;
    run.code = WEXITSTATUS(status);
  } else if (r.overflow) {
    run.kind = DetectorRun::too_much;
  } else {
    run.kind = DetectorRun::ok;
    run.len = r.got;
  }
  return run;
}

void describe(const DetectorRun& r, int timeout_s, char* out, std::size_t cap) {
  switch (r.kind) {
    case DetectorRun::ok:
      (void)std::snprintf(out, cap, "succeeded");
      return;
    case DetectorRun::exited:
      (void)std::snprintf(out, cap, "failed (exit %d)", r.code);
      return;
    case DetectorRun::signaled:
      (void)std::snprintf(out, cap, "failed (killed by signal %d)", r.code);
      return;
    case DetectorRun::timed_out:
      (void)std::snprintf(out, cap, "failed (timed out after %d s, killed)", timeout_s);
      return;
    case DetectorRun::too_much:
      (void)std::snprintf(out, cap, "failed (printed more than a state)");
      return;
    case DetectorRun::no_child:
      (void)std::snprintf(out, cap, "failed (could not start: %s)", std::strerror(r.code));
      return;
  }
}

}  // namespace iptmode::shim
