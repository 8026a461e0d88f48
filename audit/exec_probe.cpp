#include "audit/exec_probe.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "core/fd.h"

namespace iptmode {

ProbeResult exec_probe(pid_t pid, const std::string& iptables_path,
                       std::chrono::milliseconds deadline) {
  ProbeResult r;
  UniqueFd ns(::open(fmt::format("/proc/{}/ns/mnt", pid).c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd root(
      ::open(fmt::format("/proc/{}/root", pid).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!ns || !root) {
    r.output = fmt::format("/proc/{}: {}", pid, std::strerror(errno));
    return r;
  }
  // Opened here, not in the container, where /dev/null could be anything.
  UniqueFd null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!null) {
    r.output = fmt::format("/dev/null: {}", std::strerror(errno));
    return r;
  }
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    r.output = fmt::format("pipe: {}", std::strerror(errno));
    return r;
  }
  pid_t child = ::fork();
  if (child < 0) {
    r.output = fmt::format("fork: {}", std::strerror(errno));
    ::close(out[0]);
    ::close(out[1]);
    return r;
  }
  if (child == 0) {
    // Its mount namespace, then its root within it (a container may be
    // chrooted inside its namespace).
    if (::setns(ns.get(), CLONE_NEWNS) != 0 || ::fchdir(root.get()) != 0 || ::chroot(".") != 0)
      ::_exit(126);
    // Output that missed the pipe would land in the audit's own --json.
    if (::dup2(out[1], STDOUT_FILENO) < 0 || ::dup2(out[1], STDERR_FILENO) < 0) ::_exit(126);
    // Container code gets no stdin of the audit's (a terminal, NPD's pipe)
    // and none of the descriptors the audit inherited without O_CLOEXEC.
    if (::dup2(null.get(), STDIN_FILENO) < 0) ::_exit(126);
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
      for (int fd = 3; fd < 1024; ++fd) ::close(fd);  // kernel < 5.9
    char a0[] = "iptables", a1[] = "-V";
    char* argv[] = {a0, a1, nullptr};
    char e0[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {e0, nullptr};
    ::execve(iptables_path.c_str(), argv, envp);
    ::_exit(127);
  }
  ::close(out[1]);
  UniqueFd rd(out[0]);
  std::string text;
  const auto until = std::chrono::steady_clock::now() + deadline;
  bool timed_out = false;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{rd.get(), POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      timed_out = n == 0;
      break;
    }
    char buf[1024];
    ssize_t got = ::read(rd.get(), buf, sizeof buf);
    if (got <= 0) break;
    if (text.size() < 4096) text.append(buf, static_cast<std::size_t>(got));
  }
  if (timed_out) ::kill(child, SIGKILL);
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  text = text.substr(0, text.find('\n'));
  if (timed_out) {
    r.output = fmt::format("no answer within {} ms", deadline.count());
    return r;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    r.output = fmt::format("exit {}: {}",
                           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), text);
    return r;
  }
  r.ran = true;
  r.output = text;
  if (text.find("(nf_tables)") != std::string::npos)
    r.mode = Mode::nft;
  else if (text.find("(legacy)") != std::string::npos)
    r.mode = Mode::legacy;
  return r;
}

}  // namespace iptmode
