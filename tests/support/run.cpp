#include "tests/support/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include <doctest/doctest.h>

extern char** environ;

namespace iptmode::test {
namespace {

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// Writing stdin text to a child that has already exited must be an error
// (EPIPE), not the end of the test run.
void ignore_sigpipe() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const auto& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

std::string quote(const std::string& s) {
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

}  // namespace

std::string describe(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    s += quote(a);
  }
  return s;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from < text.size()) {
    auto nl = text.find('\n', from);
    if (nl == std::string::npos) nl = text.size();
    out.push_back(text.substr(from, nl - from));
    from = nl + 1;
  }
  return out;
}

Spawned spawn(const std::vector<std::string>& argv,
              const std::optional<std::vector<std::string>>& env) {
  if (argv.empty()) throw std::invalid_argument("spawn: empty argv");
  ignore_sigpipe();
  Pipe in = make_pipe(), out = make_pipe(), err = make_pipe();

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  // dup2 onto 0/1/2 clears O_CLOEXEC there; every other pipe end closes on exec.
  posix_spawn_file_actions_adddup2(&fa, in.read.get(), 0);
  posix_spawn_file_actions_adddup2(&fa, out.write.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, err.write.get(), 2);

  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  auto args = c_strings(argv);
  std::vector<char*> envp;
  if (env) envp = c_strings(*env);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("cannot run " + describe(argv) + ": " + std::strerror(rc));

  Spawned s;
  s.pid = pid;
  s.in = std::move(in.write);
  s.out = std::move(out.read);
  s.err = std::move(err.read);
  return s;  // the child's ends close here
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

RunResult collect(Spawned& child, Clock::time_point deadline, std::string_view stdin_text) {
  RunResult r;
  if (stdin_text.empty())
    child.in.reset();
  else
    ::fcntl(child.in.get(), F_SETFL, O_NONBLOCK);

  char buf[65536];
  while (child.out || child.err) {
    pollfd fds[3];
    int n = 0;
    int i_in = -1, i_out = -1, i_err = -1;
    if (child.in) fds[i_in = n++] = {child.in.get(), POLLOUT, 0};
    if (child.out) fds[i_out = n++] = {child.out.get(), POLLIN, 0};
    if (child.err) fds[i_err = n++] = {child.err.get(), POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    int ready = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
    }
    if (i_in >= 0 && fds[i_in].revents) {
      ssize_t w = ::write(child.in.get(), stdin_text.data(), stdin_text.size());
      if (w > 0) stdin_text.remove_prefix(static_cast<std::size_t>(w));
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || stdin_text.empty()) child.in.reset();
    }
    auto drain = [&](int idx, UniqueFd& fd, std::string& sink) {
      if (idx < 0 || !fds[idx].revents) return;
      ssize_t got = ::read(fd.get(), buf, sizeof buf);
      if (got > 0)
        sink.append(buf, static_cast<std::size_t>(got));
      else if (got == 0 || (errno != EINTR && errno != EAGAIN))
        fd.reset();
    };
    drain(i_out, child.out, r.out);
    drain(i_err, child.err, r.err);
  }
  if (r.timed_out) ::kill(child.pid, SIGKILL);
  child.in.reset();
  child.out.reset();
  child.err.reset();
  r.exit_code = wait_exit(child.pid);
  child.pid = -1;
  if (r.timed_out) r.exit_code = -1;
  return r;
}

RunResult run(const std::vector<std::string>& argv, const RunOptions& opts) {
  Spawned child = spawn(argv, opts.env);
  RunResult r = collect(child, Clock::now() + opts.timeout,
                        opts.stdin_text ? std::string_view(*opts.stdin_text) : "");
  if (r.timed_out)
    r.err += "\n[timed out after " + std::to_string(opts.timeout.count()) + " ms: killed]";
  return r;
}

bool read_until(int fd, std::string& buf, const std::function<bool(const std::string&)>& done,
                Clock::time_point deadline) {
  char chunk[4096];
  while (!done(buf)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return done(buf);
    buf.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

RunResult run_ok(const std::vector<std::string>& argv, const RunOptions& opts) {
  RunResult r = run(argv, opts);
  if (r.exit_code != 0) {
    FAIL("command failed (exit " << r.exit_code << "): " << describe(argv) << "\nstderr: " << r.err
                                 << "\nstdout: " << r.out);
  }
  return r;
}

}  // namespace iptmode::test
