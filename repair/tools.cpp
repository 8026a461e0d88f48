#include "repair/tools.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <tuple>

#include <fmt/format.h>

#include "core/fd.h"

namespace iptmode::repair {
namespace {

constexpr auto kDeadline = std::chrono::seconds(60);

struct Ran {
  int status = -1;
  std::string out, err;
};

// Sends `input` on stdin and gathers both outputs at once (no deadlock on a
// large save), killing the child past the deadline.
Result<Ran> run(const std::string& path, const std::vector<std::string>& argv,
                const std::string& input) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    return errno_fail("pipe");
  // Built before the fork: the child only dups and execs.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return errno_fail("fork");
  if (pid == 0) {
    if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(126);
    char e0[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    char* envp[] = {e0, nullptr};
    ::execve(path.c_str(), args.data(), envp);
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  UniqueFd wr(in[1]), rd(out[0]), re(err[0]);
  ::fcntl(wr.get(), F_SETFL, O_NONBLOCK);
  Ran r;
  std::size_t sent = 0;
  if (input.empty()) wr.reset();
  const auto until = std::chrono::steady_clock::now() + kDeadline;
  while (rd || re) {
    pollfd p[3] = {{rd.get(), POLLIN, 0}, {re.get(), POLLIN, 0}, {wr.get(), POLLOUT, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(p, 3, static_cast<int>(left.count())) == 0) {
      ::kill(pid, SIGKILL);
      (void)::waitpid(pid, nullptr, 0);
      return fail(fmt::format("{}: no answer in {} s", argv[0], kDeadline.count()));
    }
    char buf[65536];
    for (auto [fd, dst, ev] :
         {std::tuple{&rd, &r.out, p[0].revents}, std::tuple{&re, &r.err, p[1].revents}}) {
      if (!*fd || !(ev & (POLLIN | POLLERR | POLLHUP))) continue;
      const ssize_t n = ::read(fd->get(), buf, sizeof buf);
      if (n > 0) dst->append(buf, static_cast<std::size_t>(n));
      if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) fd->reset();
    }
    if (wr && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(wr.get(), input.data() + sent, input.size() - sent);
      if (n > 0) sent += static_cast<std::size_t>(n);
      if (sent == input.size() || (n < 0 && errno != EAGAIN && errno != EINTR)) wr.reset();
    }
  }
  wr.reset();
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

std::string applet(Mode m, const std::string& family, std::string_view what) {
  return fmt::format("{}tables-{}-{}", family == "ip6" ? "ip6" : "ip", to_string(m), what);
}

Result<std::string> call(const Tools& t, Mode m, const std::string& family, std::string_view what,
                         const std::vector<std::string>& args, const std::string& input) {
  std::vector<std::string> argv{applet(m, family, what)};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run(t.multi(m), argv, input);
  if (!r) return std::unexpected(r.error());
  if (r->status != 0) {
    auto e = r->err.substr(0, r->err.find('\n'));
    return fail(fmt::format("{} ({}) exited {}: {}", argv[0], t.multi(m), r->status, e));
  }
  return std::move(r->out);
}

}  // namespace

Result<Tools> find_tools(const AuditEvidence& a) {
  const auto& host = a.ev.host_iptables;
  if (!host.resolved)
    return fail(
        fmt::format("the host's iptables was not found on {} ({}): repair runs its "
                    "iptables-save; install iptables",
                    host.path_var, host.note));
  const auto& path = host.resolved->path;
  const std::string dir = path.substr(0, path.rfind('/'));
  const std::string root = a.ev.host_root == "/" ? "" : a.ev.host_root;
  Tools t{fmt::format("{}{}/xtables-nft-multi", root, dir),
          fmt::format("{}{}/xtables-legacy-multi", root, dir)};
  for (const auto* p : {&t.nft_multi, &t.legacy_multi}) {
    struct stat st {};
    if (::stat(p->c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0111) == 0)
      return fail(
          fmt::format("{}: not an executable file (repair needs both of the host's "
                      "iptables backends beside {})",
                      *p, path));
  }
  return t;
}

Result<std::string> run_save(const Tools& t, Mode m, const std::string& family,
                             const std::vector<std::string>& args) {
  return call(t, m, family, "save", args, "");
}

Result<void> run_restore(const Tools& t, Mode m, const std::string& family,
                         const std::string& input, const std::vector<std::string>& args) {
  auto r = call(t, m, family, "restore", args, input);
  if (!r) return std::unexpected(r.error());
  return {};
}

}  // namespace iptmode::repair
