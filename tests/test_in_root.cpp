// in_root answers "what would `iptables` be inside this container?" by
// walking /proc/PID/root. The container's files are untrusted: a crafted
// symlink must never make iptmode read (or report) a host file, and a loop,
// a FIFO or a huge link must end with an error, not a hang. Each test builds
// its own tree in a fresh directory.
#include "detect/in_root.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/in_child.h"
#include "tests/support/require_root.h"
#include "tests/support/temp_dir.h"

namespace iptmode {
namespace {

namespace fs = std::filesystem;

// A TempDir opened as a root; each test builds its tree in one of its own.
class TempRoot : public test::TempDir {
 public:
  TempRoot() : TempDir("iptmode-in-root-test") {
    auto fd = open_root(str());
    if (!fd) throw std::runtime_error(fd.error().message);
    fd_ = std::move(*fd);
  }
  int fd() const { return fd_.get(); }

 private:
  UniqueFd fd_;
};

std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

using test::in_child_with_deadline;

int errnum_of(const Result<Resolved>& r) {
  return r ? 0 : r.error().errnum;
}

}  // namespace

TEST_CASE("in_root: a plain file and the root itself") {
  TempRoot root;
  root.file("usr/sbin/xtables-nft-multi", "nft");
  auto r = resolve_in_root(root.fd(), "/usr/sbin/xtables-nft-multi");
  REQUIRE(r.has_value());
  CHECK(r->path == "/usr/sbin/xtables-nft-multi");
  CHECK(r->links.empty());
  // Relative paths are relative to the root, "." and doubled slashes vanish.
  auto rel = resolve_in_root(root.fd(), "usr//sbin/./xtables-nft-multi");
  REQUIRE(rel.has_value());
  CHECK(rel->path == "/usr/sbin/xtables-nft-multi");
  auto top = resolve_in_root(root.fd(), "/");
  REQUIRE(top.has_value());
  CHECK(top->path == "/");
}

TEST_CASE("in_root: a relative link resolves next to the link") {
  TempRoot root;
  root.file("usr/sbin/xtables-nft-multi", "nft");
  root.link("usr/sbin/iptables", "xtables-nft-multi");
  auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
  REQUIRE(r.has_value());
  CHECK(r->path == "/usr/sbin/xtables-nft-multi");
  CHECK(r->links == std::vector<std::string>{"/usr/sbin/iptables -> xtables-nft-multi"});
}

TEST_CASE("in_root: an absolute link starts again at the root, not the host's /") {
  TempRoot root;
  root.file("usr/sbin/xtables-legacy-multi", "legacy in root");
  root.link("usr/sbin/iptables", "/usr/sbin/xtables-legacy-multi");
  auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
  REQUIRE(r.has_value());
  CHECK(r->path == "/usr/sbin/xtables-legacy-multi");
  auto fd = open_in_root(root.fd(), r->path);
  REQUIRE(fd.has_value());
  CHECK(read_all(fd->get()) == "legacy in root");
}

TEST_CASE("in_root: an absolute link to a file only the host has is dangling") {
  // The host has /usr/sbin/xtables-nft-multi (and /bin/sh); the root does not.
  TempRoot root;
  root.link("usr/sbin/iptables", "/usr/sbin/xtables-nft-multi");
  root.link("bin/sh-link", "/bin/sh");
  CHECK(errnum_of(resolve_in_root(root.fd(), "/usr/sbin/iptables")) == ENOENT);
  CHECK(errnum_of(resolve_in_root(root.fd(), "/bin/sh-link")) == ENOENT);
}

TEST_CASE("in_root: .. escapes stop at the root") {
  TempRoot root;
  root.file("etc/passwd", "root-marker:x:0:0\n");
  root.link("usr/sbin/iptables", "../../../../etc/passwd");

  auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
  REQUIRE(r.has_value());
  CHECK(r->path == "/etc/passwd");
  // The file opened is the root's, by content, not the host's /etc/passwd.
  auto fd = open_in_root(root.fd(), r->path);
  REQUIRE(fd.has_value());
  CHECK(read_all(fd->get()) == "root-marker:x:0:0\n");

  // The same for a path that climbs by itself.
  auto direct = resolve_in_root(root.fd(), "/../../../../etc/passwd");
  REQUIRE(direct.has_value());
  CHECK(direct->path == "/etc/passwd");
  auto up = resolve_in_root(root.fd(), "../..");
  REQUIRE(up.has_value());
  CHECK(up->path == "/");
}

TEST_CASE("in_root: an absolute link to /../../x") {
  TempRoot root;
  root.file("x", "x in root");
  root.link("usr/sbin/iptables", "/../../x");
  auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
  REQUIRE(r.has_value());
  CHECK(r->path == "/x");
}

TEST_CASE("in_root: open_in_root confines a path with .. by itself") {
  // open_in_root is given resolved paths, but must stay in the root even if
  // handed one that is not (openat2 RESOLVE_IN_ROOT, kernel >= 5.6).
  TempRoot root;
  root.file("etc/passwd", "root-marker\n");
  root.dir("usr");
  auto fd = open_in_root(root.fd(), "/usr/../../../../etc/passwd");
  REQUIRE(fd.has_value());
  CHECK(read_all(fd->get()) == "root-marker\n");
}

TEST_CASE("in_root: symlink loops give ELOOP") {
  TempRoot root;
  SUBCASE("a link to itself") {
    root.link("usr/sbin/iptables", "iptables");
    CHECK(errnum_of(resolve_in_root(root.fd(), "/usr/sbin/iptables")) == ELOOP);
  }
  SUBCASE("two links to each other") {
    root.link("usr/sbin/iptables", "/usr/bin/iptables");
    root.link("usr/bin/iptables", "../sbin/iptables");
    CHECK(errnum_of(resolve_in_root(root.fd(), "/usr/sbin/iptables")) == ELOOP);
  }
  SUBCASE("a directory loop in the middle of a path") {
    root.link("a", "b/c");
    root.link("b", "a");
    CHECK(errnum_of(resolve_in_root(root.fd(), "/a/iptables")) == ELOOP);
  }
}

TEST_CASE("in_root: a chain of kMaxLinks links resolves, one more is ELOOP") {
  // The same limit as the kernel's: what runs in the container is what we see.
  TempRoot root;
  root.file("target", "t");
  root.link("l0", "target");
  for (int i = 1; i <= kMaxLinks; ++i)
    root.link("l" + std::to_string(i), "l" + std::to_string(i - 1));
  auto ok = resolve_in_root(root.fd(), "/l" + std::to_string(kMaxLinks - 1));
  REQUIRE(ok.has_value());
  CHECK(ok->path == "/target");
  CHECK(ok->links.size() == static_cast<std::size_t>(kMaxLinks));
  CHECK(errnum_of(resolve_in_root(root.fd(), "/l" + std::to_string(kMaxLinks))) == ELOOP);
}

TEST_CASE("in_root: a dangling link gives ENOENT") {
  TempRoot root;
  root.link("usr/sbin/iptables", "xtables-nft-multi");
  auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
  CHECK(errnum_of(r) == ENOENT);
  CHECK(errnum_of(resolve_in_root(root.fd(), "/no/such/file")) == ENOENT);
}

TEST_CASE("in_root: a link to a directory in the middle of a path") {
  // Merged-/usr distributions: /usr/sbin -> bin, /sbin -> usr/sbin.
  TempRoot root;
  root.file("usr/bin/xtables-nft-multi", "nft", 0755);
  root.link("usr/bin/iptables", "xtables-nft-multi");
  root.link("usr/sbin", "bin");
  root.link("sbin", "usr/sbin");
  auto r = resolve_in_root(root.fd(), "/sbin/iptables");
  REQUIRE(r.has_value());
  CHECK(r->path == "/usr/bin/xtables-nft-multi");
  CHECK(r->links == std::vector<std::string>{"/sbin -> usr/sbin", "/usr/sbin -> bin",
                                             "/usr/bin/iptables -> xtables-nft-multi"});
}

TEST_CASE("in_root: .. after a linked directory is taken from the link's target") {
  // As the kernel does: /usr/sbin/../x with usr/sbin -> /opt/tools/bin is
  // /opt/tools/x, not /usr/x.
  TempRoot root;
  root.file("opt/tools/x", "right");
  root.file("usr/x", "wrong");
  root.dir("opt/tools/bin");
  root.link("usr/sbin", "/opt/tools/bin");
  auto r = resolve_in_root(root.fd(), "/usr/sbin/../x");
  REQUIRE(r.has_value());
  CHECK(r->path == "/opt/tools/x");
}

TEST_CASE("in_root: a file used as a directory gives ENOTDIR") {
  TempRoot root;
  root.file("usr/sbin/iptables", "x");
  root.link("usr/sbin/link", "iptables");
  CHECK(errnum_of(resolve_in_root(root.fd(), "/usr/sbin/iptables/x")) == ENOTDIR);
  CHECK(errnum_of(resolve_in_root(root.fd(), "/usr/sbin/iptables/..")) == ENOTDIR);
  CHECK(errnum_of(resolve_in_root(root.fd(), "/usr/sbin/link/x")) == ENOTDIR);
}

TEST_CASE("in_root: links records every hop in order") {
  // Debian's alternatives: iptables -> /etc/alternatives/iptables ->
  // /usr/sbin/iptables-nft -> xtables-nft-multi. The report shows the chain.
  TempRoot root;
  root.file("usr/sbin/xtables-nft-multi", "nft", 0755);
  root.link("usr/sbin/iptables-nft", "xtables-nft-multi");
  root.link("etc/alternatives/iptables", "/usr/sbin/iptables-nft");
  root.link("usr/sbin/iptables", "/etc/alternatives/iptables");
  auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
  REQUIRE(r.has_value());
  CHECK(r->path == "/usr/sbin/xtables-nft-multi");
  CHECK(r->links == std::vector<std::string>{
                        "/usr/sbin/iptables -> /etc/alternatives/iptables",
                        "/etc/alternatives/iptables -> /usr/sbin/iptables-nft",
                        "/usr/sbin/iptables-nft -> xtables-nft-multi",
                    });
}

TEST_CASE("in_root: a link target of 4000+ characters") {
  TempRoot root;
  root.file("usr/sbin/xtables-nft-multi", "nft");
  root.file("etc/passwd", "root-marker\n");
  SUBCASE("the longest target Linux stores (4095 bytes) resolves") {
    std::string target;
    for (int i = 0; i < 2039; ++i) target += "./";
    target += "xtables-nft-multi";
    REQUIRE(target.size() == 4095);
    root.link("usr/sbin/iptables", target);
    auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
    REQUIRE(r.has_value());
    CHECK(r->path == "/usr/sbin/xtables-nft-multi");
    REQUIRE(r->links.size() == 1);
    CHECK(r->links[0] == "/usr/sbin/iptables -> " + target);
  }
  SUBCASE("a long climb still stops at the root") {
    std::string target;
    for (int i = 0; i < 1340; ++i) target += "../";
    target += "etc/passwd";
    REQUIRE(target.size() > 4000);
    root.link("usr/sbin/iptables", target);
    auto r = resolve_in_root(root.fd(), "/usr/sbin/iptables");
    REQUIRE(r.has_value());
    CHECK(r->path == "/etc/passwd");
  }
}

TEST_CASE("in_root: which_in_root searches PATH as execvp would") {
  TempRoot root;
  // Traps: each would be found if the entry before it were not skipped.
  root.file("iptables", "empty entry", 0755);                    // "" joined as "/iptables"
  root.file("relative/bin/iptables", "relative entry", 0755);    // "relative/bin"
  root.file("usr/local/sbin/iptables", "not executable", 0644);  // no x bit
  root.dir("usr/local/bin/iptables");                            // a directory
  root.file("usr/sbin/xtables-nft-multi", "nft", 0755);
  root.link("usr/sbin/iptables", "xtables-nft-multi");
  root.file("sbin/iptables", "later entry", 0755);

  auto r = which_in_root(root.fd(), "relative/bin::/usr/local/sbin:/usr/local/bin:/usr/sbin:/sbin",
                         "iptables");
  REQUIRE(r.has_value());
  CHECK(r->path == "/usr/sbin/xtables-nft-multi");
  CHECK(r->links == std::vector<std::string>{"/usr/sbin/iptables -> xtables-nft-multi"});

  // Order matters: with /sbin first, /sbin wins.
  auto first = which_in_root(root.fd(), "/sbin:/usr/sbin", "iptables");
  REQUIRE(first.has_value());
  CHECK(first->path == "/sbin/iptables");
}

TEST_CASE("in_root: which_in_root when nothing runnable is found") {
  TempRoot root;
  root.file("usr/sbin/iptables", "not executable", 0644);
  auto noexec = which_in_root(root.fd(), "/usr/sbin", "iptables");
  REQUIRE_FALSE(noexec.has_value());
  // As execvp: a file found without an execute bit is EACCES.
  CHECK(noexec.error().errnum == EACCES);

  auto missing = which_in_root(root.fd(), std::string(kDefaultPath), "ip6tables");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().errnum == ENOENT);
  CHECK(missing.error().message.find("ip6tables") != std::string::npos);

  // An empty PATH finds nothing.
  CHECK_FALSE(which_in_root(root.fd(), "", "iptables").has_value());
}

TEST_CASE("in_root: which_in_root rejects names that are paths") {
  TempRoot root;
  root.file("usr/sbin/iptables", "x", 0755);
  CHECK_FALSE(which_in_root(root.fd(), "/", "usr/sbin/iptables").has_value());
  CHECK_FALSE(which_in_root(root.fd(), "/usr", "../usr/sbin/iptables").has_value());
  CHECK_FALSE(which_in_root(root.fd(), "/usr/sbin", "/iptables").has_value());
  CHECK_FALSE(which_in_root(root.fd(), "/usr/sbin", "").has_value());
}

TEST_CASE("in_root: open_in_root opens only regular files") {
  TempRoot root;
  root.file("usr/sbin/xtables-nft-multi", "nft bytes");
  root.link("usr/sbin/iptables", "xtables-nft-multi");
  root.dir("var/lib");
  const std::string fifo = root.str() + "/run/fifo";
  fs::create_directories(root.str() + "/run");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);

  auto ok = open_in_root(root.fd(), "/usr/sbin/xtables-nft-multi");
  REQUIRE(ok.has_value());
  CHECK(read_all(ok->get()) == "nft bytes");

  SUBCASE("a FIFO, without waiting for a writer") {
    // No one ever opens the FIFO for writing, so a blocking open would never
    // return: the call runs under a deadline.
    int root_fd = root.fd();
    auto out = in_child_with_deadline(
        [&]() -> std::string {
          auto r = open_in_root(root_fd, "/run/fifo");
          return r ? std::string("opened") : std::string("error");
        },
        10000);
    REQUIRE_MESSAGE(out.has_value(), "open_in_root blocked on a FIFO");
    CHECK(*out == "error");
  }
  SUBCASE("a directory") {
    CHECK_FALSE(open_in_root(root.fd(), "/var/lib").has_value());
  }
  SUBCASE("a final symlink is not followed") {
    CHECK_FALSE(open_in_root(root.fd(), "/usr/sbin/iptables").has_value());
  }
  SUBCASE("a missing file") {
    auto r = open_in_root(root.fd(), "/usr/sbin/iptables-legacy");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().errnum == ENOENT);
  }
}

TEST_CASE("in_root: open_root needs an existing directory") {
  TempRoot root;
  root.file("file", "x");
  CHECK_FALSE(open_root(root.str() + "/missing").has_value());
  CHECK_FALSE(open_root(root.str() + "/file").has_value());
}

}  // namespace iptmode

namespace iptmode {

TEST_CASE("in_root: a maze of links full of d/../ ends with ELOOP, not hours of walking") {
  // 40 links, each a 4 KiB target of "d/../": without a step budget one
  // lookup walks 40 x 1,600 components, and a container's PATH repeats it.
  TempRoot root;
  root.dir("d");
  std::string hop;
  while (hop.size() < 4000) hop += "d/../";
  for (int i = 0; i < 40; ++i)
    root.link("l" + std::to_string(i), hop + (i + 1 < 40 ? "l" + std::to_string(i + 1) : "end"));
  root.file("end", "x", 0755);
  auto r = resolve_in_root(root.fd(), "/l0");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().errnum == ELOOP);

  // A PATH of thousands of entries searches only the first kMaxPathEntries.
  std::string path;
  for (int i = 0; i < 5000; ++i) path += "/l0:";
  path += "/";
  auto w = which_in_root(root.fd(), path, "end");
  CHECK_FALSE(w.has_value());
}

}  // namespace iptmode

namespace iptmode {

TEST_CASE("in_root: a device node is refused by its type, before any open for reading") {
  // mknod of a device needs root.
  if (!test::require_root()) return;
  TempRoot root;
  root.dir("usr/sbin");
  const std::string dev = root.str() + "/usr/sbin/iptables";
  REQUIRE(::mknod(dev.c_str(), S_IFCHR | 0755, ::makedev(1, 3)) == 0);  // like /dev/null
  auto fd = open_in_root(root.fd(), "/usr/sbin/iptables");
  REQUIRE_FALSE(fd.has_value());
  CHECK(fd.error().errnum == EINVAL);
  CHECK(fd.error().message.find("not a regular file") != std::string::npos);
}

}  // namespace iptmode

namespace iptmode {

TEST_CASE("in_root: a budget bounds the sum of lookups, not only each one") {
  // Each lookup of this PATH stays under kMaxSteps; 64 of them do not stay
  // under a budget of 500 steps, and the search stops there.
  TempRoot root;
  std::string chain;
  for (int i = 0; i < 100; ++i) chain += "d/";
  root.dir(chain);
  root.link("a", chain);
  std::string path;
  for (int i = 0; i < 64; ++i) path += (i ? ":" : "") + std::string("/a");

  Budget unbounded(std::chrono::hours(1), 1'000'000);
  auto all = which_in_root(root.fd(), path, "iptables", &unbounded);
  REQUIRE_FALSE(all.has_value());
  CHECK(all.error().errnum == ENOENT);  // every entry searched

  Budget small(std::chrono::hours(1), 500);
  auto cut = which_in_root(root.fd(), path, "iptables", &small);
  REQUIRE_FALSE(cut.has_value());
  CHECK(cut.error().errnum == kBudgetErrno);
  CHECK(cut.error().message.find("more than 500 path steps") != std::string::npos);
  CHECK(small.exhausted());

  // A child spends on its parent: the parent runs out first here.
  Budget parent(std::chrono::hours(1), 50);
  Budget child(std::chrono::hours(1), 1000, &parent);
  auto r = resolve_in_root(root.fd(), "/a/x", &child);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().errnum == kBudgetErrno);
  CHECK(r.error().message.find("the whole scan's budget ran out: more than 50") !=
        std::string::npos);

  // And a deadline in the past stops the first step.
  Budget late(std::chrono::milliseconds(0), 1000);
  auto t = resolve_in_root(root.fd(), "/a", &late);
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().message.find("took more than 0 ms") != std::string::npos);
}

TEST_CASE("in_root: what is on PATH is named by its type, not as Permission denied") {
  TempRoot root;
  root.dir("dir/iptables");
  root.dir("fifo");
  REQUIRE(::mkfifo((root.str() + "/fifo/iptables").c_str(), 0755) == 0);
  root.file("plain/iptables", "x", 0644);

  auto d = which_in_root(root.fd(), "/dir", "iptables");
  REQUIRE_FALSE(d.has_value());
  CHECK(d.error().message == "iptables not found on PATH: /dir/iptables is a directory");
  auto f = which_in_root(root.fd(), "/fifo", "iptables");
  REQUIRE_FALSE(f.has_value());
  CHECK(f.error().message == "iptables not found on PATH: /fifo/iptables is a FIFO");
  auto p = which_in_root(root.fd(), "/plain", "iptables");
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().message ==
        "iptables not found on PATH: /plain/iptables is a regular file without an execute bit");

  // Opening one for reading says the same.
  auto o = open_in_root(root.fd(), "/fifo/iptables");
  REQUIRE_FALSE(o.has_value());
  CHECK(o.error().message == "/fifo/iptables: a FIFO, not a regular file");
}

}  // namespace iptmode
