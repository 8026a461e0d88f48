// find_problems() over hand-built audit evidence: each finding code fires on
// the state it describes and not on its near misses, with the severity,
// message and remedy an operator acts on.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "audit/findings.h"
#include "detect/decide.h"
#include "tests/support/evidence.h"

namespace iptmode {
namespace {

using namespace test;

const Table kHint = hint_table();

std::vector<const Finding*> with_code(const std::vector<Finding>& f, std::string_view code) {
  std::vector<const Finding*> out;
  for (const auto& x : f)
    if (x.code == code) out.push_back(&x);
  return out;
}

// The one finding with `code`; fails the test unless there is exactly one.
const Finding& only(const std::vector<Finding>& f, std::string_view code) {
  auto found = with_code(f, code);
  REQUIRE_MESSAGE(found.size() == 1, "expected exactly one " << code << ", got " << found.size());
  return *found.front();
}

// A finding of a temporary list would dangle: keep the list in a variable.
const Finding& only(std::vector<Finding>&& f, std::string_view code) = delete;

bool has(const std::vector<Finding>& f, std::string_view code) {
  return !with_code(f, code).empty();
}

std::string codes(const std::vector<Finding>& f) {
  std::string s;
  for (const auto& x : f) s += x.code + "(" + std::string(to_string(x.severity)) + ") ";
  return s;
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

}  // namespace

TEST_CASE("audit findings: a consistent node has none") {
  for (Mode m : {Mode::nft, Mode::legacy}) {
    AuditEvidence a = node(m);
    a.components.push_back(component("kube-proxy", 100, m));
    a.components.push_back(component("kube-router", 200, m));
    auto f = find_problems(a);
    CAPTURE(codes(f));
    CHECK(f.empty());
    CHECK_FALSE(reaches(f, Severity::info));
  }
}

TEST_CASE(
    "audit findings: MODE_SPLIT when a component in the node's netns is legacy on an nft node") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-proxy", 4242, Mode::legacy));
  a.components.push_back(component("kube-router", 77, Mode::nft));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& s = only(f, "MODE_SPLIT");
  CHECK(s.severity == Severity::error);
  CHECK(contains(s.message, "kube-proxy (pid 4242)"));
  CHECK(contains(s.message, "on legacy"));
  CHECK(contains(s.message, "the node on nft"));
  CHECK_FALSE(contains(s.message, "kube-router"));
  // Every party is in the evidence, with its backend.
  CHECK(std::any_of(s.evidence.begin(), s.evidence.end(), [](const std::string& e) {
    return e.starts_with("legacy: kube-proxy (pid 4242)");
  }));
  CHECK(std::any_of(s.evidence.begin(), s.evidence.end(), [](const std::string& e) {
    return e.starts_with("nft: the node's mode (hint)");
  }));
  CHECK(std::any_of(s.evidence.begin(), s.evidence.end(), [](const std::string& e) {
    return e.starts_with("nft: kube-router (pid 77)");
  }));
  CHECK(contains(s.remedy, "xtables-nft-multi"));
  CHECK(contains(s.remedy, "FELIX_IPTABLESBACKEND=NFT"));
  CHECK(contains(s.remedy, "iptmode shim install"));
  CHECK_FALSE(has(f, "COMPONENT_NOT_IN_HOST_NETNS"));
}

TEST_CASE(
    "audit findings: MODE_SPLIT on a legacy node names the nft writer and the Legacy remedy") {
  AuditEvidence a = node(Mode::legacy);
  a.components.push_back(component("calico-node", 9, Mode::nft));
  auto f = find_problems(a);
  const Finding& s = only(f, "MODE_SPLIT");
  CHECK(contains(s.message, "calico-node (pid 9) on nft, the node on legacy"));
  CHECK(contains(s.remedy, "FELIX_IPTABLESBACKEND=Legacy"));
  CHECK(contains(s.remedy, "xtables-legacy-multi"));
}

TEST_CASE(
    "audit findings: a legacy component in another netns is COMPONENT_NOT_IN_HOST_NETNS, not "
    "MODE_SPLIT") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-proxy", 31, Mode::legacy, {1, 8, 9}, false));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK_FALSE(has(f, "MODE_SPLIT"));
  const Finding& n = only(f, "COMPONENT_NOT_IN_HOST_NETNS");
  CHECK(n.severity == Severity::info);
  CHECK(contains(n.message, "kube-proxy (pid 31)"));
  REQUIRE(n.evidence.size() == 1);
  CHECK(n.evidence[0] == "net_ns 4026539999");
  CHECK(f.size() == 1);
  CHECK(reaches(f, Severity::info));
  CHECK_FALSE(reaches(f, Severity::warning));
}

TEST_CASE("audit findings: a component in another netns is left out of the version checks") {
  // Known bad and skewed, but its rules are in another namespace.
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-proxy", 31, Mode::nft, {1, 8, 2}, false));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK_FALSE(has(f, "VERSION_KNOWN_BAD"));
  CHECK_FALSE(has(f, "VERSION_SKEW"));
}

TEST_CASE("audit findings: the shim's recorded mode takes part in MODE_SPLIT") {
  AuditEvidence a = node(Mode::nft);
  a.bin.exists = true;
  a.bin.shim_installed = true;
  a.bin.state_mode = Mode::legacy;
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& s = only(f, "MODE_SPLIT");
  CHECK(contains(s.message, "the shim in /var/lib/k0s/bin on legacy"));
}

TEST_CASE("audit findings: K8S_CHAINS_IN_BOTH_BACKENDS when Kubernetes chains are in both") {
  AuditEvidence a = node(Mode::nft);
  a.ev.kernel.nft.tables.clear();  // no hint: only kube-proxy's chains count here
  a.ev.kernel.nft.tables.push_back(
      table("ip", "nat", {chain("KUBE-SERVICES"), chain("POSTROUTING")}));
  a.ev.kernel.legacy.tables.push_back(
      table("ip", "nat", {chain("KUBE-SERVICES"), chain("KUBE-SVC-ABC")}));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& k = only(f, "K8S_CHAINS_IN_BOTH_BACKENDS");
  CHECK(k.severity == Severity::error);
  // nf_tables: KUBE-SERVICES (POSTROUTING is nobody's); x_tables: KUBE-SERVICES, KUBE-SVC-ABC.
  CHECK(k.message == "Kubernetes chains in both backends: 1 in nf_tables, 2 in x_tables");
  CHECK(std::find(k.evidence.begin(), k.evidence.end(), "nf_tables: ip nat KUBE-SERVICES") !=
        k.evidence.end());
  CHECK(std::find(k.evidence.begin(), k.evidence.end(), "x_tables: ip nat KUBE-SVC-ABC") !=
        k.evidence.end());
  CHECK(contains(k.remedy, "iptables-legacy-save"));
  CHECK(contains(k.remedy, "every writer is on nft"));
}

TEST_CASE("audit findings: K8S_CHAINS_IN_BOTH_BACKENDS evidence is capped at five per backend") {
  AuditEvidence a = node(Mode::nft);
  std::vector<Chain> many;
  for (int i = 0; i < 9; ++i) many.push_back(chain("KUBE-SEP-" + std::to_string(i)));
  a.ev.kernel.nft.tables.clear();
  a.ev.kernel.nft.tables.push_back(table("ip", "nat", many));
  a.ev.kernel.legacy.tables.push_back(table("ip", "nat", many));
  auto f = find_problems(a);
  const Finding& k = only(f, "K8S_CHAINS_IN_BOTH_BACKENDS");
  CHECK(k.evidence.size() == 10);
  CHECK(contains(k.message, "9 in nf_tables, 9 in x_tables"));
}

TEST_CASE("audit findings: no K8S_CHAINS_IN_BOTH_BACKENDS for other owners or native tables") {
  AuditEvidence a = node(Mode::nft);
  a.ev.kernel.nft.tables.push_back(table("ip", "filter", {chain("DOCKER-USER"), chain("INPUT")}));
  a.ev.kernel.nft.tables.push_back(table("inet", "firewalld", {chain("KUBE-LIKE-NAME")}));
  a.ev.kernel.nft.tables.push_back(table("ip", "kube-proxy", {chain("KUBE-SERVICES")}));
  a.ev.kernel.legacy.tables.push_back(
      table("ip", "filter", {chain("DOCKER-USER"), chain("INPUT")}));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK_FALSE(has(f, "K8S_CHAINS_IN_BOTH_BACKENDS"));
}

TEST_CASE("audit findings: HINT_IN_BOTH_BACKENDS") {
  AuditEvidence a = node(Mode::nft);
  a.ev.kernel.legacy.tables.push_back(kHint);
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& h = only(f, "HINT_IN_BOTH_BACKENDS");
  CHECK(h.severity == Severity::warning);
  CHECK(h.evidence == std::vector<std::string>{"nf_tables: ip mangle KUBE-IPTABLES-HINT",
                                               "x_tables: ip mangle KUBE-IPTABLES-HINT"});
  CHECK(contains(h.remedy, "legacy backend (iptables-legacy)"));
}

// Hint chains carry no rules and have their own, deliberately milder finding.
// Today they also count as Kubernetes chains in both backends, so a stale
// hint alone is an error and `--fail-on error` trips on it (see the report).
TEST_CASE("audit findings: hint chains alone do not make K8S_CHAINS_IN_BOTH_BACKENDS") {
  AuditEvidence a = node(Mode::nft);
  a.ev.kernel.legacy.tables.push_back(kHint);
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK(has(f, "HINT_IN_BOTH_BACKENDS"));
  CHECK_FALSE(has(f, "K8S_CHAINS_IN_BOTH_BACKENDS"));
  CHECK_FALSE(reaches(f, Severity::error));
}

TEST_CASE("audit findings: LEGACY_RULES_UNDER_NFT and NFT_RULES_UNDER_LEGACY") {
  SUBCASE("x_tables rules on an nft node") {
    AuditEvidence a = node(Mode::nft);
    a.ev.kernel.legacy.tables.push_back(table("ip", "filter", {chain("INPUT", 3)}));
    a.ev.kernel.legacy.tables.push_back(table("ip6", "filter", {chain("INPUT", 1)}));
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& r = only(f, "LEGACY_RULES_UNDER_NFT");
    CHECK(r.severity == Severity::warning);
    CHECK(contains(r.message, "4 iptables rules in x_tables"));
    CHECK(r.evidence == std::vector<std::string>{"x_tables 4 rules, nf_tables 0 rules"});
    CHECK(contains(r.remedy, "iptables-legacy-save"));
    CHECK_FALSE(has(f, "NFT_RULES_UNDER_LEGACY"));
  }
  SUBCASE("nf_tables iptables rules on a legacy node") {
    AuditEvidence a = node(Mode::legacy);
    a.ev.kernel.nft.tables.push_back(table("ip", "nat", {chain("POSTROUTING", 2)}));
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& r = only(f, "NFT_RULES_UNDER_LEGACY");
    CHECK(r.severity == Severity::warning);
    CHECK(contains(r.message, "2 iptables rules in nf_tables"));
    CHECK(contains(r.remedy, "iptables-nft-save"));
    CHECK_FALSE(has(f, "LEGACY_RULES_UNDER_NFT"));
  }
  SUBCASE("native nftables tables are not iptables rules") {
    AuditEvidence a = node(Mode::legacy);
    a.ev.kernel.nft.tables.push_back(table("inet", "firewalld", {chain("filter_INPUT", 40)}));
    a.ev.kernel.nft.tables.push_back(table("ip", "kube-proxy", {chain("services", 12)}));
    auto f = find_problems(a);
    CAPTURE(codes(f));
    CHECK_FALSE(has(f, "NFT_RULES_UNDER_LEGACY"));
  }
  SUBCASE("rules in the selected backend are not stray") {
    AuditEvidence a = node(Mode::nft);
    a.ev.kernel.nft.tables.push_back(table("ip", "filter", {chain("INPUT", 30)}));
    CHECK(find_problems(a).empty());
  }
}

TEST_CASE("audit findings: SHIM_NOT_INSTALLED only when the bin dir exists") {
  AuditEvidence a = node(Mode::nft);
  a.bin.exists = false;
  CHECK_FALSE(has(find_problems(a), "SHIM_NOT_INSTALLED"));

  a.bin.exists = true;
  a.bin.names.push_back({"iptables", true, std::string("xtables-nft-multi"), false, ""});
  a.bin.names.push_back({"iptables-save", true, std::nullopt, false, ""});
  a.bin.names.push_back({"ip6tables", false, std::nullopt, false, ""});
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& s = only(f, "SHIM_NOT_INSTALLED");
  CHECK(s.severity == Severity::warning);
  CHECK(contains(s.message, "/var/lib/k0s/bin exists"));
  CHECK(s.remedy == "iptmode shim install --bin-dir /var/lib/k0s/bin");
  CHECK(s.evidence == std::vector<std::string>{"iptables -> xtables-nft-multi",
                                               "iptables-save -> (a file)",
                                               "ip6tables -> (missing)"});
}

// The bin dir with the shim in place and both backends staged.
void install_shim(AuditEvidence& a, std::optional<Mode> state) {
  a.bin.exists = true;
  a.bin.shim_binary = true;
  a.bin.shim_installed = true;
  a.bin.backend_dir = a.bin.dir;
  a.bin.state_mode = state;
  for (Mode m : {Mode::nft, Mode::legacy})
    a.bin.backends.push_back(
        StagedBackend{m, a.bin.dir + "/xtables-" + std::string(to_string(m)) + "-multi",
                      xtables(m, {1, 8, 9}), ""});
}

TEST_CASE("audit findings: BIN_DIR_NAME_BROKEN for a dangling or missing name (k0s #2141, #2157)") {
  AuditEvidence a = node(Mode::nft);
  a.bin.exists = true;
  BinDirName dangling{"iptables", true, std::string("xtables-legcy-multi"), false,
                      "/var/lib/k0s/bin/xtables-legcy-multi: No such file or directory"};
  a.bin.names.push_back(dangling);
  a.bin.names.push_back({"iptables-save", true, std::string("xtables-nft-multi"), false, ""});
  a.bin.names.push_back({"ip6tables", false, std::nullopt, false, ""});
  auto f = find_problems(a);
  CAPTURE(codes(f));
  auto broken = with_code(f, "BIN_DIR_NAME_BROKEN");
  REQUIRE(broken.size() == 2);
  CHECK(broken[0]->severity == Severity::error);
  CHECK(broken[0]->message.starts_with(
      "/var/lib/k0s/bin/iptables -> xtables-legcy-multi dangles: kubelet"));
  CHECK(broken[0]->evidence.back() ==
        "/var/lib/k0s/bin/xtables-legcy-multi: No such file or directory");
  CHECK(broken[1]->message.starts_with("/var/lib/k0s/bin/ip6tables is missing"));
  CHECK(contains(broken[1]->remedy, "ln -sfn xtables-nft-multi /var/lib/k0s/bin/ip6tables"));
  // A bin dir without any of k0s's iptables files (a controller without
  // CPLB) is not a broken one.
  a.bin.names = {{"iptables", false, std::nullopt, false, ""}};
  CHECK_FALSE(has(find_problems(a), "BIN_DIR_NAME_BROKEN"));
}

// A k0s node on nft by kubelet's hint, whose next k0s start would differ.
AuditEvidence k0s_node(std::vector<std::string> argv) {
  AuditEvidence a = node(Mode::nft);
  a.bin.exists = true;
  a.bin.names.push_back({"iptables", true, std::string("xtables-nft-multi"), false, ""});
  a.k0s = Component{};
  a.k0s->name = "k0s";
  a.k0s->pids = {77};
  a.k0s->argv = std::move(argv);
  a.k0s->iptables = a.ev.host_iptables;
  a.osrelease = "6.1.0";
  return a;
}

TEST_CASE("audit findings: K0S_NEXT_CHOICE_DIFFERS, with and without the shim") {
  AuditEvidence a = k0s_node({"/usr/local/bin/k0s", "worker", "--iptables-mode=legacy"});
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& d = only(f, "K0S_NEXT_CHOICE_DIFFERS");
  CHECK(d.severity == Severity::warning);
  CHECK(contains(d.message, "xtables-legacy-multi (flag), the node is on nft"));
  CHECK(contains(d.remedy, "--iptables-mode=nft"));
  CHECK(d.evidence[1] == "--iptables-mode: legacy");

  install_shim(a, Mode::nft);
  auto g = find_problems(a);
  CAPTURE(codes(g));
  const Finding& w = only(g, "K0S_NEXT_CHOICE_DIFFERS");
  CHECK(w.severity == Severity::warning);
  CHECK(contains(w.message, "until the watch puts the shim back"));

  // k0s's own detection agrees (the nft hint): nothing.
  AuditEvidence b = k0s_node({"/usr/local/bin/k0s", "worker"});
  auto h = find_problems(b);
  CAPTURE(codes(h));
  CHECK_FALSE(has(h, "K0S_NEXT_CHOICE_DIFFERS"));
  // No hint, more legacy lines than nft lines: k0s goes legacy where the
  // node's rule count (or an override) says nft.
  b.ev.kernel.nft = backend({table("ip", "filter", {chain("INPUT", 1)})});
  b.ev.kernel.legacy = backend({table("ip", "filter", {chain("INPUT"), chain("FORWARD")}),
                                table("ip", "raw", {chain("PREROUTING"), chain("OUTPUT")})});
  auto l = find_problems(b);
  CAPTURE(codes(l));
  CHECK(contains(only(l, "K0S_NEXT_CHOICE_DIFFERS").message, "(line-count)"));
}

TEST_CASE("audit findings: K0S_IPTABLES_MODE_INVALID for a value k0s links unchecked") {
  AuditEvidence a = k0s_node({"k0s", "worker", "--iptables-mode", "nftables"});
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& i = only(f, "K0S_IPTABLES_MODE_INVALID");
  CHECK(i.severity == Severity::error);
  CHECK(contains(i.message, "the missing xtables-nftables-multi"));
  CHECK_FALSE(has(f, "K0S_NEXT_CHOICE_DIFFERS"));
}

TEST_CASE("audit findings: an installed shim that agrees gives nothing") {
  AuditEvidence a = node(Mode::nft);
  install_shim(a, Mode::nft);
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK(f.empty());
}

TEST_CASE("audit findings: SHIM_STATE_DRIFT") {
  AuditEvidence a = node(Mode::nft);
  install_shim(a, Mode::legacy);
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& d = only(f, "SHIM_STATE_DRIFT");
  CHECK(d.severity == Severity::warning);
  CHECK(contains(d.message, "dispatches to legacy but the evidence now says nft (hint)"));
  CHECK(d.evidence == std::vector<std::string>{"reason text for hint"});
  CHECK(d.remedy == "if nft is right: iptmode detect --write --bin-dir /var/lib/k0s/bin");
  CHECK_FALSE(has(f, "SHIM_NOT_INSTALLED"));

  // No recorded state: nothing to drift from.
  AuditEvidence b = node(Mode::nft);
  install_shim(b, std::nullopt);
  CHECK_FALSE(has(find_problems(b), "SHIM_STATE_DRIFT"));
}

TEST_CASE("audit findings: SHIM_OUTDATED when the bin dir's shim is not the package's") {
  AuditEvidence a = node(Mode::nft);
  install_shim(a, Mode::nft);
  CHECK_FALSE(has(find_problems(a), "SHIM_OUTDATED"));
  a.bin.packaged_shim_differs = "/usr/libexec/iptmode/iptmode-shim";
  auto f = find_problems(a);
  const Finding& o = only(f, "SHIM_OUTDATED");
  CHECK(o.severity == Severity::warning);
  CHECK(contains(o.message,
                 "/var/lib/k0s/bin/iptmode-shim differs from the package's "
                 "/usr/libexec/iptmode/iptmode-shim"));
  CHECK(o.remedy == "iptmode shim install --bin-dir /var/lib/k0s/bin");
}

TEST_CASE("audit findings: a backend the shim refuses is not also BACKEND_MISSING") {
  AuditEvidence a = node(Mode::nft);
  install_shim(a, Mode::nft);
  a.bin.backends[0].info.reset();
  a.bin.backends[0].refused = true;
  a.bin.shim_refusals.push_back(
      "/var/lib/k0s/bin/xtables-nft-multi: a FIFO, not a regular file; "
      "stage xtables-nft-multi there");
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK_FALSE(has(f, "BACKEND_MISSING"));
  CHECK(only(f, "SHIM_REFUSES").remedy == "stage xtables-nft-multi there");
}

TEST_CASE("audit findings: BACKEND_MISSING for the backend the shim dispatches to") {
  SUBCASE("the recorded mode's backend is missing") {
    AuditEvidence a = node(Mode::nft);
    install_shim(a, Mode::nft);
    a.bin.backends[0].info.reset();
    a.bin.backends[0].note = "No such file or directory";
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& b = only(f, "BACKEND_MISSING");
    CHECK(b.severity == Severity::error);
    CHECK(contains(b.message, "nft backend is missing"));
    CHECK(b.evidence == std::vector<std::string>{
                            "/var/lib/k0s/bin/xtables-nft-multi: No such file or directory"});
    CHECK(contains(b.remedy, "stage xtables-nft-multi in /var/lib/k0s/bin"));
  }
  SUBCASE("the other backend missing does not matter") {
    AuditEvidence a = node(Mode::nft);
    install_shim(a, Mode::nft);
    a.bin.backends[1].info.reset();
    CHECK_FALSE(has(find_problems(a), "BACKEND_MISSING"));
  }
  SUBCASE("without a state, the decision's backend") {
    AuditEvidence a = node(Mode::legacy);
    install_shim(a, std::nullopt);
    a.bin.backends[1].info.reset();
    auto f = find_problems(a);
    CHECK(contains(only(f, "BACKEND_MISSING").message, "legacy backend"));
  }
  SUBCASE("no shim: the staged backends are not the audit's business") {
    AuditEvidence a = node(Mode::nft);
    install_shim(a, Mode::nft);
    a.bin.shim_installed = false;
    a.bin.backends[0].info.reset();
    CHECK_FALSE(has(find_problems(a), "BACKEND_MISSING"));
  }
}

TEST_CASE("audit findings: VERSION_KNOWN_BAD for a component on iptables-nft 1.8.2") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-router", 55, Mode::nft, {1, 8, 2}));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& k = only(f, "VERSION_KNOWN_BAD");
  CHECK(k.severity == Severity::error);
  CHECK(contains(k.message, "kube-router (pid 55) is iptables 1.8.2 (nft)"));
  REQUIRE(k.evidence.size() == 2);
  CHECK(k.evidence[0] == "kube-router (pid 55): /usr/sbin/xtables-nft-multi iptables-nft 1.8.2");
  CHECK(contains(k.evidence[1], "82361"));
  CHECK(k.remedy ==
        "upgrade the iptables of kube-router (pid 55) (/usr/sbin/xtables-nft-multi) to a version "
        "outside 1.8.0-1.8.3");
  // And as a reader <= 1.8.7 beside the host's 1.8.9, it is skewed too.
  CHECK(has(f, "VERSION_SKEW"));
}

TEST_CASE("audit findings: VERSION_KNOWN_BAD covers the host and staged backends, by backend") {
  SUBCASE("the host's iptables-nft 1.8.10") {
    AuditEvidence a = node(Mode::nft);
    a.ev.host_iptables.info = xtables(Mode::nft, {1, 8, 10});
    auto f = find_problems(a);
    CHECK(contains(only(f, "VERSION_KNOWN_BAD").message,
                   "the host's iptables is iptables 1.8.10 (nft)"));
  }
  SUBCASE("legacy 1.8.2 is not in the nft rows") {
    AuditEvidence a = node(Mode::legacy);
    a.components.push_back(component("kube-proxy", 3, Mode::legacy, {1, 8, 2}));
    CHECK_FALSE(has(find_problems(a), "VERSION_KNOWN_BAD"));
  }
  SUBCASE("a staged backend of an installed shim") {
    AuditEvidence a = node(Mode::nft);
    install_shim(a, Mode::nft);
    a.bin.backends[0].info = xtables(Mode::nft, {1, 8, 3});
    auto f = find_problems(a);
    CHECK(contains(only(f, "VERSION_KNOWN_BAD").message,
                   "/var/lib/k0s/bin/xtables-nft-multi is iptables 1.8.3"));
  }
}

TEST_CASE("audit findings: VERSION_SKEW between an nft 1.8.7 component and the host's nft 1.8.9") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-proxy", 12, Mode::nft, {1, 8, 7}));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& s = only(f, "VERSION_SKEW");
  CHECK(s.severity == Severity::error);
  CHECK(s.message ==
        "kube-proxy (pid 12) (iptables-nft 1.8.7) misreads rules written by the host's iptables "
        "(iptables-nft 1.8.9)");
  // Both sides: who, pid, path, backend and version; then the measured loss.
  REQUIRE(s.evidence.size() == 4);
  CHECK(s.evidence[0] ==
        "reader: kube-proxy (pid 12): /usr/sbin/xtables-nft-multi iptables-nft 1.8.7");
  CHECK(contains(s.evidence[1], "writer: the host's iptables: "));
  CHECK(contains(s.evidence[1], "iptables-nft 1.8.9"));
  CHECK(contains(s.evidence[2], "-A KUBE-POSTROUTING -j RETURN"));
  CHECK(s.evidence[3] == "https://bugzilla.netfilter.org/show_bug.cgi?id=1632");
  CHECK(contains(s.remedy,
                 "upgrade the iptables of kube-proxy (pid 12) "
                 "(/usr/sbin/xtables-nft-multi) to iptables-nft >= 1.8.8"));
  CHECK_FALSE(has(f, "VERSION_KNOWN_BAD"));
}

TEST_CASE("audit findings: VERSION_UNKNOWN when a writer's version cannot be read") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-proxy", 12, Mode::nft));
  a.components.back().c.iptables.info->version.reset();
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& u = only(f, "VERSION_UNKNOWN");
  CHECK(u.severity == Severity::info);
  CHECK(u.message ==
        "version unknown: skew and known-bad checks could not run for kube-proxy (pid 12)");
  CHECK(u.evidence[0] ==
        "kube-proxy (pid 12): /usr/sbin/xtables-nft-multi iptables-nft version unknown");
  CHECK(u.remedy == "read it by hand: `nsenter -t 12 -m iptables -V`");
  CHECK_FALSE(has(f, "VERSION_SKEW"));
}

TEST_CASE("audit findings: no VERSION_SKEW on one side of 1.8.8, nor across backends") {
  SUBCASE("all <= 1.8.7") {
    AuditEvidence a = node(Mode::nft);
    a.ev.host_iptables.info = xtables(Mode::nft, {1, 8, 7});
    a.components.push_back(component("kube-proxy", 12, Mode::nft, {1, 8, 4}));
    CHECK_FALSE(has(find_problems(a), "VERSION_SKEW"));
  }
  SUBCASE("all >= 1.8.8") {
    AuditEvidence a = node(Mode::nft);
    a.components.push_back(component("kube-proxy", 12, Mode::nft, {1, 8, 8}));
    CHECK_FALSE(has(find_problems(a), "VERSION_SKEW"));
  }
  SUBCASE("a legacy 1.8.7 does not read nf_tables") {
    AuditEvidence a = node(Mode::nft);
    a.components.push_back(component("kube-proxy", 12, Mode::legacy, {1, 8, 7}));
    CHECK_FALSE(has(find_problems(a), "VERSION_SKEW"));
  }
}

TEST_CASE("audit findings: NFT_VERSION_SKEW for kube-proxy in nftables mode with a newer nft") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(nftables_kube_proxy(8, {1, 1, 0}));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& n = only(f, "NFT_VERSION_SKEW");
  CHECK(n.severity == Severity::warning);
  CHECK(contains(n.message, "kube-proxy (pid 8) runs nft 1.1.0, newer than the host's nft 1.0.6"));
  CHECK(n.remedy == "install nftables >= 1.1.0 on the host");

  SUBCASE("the same nft, or iptables mode, or an unknown host nft: nothing") {
    AuditEvidence b = a;
    b.components[0].how.nft_version = Version{1, 0, 6};
    CHECK_FALSE(has(find_problems(b), "NFT_VERSION_SKEW"));
    b = a;
    b.components[0].how.proxy_mode = ProxyMode::iptables;
    CHECK_FALSE(has(find_problems(b), "NFT_VERSION_SKEW"));
    b = a;
    b.host_nft_version.reset();
    CHECK_FALSE(has(find_problems(b), "NFT_VERSION_SKEW"));
  }
}

// The host's nft lists the host's namespace: a kube-proxy in another network
// namespace writes tables it never shows (see the report).
TEST_CASE("audit findings: no NFT_VERSION_SKEW for a kube-proxy in another netns") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(nftables_kube_proxy(8, {1, 1, 0}, /*in_netns=*/false));
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK(has(f, "COMPONENT_NOT_IN_HOST_NETNS"));
  CHECK_FALSE(has(f, "NFT_VERSION_SKEW"));
}

TEST_CASE("audit findings: FIREWALLD_BACKEND_MISMATCH") {
  AuditEvidence a = node(Mode::nft);
  a.firewalld.config_found = true;
  a.firewalld.backend = FirewallBackend::iptables;
  a.firewalld.zone = "public";

  SUBCASE("running: an error") {
    a.firewalld.running = true;
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& m = only(f, "FIREWALLD_BACKEND_MISMATCH");
    CHECK(m.severity == Severity::error);
    CHECK(contains(m.message, "FirewallBackend=iptables (legacy), the node's writers nft"));
    CHECK(contains(m.remedy, "FirewallBackend=nftables"));
    CHECK(contains(m.remedy, "/etc/firewalld/firewalld.conf"));
  }
  SUBCASE("not running, a role given: a warning") {
    a.role = Role::controller;
    a.firewalld.services = {"k0s-controller"};
    auto f = find_problems(a);
    CAPTURE(codes(f));
    CHECK(only(f, "FIREWALLD_BACKEND_MISMATCH").severity == Severity::warning);
  }
  SUBCASE("not running, no role: nothing") {
    CHECK(find_problems(a).empty());
  }
  SUBCASE("no config: nothing, even running") {
    a.firewalld.config_found = false;
    a.firewalld.running = true;
    CHECK(find_problems(a).empty());
  }
  SUBCASE("unset backend is nftables: matches an nft node") {
    a.firewalld.backend.reset();
    a.firewalld.running = true;
    CHECK(find_problems(a).empty());
  }
  SUBCASE("nftables on a legacy node") {
    AuditEvidence b = node(Mode::legacy);
    b.firewalld.config_found = true;
    b.firewalld.running = true;
    b.firewalld.backend = FirewallBackend::nftables;
    auto f = find_problems(b);
    const Finding& m = only(f, "FIREWALLD_BACKEND_MISMATCH");
    CHECK(contains(m.remedy, "FirewallBackend=iptables"));
  }
}

TEST_CASE("audit findings: FIREWALLD_SERVICE_MISSING for a worker without masquerade and CIDRs") {
  AuditEvidence a = node(Mode::nft);
  a.role = Role::worker;
  a.firewalld.config_found = true;
  a.firewalld.zone = "public";
  a.firewalld.zone_found = true;
  a.firewalld.services = {"ssh", "k0s-worker"};
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& s = only(f, "FIREWALLD_SERVICE_MISSING");
  CHECK(s.severity == Severity::warning);
  CHECK(s.message ==
        "firewalld zone public lacks masquerade, source 10.244.0.0/16, source 10.96.0.0/12");
  CHECK(s.remedy ==
        "firewall-cmd --permanent --zone=public --add-masquerade --add-source=10.244.0.0/16 "
        "--add-source=10.96.0.0/12 && firewall-cmd --reload");
  REQUIRE(s.evidence.size() == 2);
  CHECK(s.evidence[1] == "CIDRs from k0s defaults");
  CHECK_FALSE(has(f, "FIREWALLD_BACKEND_MISMATCH"));

  SUBCASE("everything there: nothing") {
    a.firewalld.masquerade = true;
    a.firewalld.sources = {"10.96.0.0/12", "10.244.0.0/16"};
    CHECK(find_problems(a).empty());
  }
  SUBCASE("controller+worker also needs k0s-controller") {
    a.role = Role::controller_worker;
    a.firewalld.services = {};
    auto fc = find_problems(a);
    const Finding& c = only(fc, "FIREWALLD_SERVICE_MISSING");
    CHECK(contains(c.message, "lacks service k0s-controller, service k0s-worker, masquerade"));
    CHECK(contains(c.remedy, "--add-service=k0s-controller --add-service=k0s-worker"));
  }
  SUBCASE("a controller needs neither masquerade nor the CIDRs") {
    a.role = Role::controller;
    a.firewalld.services = {"k0s-controller"};
    CHECK(find_problems(a).empty());
  }
  SUBCASE("no role: the zone is not checked") {
    a.role = Role::none;
    CHECK(find_problems(a).empty());
  }
}

TEST_CASE("audit findings: WRAPPER_PENDING, info when it will agree, warning when not") {
  auto pending = [](Mode predicted) {
    AuditedComponent ac = component("kube-router", 66, Mode::nft);
    ac.c.iptables.info = BinaryInfo{BinaryKind::iptables_wrapper, std::nullopt, std::nullopt, true};
    ac.c.iptables.resolved = Resolved{"/usr/sbin/iptables-wrapper", {}};
    ac.how.mode.reset();
    ac.how.wrapper_pending = true;
    ac.how.wrapper = WrapperKind::sigs_v2;
    ac.how.predicted = predicted;
    ac.how.source = "iptables-wrapper (kubernetes-sigs v2), not yet run";
    return ac;
  };
  SUBCASE("agrees") {
    AuditEvidence a = node(Mode::nft);
    a.components.push_back(pending(Mode::nft));
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& w = only(f, "WRAPPER_PENDING");
    CHECK(w.severity == Severity::info);
    CHECK(contains(w.message,
                   "kube-router (pid 66)'s iptables-wrapper (kubernetes-sigs v2) has "
                   "not chosen yet"));
    CHECK(contains(w.message, "will pick nft"));
    CHECK(w.evidence ==
          std::vector<std::string>{"/usr/sbin/iptables-wrapper",
                                   "iptables-wrapper (kubernetes-sigs v2), not yet run"});
    CHECK(w.remedy == "none needed");
    CHECK_FALSE(has(f, "MODE_SPLIT"));
  }
  SUBCASE("disagrees") {
    AuditEvidence a = node(Mode::legacy);
    a.components.push_back(pending(Mode::nft));
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& w = only(f, "WRAPPER_PENDING");
    CHECK(w.severity == Severity::warning);
    CHECK(contains(w.remedy, "create kubelet's hint in legacy first"));
    CHECK(contains(w.remedy, "xtables-legacy-multi"));
    CHECK_FALSE(has(f, "MODE_SPLIT"));
  }
}

TEST_CASE("audit findings: a wrapper we cannot predict, and one that cannot relink") {
  AuditedComponent ac = component("kube-proxy", 70, Mode::nft);
  ac.c.iptables.info = BinaryInfo{BinaryKind::iptables_wrapper, std::nullopt, std::nullopt, true};
  ac.c.iptables.resolved = Resolved{"/usr/sbin/iptables-wrapper", {}};
  ac.how.mode.reset();
  ac.how.wrapper_pending = true;
  SUBCASE("unknown family: no prediction, its own finding, no WRAPPER_PENDING") {
    ac.how.wrapper = WrapperKind::unknown;
    AuditEvidence a = node(Mode::nft);
    a.components.push_back(ac);
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& u = only(f, "WRAPPER_UNPREDICTABLE");
    CHECK(u.severity == Severity::warning);
    CHECK(contains(u.remedy, "xtables-nft-multi"));
    CHECK_FALSE(has(f, "WRAPPER_PENDING"));
  }
  SUBCASE("kubernetes-sigs v2 on a read-only root: every call fails") {
    ac.how.wrapper = WrapperKind::sigs_v2;
    ac.how.predicted = Mode::nft;
    ac.how.wrapper_cannot_relink = true;
    AuditEvidence a = node(Mode::nft);
    a.components.push_back(ac);
    auto f = find_problems(a);
    const Finding& r = only(f, "WRAPPER_CANNOT_RELINK");
    CHECK(r.severity == Severity::error);
    CHECK(contains(r.message, "every iptables call fails"));
    CHECK(contains(r.message, "No valid subcommand given"));
  }
  SUBCASE("kubernetes-sigs v3 on a read-only root: re-detects on every call") {
    ac.how.wrapper = WrapperKind::sigs_v3;
    ac.how.predicted = Mode::nft;
    ac.how.wrapper_cannot_relink = true;
    AuditEvidence a = node(Mode::nft);
    a.components.push_back(ac);
    auto f = find_problems(a);
    CAPTURE(codes(f));
    const Finding& r = only(f, "WRAPPER_CANNOT_RELINK");
    CHECK(r.severity == Severity::warning);
    CHECK(contains(r.message, "re-detects on every call"));
    CHECK(contains(r.remedy, "pin the image's iptables to xtables-nft-multi"));
    CHECK(contains(r.remedy, "create kubelet's hint in nft"));
  }
  SUBCASE("kubernetes/release's wrapper on a read-only root: every call fails") {
    ac.how.wrapper = WrapperKind::k8s_release;
    ac.how.predicted = Mode::legacy;
    ac.how.wrapper_cannot_relink = true;
    AuditEvidence a = node(Mode::nft);
    a.components.push_back(ac);
    auto f = find_problems(a);
    const Finding& r = only(f, "WRAPPER_CANNOT_RELINK");
    CHECK(r.severity == Severity::error);
    CHECK(contains(r.message, "every iptables call fails"));
  }
}

// The prediction reads this namespace's kernel state, which is not the one a
// component in another network namespace will look at (see the report).
TEST_CASE("audit findings: no WRAPPER_PENDING warning for a wrapper in another netns") {
  AuditEvidence a = node(Mode::legacy);
  AuditedComponent ac = component("kube-router", 66, Mode::nft, {1, 8, 9}, false);
  ac.c.iptables.info = BinaryInfo{BinaryKind::iptables_wrapper, std::nullopt, std::nullopt, true};
  ac.how.mode.reset();
  ac.how.wrapper_pending = true;
  ac.how.predicted = Mode::nft;
  a.components.push_back(ac);
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK(has(f, "COMPONENT_NOT_IN_HOST_NETNS"));
  CHECK_FALSE(reaches(f, Severity::warning));
}

TEST_CASE("audit findings: PROBE_DISAGREES when iptables -V contradicts the static reading") {
  AuditEvidence a = node(Mode::nft);
  AuditedComponent ac = component("kube-proxy", 5, Mode::nft);
  ac.probe = ProbeResult{true, Mode::legacy, "iptables v1.8.9 (legacy)"};
  a.components.push_back(ac);
  auto f = find_problems(a);
  CAPTURE(codes(f));
  const Finding& p = only(f, "PROBE_DISAGREES");
  CHECK(p.severity == Severity::warning);
  CHECK(p.evidence == std::vector<std::string>{"iptables v1.8.9 (legacy)"});

  a.components[0].probe = ProbeResult{true, Mode::nft, "iptables v1.8.9 (nf_tables)"};
  CHECK(find_problems(a).empty());
  a.components[0].probe = ProbeResult{false, std::nullopt, "exit 127: not found"};
  CHECK(find_problems(a).empty());
}

TEST_CASE("audit findings: sorted errors first, then warnings, then info, by code within each") {
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(component("kube-proxy", 1, Mode::legacy));                  // MODE_SPLIT
  a.components.push_back(component("kube-router", 2, Mode::nft, {1, 8, 7}));         // VERSION_SKEW
  a.components.push_back(component("calico-node", 3, Mode::nft, {1, 8, 9}, false));  // info
  a.ev.kernel.legacy.tables.push_back(kHint);  // HINT_IN_BOTH (+K8S today)
  a.ev.kernel.legacy.tables.push_back(table("ip", "filter", {chain("INPUT", 2)}));  // LEGACY_RULES
  a.ev.kernel.nft.tables.push_back(table("ip", "nat", {chain("KUBE-SERVICES")}));
  a.ev.kernel.legacy.tables.push_back(table("ip", "nat", {chain("KUBE-SERVICES")}));
  a.bin.exists = true;  // SHIM_NOT_INSTALLED
  auto f = find_problems(a);
  CAPTURE(codes(f));
  REQUIRE(f.size() >= 7);
  for (std::size_t i = 1; i < f.size(); ++i) {
    CAPTURE(i);
    CHECK(f[i - 1].severity <= f[i].severity);
    if (f[i - 1].severity == f[i].severity) CHECK(f[i - 1].code <= f[i].code);
  }
  CHECK(f.front().severity == Severity::error);
  CHECK(f.back().code == "COMPONENT_NOT_IN_HOST_NETNS");
  for (const char* code : {"K8S_CHAINS_IN_BOTH_BACKENDS", "MODE_SPLIT", "VERSION_SKEW",
                           "HINT_IN_BOTH_BACKENDS", "LEGACY_RULES_UNDER_NFT", "SHIM_NOT_INSTALLED"})
    CHECK_MESSAGE(has(f, code), code);
  // Every finding says what to do and what it is, on one line.
  for (const auto& x : f) {
    CAPTURE(x.code);
    CHECK_FALSE(x.message.empty());
    CHECK_FALSE(x.remedy.empty());
    CHECK(x.message.find('\n') == std::string::npos);
  }
}

TEST_CASE("audit findings: reaches() at each --fail-on level") {
  auto one = [](Severity s) { return std::vector<Finding>{Finding{"X", s, "m", {}, "r"}}; };
  CHECK_FALSE(reaches({}, Severity::error));
  CHECK_FALSE(reaches({}, Severity::warning));
  CHECK_FALSE(reaches({}, Severity::info));

  CHECK(reaches(one(Severity::error), Severity::error));
  CHECK(reaches(one(Severity::error), Severity::warning));
  CHECK(reaches(one(Severity::error), Severity::info));

  CHECK_FALSE(reaches(one(Severity::warning), Severity::error));
  CHECK(reaches(one(Severity::warning), Severity::warning));
  CHECK(reaches(one(Severity::warning), Severity::info));

  CHECK_FALSE(reaches(one(Severity::info), Severity::error));
  CHECK_FALSE(reaches(one(Severity::info), Severity::warning));
  CHECK(reaches(one(Severity::info), Severity::info));
}

TEST_CASE("audit findings: severity names round-trip") {
  for (Severity s : {Severity::error, Severity::warning, Severity::info})
    CHECK(parse_severity(to_string(s)) == s);
  CHECK(to_string(Severity::warning) == "warning");
  CHECK_FALSE(parse_severity("fatal").has_value());
  CHECK_FALSE(parse_severity("Error").has_value());
  CHECK_FALSE(parse_severity("").has_value());
}

}  // namespace iptmode

// Issue 11: writers of native nftables tables, and kubelet >= 1.33's hint,
// which it skips without a usable iptables and may make for one family only.
namespace iptmode {
namespace {

using namespace test;

AuditedComponent native_only(std::string name, int pid) {
  AuditedComponent ac = component(std::move(name), pid, Mode::legacy);
  ac.how.mode.reset();
  ac.how.iptables_none = true;
  ac.how.native = {{"ip", "calico"}, {"ip6", "calico"}, {"arp", "calico-arp"}};
  ac.how.source = "FELIX_NFTABLESMODE=Enabled: the nftables dataplane, no iptables";
  return ac;
}

}  // namespace

TEST_CASE("audit findings: a native-only writer never splits, whatever its binary says") {
  for (Mode m : {Mode::nft, Mode::legacy}) {
    CAPTURE(to_string(m));
    AuditEvidence a = node(m);
    a.components.push_back(component("kubelet", 100, m));
    // Its image's iptables is of the other backend: it does not run it.
    a.components.push_back(native_only("calico-node", 200));
    a.components.back().c.iptables.info = xtables(other(m), {1, 8, 2});
    auto f = find_problems(a);
    CAPTURE(codes(f));
    CHECK_FALSE(has(f, "MODE_SPLIT"));
    // Nor do the version checks count the iptables it does not use.
    CHECK_FALSE(has(f, "VERSION_KNOWN_BAD"));
    CHECK(f.empty());
  }
  // An iptables writer on the other backend still splits.
  AuditEvidence a = node(Mode::nft);
  a.components.push_back(native_only("calico-node", 200));
  a.components.push_back(component("kube-router", 300, Mode::legacy));
  CHECK(has(find_problems(a), "MODE_SPLIT"));
}

TEST_CASE("audit findings: an nft-only node without kubelet's hint is normal") {
  AuditEvidence a = node(Mode::nft);
  // Only native tables: kube-proxy's nftables mode and Felix's dataplane.
  a.ev.kernel.nft = backend({table("ip", "kube-proxy", {chain("services")}),
                             table("ip6", "kube-proxy", {chain("services")}),
                             table("ip", "calico", {chain("filter-FORWARD")})});
  a.ev.kernel.legacy = backend({});
  a.decision = decide(a.ev, std::nullopt);
  a.components.push_back(native_only("calico-node", 200));
  AuditedComponent kp = native_only("kube-proxy", 300);
  kp.how.native = {{"ip", "kube-proxy"}, {"ip6", "kube-proxy"}};
  kp.how.proxy_mode = ProxyMode::nftables;
  a.components.push_back(kp);
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK(a.decision.mode == Mode::nft);
  CHECK(f.empty());
}

TEST_CASE("audit findings: a hint in ip only (no ip6) is normal") {
  for (Mode m : {Mode::nft, Mode::legacy}) {
    CAPTURE(to_string(m));
    AuditEvidence a = node(m);  // its hint is in ip mangle only
    a.decision = decide(a.ev, std::nullopt);
    CHECK(a.decision.mode == m);
    CHECK(a.decision.rule == Rule::hint);
    a.components.push_back(component("kubelet", 100, m));
    auto f = find_problems(a);
    CAPTURE(codes(f));
    CHECK(f.empty());
  }
}

TEST_CASE("audit findings: k3s's bin dir is no place for the shim, and what k3s hosts is one") {
  AuditEvidence a = node(Mode::nft);
  a.bin.exists = true;
  a.bin.dir = "/var/lib/rancher/k3s/data/current/bin";
  BinDirName missing;
  missing.name = "iptables";
  a.bin.names.push_back(missing);
  a.bin_choice = {a.bin.dir, "k3s's bundled bin dir", true};
  // kubelet, kube-proxy, kube-router and flannel in one k3s process whose
  // iptables has no readable version: one VERSION_UNKNOWN, not four.
  for (const char* n : {"kubelet", "kube-proxy", "kube-router", "flannel"}) {
    AuditedComponent ac = component(n, 500, Mode::nft);
    ac.c.host = "k3s";
    ac.c.iptables.info->version.reset();
    a.components.push_back(ac);
  }
  auto f = find_problems(a);
  CAPTURE(codes(f));
  CHECK_FALSE(has(f, "SHIM_NOT_INSTALLED"));
  CHECK(with_code(f, "VERSION_UNKNOWN").size() == 1);
  CHECK_FALSE(has(f, "MODE_SPLIT"));
}

}  // namespace iptmode
