// How each component will drive the packet filter: Felix's auto detection,
// iptables-wrapper's first-run choice, kube-proxy's proxy mode, and the
// environment lookups they rest on.
#include <doctest/doctest.h>

#include <sys/mman.h>
#include <unistd.h>

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
  CHECK(kube_proxy_mode({"kube-proxy"}, "") == "iptables");
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode=ipvs"}, "") == "ipvs");
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode", "nftables"}, "") == "nftables");
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode=IPVS"}, "") == "ipvs");
  // argv[0] is the program, never a flag.
  CHECK(kube_proxy_mode({"--proxy-mode=ipvs"}, "") == "iptables");
  // A dangling --proxy-mode says nothing.
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode"}, "") == "iptables");
  // The flag wins over the config file.
  CHECK(kube_proxy_mode({"kube-proxy", "--proxy-mode=ipvs", "--config=/c"}, "mode: nftables\n") ==
        "ipvs");
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
        "nftables");
  CHECK(kube_proxy_mode({"kube-proxy"}, "mode: 'ipvs'\r\n") == "ipvs");
  CHECK(kube_proxy_mode({"kube-proxy"}, "mode: IPTables") == "iptables");
  // An empty mode is kube-proxy's default, iptables; a nested one is not the top-level key.
  CHECK(kube_proxy_mode({"kube-proxy"}, "mode: \"\"\n") == "iptables");
  CHECK(kube_proxy_mode({"kube-proxy"}, "  mode: ipvs\n") == "iptables");
  CHECK(kube_proxy_mode({"kube-proxy"}, "modes: ipvs\n") == "iptables");
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
  CHECK(m.proxy_mode.empty());
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
  // No /proc/PID/root to read (pid 0 is never a process): flags alone.
  Component c = calico({}, kLegacyBinary);
  c.name = "kube-proxy";
  c.pids = {0};
  c.argv = {"kube-proxy", "--proxy-mode=ipvs"};
  ComponentMode ipvs = component_mode(c, kernel({}, {}), "/nonexistent-proc");
  CHECK(ipvs.proxy_mode == "ipvs");
  CHECK(ipvs.mode == Mode::legacy);

  c.argv = {"kube-proxy", "--proxy-mode=nftables"};
  ComponentMode nft = component_mode(c, kernel({}, {}), "/nonexistent-proc");
  CHECK(nft.proxy_mode == "nftables");
  CHECK_FALSE(nft.mode.has_value());
  CHECK(contains(nft.source, "proxy-mode nftables"));
  CHECK_FALSE(nft.nft_version.has_value());
}

TEST_CASE("audit component mode: read_nft_version takes the first NUL-delimited X.Y.Z") {
  auto version_of = [](std::string_view bytes) {
    int fd = ::memfd_create("nft", MFD_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()));
    ::lseek(fd, 0, SEEK_SET);
    auto v = read_nft_version(fd);
    ::close(fd);
    return v;
  };
  using namespace std::string_literals;
  CHECK(version_of("\x7f"
                   "ELF\0nft\0%s v%s (%s)\0"
                   "1.0.6\0Lester Gooch #5\0"s) == Version{1, 0, 6});
  CHECK(version_of("\0"
                   "1.1.0\0"
                   "2.0.0\0"s) == Version{1, 1, 0});
  // Not delimited on both sides, too many dots, or no digits: not a version.
  CHECK_FALSE(version_of("\0"
                         "v1.0.6\0"
                         "1.2\0"
                         "1.2.3.4\0"
                         "x\0"s)
                  .has_value());
  CHECK_FALSE(version_of(""s).has_value());
}

}  // namespace iptmode
