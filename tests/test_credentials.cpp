// Who may write the packet filter: the parsers of /proc/PID/status and
// uid_map, and read_privilege on processes of this machine.
#include "detect/credentials.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <doctest/doctest.h>

#include "core/fd.h"
#include "tests/support/require_root.h"

namespace iptmode {
namespace {

constexpr const char* kRootStatus =
    "Name:\tkube-proxy\nUmask:\t0022\nState:\tS (sleeping)\n"
    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
    "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n"
    "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n";

constexpr const char* kNobodyStatus =
    "Name:\tkube-proxy\nUid:\t65534\t65534\t65534\t65534\n"
    "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n";

}  // namespace

TEST_CASE("credentials: parse_status reads Uid and the capability sets") {
  auto root = parse_status(kRootStatus);
  REQUIRE(root.has_value());
  CHECK(root->uid[0] == 0);
  CHECK(root->uid[3] == 0);
  CHECK(((root->cap_prm >> kCapNetAdmin) & 1) == 1);
  CHECK(root->cap_bnd == 0x1ffffffffffULL);

  auto nobody = parse_status(kNobodyStatus);
  REQUIRE(nobody.has_value());
  CHECK(nobody->uid[1] == 65534);
  CHECK(nobody->cap_prm == 0);
  CHECK(nobody->cap_eff == 0);
}

TEST_CASE("credentials: parse_status refuses what it cannot read for sure") {
  CHECK_FALSE(parse_status("").has_value());
  CHECK_FALSE(parse_status("Uid:\t0\t0\t0\t0\n").has_value());  // no Cap lines
  CHECK_FALSE(
      parse_status("Uid:\t0\t0\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n").has_value());  // 3 uids
  CHECK_FALSE(parse_status("Uid:\t0\t0\t0\t0\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n")
                  .has_value());  // 5 uids
  CHECK_FALSE(parse_status("Uid:\tx\t0\t0\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n").has_value());
  CHECK_FALSE(parse_status("Uid:\t0\t0\t0\t0\nCapPrm:\tzz\nCapEff:\t0\nCapBnd:\t0\n").has_value());
  CHECK(parse_status("Uid:\t0\t0\t0\t0\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\n").has_value());
}

TEST_CASE("credentials: maps_to_root reads uid_map as seen by the reader") {
  CHECK(maps_to_root("         0          0 4294967295\n", 0));
  CHECK_FALSE(maps_to_root("         0          0 4294967295\n", 65534));
  // A container's root, uid 100000 outside.
  CHECK(maps_to_root("0 100000 65536\n", 100000));
  CHECK_FALSE(maps_to_root("0 100000 65536\n", 100001));
  // `unshare -Ur` by nobody: nobody is root in there.
  CHECK(maps_to_root("0 65534 1\n", 65534));
  CHECK_FALSE(maps_to_root("1 0 1\n", 0));
  CHECK_FALSE(maps_to_root("garbage\n", 0));
  CHECK_FALSE(maps_to_root("", 0));
}

TEST_CASE("credentials: read_privilege of this process follows its own capabilities") {
  UniqueFd proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(proc);
  const Privilege p = read_privilege(proc.get(), ::getpid());
  CAPTURE(p.why);
  CHECK_FALSE(p.why.empty());
  if (::geteuid() == 0) CHECK(p.can_write);
}

}  // namespace iptmode

namespace iptmode {
namespace {

// A child that drops to nobody, unshares `flags` (a user namespace, where it
// holds every capability), and waits. Its privilege as read from outside.
Privilege nobody_in_userns(int flags) {
  int ready[2], hold[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(hold, O_CLOEXEC) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(hold[1]);  // else the read below never sees EOF
    ::close(ready[0]);
    char ok = '1';
    if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0 ||
        ::unshare(flags) != 0)
      ok = '0';
    (void)!::write(ready[1], &ok, 1);
    char c;
    (void)!::read(hold[0], &c, 1);  // until the parent closes its end
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(hold[0]);
  char ok = 0;
  REQUIRE(::read(ready[0], &ok, 1) == 1);
  UniqueFd proc(::open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  const Privilege p = read_privilege(proc.get(), pid);
  ::close(hold[1]);
  ::close(ready[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(ok == '1');
  return p;
}

}  // namespace

TEST_CASE("credentials: root in its own user namespace cannot write the host's filter") {
  if (!test::require_root()) return;
  // `unshare -Ur` by nobody: all capabilities, over a namespace that owns
  // nothing of the host's network.
  const Privilege shared = nobody_in_userns(CLONE_NEWUSER);
  CAPTURE(shared.why);
  CHECK_FALSE(shared.can_write);
  CHECK(shared.why.find("does not own its network namespace") != std::string::npos);

  // `unshare -Urn`: its own network namespace, which it may write (and which
  // the scan reports as another namespace's).
  const Privilege own = nobody_in_userns(CLONE_NEWUSER | CLONE_NEWNET);
  CAPTURE(own.why);
  CHECK(own.can_write);
}

}  // namespace iptmode
