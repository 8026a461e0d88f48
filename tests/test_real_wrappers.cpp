// The real upstream wrappers as the oracle for audit/wrapper_prediction.h:
// each installed in a real bookworm root the way its image build installs it
// (.ci/setup), a component pivot_rooted in it in a fresh netns, the kernel in
// one of several states; iptmode's predicted pick must equal what the real
// wrapper then picks on its first call, `nsenter -t PID -m -n iptables -V`.
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>

#include "tests/support/audit_json.h"
#include "tests/support/detect.h"
#include "tests/support/netns.h"
#include "tests/support/rooted_process.h"
#include "tests/support/wrapped_roots.h"

namespace iptmode {
namespace {

// k3s puts its bin dir (its iptables names linked to iptables-detect.sh)
// first in PATH; the other families replace /usr/sbin's names.
constexpr std::string_view kK3sPath =
    "PATH=/var/lib/rancher/k3s/data/current/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:"
    "/usr/bin:/sbin:/bin";

enum class State { empty, hint_nft, hint_legacy, rules_legacy, rules_nft, legacy12_nft20 };

std::string_view name(State s) {
  switch (s) {
    case State::empty:
      return "no tables";
    case State::hint_nft:
      return "kubelet's hint in nf_tables mangle, no rules";
    case State::hint_legacy:
      return "kubelet's hint in x_tables mangle, no rules";
    case State::rules_legacy:
      return "3 x_tables rules";
    case State::rules_nft:
      return "3 nf_tables rules";
    case State::legacy12_nft20:
      return "12 x_tables rules, 20 nf_tables rules";
  }
  return "?";
}

// N rules in the filter table of one backend, by the root's own binary.
void add_rules(const test::Netns& ns, const std::filesystem::path& root, const char* backend,
               int n) {
  std::string text = "*filter\n";
  for (int i = 0; i < n; ++i)
    text += "-A INPUT -p tcp -m tcp --dport " + std::to_string(10000 + i) + " -j ACCEPT\n";
  text += "COMMIT\n";
  ns.exec_ok({"chroot", root.string(), std::string(backend) + "-restore", "--noflush"},
             {.stdin_text = text, .env = std::nullopt});
}

void make_state(const test::Netns& ns, const std::filesystem::path& root, State s) {
  auto hint = [&](const char* backend) {
    ns.exec_ok({"chroot", root.string(), backend, "-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  };
  switch (s) {
    case State::empty:
      break;
    case State::hint_nft:
      hint("iptables-nft");
      break;
    case State::hint_legacy:
      hint("iptables-legacy");
      break;
    case State::rules_legacy:
      add_rules(ns, root, "iptables-legacy", 3);
      break;
    case State::rules_nft:
      add_rules(ns, root, "iptables-nft", 3);
      break;
    case State::legacy12_nft20:
      add_rules(ns, root, "iptables-legacy", 12);
      add_rules(ns, root, "iptables-nft", 20);
      break;
  }
}

// What the node's root says besides the rules (k3s-root's fallbacks read it).
enum class Host {
  as_built,     // /etc/alternatives/iptables -> /usr/sbin/iptables-nft, Debian 12
  alt_legacy,   // update-alternatives --set iptables /usr/sbin/iptables-legacy
  no_alt,       // no /etc/alternatives/iptables: the OS decides
  no_alt_deb9,  // and /etc/debian_version says 9 (stretch, legacy by default)
};

std::string_view name(Host h) {
  switch (h) {
    case Host::as_built:
      return "alternatives -> iptables-nft";
    case Host::alt_legacy:
      return "alternatives -> iptables-legacy";
    case Host::no_alt:
      return "no alternatives link, Debian 12";
    case Host::no_alt_deb9:
      return "no alternatives link, Debian 9";
  }
  return "?";
}

void prepare_host(const std::filesystem::path& root, Host h) {
  if (h == Host::alt_legacy)
    test::run_ok({"chroot", root.string(), "update-alternatives", "--set", "iptables",
                  "/usr/sbin/iptables-legacy"});
  if (h == Host::no_alt || h == Host::no_alt_deb9)
    std::filesystem::remove(root / "etc/alternatives/iptables");
  if (h == Host::no_alt_deb9) {
    std::filesystem::remove(root / "etc/debian_version");
    std::ofstream(root / "etc/debian_version") << "9.13\n";
  }
}

struct Case {
  std::string_view family;  // wrapped-FAMILY under /var/cache/iptmode-roots
  std::string_view kind;    // core/wrapper.h's to_string
  State state;
  std::string_view picks;               // what the real wrapper picked when this was written
  std::string_view iptables_mode = {};  // k3s-root's IPTABLES_MODE, when set
  Host host = Host::as_built;
};

constexpr std::string_view kV1 = "kubernetes-sigs v1";
constexpr std::string_view kV2 = "kubernetes-sigs v2";
constexpr std::string_view kV3 = "kubernetes-sigs v3";
constexpr std::string_view kRelease = "kubernetes/release debian-iptables";
constexpr std::string_view kK3s = "k3s-root iptables-detect.sh";

constexpr Case kCases[] = {
    {"sigs-v1", kV1, State::empty, "legacy"},
    {"sigs-v1", kV1, State::hint_nft, "legacy"},
    {"sigs-v1", kV1, State::hint_legacy, "legacy"},
    {"sigs-v1", kV1, State::rules_legacy, "legacy"},
    {"sigs-v1", kV1, State::rules_nft, "nft"},
    {"sigs-v1", kV1, State::legacy12_nft20, "nft"},
    {"sigs-v2", kV2, State::empty, "nft"},
    {"sigs-v2", kV2, State::hint_nft, "nft"},
    {"sigs-v2", kV2, State::hint_legacy, "legacy"},
    {"sigs-v2", kV2, State::rules_legacy, "legacy"},
    {"sigs-v2", kV2, State::rules_nft, "nft"},
    {"sigs-v2", kV2, State::legacy12_nft20, "nft"},
    {"sigs-v3", kV3, State::empty, "nft"},
    {"sigs-v3", kV3, State::hint_nft, "nft"},
    {"sigs-v3", kV3, State::hint_legacy, "legacy"},
    {"sigs-v3", kV3, State::rules_legacy, "nft"},  // no rule count: no hint is nft
    {"sigs-v3", kV3, State::rules_nft, "nft"},
    {"sigs-v3", kV3, State::legacy12_nft20, "nft"},
    {"release", kRelease, State::empty, "legacy"},
    // Issue 10: an nft node with only kubelet's hint; a tie at 0 and 0.
    {"release", kRelease, State::hint_nft, "legacy"},
    {"release", kRelease, State::hint_legacy, "legacy"},
    {"release", kRelease, State::rules_legacy, "legacy"},
    {"release", kRelease, State::rules_nft, "nft"},
    {"release", kRelease, State::legacy12_nft20, "nft"},
    // No rules: not containerized here, so /etc/alternatives/iptables decides.
    {"k3s", kK3s, State::empty, "nft"},
    {"k3s", kK3s, State::hint_nft, "nft"},
    {"k3s", kK3s, State::hint_legacy, "nft"},
    {"k3s", kK3s, State::rules_legacy, "legacy"},
    {"k3s", kK3s, State::rules_nft, "nft"},
    {"k3s", kK3s, State::legacy12_nft20, "legacy"},  // 10 or more x_tables rules
    {"k3s", kK3s, State::rules_nft, "legacy", "legacy"},
    {"k3s", kK3s, State::empty, "legacy", {}, Host::alt_legacy},
    {"k3s", kK3s, State::empty, "nft", {}, Host::no_alt},
    {"k3s", kK3s, State::empty, "legacy", {}, Host::no_alt_deb9},
};

void check_case(const Case& k) {
  auto cached = test::wrapped_root(k.family);
  if (!cached) return;
  test::OverlayRoot r(*cached);
  prepare_host(r.root, k.host);
  test::Netns ns;
  make_state(ns, r.root, k.state);
  std::vector<std::string> env;
  if (k.family == "k3s") env.emplace_back(kK3sPath);
  if (!k.iptables_mode.empty()) env.push_back("IPTABLES_MODE=" + std::string(k.iptables_mode));
  test::RootedProcess p(r.root, ns, {"/bin/sleep", "kube-proxy", {"infinity"}, env});

  const test::json a = test::audit_in(ns);
  const test::json& c = test::component_of(a.at("components"), p.pid());
  CAPTURE(c.dump());
  CHECK(c.at("wrapper") == k.kind);
  CHECK(c.at("wrapper_pending") == true);
  const std::string predicted = c.value("predicted", "");

  // The real wrapper's first call, as the component would make it.
  std::vector<std::string> call{"iptables", "-V"};
  if (!env.empty()) {
    env.insert(env.begin(), "env");
    call.insert(call.begin(), env.begin(), env.end());
  }
  const auto picked = p.enter(call, true);
  REQUIRE_MESSAGE(picked.exit_code == 0, "the wrapper: " << picked.err);
  const std::string real = test::parse_v(picked.out).mode;
  CHECK_MESSAGE(predicted == real,
                "iptmode predicted " << predicted << ", the real wrapper picked " << real);
  CHECK(real == k.picks);

  // It relinked: the component's iptables is now that backend, no wrapper.
  const test::json d = test::run_detect(ns);
  const test::json& now = test::component_of(d.at("evidence").at("components"), p.pid());
  CAPTURE(now.dump());
  CHECK(now.at("iptables").at("wrapper") == "none");
  CHECK(now.at("iptables").at("mode") == real);
}

TEST_CASE("real wrappers: iptmode predicts what each real upstream wrapper picks") {
  for (const Case& k : kCases) {
    CAPTURE(k.family);
    CAPTURE(name(k.state));
    CAPTURE(k.iptables_mode);
    CAPTURE(name(k.host));
    check_case(k);
  }
}

// On a read-only root the shell wrappers cannot relink and every call fails:
// kubernetes/release's update-alternatives under `set -e`, k3s-root's
// xtables-set-mode.sh, and the kubernetes-sigs v1/v2 fallback, which runs
// xtables-MODE-multi with the script's path as the command name.
TEST_CASE("real wrappers: on a read-only root every shell wrapper's call fails, as audited") {
  for (std::string_view family : {"release", "k3s", "sigs-v1", "sigs-v2"}) {
    CAPTURE(family);
    auto cached = test::wrapped_root(family);
    if (!cached) continue;
    test::OverlayRoot r(*cached);
    test::Netns ns;
    std::vector<std::string> env;
    if (family == "k3s") env.emplace_back(kK3sPath);
    test::RootedProcess p(r.root, ns, {"/bin/sleep", "kube-proxy", {"infinity"}, env, true});
    const test::json a = test::audit_in(ns);
    const test::json* f = test::finding(a, "WRAPPER_CANNOT_RELINK");
    REQUIRE_MESSAGE(f != nullptr, a.dump(2));
    CHECK(f->at("severity") == "error");
    CHECK(f->at("message").get<std::string>().find("every iptables call") != std::string::npos);
    std::vector<std::string> call{"iptables", "-V"};
    if (!env.empty()) call.insert(call.begin(), {"env", env.front()});
    const auto first = p.enter(call, true);
    CAPTURE(first.err);
    CHECK(first.exit_code != 0);
    CHECK(first.out.find(" v1.8") == std::string::npos);
  }
}

// The Go wrapper's fallback runs xtables-MODE-multi with its own argv, which
// works: it detects again on every call, so its choice flips as rules change.
TEST_CASE("real wrappers: sigs v3 on a read-only root re-detects on every call, as audited") {
  auto cached = test::wrapped_root("sigs-v3");
  if (!cached) return;
  test::OverlayRoot r(*cached);
  test::Netns ns;
  test::RootedProcess p(r.root, ns, "kube-proxy", /*read_only=*/true);
  const test::json a = test::audit_in(ns);
  const test::json* f = test::finding(a, "WRAPPER_CANNOT_RELINK");
  REQUIRE_MESSAGE(f != nullptr, a.dump(2));
  CHECK(f->at("severity") == "warning");
  CHECK(f->at("message").get<std::string>().find("re-detects on every call") != std::string::npos);
  const std::string predicted =
      test::component_of(a.at("components"), p.pid()).value("predicted", "");
  CHECK(predicted == "nft");  // no hint: nft
  const auto first = p.enter({"iptables", "-V"}, true);
  REQUIRE_MESSAGE(first.exit_code == 0, first.err);
  CHECK(first.err.find("Unable to redirect iptables binaries") != std::string::npos);
  CHECK(test::parse_v(first.out).mode == predicted);
  // kubelet's hint in x_tables now: the audit and the next call say legacy.
  make_state(ns, r.root, State::hint_legacy);
  const test::json again = test::audit_in(ns);
  CHECK(test::component_of(again.at("components"), p.pid()).value("predicted", "") == "legacy");
  const auto second = p.enter({"iptables", "-V"}, true);
  REQUIRE_MESSAGE(second.exit_code == 0, second.err);
  CHECK(test::parse_v(second.out).mode == "legacy");
}

}  // namespace
}  // namespace iptmode
