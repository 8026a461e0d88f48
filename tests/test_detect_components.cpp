// Components as `iptmode detect --json` finds them: a stand-in process named
// like a Kubernetes component, chrooted into a small root of its own in its
// own mount namespace, with an `iptables` there that the detector must read
// through /proc/PID/root without running it.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/detect.h"
#include "tests/support/maze.h"
#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/test_root.h"

using namespace iptmode::test;

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The component entry that holds `fake`'s pid; fails the test when none does.
const json& component(const json& j, const FakeProcess& fake) {
  const json* found = nullptr;
  for (const json& c : j.at("evidence").at("components")) {
    if (c.at("name") != fake.name()) continue;
    for (const json& p : c.at("pids"))
      if (p == fake.pid()) found = &c;
  }
  REQUIRE_MESSAGE(found != nullptr, "no component " << fake.name() << " with pid " << fake.pid()
                                                    << " in the evidence");
  return *found;
}

void install_legacy(TestRoot& root, const std::string& link = "/usr/sbin/iptables") {
  root.copy_in("/usr/sbin/xtables-legacy-multi", "/usr/sbin/xtables-legacy-multi");
  root.symlink(link, link == "/usr/sbin/iptables" ? "xtables-legacy-multi"
                                                  : "/usr/sbin/xtables-legacy-multi");
}

}  // namespace

TEST_CASE("kube-proxy in its own mount namespace: its legacy iptables is read from its root") {
  if (!require_root()) return;
  Netns ns;
  TestRoot root;
  install_legacy(root);
  FakeProcess fake(root, "kube-proxy", &ns);

  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));
  const json& c = component(j, fake);
  CHECK(c.at("pids") == json::array({fake.pid()}));
  CHECK(c.at("in_own_netns") == true);
  CHECK(c.at("mount_ns") == ns_inode(fake.pid(), "mnt"));
  CHECK(c.at("mount_ns") != ns_inode(::getpid(), "mnt"));
  CHECK(c.at("net_ns") == ns_inode(fake.pid(), "net"));
  CHECK(c.at("path_from_environ") == true);

  const json& ipt = c.at("iptables");
  CHECK(ipt.at("kind") == "xtables-legacy-multi");
  CHECK(ipt.at("mode") == "legacy");
  CHECK(ipt.at("version") == "1.8.9");
  CHECK(ipt.at("path") == "/usr/sbin/xtables-legacy-multi");
  CHECK(ipt.at("path_var") == kDefaultPath);
  CHECK(ipt.at("links") == json::array({"/usr/sbin/iptables -> xtables-legacy-multi"}));
  CHECK(ipt.at("note") == "");

  // Components are evidence for the operator, not a step of the decision: the
  // empty kernel leaves it to the host's iptables.
  CHECK(j.at("rule") == "host-binary");
}

TEST_CASE("an iptables of another version is read from its bytes, not run") {
  if (!require_root()) return;
  Netns ns;
  TestRoot root;
  // Not a real program: only the bytes the version is read from. Running it
  // would fail, so a detector that ran it could not report 1.8.7.
  using namespace std::string_literals;
  root.write_file("/usr/sbin/xtables-nft-multi",
                  "\x7f"
                  "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"
                  "iptables v%s\0"
                  "1.8.7 (nf_tables)\0"s,
                  0755);
  root.symlink("/usr/sbin/iptables", "xtables-nft-multi");
  FakeProcess fake(root, "calico-node", &ns);

  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));
  const json& ipt = component(j, fake).at("iptables");
  CHECK(ipt.at("kind") == "xtables-nft-multi");
  CHECK(ipt.at("mode") == "nft");
  CHECK(ipt.at("version") == "1.8.7");
  CHECK(ipt.at("path") == "/usr/sbin/xtables-nft-multi");
}

TEST_CASE("a component in another network namespace is not in detect's own") {
  if (!require_root()) return;
  Netns theirs;
  Netns ours;
  TestRoot root;
  install_legacy(root);
  FakeProcess fake(root, "kubelet", &theirs);

  json from_ours = run_detect(ours);
  INFO("detect --json in " << ours.name() << ": " << from_ours.dump(2));
  const json& c = component(from_ours, fake);
  CHECK(c.at("in_own_netns") == false);
  CHECK(c.at("net_ns") == ns_inode(fake.pid(), "net"));

  json from_theirs = run_detect(theirs);
  CHECK(component(from_theirs, fake).at("in_own_netns") == true);
}

TEST_CASE("the PATH in the component's environment is the one searched") {
  if (!require_root()) return;
  Netns ns;
  TestRoot root;
  // On the default PATH an nft iptables; on the process's PATH, only legacy.
  root.copy_in("/usr/sbin/xtables-nft-multi", "/usr/sbin/xtables-nft-multi");
  root.symlink("/usr/sbin/iptables", "xtables-nft-multi");
  install_legacy(root, "/opt/bin/iptables");
  FakeProcess fake(root, "kube-router", &ns, {"PATH=/opt/bin", "HOME=/"});

  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));
  const json& c = component(j, fake);
  CHECK(c.at("path_from_environ") == true);
  const json& ipt = c.at("iptables");
  CHECK(ipt.at("path_var") == "/opt/bin");
  CHECK(ipt.at("path") == "/usr/sbin/xtables-legacy-multi");
  CHECK(ipt.at("mode") == "legacy");
  CHECK(ipt.at("links") == json::array({"/opt/bin/iptables -> /usr/sbin/xtables-legacy-multi"}));
}

TEST_CASE("without PATH in its environment a component gets the default PATH") {
  if (!require_root()) return;
  Netns ns;
  TestRoot root;
  install_legacy(root);
  FakeProcess fake(root, "kube-proxy", &ns, {});

  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));
  const json& c = component(j, fake);
  CHECK(c.at("path_from_environ") == false);
  CHECK(c.at("iptables").at("path_var") == kDefaultPath);
  CHECK(c.at("iptables").at("path") == "/usr/sbin/xtables-legacy-multi");
}

TEST_CASE("a component without iptables is evidence not an error") {
  if (!require_root()) return;
  Netns ns;
  TestRoot root;
  root.write_file("/etc/hostname", "node\n");
  FakeProcess fake(root, "kube-proxy", &ns);

  json j = run_detect(ns);  // exits 0
  INFO("detect --json: " << j.dump(2));
  const json& ipt = component(j, fake).at("iptables");
  CHECK(ipt.at("path").is_null());
  CHECK(ipt.at("kind").is_null());
  CHECK(ipt.at("mode").is_null());
  CHECK(ipt.at("note").get<std::string>() != "");
}

TEST_CASE("a component whose PATH leads into a symlink maze is over budget; the others are read") {
  if (!require_root()) return;
  Netns ns;
  TestRoot root;
  install_legacy(root);
  Maze maze(root.host_path("/maze"), "/maze");
  FakeProcess bad(root, "kube-proxy", &ns, {"PATH=" + maze.path_var()});
  TestRoot good_root;
  install_legacy(good_root);
  FakeProcess good(good_root, "kubelet", &ns);

  // 64 entries into a 1,000-deep maze are far more path steps than one
  // component's budget: the outcome is the same on any machine.
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2).substr(0, 4000));
  const json& c = component(j, bad);
  CHECK(c.at("inspection") == "over-budget");
  CHECK(c.at("iptables").at("path").is_null());
  CHECK(c.at("iptables").at("note").get<std::string>().find("lookup stopped") != std::string::npos);
  const json& g = component(j, good);
  CHECK(g.at("inspection") == "done");
  CHECK(g.at("iptables").at("mode") == "legacy");

  // The shim's first call still gets its state, with the decision.
  RunResult r = ns.exec({IPTMODE_BIN, "detect", "--print-state"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.starts_with("iptmode-shim-state 1\nmode "));
  CHECK(r.err.find("not inspected") != std::string::npos);
}

TEST_CASE("a process of nobody named kube-proxy cannot write the filter: listed, not read") {
  if (!require_root()) return;
  Netns ns;
  TestRoot root;
  // What nobody's PATH offers: an iptables-nft 1.8.7 by its bytes.
  using namespace std::string_literals;
  root.write_file("/opt/bin/xtables-nft-multi",
                  "\x7f"
                  "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"
                  "iptables v%s\0"
                  "1.8.7 (nf_tables)\0"s,
                  0755);
  root.symlink("/opt/bin/iptables", "xtables-nft-multi");
  FakeProcess fake(root, "kube-proxy", &ns, {"PATH=" + root.host_path("/opt/bin").string()}, {},
                   "nobody");

  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));
  const json& c = component(j, fake);
  CHECK(c.at("inspection") == "unprivileged");
  CHECK(c.at("privilege").get<std::string>().find("uid 65534") != std::string::npos);
  CHECK(c.at("iptables").at("path").is_null());
  CHECK(c.at("iptables")
            .at("note")
            .get<std::string>()
            .starts_with("unprivileged: cannot write the packet filter"));

  // Its version never reaches the shim's state.
  RunResult r = ns.exec({IPTMODE_BIN, "detect", "--print-state"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("nft-writer -\n") != std::string::npos);
}
