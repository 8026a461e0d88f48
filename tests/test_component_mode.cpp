// How each component will drive the packet filter: Felix's auto detection,
// iptables-wrapper's first-run choice, kube-proxy's proxy mode, and the
// environment lookups they rest on.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "audit/component_mode.h"
#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using Strings = std::vector<std::string>;

using namespace test;

const Table kMangleHint = table("ip", "mangle", {chain("KUBE-IPTABLES-HINT")});
const Table kMangleCanary6 = table("ip6", "mangle", {chain("KUBE-KUBELET-CANARY")});
const Table kNatHint = table("ip", "nat", {chain("KUBE-KUBELET-CANARY")});
Table rules(int n) {
  return table("ip", "filter", {chain("INPUT", static_cast<std::uint64_t>(n))});
}

Component calico(Strings environ, std::optional<BinaryInfo> info = std::nullopt) {
  Component c;
  c.name = "calico-node";
  c.pids = {4321};
  c.in_own_netns = true;
  c.environ = std::move(environ);
  if (info) {
    c.iptables.resolved = Resolved{"/usr/sbin/iptables", {}};
    c.iptables.info = info;
  }
  return c;
}

const BinaryInfo kNftBinary{BinaryKind::xtables_nft_multi, Mode::nft, Version{1, 8, 9}, false};
const BinaryInfo kLegacyBinary{BinaryKind::xtables_legacy_multi, Mode::legacy, Version{1, 8, 9},
                               false};
const BinaryInfo kShellWrapper{
    BinaryKind::iptables_wrapper, std::nullopt, std::nullopt, true, VersionForm::none,
    WrapperKind::sigs_v2};
const BinaryInfo kGoWrapper{
    BinaryKind::iptables_wrapper, std::nullopt, std::nullopt, false, VersionForm::none,
    WrapperKind::sigs_v3};

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace

TEST_CASE("audit component mode: felix_auto") {
  // A hint in nf_tables mangle first, then one in x_tables mangle.
  CHECK(felix_auto(kernel({kMangleHint}, {kMangleHint, rules(50)})) == Mode::nft);
  CHECK(felix_auto(kernel({rules(50)}, {kMangleHint})) == Mode::legacy);
  CHECK(felix_auto(kernel({}, {kMangleCanary6})) == Mode::legacy);
  CHECK(felix_auto(kernel({kMangleCanary6}, {})) == Mode::nft);
  // Hints elsewhere than mangle are not Felix's.
  CHECK(felix_auto(kernel({kNatHint}, {})) == Mode::legacy);
  // Then the rule counts: legacy unless nf_tables has more (a tie to legacy).
  CHECK(felix_auto(kernel({}, {})) == Mode::legacy);
  CHECK(felix_auto(kernel({rules(3)}, {rules(3)})) == Mode::legacy);
  CHECK(felix_auto(kernel({rules(4)}, {rules(3)})) == Mode::nft);
  CHECK(felix_auto(kernel({rules(2)}, {rules(3)})) == Mode::legacy);
  // Native nftables tables are not iptables rules.
  CHECK(felix_auto(kernel({table("inet", "firewalld", {chain("filter_INPUT", 90)})}, {})) ==
        Mode::legacy);
}

TEST_CASE("audit component mode: wrapper_choice, shell and Go") {
  for (bool shell : {true, false}) {
    CAPTURE(shell);
    CHECK(wrapper_choice(kernel({kMangleHint}, {kMangleHint}), shell) == Mode::nft);
    CHECK(wrapper_choice(kernel({rules(9)}, {kMangleHint}), shell) == Mode::legacy);
    // x_tables hints count in any table (iptables-legacy-save of every table).
    CHECK(wrapper_choice(kernel({rules(9)}, {kNatHint}), shell) == Mode::legacy);
    CHECK(wrapper_choice(kernel({}, {kMangleCanary6}), shell) == Mode::legacy);
  }
  // No hint: the shell wrapper compares rule counts (a tie to nft), the Go one picks nft.
  CHECK(wrapper_choice(kernel({}, {}), true) == Mode::nft);
  CHECK(wrapper_choice(kernel({rules(3)}, {rules(3)}), true) == Mode::nft);
  CHECK(wrapper_choice(kernel({rules(3)}, {rules(4)}), true) == Mode::legacy);
  CHECK(wrapper_choice(kernel({rules(5)}, {rules(4)}), true) == Mode::nft);
  CHECK(wrapper_choice(kernel({rules(3)}, {rules(40)}), false) == Mode::nft);
  // An nf_tables hint outside mangle is not looked for.
  CHECK(wrapper_choice(kernel({kNatHint}, {rules(1)}), true) == Mode::legacy);
}

TEST_CASE("audit component mode: kube_proxy_mode from flags") {
  CHECK(kube_proxy_mode({"kube-proxy"}, "") == ProxyMode::iptables);
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode=ipvs"}, "") == ProxyMode::ipvs);
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode", "nftables"}, "") == ProxyMode::nftables);
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode=IPVS"}, "") == ProxyMode::ipvs);
  // argv[0] is the program, never a flag.
  CHECK(kube_proxy_mode({"--proxy-mode=ipvs"}, "") == ProxyMode::iptables);
  // A dangling --proxy-mode says nothing.
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode"}, "") == ProxyMode::iptables);
  // The flag wins over the config file.
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode=ipvs", "--config=/c"}, "mode: nftables\n") ==
        ProxyMode::ipvs);
}

TEST_CASE("audit component mode: kube_proxy_mode from KubeProxyConfiguration text") {
  const std::string cfg =
      "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
      "kind: KubeProxyConfiguration\n"
      "clusterCIDR: 10.244.0.0/16\n"
      "ipvs:\n"
      "  mode: ignored-nested\n"
      "mode: \"nftables\"\n";
  CHECK(kube_proxy_mode({"kube-proxy", "--config=/var/lib/kube-proxy/config.conf"}, cfg) ==
        ProxyMode::nftables);
  CHECK(kube_proxy_mode({"kube-proxy"}, "mode: 'ipvs'\r\n") == ProxyMode::ipvs);
  CHECK(kube_proxy_mode({"kube-proxy"}, "mode: IPTables") == ProxyMode::iptables);
  // An empty mode is kube-proxy's default, iptables; a nested one is not the top-level key.
  CHECK(kube_proxy_mode({"kube-proxy"}, "mode: \"\"\n") == ProxyMode::iptables);
  CHECK(kube_proxy_mode({"kube-proxy"}, "  mode: ipvs\n") == ProxyMode::iptables);
  CHECK(kube_proxy_mode({"kube-proxy"}, "modes: ipvs\n") == ProxyMode::iptables);
}

TEST_CASE("audit component mode: kube_proxy_config_path") {
  CHECK(kube_proxy_config_path({"kube-proxy", "--config=/etc/kp.yaml"}) == "/etc/kp.yaml");
  CHECK(kube_proxy_config_path({"kube-proxy", "-v=2", "--config", "/etc/kp.yaml"}) ==
        "/etc/kp.yaml");
  CHECK_FALSE(kube_proxy_config_path({"kube-proxy", "--config"}).has_value());
  CHECK_FALSE(kube_proxy_config_path({"kube-proxy", "--configx=/a"}).has_value());
  CHECK_FALSE(kube_proxy_config_path({"--config=/etc/kp.yaml"}).has_value());
  CHECK_FALSE(kube_proxy_config_path({}).has_value());
}

TEST_CASE("audit component mode: env_lookup_nocase") {
  const Strings env{"PATH=/usr/bin",
                    "felix_iptablesbackend=NFT",
                    "FELIX_IPTABLESBACKEND=Legacy",
                    "EMPTY=",
                    "NOEQUALS",
                    "X=a=b"};
  CHECK(env_lookup_nocase(env, "FELIX_IPTABLESBACKEND") == "NFT");  // the first, any case
  CHECK(env_lookup_nocase(env, "Felix_IptablesBackend") == "NFT");
  CHECK(env_lookup_nocase(env, "path") == "/usr/bin");
  CHECK(env_lookup_nocase(env, "EMPTY") == "");
  CHECK(env_lookup_nocase(env, "X") == "a=b");
  CHECK_FALSE(env_lookup_nocase(env, "NOEQUALS").has_value());
  CHECK_FALSE(env_lookup_nocase(env, "FELIX").has_value());
  CHECK_FALSE(env_lookup_nocase(env, "FELIX_IPTABLESBACKEND2").has_value());
  CHECK_FALSE(env_lookup_nocase({}, "PATH").has_value());
}

TEST_CASE("audit component mode: an xtables binary says its mode") {
  Component c = calico({}, kLegacyBinary);
  c.name = "kube-router";
  ComponentMode m = component_mode(c, kernel({kMangleHint}, {}));
  CHECK(m.mode == Mode::legacy);
  CHECK(m.source == "iptables in its root is xtables-legacy-multi");
  CHECK_FALSE(m.wrapper_pending);
  CHECK_FALSE(m.predicted.has_value());
  CHECK_FALSE(m.proxy_mode.has_value());
}

TEST_CASE("audit component mode: a wrapper not yet run predicts from the kernel") {
  Component c = calico({}, kShellWrapper);
  c.name = "kube-router";
  ComponentMode m = component_mode(c, kernel({}, {rules(5)}));
  CHECK_FALSE(m.mode.has_value());
  CHECK(m.wrapper_pending);
  CHECK(m.predicted == Mode::legacy);
  CHECK(m.wrapper == WrapperKind::sigs_v2);
  CHECK(m.source ==
        "iptables-wrapper (kubernetes-sigs v2), not yet run: will pick legacy (x_tables 5 rules, "
        "nf_tables 0 (a tie to nft))");

  c.iptables.info = kGoWrapper;
  ComponentMode g = component_mode(c, kernel({}, {rules(5)}));
  CHECK(g.predicted == Mode::nft);
  CHECK(g.source ==
        "iptables-wrapper (kubernetes-sigs v3), not yet run: will pick nft (no hint: nft)");
}

TEST_CASE("audit component mode: no iptables, or not an xtables binary") {
  Component c = calico({});
  c.name = "kube-router";
  c.iptables.note = "iptables: not found on /usr/bin";
  ComponentMode m = component_mode(c, kernel({}, {}));
  CHECK_FALSE(m.mode.has_value());
  CHECK(m.source == "iptables: not found on /usr/bin");

  c.iptables.note.clear();
  c.iptables.info = BinaryInfo{};
  CHECK(component_mode(c, kernel({}, {})).source ==
        "iptables in its root is not an xtables binary");
}

TEST_CASE("audit component mode: calico-node's FELIX_IPTABLESBACKEND") {
  const KernelState k = kernel({kMangleHint}, {});
  SUBCASE("Legacy, whatever its image's iptables is") {
    ComponentMode m = component_mode(calico({"FELIX_IPTABLESBACKEND=Legacy"}, kNftBinary), k);
    CHECK(m.mode == Mode::legacy);
    CHECK(m.source == "FELIX_IPTABLESBACKEND=Legacy");
    CHECK_FALSE(m.wrapper_pending);
  }
  SUBCASE("NFT in any case") {
    ComponentMode m = component_mode(calico({"felix_iptablesbackend=NFT"}, kLegacyBinary), k);
    CHECK(m.mode == Mode::nft);
    CHECK(m.source == "FELIX_IPTABLESBACKEND=NFT");
  }
  SUBCASE("Auto: Felix's own detection") {
    ComponentMode m = component_mode(calico({"FELIX_IPTABLESBACKEND=Auto"}, kLegacyBinary), k);
    CHECK(m.mode == Mode::nft);
    CHECK(m.predicted == Mode::nft);
    CHECK(contains(m.source, "FELIX_IPTABLESBACKEND=Auto: Felix picks nft"));
  }
  SUBCASE("unset: auto") {
    ComponentMode m =
        component_mode(calico({"PATH=/usr/bin"}, kLegacyBinary), kernel({}, {kMangleHint}));
    CHECK(m.mode == Mode::legacy);
    CHECK(contains(m.source, "FELIX_IPTABLESBACKEND unset (auto): Felix picks legacy"));
  }
  SUBCASE("no environment at all: hidden, the binary's mode stands") {
    ComponentMode m = component_mode(calico({}, kLegacyBinary), k);
    CHECK(m.mode == Mode::legacy);
    CHECK(m.source == "iptables in its root is xtables-legacy-multi; environment hidden");
    CHECK_FALSE(m.predicted.has_value());
  }
}

// Felix picks its backend itself and never runs the image's `iptables`: with
// FELIX_IPTABLESBACKEND=Legacy the wrapper is no longer pending, and the same
// must hold for auto, else WRAPPER_PENDING reports Felix's pick as the
// wrapper's (here they differ: no hint, no rules: Felix legacy, wrapper nft).
TEST_CASE("audit component mode: calico-node on auto with a wrapper image is not wrapper-pending") {
  const KernelState k = kernel({}, {});
  for (std::string env : {"FELIX_IPTABLESBACKEND=auto", "PATH=/usr/bin"}) {
    CAPTURE(env);
    ComponentMode m = component_mode(calico({env}, kShellWrapper), k);
    CHECK(m.mode == Mode::legacy);
    CHECK_FALSE(m.wrapper_pending);
  }
}

TEST_CASE(
    "audit component mode: kube-proxy's flags set proxy_mode, and nftables mode writes no "
    "iptables") {
  Component c = calico({}, kLegacyBinary);
  c.name = "kube-proxy";
  c.pids = {0};
  c.argv = {"kube-proxy", "--proxy-mode=ipvs"};
  ComponentMode ipvs = component_mode(c, kernel({}, {}));
  CHECK(ipvs.proxy_mode == ProxyMode::ipvs);
  CHECK(ipvs.mode == Mode::legacy);

  c.argv = {"kube-proxy", "--proxy-mode=nftables"};
  ComponentMode nft = component_mode(c, kernel({}, {}));
  CHECK(nft.proxy_mode == ProxyMode::nftables);
  CHECK_FALSE(nft.mode.has_value());
  CHECK(contains(nft.source, "proxy-mode nftables"));
  CHECK_FALSE(nft.nft_version.has_value());

  // A mode kube-proxy no longer has (or never had) is unknown, not iptables.
  c.argv = {"kube-proxy", "--proxy-mode=userspace"};
  CHECK(component_mode(c, kernel({}, {})).proxy_mode == ProxyMode::unknown);
  CHECK(to_string(ProxyMode::unknown) == "unknown");
}

// Pure: what the gather step read from kube-proxy's root is all it sees.
TEST_CASE("audit component mode: kube-proxy's --config text, nft version and note come in") {
  Component c = calico({}, kLegacyBinary);
  c.name = "kube-proxy";
  c.pids = {4321};
  c.argv = {"kube-proxy", "--config=/var/lib/kube-proxy/config.conf"};
  ComponentMode m = component_mode(
      c, kernel({}, {}),
      ComponentReads{"mode: nftables\n", "cut at 64 KiB", Version{1, 0, 9}, {}, false});
  CHECK(m.proxy_mode == ProxyMode::nftables);
  CHECK_FALSE(m.mode.has_value());
  CHECK(m.nft_version == Version{1, 0, 9});
  CHECK(m.note == "cut at 64 KiB");

  // Not in nftables mode: the nft in its image does not matter.
  ComponentMode ipt = component_mode(
      c, kernel({}, {}), ComponentReads{"mode: iptables\n", "", Version{1, 0, 9}, {}, false});
  CHECK(ipt.proxy_mode == ProxyMode::iptables);
  CHECK(ipt.mode == Mode::legacy);
  CHECK_FALSE(ipt.nft_version.has_value());

  // Only kube-proxy reads them.
  c.name = "kube-router";
  CHECK_FALSE(
      component_mode(c, kernel({}, {}), ComponentReads{"mode: nftables\n", "x", {}, {}, false})
          .proxy_mode.has_value());
}

}  // namespace iptmode
