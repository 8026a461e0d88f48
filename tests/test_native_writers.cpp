// What each component writes: Felix's NFTablesMode on this kernel state,
// kube-proxy's, kube-router's and flannel's nftables switches, k3s's hosted
// components, and the flag reading they rest on.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "audit/component_mode.h"
#include "audit/native_writers.h"
#include "detect/flags.h"
#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using Strings = std::vector<std::string>;
using namespace test;

const BinaryInfo kNft{BinaryKind::xtables_nft_multi, Mode::nft, Version{1, 8, 9}, false};

Component comp(std::string name, Strings argv = {}, Strings environ = {"PATH=/usr/bin"}) {
  Component c;
  c.name = std::move(name);
  c.pids = {77};
  c.in_own_netns = true;
  c.argv = std::move(argv);
  if (c.argv.empty()) c.argv.push_back(c.name);
  c.environ = std::move(environ);
  c.iptables.resolved = Resolved{"/usr/sbin/xtables-nft-multi", {}};
  c.iptables.info = kNft;
  return c;
}

// kube-proxy's nftables table as kube-proxy leaves it: chains in ip kube-proxy.
const Table kKubeProxyV4 = table("ip", "kube-proxy", {chain("services"), chain("nat-prerouting")});
const Table kKubeProxyV6 = table("ip6", "kube-proxy", {chain("services")});
const Table kEmptyKubeProxy = table("ip", "kube-proxy", {});

Strings names(const std::vector<NativeTable>& t) {
  Strings out;
  for (const auto& x : t) out.push_back(to_string(x));
  return out;
}

}  // namespace

TEST_CASE("writers: Felix Auto's kube-proxy test wants chains in ip or ip6 kube-proxy") {
  CHECK(kube_proxy_nft_tables_present(kernel({kKubeProxyV4}, {})));
  CHECK(kube_proxy_nft_tables_present(kernel({kKubeProxyV6}, {})));
  CHECK_FALSE(kube_proxy_nft_tables_present(kernel({kEmptyKubeProxy}, {})));
  CHECK_FALSE(
      kube_proxy_nft_tables_present(kernel({table("inet", "kube-proxy", {chain("x")})}, {})));
  // x_tables is not where kube-proxy's nftables mode writes.
  CHECK_FALSE(kube_proxy_nft_tables_present(kernel({}, {kKubeProxyV4})));
}

TEST_CASE("writers: calico-node in each NFTablesMode, with and without kube-proxy's table") {
  struct Row {
    const char* env;  // FELIX_NFTABLESMODE, or null for unset
    bool kube_proxy_table;
    const char* iptables;  // what iptables_writes says
    bool native;
  };
  const Row rows[] = {
      {"Disabled", false, "legacy", false},
      {"Disabled", true, "legacy", false},
      {"Enabled", false, "none", true},
      {"Enabled", true, "none", true},
      {"Auto", false, "legacy", false},
      {"Auto", true, "none", true},
      {"auto", true, "none", true},  // any case, as Felix reads its environment
      {nullptr, false, "legacy", false},
      // Unset with kube-proxy's table: v3.31 writes iptables, v3.32 native.
      {nullptr, true, "unknown", false},
  };
  for (const auto& r : rows) {
    CAPTURE(r.env ? r.env : "(unset)");
    CAPTURE(r.kube_proxy_table);
    Strings env{"PATH=/usr/bin", "FELIX_IPTABLESBACKEND=Legacy"};
    if (r.env) env.push_back(std::string("FELIX_NFTABLESMODE=") + r.env);
    const auto k =
        kernel(r.kube_proxy_table ? std::vector<Table>{kKubeProxyV4} : std::vector<Table>{}, {});
    const ComponentMode m = component_mode(comp("calico-node", {}, env), k);
    CHECK(iptables_writes(m) == r.iptables);
    CHECK(m.iptables_none == (std::string_view(r.iptables) == "none"));
    if (r.native)
      CHECK(names(m.native) == Strings{"ip calico", "ip6 calico", "arp calico-arp"});
    else
      CHECK(m.native.empty());
    CHECK_FALSE(m.native_source.empty());
  }
}

TEST_CASE("writers: calico-node's unknown default names both versions") {
  const ComponentMode m =
      component_mode(comp("calico-node", {}, {"PATH=/usr/bin"}), kernel({kKubeProxyV4}, {}));
  CHECK_FALSE(m.mode);
  CHECK(m.source.find("v3.31") != std::string::npos);
  CHECK(m.source.find("v3.32") != std::string::npos);
  // A value Felix does not take is noted, and its default applies.
  const ComponentMode bad = component_mode(
      comp("calico-node", {}, {"PATH=/usr/bin", "FELIX_NFTABLESMODE=yes"}), kernel({}, {}));
  CHECK(bad.note.find("FELIX_NFTABLESMODE=yes") != std::string::npos);
  CHECK(iptables_writes(bad) != "none");
}

TEST_CASE("writers: kube-proxy in nftables mode writes its tables and no iptables") {
  const ComponentMode m =
      component_mode(comp("kube-proxy", {"kube-proxy", "--proxy-mode=nftables"}), kernel({}, {}));
  CHECK(iptables_writes(m) == "none");
  CHECK(names(m.native) == Strings{"ip kube-proxy", "ip6 kube-proxy"});
  const ComponentMode ipt =
      component_mode(comp("kube-proxy", {"kube-proxy", "--proxy-mode=iptables"}), kernel({}, {}));
  CHECK(iptables_writes(ipt) == "nft");
  CHECK(ipt.native.empty());
}

TEST_CASE("writers: kube-router's nftables netpol adds its tables and keeps iptables") {
  const ComponentMode m = component_mode(
      comp("kube-router", {"kube-router", "--run-firewall", "--use-nftables-for-netpol"}),
      kernel({}, {}));
  CHECK(iptables_writes(m) == "nft");  // its proxy and router still use iptables
  CHECK(names(m.native) == Strings{"ip kube-router-filter-ipv4", "ip6 kube-router-filter-ipv6"});
  for (const Strings& off :
       {Strings{"kube-router"}, Strings{"kube-router", "--use-nftables-for-netpol=false"}}) {
    CAPTURE(off.size());
    CHECK(component_mode(comp("kube-router", off), kernel({}, {})).native.empty());
  }
}

TEST_CASE("writers: flanneld's EnableNFTables from its net-conf.json") {
  ComponentReads on;
  on.config_text = R"({"Network": "10.244.0.0/16", "EnableNFTables": true})";
  const ComponentMode m = component_mode(comp("flanneld"), kernel({}, {}), on);
  CHECK(iptables_writes(m) == "none");
  CHECK(names(m.native) == Strings{"ip flannel-ipv4", "ip6 flannel-ipv6"});
  ComponentReads off;
  off.config_text = R"({"Network": "10.244.0.0/16"})";
  CHECK(iptables_writes(component_mode(comp("flanneld"), kernel({}, {}), off)) == "nft");
  ComponentReads bad;
  bad.config_text = "not json";
  const ComponentMode b = component_mode(comp("flanneld"), kernel({}, {}), bad);
  CHECK(iptables_writes(b) == "nft");
  CHECK(b.note.find("not a JSON object") != std::string::npos);
  std::string why;
  CHECK_FALSE(flannel_enable_nftables(R"({"EnableNFTables": "yes"})", &why));
  CHECK(flannel_net_conf_path({"flanneld"}) == "/etc/kube-flannel/net-conf.json");
  CHECK(flannel_net_conf_path({"flanneld", "--net-config-path=/x.json"}) == "/x.json");
}

TEST_CASE("writers: k3s's hosted kube-proxy takes --kube-proxy-arg as its flags") {
  Component c = comp("kube-proxy",
                     {"/usr/local/bin/k3s", "server", "--kube-proxy-arg", "proxy-mode=nftables"});
  c.host = "k3s";
  const ComponentMode m = component_mode(c, kernel({}, {}));
  CHECK(iptables_writes(m) == "none");
  CHECK(m.source.starts_with("in k3s (pid 77): "));
  CHECK(k3s_hosted_args(
            {"k3s", "server", "--kube-proxy-arg=proxy-mode=nftables", "--kube-proxy-arg", "v=2"},
            "kube-proxy-arg") == Strings{"k3s-hosted", "--proxy-mode=nftables", "--v=2"});
  c.argv = {"/usr/local/bin/k3s", "server"};
  CHECK(iptables_writes(component_mode(c, kernel({}, {}))) == "nft");
}

TEST_CASE("writers: hosted_by_k3s and k3s's PATH") {
  Component k3s = comp("k3s", {"/usr/local/bin/k3s", "server"});
  auto hosted = hosted_by_k3s(k3s);
  Strings got;
  for (const auto& h : hosted) {
    got.push_back(h.name);
    CHECK(h.host == "k3s");
    CHECK(h.pids == k3s.pids);
  }
  CHECK(got == Strings{"kubelet", "kube-proxy", "kube-router", "flannel"});
  k3s.argv = {"k3s", "server", "--disable-kube-proxy", "--disable-network-policy",
              "--flannel-backend=none"};
  CHECK(hosted_by_k3s(k3s).size() == 1);
  CHECK(k3s_data_dir({"k3s", "server"}) == "/var/lib/rancher/k3s");
  CHECK(k3s_data_dir({"k3s", "server", "-d", "/srv/k3s"}) == "/srv/k3s");
  CHECK(k3s_data_dir({"k3s", "agent", "--data-dir=/srv/k3s"}) == "/srv/k3s");
  CHECK(k3s_path({"k3s", "server"}, "/usr/bin") ==
        "/var/lib/rancher/k3s/data/current/bin:/usr/bin:/var/lib/rancher/k3s/data/current/bin/aux");
  CHECK(k3s_path({"k3s", "server", "--prefer-bundled-bin"}, "/usr/bin") ==
        "/var/lib/rancher/k3s/data/current/bin:/var/lib/rancher/k3s/data/current/bin/aux:/usr/bin");
}

TEST_CASE("writers: flags as Go reads them") {
  const Strings argv{"x", "--a=1", "-b", "2", "--c", "--", "--d=3"};
  CHECK(flag_value(argv, "a") == "1");
  CHECK(flag_value(argv, "b") == "2");
  CHECK(flag_value(argv, "c", true) == "true");
  CHECK_FALSE(flag_value(argv, "d"));  // after --
  CHECK_FALSE(flag_value(argv, "ab"));
  CHECK(flag_true({"x", "--on=T"}, "on"));
  CHECK_FALSE(flag_true({"x", "--on=false"}, "on"));
  CHECK_FALSE(flag_true({"x", "--only"}, "on"));
  CHECK(first_operand({"k3s", "--debug", "server", "--x"}) == "server");
}

}  // namespace iptmode
