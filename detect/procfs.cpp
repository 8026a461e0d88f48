#include "detect/procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "core/fd.h"
#include "detect/file_read.h"

namespace iptmode {
namespace {

// A process that vanished shows as ENOENT or ESRCH depending on which file
// the race hit; callers test one value.
std::unexpected<Error> gone_or(const Error& e) {
  if (e.errnum == ENOENT || e.errnum == ESRCH) return fail(e.message, ESRCH);
  return std::unexpected<Error>(e);
}

Result<std::uint64_t> ns_id(int proc_fd, const std::string& path) {
  auto link = read_link_at(proc_fd, path);
  if (!link) return std::unexpected(link.error());
  auto id = parse_ns_link(*link);
  if (!id) return fail(fmt::format("{}: unexpected link \"{}\"", path, *link), EINVAL);
  return *id;
}

}  // namespace

std::vector<std::string> split_nul(std::string_view s) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  if (s.back() == '\0') s.remove_suffix(1);
  while (true) {
    auto nul = s.find('\0');
    out.emplace_back(s.substr(0, nul));
    if (nul == std::string_view::npos) break;
    s.remove_prefix(nul + 1);
  }
  return out;
}

std::optional<std::string> env_value(std::string_view environ, std::string_view key) {
  while (!environ.empty()) {
    auto nul = environ.find('\0');
    std::string_view entry = environ.substr(0, nul);
    if (entry.size() > key.size() && entry.starts_with(key) && entry[key.size()] == '=')
      return std::string(entry.substr(key.size() + 1));
    if (nul == std::string_view::npos) break;
    environ.remove_prefix(nul + 1);
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_ns_link(std::string_view link) {
  auto open = link.find(":[");
  if (open == std::string_view::npos || link.empty() || link.back() != ']') return std::nullopt;
  std::string_view digits = link.substr(open + 2, link.size() - open - 3);
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || digits.empty())
    return std::nullopt;
  return v;
}

std::string_view base_name(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

Result<ProcessInfo> read_process(int proc_fd, pid_t pid) {
  auto p = read_identity(proc_fd, pid);
  if (!p) return p;
  if (auto ns = read_namespaces(proc_fd, *p); !ns) return std::unexpected(ns.error());
  return p;
}

Result<ProcessInfo> read_identity(int proc_fd, pid_t pid) {
  ProcessInfo p;
  p.pid = pid;
  const std::string dir = std::to_string(pid);

  auto comm = read_file_bounded(proc_fd, dir + "/comm", 256);
  if (!comm) return gone_or(comm.error());
  p.comm = *comm;
  if (!p.comm.empty() && p.comm.back() == '\n') p.comm.pop_back();

  auto cmdline = read_file_bounded(proc_fd, dir + "/cmdline", kProcFileLimit);
  if (!cmdline) return gone_or(cmdline.error());
  p.argv = split_nul(*cmdline);

  // Kernel threads have no exe; a permission error leaves it empty too.
  if (auto exe = read_link_at(proc_fd, dir + "/exe")) p.exe = *exe;
  return p;
}

Result<void> read_namespaces(int proc_fd, ProcessInfo& p) {
  const std::string dir = std::to_string(p.pid);
  auto mnt = ns_id(proc_fd, dir + "/ns/mnt");
  if (!mnt) return gone_or(mnt.error());
  p.mount_ns = *mnt;
  auto net = ns_id(proc_fd, dir + "/ns/net");
  if (!net) return gone_or(net.error());
  p.net_ns = *net;
  return {};
}

std::vector<pid_t> list_pids(int proc_fd) {
  std::vector<pid_t> out;
  int fd = ::openat(proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return out;
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    return out;
  }
  while (struct dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    const char* end = e->d_name + std::strlen(e->d_name);
    auto [ptr, ec] = std::from_chars(e->d_name, end, pid);
    if (ec == std::errc{} && ptr == end && pid > 0) out.push_back(pid);
  }
  ::closedir(d);
  return out;
}

Result<std::string> read_environ(int proc_fd, pid_t pid) {
  auto env = read_file_bounded(proc_fd, std::to_string(pid) + "/environ", kProcFileLimit);
  if (!env) return gone_or(env.error());
  return env;
}

Result<std::uint64_t> own_net_ns(int proc_fd) {
  return ns_id(proc_fd, "self/ns/net");
}

}  // namespace iptmode
