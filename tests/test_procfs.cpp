// procfs: the parsers get bytes other processes control (argv, environ), and
// the readers race with processes that exit. The parsers are checked on
// edge cases; the readers against this test process itself, whose answers
// we can get another way.
#include "detect/procfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "core/fd.h"

namespace iptmode {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using Strings = std::vector<std::string>;

UniqueFd open_proc() {
  UniqueFd fd(::open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw std::runtime_error("cannot open /proc");
  return fd;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string readlink_str(const char* path) {
  char buf[4096];
  ssize_t n = ::readlink(path, buf, sizeof buf);
  if (n < 0) throw std::runtime_error(std::string("readlink ") + path);
  return std::string(buf, static_cast<std::size_t>(n));
}

// A namespace's id is also the inode number of its /proc/self/ns file: an
// oracle independent of the link text parse_ns_link reads.
std::uint64_t ns_inode(const char* path) {
  struct stat st {};
  if (::stat(path, &st) != 0) throw std::runtime_error(std::string("stat ") + path);
  return st.st_ino;
}

}  // namespace

TEST_CASE("procfs: split_nul") {
  // /proc/PID/cmdline ends with a NUL; a process that rewrote its argv may not.
  CHECK(split_nul("kubelet\0--v=2\0"sv) == Strings{"kubelet", "--v=2"});
  CHECK(split_nul("kubelet\0--v=2"sv) == Strings{"kubelet", "--v=2"});
  // Empty arguments are arguments: `cmd "" x`.
  CHECK(split_nul("cmd\0\0x\0"sv) == Strings{"cmd", "", "x"});
  CHECK(split_nul("cmd\0\0"sv) == Strings{"cmd", ""});
  CHECK(split_nul("\0"sv) == Strings{""});
  // Kernel threads have an empty cmdline: no argv at all.
  CHECK(split_nul(""sv).empty());
}

TEST_CASE("procfs: env_value") {
  const auto env = "HOME=/root\0PATHX=/wrong\0PATH=/usr/sbin:/usr/bin\0PATH=/second\0"sv;
  // The first occurrence, as getenv: a duplicate later does not override.
  CHECK(env_value(env, "PATH") == "/usr/sbin:/usr/bin");
  // PATHX= is not PATH=, though it starts the same.
  CHECK(env_value("PATHX=/wrong\0"sv, "PATH") == std::nullopt);
  CHECK(env_value(env, "PATHX") == "/wrong");
  CHECK(env_value(env, "TERM") == std::nullopt);
  CHECK(env_value(""sv, "PATH") == std::nullopt);
  // Only the first '=' separates key and value.
  CHECK(env_value("OPTS=--a=b=c\0"sv, "OPTS") == "--a=b=c");
  // Set but empty is not unset: an empty PATH finds nothing.
  CHECK(env_value("PATH=\0"sv, "PATH") == "");
  // A key that is a prefix of an entry without '='.
  CHECK(env_value("PATH\0"sv, "PATH") == std::nullopt);
  // A missing final NUL.
  CHECK(env_value("A=1\0PATH=/bin"sv, "PATH") == "/bin");
}

TEST_CASE("procfs: parse_ns_link") {
  CHECK(parse_ns_link("mnt:[4026531840]") == 4026531840u);
  CHECK(parse_ns_link("net:[4026531993]") == 4026531993u);
  CHECK(parse_ns_link("net:[18446744073709551615]") == UINT64_MAX);
  for (std::string junk : {"", "mnt", "mnt:", "mnt:[]", "mnt:[abc]", "mnt:[123", "mnt:123]",
                           "mnt:[12x3]", "mnt:[-1]", "mnt:[ 1]", "/proc/1/ns/mnt",
                           "mnt:[18446744073709551616]", "mnt:[99999999999999999999999]"}) {
    CAPTURE(junk);
    CHECK_FALSE(parse_ns_link(junk).has_value());
  }
}

TEST_CASE("procfs: base_name") {
  CHECK(base_name("/usr/bin/kubelet") == "kubelet");
  CHECK(base_name("kube-proxy") == "kube-proxy");
  CHECK(base_name("./calico-node") == "calico-node");
  CHECK(base_name("/kube-router") == "kube-router");
  CHECK(base_name("") == "");
}

TEST_CASE("procfs: read_process on this process") {
  UniqueFd proc = open_proc();
  auto p = read_process(proc.get(), ::getpid());
  REQUIRE_MESSAGE(p.has_value(), (p ? "" : p.error().message));
  CHECK(p->pid == ::getpid());

  std::string comm = slurp("/proc/self/comm");
  if (!comm.empty() && comm.back() == '\n') comm.pop_back();
  CHECK(p->comm == comm);
  CHECK(p->comm.size() <= 15);
  CHECK_FALSE(p->comm.empty());

  CHECK(p->exe == readlink_str("/proc/self/exe"));
  CHECK(p->argv == split_nul(slurp("/proc/self/cmdline")));
  REQUIRE_FALSE(p->argv.empty());

  CHECK(p->mount_ns == parse_ns_link(readlink_str("/proc/self/ns/mnt")));
  CHECK(p->mount_ns == ns_inode("/proc/self/ns/mnt"));
  CHECK(p->net_ns == ns_inode("/proc/self/ns/net"));
  // Two different namespace kinds never share an id.
  CHECK(p->mount_ns != p->net_ns);
}

TEST_CASE("procfs: read_process on a process that has exited gives ESRCH") {
  // The scanner treats ESRCH as "gone, skip it": a reaped child is gone.
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);

  UniqueFd proc = open_proc();
  auto p = read_process(proc.get(), child);
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().errnum == ESRCH);

  auto env = read_environ(proc.get(), child);
  REQUIRE_FALSE(env.has_value());
  CHECK(env.error().errnum == ESRCH);
}

TEST_CASE("procfs: read_environ on this process") {
  UniqueFd proc = open_proc();
  auto env = read_environ(proc.get(), ::getpid());
  REQUIRE(env.has_value());
  CHECK(*env == slurp("/proc/self/environ"));
}

TEST_CASE("procfs: own_net_ns") {
  UniqueFd proc = open_proc();
  auto ns = own_net_ns(proc.get());
  REQUIRE(ns.has_value());
  CHECK(*ns == parse_ns_link(readlink_str("/proc/self/ns/net")));
  CHECK(*ns == ns_inode("/proc/self/ns/net"));
}

TEST_CASE("procfs: list_pids") {
  UniqueFd proc = open_proc();
  std::vector<pid_t> pids = list_pids(proc.get());
  CHECK(std::find(pids.begin(), pids.end(), ::getpid()) != pids.end());
  // Only processes: no "self", "thread-self" or other entries parsed as 0.
  CHECK(std::all_of(pids.begin(), pids.end(), [](pid_t p) { return p > 0; }));
  // Listing does not consume the fd: a second call sees us again.
  std::vector<pid_t> again = list_pids(proc.get());
  CHECK(std::find(again.begin(), again.end(), ::getpid()) != again.end());
}

}  // namespace iptmode
