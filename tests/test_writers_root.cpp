// Issue 11's writers as real processes: pivot_rooted into a real Debian root,
// in a network namespace of the test's own, with the environment and flags
// each real component runs with; kube-proxy's and kube-router's native
// tables made there by the real `nft`. The audit's JSON is the answer.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/detect.h"
#include "tests/support/k3s_data_dir.h"
#include "tests/support/netns.h"
#include "tests/support/real_roots.h"
#include "tests/support/rooted_process.h"

namespace iptmode {
namespace {

using Strings = std::vector<std::string>;
using Program = test::RootedProcess::Program;

const std::string kPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

test::json audit(const test::Netns& ns, const Strings& extra = {}) {
  Strings argv{IPTMODE_BIN, "audit", "--json"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  const auto r = ns.exec(argv);
  REQUIRE_MESSAGE(r.exit_code != 2, "audit: " << r.err);
  return test::json::parse(r.out);
}

const test::json& by_name(const test::json& a, std::string_view name) {
  for (const auto& c : a.at("components"))
    if (c.at("name") == name) return c;
  FAIL("no component " << name << " in " << a.at("components").dump(2));
  return a;  // unreachable
}

bool has_finding(const test::json& a, std::string_view code) {
  for (const auto& f : a.at("findings"))
    if (f.at("code") == code) return true;
  return false;
}

Strings native(const test::json& c) {
  Strings out;
  for (const auto& t : c.at("writes").at("native_tables"))
    out.push_back(t.at("family").get<std::string>() + " " + t.at("name").get<std::string>());
  return out;
}

// A program whose argv carries the component's real flags and that waits:
// `sh -c 'read x' NAME FLAGS...` with argv[0] NAME, blocked on the open pipe
// the test holds as its stdin.
Program waiting(const std::string& name, Strings flags, Strings env = {kPath}) {
  Strings args{"-c", "read x", name};
  args.insert(args.end(), flags.begin(), flags.end());
  return Program{"/bin/sh", name, std::move(args), std::move(env), /*read_only=*/true};
}

// kube-proxy's nftables mode as it leaves the kernel: `ip kube-proxy` and
// `ip6 kube-proxy`, each with chains (kubernetes pkg/proxy/nftables).
void make_kube_proxy_tables(const test::Netns& ns) {
  for (const char* f : {"ip", "ip6"}) {
    ns.exec_ok({"nft", "add", "table", f, "kube-proxy"});
    ns.exec_ok({"nft", "add", "chain", f, "kube-proxy", "services"});
  }
}

}  // namespace

TEST_CASE("writers: calico-node in each NFTablesMode, with and without kube-proxy's table") {
  if (!test::require_root()) return;
  auto root = test::real_root("bookworm");
  if (!root) return;
  for (bool kp_table : {false, true}) {
    for (const char* mode : {"Disabled", "Enabled", "Auto"}) {
      CAPTURE(kp_table);
      CAPTURE(mode);
      test::Netns ns;
      if (kp_table) make_kube_proxy_tables(ns);
      test::RootedProcess p(
          *root, ns,
          waiting("calico-node", {}, {kPath, std::string("FELIX_NFTABLESMODE=") + mode}));
      const test::json a = audit(ns, {"--bin-dir", "/nonexistent-iptmode"});
      const test::json& c = by_name(a, "calico-node");
      CAPTURE(c.dump());
      const bool nft_dataplane =
          std::string_view(mode) == "Enabled" || (std::string_view(mode) == "Auto" && kp_table);
      if (nft_dataplane) {
        CHECK(c.at("writes").at("iptables") == "none");
        CHECK(c.at("mode").is_null());
        CHECK(native(c) == Strings{"ip calico", "ip6 calico", "arp calico-arp"});
        CHECK_FALSE(has_finding(a, "MODE_SPLIT"));
      } else {
        // Felix's iptables backend detection on this state (no hint, no rules).
        CHECK(c.at("writes").at("iptables") == c.at("mode"));
        CHECK(c.at("mode").is_string());
        CHECK(native(c).empty());
      }
      if (kp_table)
        for (const auto& t : a.at("kernel").at("nft").at("tables"))
          if (t.at("name") == "kube-proxy")
            for (const auto& ch : t.at("chains")) CHECK(ch.at("owner") == "kube-proxy");
    }
  }
}

TEST_CASE("writers: kube-proxy in nftables mode and calico-node Auto do not split") {
  if (!test::require_root()) return;
  auto root = test::real_root("bookworm");
  if (!root) return;
  test::Netns ns;
  make_kube_proxy_tables(ns);
  test::RootedProcess kp(*root, ns, waiting("kube-proxy", {"--proxy-mode=nftables"}));
  test::RootedProcess calico(*root, ns,
                             waiting("calico-node", {}, {kPath, "FELIX_NFTABLESMODE=Auto"}));
  const test::json a = audit(ns, {"--bin-dir", "/nonexistent-iptmode"});
  CAPTURE(a.at("components").dump(2));
  const test::json& k = by_name(a, "kube-proxy");
  CHECK(k.at("proxy_mode") == "nftables");
  CHECK(k.at("writes").at("iptables") == "none");
  CHECK(native(k) == Strings{"ip kube-proxy", "ip6 kube-proxy"});
  CHECK(by_name(a, "calico-node").at("writes").at("iptables") == "none");
  CHECK_FALSE(has_finding(a, "MODE_SPLIT"));
  // And with no hint anywhere (kubelet >= 1.33 on an nft-only node), nothing alarms.
  for (const auto& f : a.at("findings")) CHECK(f.at("severity") != "error");
}

TEST_CASE("writers: kube-router with nftables netpol: its tables are its own") {
  if (!test::require_root()) return;
  auto root = test::real_root("bookworm");
  if (!root) return;
  test::Netns ns;
  // kube-router's NPC tables (pkg/controllers/netpol/npc_nftables.go).
  ns.exec_ok({"nft", "add", "table", "ip", "kube-router-filter-ipv4"});
  ns.exec_ok({"nft", "add", "chain", "ip", "kube-router-filter-ipv4", "default-policy"});
  ns.exec_ok({"nft", "add", "table", "ip6", "kube-router-filter-ipv6"});
  ns.exec_ok({"nft", "add", "chain", "ip6", "kube-router-filter-ipv6", "default-policy"});
  test::RootedProcess p(
      *root, ns, waiting("kube-router", {"--run-firewall=true", "--use-nftables-for-netpol"}));
  const test::json a = audit(ns, {"--bin-dir", "/nonexistent-iptmode"});
  const test::json& c = by_name(a, "kube-router");
  CAPTURE(c.dump());
  CHECK(c.at("writes").at("iptables") == "nft");  // bookworm's iptables, for its other rules
  CHECK(native(c) == Strings{"ip kube-router-filter-ipv4", "ip6 kube-router-filter-ipv6"});
  int owned = 0;
  for (const auto& t : a.at("kernel").at("nft").at("tables"))
    if (t.at("name").get<std::string>().starts_with("kube-router-filter-"))
      for (const auto& ch : t.at("chains")) {
        CHECK(ch.at("owner") == "kube-router");
        ++owned;
      }
  CHECK(owned == 2);
}

// A stand-in for k3s-root's iptables-detect.sh, written for this test after
// k3s-io/k3s-root iptables-detect/iptables-detect.sh at 1291483 (the
// algorithm: IPTABLES_MODE; 10 legacy rule lines, or more legacy than nft
// lines, is legacy; any nft lines nft; else containerized (PID 1's cpuset
// cgroup) is legacy; else /etc/alternatives/iptables; else the OS). Run as
// iptables-detect.sh it prints its choice and stops, as the real one does.
constexpr std::string_view kDetect = R"sh(#!/bin/sh
mode=unknown
via=unknown
if [ -n "$IPTABLES_MODE" ]; then mode=$IPTABLES_MODE; via=env; else
  legacy=$( (iptables-legacy-save || true; ip6tables-legacy-save || true) 2>/dev/null | grep -c '^-')
  nft=$( (timeout 5 sh -c "iptables-nft-save; ip6tables-nft-save" || true) 2>/dev/null | grep -c '^-')
  if [ "$legacy" -ge 10 ] || [ "$legacy" -gt "$nft" ]; then mode=legacy; via=rules
  elif [ "$nft" -gt 0 ]; then mode=nft; via=rules
  elif [ -n "$(grep cpuset /proc/1/cgroup | cut -d: -f3 | tr -d /)" ]; then mode=legacy; via=container
  elif target=$(readlink /etc/alternatives/iptables); then
    case "$target" in *nft*) mode=nft ;; *) mode=legacy ;; esac; via=alternatives
  elif [ -r /etc/debian_version ]; then mode=nft; via=os
  fi
fi
[ "$mode" = unknown ] && exit 1
if [ "$(basename "$0")" = iptables-detect.sh ]; then echo "mode is $mode detected via $via"; exit 0; fi
xtables-set-mode.sh -m "$mode" >/dev/null && exec "$0" "$@"
)sh";

TEST_CASE("writers: a k3s server hosts kubelet, kube-proxy, netpol and flannel, with no flags") {
  if (!test::require_root()) return;
  auto cached = test::real_root("bookworm");
  if (!cached) return;
  test::RootCopy copy(*cached);
  // k3s's data dir, with bin/aux holding the bundled iptables.
  const test::K3sDataDir k3s = test::make_k3s_data_dir(copy.root, "3f2a9c");
  const std::filesystem::path aux = k3s.host_bin / "aux";
  std::filesystem::create_directories(aux);
  { std::ofstream(aux / "iptables-detect.sh") << kDetect; }
  std::filesystem::permissions(aux / "iptables-detect.sh", std::filesystem::perms(0755));
  std::filesystem::create_symlink("iptables-detect.sh", aux / "iptables");

  test::Netns ns;
  // As k3s execs itself: comm k3s-server, its own argv, the PATH it set
  // (--prefer-bundled-bin: aux before the host's PATH).
  const std::string& dir = k3s.bin;
  test::RootedProcess p(
      copy.root, ns,
      Program{dir + "/k3s-server",
              "/usr/local/bin/k3s",
              {"server", "--prefer-bundled-bin", "--kube-proxy-arg=proxy-mode=nftables"},
              {"PATH=" + dir + ":" + dir + "/aux:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
               "K3S_DATA_DIR=" + k3s.dir}});
  // No --bin-dir: the host root has no /var/lib/k0s/bin, and k3s's does exist.
  const test::json a = audit(ns, {"--host-root", copy.root.string()});
  CAPTURE(a.at("components").dump(2));
  Strings hosted;
  for (const auto& c : a.at("components"))
    if (c.value("host", "") == "k3s") {
      hosted.push_back(c.at("name"));
      CHECK(c.at("pids").at(0) == p.pid());
    }
  CHECK(hosted == Strings{"kubelet", "kube-proxy", "kube-router", "flannel"});
  const test::json& kubelet = by_name(a, "kubelet");
  CHECK(kubelet.at("binary") == dir + "/aux/iptables-detect.sh");
  CHECK(kubelet.at("wrapper") == "k3s-root iptables-detect.sh");
  CHECK(by_name(a, "kube-proxy").at("writes").at("iptables") == "none");
  const test::json& b = a.at("bin_dir");
  CHECK(b.at("path") == "/var/lib/rancher/k3s/data/current/bin");
  CHECK(b.at("k3s") == true);
  CHECK_FALSE(has_finding(a, "SHIM_NOT_INSTALLED"));
  // The stand-in, run as iptables-detect.sh in k3s's namespaces, picks what
  // the audit predicted.
  const auto truth = p.enter({dir + "/aux/iptables-detect.sh"}, true);
  REQUIRE_MESSAGE(truth.exit_code == 0, truth.err);
  REQUIRE(kubelet.at("predicted").is_string());
  CHECK(truth.out.starts_with("mode is " + kubelet.at("predicted").get<std::string>() + " "));
}

TEST_CASE("writers: k3s's config.yaml and its drop-ins, in its own root, count as its flags") {
  if (!test::require_root()) return;
  auto cached = test::real_root("bookworm");
  if (!cached) return;
  test::RootCopy copy(*cached);
  const test::K3sDataDir k3s = test::make_k3s_data_dir(copy.root, "5e1d7b");
  // Settings made only in the files: /proc/PID/cmdline shows `k3s server`.
  const std::filesystem::path etc = copy.root / "etc/rancher/k3s";
  std::filesystem::create_directories(etc / "config.yaml.d");
  {
    std::ofstream(etc / "config.yaml") << "disable-network-policy: yes\n"
                                          "kube-proxy-arg:\n  - proxy-mode=nftables\n";
  }
  { std::ofstream(etc / "config.yaml.d/50-flannel.yaml") << "flannel-backend: none\n"; }

  test::Netns ns;
  const std::string& dir = k3s.bin;
  test::RootedProcess p(
      copy.root, ns,
      Program{dir + "/k3s-server",
              "/usr/local/bin/k3s",
              {"server"},
              {"PATH=" + dir + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"}});
  const test::json a = audit(ns, {"--host-root", copy.root.string()});
  CAPTURE(a.at("components").dump(2));
  Strings hosted;
  for (const auto& c : a.at("components"))
    if (c.value("host", "") == "k3s") {
      hosted.push_back(c.at("name"));
      CHECK(c.at("config_files") == test::json{"/etc/rancher/k3s/config.yaml",
                                               "/etc/rancher/k3s/config.yaml.d/50-flannel.yaml"});
    }
  CHECK(hosted == Strings{"kubelet", "kube-proxy"});
  const test::json& kp = by_name(a, "kube-proxy");
  CHECK(kp.at("proxy_mode") == "nftables");
  CHECK(kp.at("writes").at("iptables") == "none");
}

}  // namespace iptmode
