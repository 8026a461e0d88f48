// `iptmode audit` against the real kernel and real processes: each case
// builds packet-filter state with the real iptables-legacy, iptables-nft and
// nft in a fresh network namespace, starts stand-in components (kube-proxy,
// kube-router, calico-node) chrooted into small roots in mount namespaces of
// their own, runs the audit in that network namespace, and checks its JSON
// field by field with its exit status.
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "shim/state.h"
#include "tests/support/detect.h"
#include "tests/support/firewalld_zones.h"
#include "tests/support/kernel_snapshot.h"
#include "tests/support/maze.h"
#include "tests/support/netns.h"
#include "tests/support/real_roots.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_root.h"

using namespace iptmode::test;
using iptmode::UniqueFd;
namespace fs = std::filesystem;

namespace {

// A bin dir that does not exist: no shim findings unless a test wants them.
constexpr const char* kNoBinDir = "/nonexistent/iptmode-audit-test/bin";
constexpr const char* kVersion = "1.8.9";  // Debian 12's iptables, both backends

// ---------------------------------------------------------------- kernel state

void ipt(const Netns& ns, const std::string& bin, std::vector<std::string> args) {
  args.insert(args.begin(), {bin, "-w"});
  ns.exec_ok(args);
}

// kubelet's hint chain in one backend ("nft" or "legacy").
void hint(const Netns& ns, const std::string& backend) {
  ipt(ns, "iptables-" + backend, {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
}

// ------------------------------------------------------------------ test roots

// /usr/sbin/iptables -> a copy of the host's xtables-<mode>-multi.
void install_xtables(TestRoot& root, const std::string& mode) {
  const std::string multi = "xtables-" + mode + "-multi";
  root.copy_in("/usr/sbin/" + multi, "/usr/sbin/" + multi);
  root.symlink("/usr/sbin/iptables", multi);
}

// kubernetes-sigs/iptables-wrappers' shell installer, as far as a reader of
// its bytes can tell: it compares both saves and relinks on its first run.
constexpr std::string_view kWrapperScript = R"(#!/bin/sh
# Installed by iptables-wrapper-installer.sh: picks a backend at first run.
set -e
nft_kubelet_rules=$( (iptables-nft-save -t mangle || true) 2>/dev/null | grep -E '^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)' | wc -l)
if [ "${nft_kubelet_rules}" -ne 0 ]; then mode=nft; else
  legacy_kubelet_rules=$( (iptables-legacy-save || true) 2>/dev/null | grep -E '^:(KUBE-IPTABLES-HINT|KUBE-KUBELET-CANARY)' | wc -l)
  if [ "${legacy_kubelet_rules}" -ne 0 ]; then mode=legacy; else mode=nft; fi
fi
for cmd in iptables iptables-save iptables-restore; do
  ln -sf "xtables-${mode}-multi" "/usr/sbin/${cmd}"
done
exec "$0" "$@"
)";

// ------------------------------------------------------------- running audits

struct Audit {
  RunResult r;
  json j;
};

std::string describe_run(const std::vector<std::string>& argv, const RunResult& r) {
  return describe(argv) + "\nexit " + std::to_string(r.exit_code) + "\nstderr: " + r.err +
         "\nstdout: " + r.out;
}

bool is_mode(const json& v) {
  return v == "nft" || v == "legacy";
}

int severity_rank(const json& s) {
  if (s == "error") return 0;
  if (s == "warning") return 1;
  if (s == "info") return 2;
  return -1;
}

// What every audit --json answer must look like, whatever it found.
void check_audit_shape(const json& j) {
  CHECK(j.at("schema") == "iptmode.audit/v1");
  CHECK(is_mode(j.at("mode")));
  CHECK(std::find(kRuleOrder.begin(), kRuleOrder.end(), j.at("rule").get<std::string>()) !=
        kRuleOrder.end());
  const json& d = j.at("decision");
  CHECK(d.at("mode") == j.at("mode"));
  CHECK(d.at("rule") == j.at("rule"));
  CHECK(d.at("reasons").size() == kRuleOrder.size());
  CHECK(d.at("warnings").is_array());

  for (const json& c : j.at("components")) {
    CAPTURE(c.dump());
    CHECK(c.at("name").is_string());
    REQUIRE(c.at("pids").is_array());
    CHECK_FALSE(c.at("pids").empty());
    for (const json& p : c.at("pids")) CHECK(p.is_number_integer());
    CHECK(c.at("mount_ns").is_number_unsigned());
    CHECK(c.at("net_ns").is_number_unsigned());
    CHECK(c.at("in_audit_netns").is_boolean());
    CHECK((c.at("binary").is_null() || c.at("binary").is_string()));
    CHECK((c.at("kind").is_null() || c.at("kind").is_string()));
    CHECK((c.at("mode").is_null() || is_mode(c.at("mode"))));
    CHECK((c.at("version").is_null() || c.at("version").is_string()));
    CHECK(c.at("source").is_string());
    CHECK_FALSE(c.at("source").get<std::string>().empty());
    CHECK(c.at("wrapper_pending").is_boolean());
    CHECK((c.at("predicted").is_null() || is_mode(c.at("predicted"))));
  }

  for (const char* b : {"nft", "legacy"}) {
    const json& k = j.at("kernel").at(b);
    CHECK(k.at("available").is_boolean());
    CHECK(k.at("note").is_string());
    CHECK(k.at("iptables_rules").is_number_unsigned());
    for (const json& t : k.at("tables")) {
      CHECK(t.at("family").is_string());
      CHECK(t.at("name").is_string());
      CHECK(t.at("iptables").is_boolean());
      for (const json& c : t.at("chains")) {
        CHECK(c.at("name").is_string());
        CHECK((c.at("rules").is_null() || c.at("rules").is_number_unsigned()));
        CHECK(c.at("owner").is_string());
      }
    }
  }
  CHECK(j.at("host").at("iptables").is_object());
  CHECK(j.at("host").at("nft").contains("path"));
  CHECK(j.at("host").at("nft").contains("version"));

  const json& bin = j.at("bin_dir");
  CHECK(bin.at("path").is_string());
  CHECK(bin.at("exists").is_boolean());
  CHECK(bin.at("shim_installed").is_boolean());
  CHECK(bin.at("names").is_array());
  CHECK(bin.at("backend_dir").is_string());
  CHECK(bin.at("backends").is_array());
  CHECK((bin.at("state_mode").is_null() || is_mode(bin.at("state_mode"))));
  CHECK(bin.at("state_note").is_string());

  const json& fw = j.at("firewalld");
  CHECK(fw.at("config_found").is_boolean());
  CHECK(fw.at("running").is_boolean());
  CHECK((fw.at("backend").is_null() || fw.at("backend").is_string()));
  CHECK(fw.at("zone").is_string());
  CHECK(fw.at("services").is_array());
  CHECK(fw.at("sources").is_array());
  CHECK(fw.at("masquerade").is_boolean());

  int last = 0;
  for (const json& f : j.at("findings")) {
    CAPTURE(f.dump());
    const std::string code = f.at("code").get<std::string>();
    CHECK_FALSE(code.empty());
    CHECK(std::all_of(code.begin(), code.end(), [](char ch) {
      return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
    }));
    const int rank = severity_rank(f.at("severity"));
    CHECK(rank >= 0);
    CHECK(rank >= last);  // errors first
    last = rank;
    const std::string message = f.at("message").get<std::string>();
    CHECK_FALSE(message.empty());
    CHECK(message.find('\n') == std::string::npos);
    CHECK(f.at("evidence").is_array());
    for (const json& e : f.at("evidence")) CHECK(e.is_string());
    CHECK_FALSE(f.at("remedy").get<std::string>().empty());
  }
}

bool reaches(const json& j, int fail_on_rank) {
  for (const json& f : j.at("findings"))
    if (severity_rank(f.at("severity")) <= fail_on_rank) return true;
  return false;
}

json parse_audit(const std::vector<std::string>& argv, const RunResult& r) {
  REQUIRE_MESSAGE((r.exit_code == 0 || r.exit_code == 1), describe_run(argv, r));
  json j;
  try {
    j = json::parse(r.out);
  } catch (const std::exception& e) {
    FAIL("audit printed no JSON (" << e.what() << "): " << describe_run(argv, r));
  }
  check_schema(r.out, describe(argv));
  check_audit_shape(j);
  return j;
}

std::vector<std::string> audit_argv(const std::vector<std::string>& extra, bool with_json = true) {
  std::vector<std::string> argv{IPTMODE_BIN, "audit"};
  if (with_json) argv.push_back("--json");
  bool bin_dir = false;
  for (const auto& e : extra) bin_dir = bin_dir || e == "--bin-dir";
  if (!bin_dir) argv.insert(argv.end(), {"--bin-dir", kNoBinDir});
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

// `ip netns exec NS iptmode audit --json --bin-dir <none> [extra...]`; the
// exit status must be 1 exactly when a finding reaches warning (the default
// --fail-on).
Audit run_audit(const Netns& ns, const std::vector<std::string>& extra = {}) {
  const auto argv = ns.wrap(audit_argv(extra));
  Audit a{run(argv), {}};
  a.j = parse_audit(argv, a.r);
  INFO(describe_run(argv, a.r));
  const bool default_fail_on = std::find(extra.begin(), extra.end(), "--fail-on") == extra.end();
  if (default_fail_on) CHECK(a.r.exit_code == (reaches(a.j, 1) ? 1 : 0));
  return a;
}

std::vector<const json*> findings(const json& j, std::string_view code) {
  std::vector<const json*> out;
  for (const json& f : j.at("findings"))
    if (f.at("code") == code) out.push_back(&f);
  return out;
}

bool has_finding(const json& j, std::string_view code) {
  return !findings(j, code).empty();
}

const json& finding(const json& j, std::string_view code) {
  auto found = findings(j, code);
  REQUIRE_MESSAGE(found.size() == 1, "expected one " << code << " finding, got " << found.size()
                                                     << ": " << j.at("findings").dump(2));
  return *found.front();
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

// The one finding with `code` whose message names "<name> (pid <pid>)":
// fakes of other test runs on this machine may have findings of their own.
const json& finding_for(const json& j, std::string_view code, const std::string& name, pid_t pid) {
  const std::string who = name + " (pid " + std::to_string(pid) + ")";
  std::vector<const json*> found;
  for (const json* f : findings(j, code))
    if (contains(f->at("message").get<std::string>(), who)) found.push_back(f);
  REQUIRE_MESSAGE(found.size() == 1, "expected one " << code << " finding for " << who << ", got "
                                                     << found.size() << ": "
                                                     << j.at("findings").dump(2));
  return *found.front();
}

std::string str(const json& v) {
  return v.get<std::string>();
}

// Findings of severity warning or error; info is about other namespaces.
std::vector<std::string> serious(const json& j) {
  std::vector<std::string> out;
  for (const json& f : j.at("findings"))
    if (f.at("severity") != "info") out.push_back(str(f.at("code")) + ": " + str(f.at("message")));
  return out;
}

// The component entry that holds `pid`; fails the test when none does.
const json& component(const json& j, const std::string& name, pid_t pid) {
  const json* found = nullptr;
  for (const json& c : j.at("components")) {
    if (c.at("name") != name) continue;
    for (const json& p : c.at("pids"))
      if (p == pid) found = &c;
  }
  REQUIRE_MESSAGE(found != nullptr, "no component " << name << " with pid " << pid << " in "
                                                    << j.at("components").dump(2));
  return *found;
}

const json& component(const json& j, const FakeProcess& fake) {
  return component(j, fake.name(), fake.pid());
}

// name, pids, the two namespaces and in_audit_netns, from /proc.
void check_identity(const json& c, const std::string& name, pid_t pid, bool in_audit_netns) {
  CAPTURE(c.dump());
  CHECK(c.at("name") == name);
  CHECK(c.at("pids") == json::array({pid}));
  CHECK(c.at("mount_ns") == ns_inode(pid, "mnt"));
  CHECK(c.at("mount_ns") != ns_inode(::getpid(), "mnt"));
  CHECK(c.at("net_ns") == ns_inode(pid, "net"));
  CHECK(c.at("in_audit_netns") == in_audit_netns);
}

// A component whose iptables is a copy of xtables-<mode>-multi.
void check_xtables_component(const json& c, const std::string& mode) {
  CAPTURE(c.dump());
  CHECK(c.at("binary") == "/usr/sbin/xtables-" + mode + "-multi");
  CHECK(c.at("kind") == "xtables-" + mode + "-multi");
  CHECK(c.at("mode") == mode);
  CHECK(c.at("version") == kVersion);
  CHECK(c.at("source") == "iptables in its root is xtables-" + mode + "-multi");
  CHECK(c.at("wrapper_pending") == false);
  CHECK(c.at("predicted").is_null());
}

// ---------------------------------------------------- processes of our own

pid_t parent_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  REQUIRE(close != std::string::npos);
  std::istringstream rest(s.substr(close + 2));
  char state = 0;
  pid_t ppid = -1;
  rest >> state >> ppid;
  return ppid;
}

char state_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  return close == std::string::npos || close + 2 >= s.size() ? '?' : s[close + 2];
}

// ------------------------------------------------------ read-only snapshots

// Every file under `dir`: type, mode, size, inode, mtime, ctime and contents
// (a link's target). Reading changes only atimes, which are left out.
std::string tree_snapshot(const fs::path& dir) {
  std::map<std::string, std::string> rows;
  auto row = [&](const fs::path& p) {
    struct stat st {};
    REQUIRE_MESSAGE(::lstat(p.c_str(), &st) == 0, "lstat " << p);
    std::ostringstream o;
    o << std::oct << st.st_mode << std::dec << " size " << st.st_size << " ino " << st.st_ino
      << " nlink " << st.st_nlink << " mtime " << st.st_mtim.tv_sec << "." << st.st_mtim.tv_nsec
      << " ctime " << st.st_ctim.tv_sec << "." << st.st_ctim.tv_nsec;
    if (S_ISLNK(st.st_mode)) {
      o << " -> " << fs::read_symlink(p).string();
    } else if (S_ISREG(st.st_mode)) {
      std::ifstream f(p, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      o << " fnv " << iptmode::shim::fnv1a64(bytes);
      if (bytes.size() < 4096) o << " text " << json(bytes).dump();
    }
    rows[fs::relative(p, dir).string()] = o.str();
  };
  row(dir);
  for (const auto& e : fs::recursive_directory_iterator(dir)) row(e.path());
  std::string out;
  for (const auto& [path, r] : rows) out += path + ": " + r + "\n";
  return out;
}

// A k0s bin dir with the shim installed by hand: the shim binary, the six
// names linked to it, both backends staged, a recorded state of `mode`.
void shim_bin_dir(TestRoot& root, const std::string& inside, iptmode::Mode mode) {
  root.copy_in(SHIM_BIN, inside + "/iptmode-shim");
  for (const char* n : {"iptables", "iptables-save", "iptables-restore", "ip6tables",
                        "ip6tables-save", "ip6tables-restore"})
    root.symlink(inside + "/" + n, "iptmode-shim");
  root.copy_in("/usr/sbin/xtables-nft-multi", inside + "/xtables-nft-multi");
  root.copy_in("/usr/sbin/xtables-legacy-multi", inside + "/xtables-legacy-multi");
  iptmode::shim::State s;
  s.mode = mode;
  std::snprintf(s.rule, sizeof s.rule, "hint");
  char buf[iptmode::shim::kStateMax];
  const std::size_t n = iptmode::shim::format_state(s, buf, sizeof buf);
  REQUIRE(n > 0);
  root.write_file(inside + "/iptmode-shim.state", std::string_view(buf, n));
  root.write_file(inside + "/iptmode-shim.conf", "version-check = warn\n");
}

// A host root: the host's iptables (nft) and nft, firewalld on the iptables
// backend with the stock public zone, and k0s.yaml with its own pod CIDR.
void firewalld_host_root(TestRoot& host) {
  install_xtables(host, "nft");
  host.copy_in("/usr/sbin/nft", "/usr/sbin/nft");
  host.write_file("/etc/firewalld/firewalld.conf",
                  "# firewalld config file\nDefaultZone=public\nFirewallBackend=iptables\n");
  host.write_file("/etc/firewalld/zones/public.xml", kPublicZoneXml);
  host.write_file("/etc/k0s/k0s.yaml",
                  "apiVersion: k0s.k0sproject.io/v1beta1\nkind: ClusterConfig\nspec:\n"
                  "  network:\n    provider: kuberouter\n    podCIDR: 10.100.0.0/16\n");
}

}  // namespace

// 1
TEST_CASE("audit: all consistent: nft hint, kube-proxy on an nft iptables") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "nft");
  FakeProcess kp(root, "kube-proxy", &ns);

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.r.exit_code == 0);
  CHECK(a.j.at("mode") == "nft");
  CHECK(a.j.at("rule") == "hint");
  CHECK(serious(a.j).empty());

  const json& c = component(a.j, kp);
  check_identity(c, "kube-proxy", kp.pid(), true);
  check_xtables_component(c, "nft");
  CHECK(c.at("proxy_mode") == "iptables");
  CHECK_FALSE(c.contains("probe"));  // --exec-probe is off by default

  // The hint is kubelet's, in nf_tables, counted.
  const json* mangle = nullptr;
  for (const json& t : a.j.at("kernel").at("nft").at("tables"))
    if (t.at("family") == "ip" && t.at("name") == "mangle") mangle = &t;
  REQUIRE(mangle != nullptr);
  CHECK(mangle->at("iptables") == true);
  CHECK(mangle->at("chains") ==
        json::parse(
            R"([{"name":"KUBE-IPTABLES-HINT","rules":0,"rules_exact":true,"owner":"kubelet"}])"));
  CHECK(a.j.at("kernel").at("legacy").at("tables").empty());

  CHECK(a.j.at("host").at("nft").at("path") == "/usr/sbin/nft");
  CHECK(a.j.at("host").at("iptables").at("mode") == "nft");
  CHECK(a.j.at("bin_dir").at("path") == kNoBinDir);
  CHECK(a.j.at("bin_dir").at("exists") == false);
  // This host's own firewalld config, if any, is read from /.
  CHECK(a.j.at("firewalld").at("config_found") == fs::exists("/etc/firewalld/firewalld.conf"));
}

// 2
TEST_CASE("audit: kube-proxy on legacy against an nft hint is MODE_SPLIT") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "legacy");
  FakeProcess kp(root, "kube-proxy", &ns);

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.r.exit_code == 1);
  CHECK(a.j.at("mode") == "nft");
  CHECK(a.j.at("rule") == "hint");
  const json& c = component(a.j, kp);
  check_identity(c, "kube-proxy", kp.pid(), true);
  check_xtables_component(c, "legacy");

  const json& split = finding(a.j, "MODE_SPLIT");
  CHECK(split.at("severity") == "error");
  const std::string who = "kube-proxy (pid " + std::to_string(kp.pid()) + ")";
  CHECK(split.at("message") ==
        "writers on different backends: " + who + " on legacy, the node on nft");
  CHECK(any_contains(split.at("evidence"),
                     "legacy: " + who + ": iptables in its root is xtables-legacy-multi"));
  CHECK(any_contains(split.at("evidence"), "nft: the node's mode (hint)"));
  CHECK(contains(str(split.at("remedy")), "xtables-nft-multi"));
  CHECK(serious(a.j).size() == 1);

  // --fail-on error: MODE_SPLIT is an error, so still 1.
  Audit e = run_audit(ns, {"--fail-on", "error"});
  CHECK(e.r.exit_code == 1);
}

// 3
TEST_CASE("audit: kube-proxy's chains in both backends") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-nft", {"-t", "nat", "-N", "KUBE-SERVICES"});
  ipt(ns, "iptables-legacy", {"-t", "nat", "-N", "KUBE-SERVICES"});
  ipt(ns, "iptables-legacy", {"-t", "nat", "-N", "KUBE-SVC-ERIFXISQEP7F7OF4"});

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.r.exit_code == 1);
  // No hint and no rules: the host's iptables decides.
  CHECK(a.j.at("rule") == "host-binary");
  CHECK(a.j.at("mode") == "nft");
  const json& k = finding(a.j, "K8S_CHAINS_IN_BOTH_BACKENDS");
  CHECK(k.at("severity") == "error");
  CHECK(k.at("message") == "Kubernetes chains in both backends: 1 in nf_tables, 2 in x_tables");
  CHECK(k.at("evidence") ==
        json::array({"nf_tables: ip nat KUBE-SERVICES", "x_tables: ip nat KUBE-SERVICES",
                     "x_tables: ip nat KUBE-SVC-ERIFXISQEP7F7OF4"}));
  CHECK(contains(str(k.at("remedy")), "iptables-legacy-save"));
  // Empty chains are not stray rules.
  CHECK_FALSE(has_finding(a.j, "LEGACY_RULES_UNDER_NFT"));

  // The kernel section names each chain's owner.
  for (const char* b : {"nft", "legacy"})
    for (const json& t : a.j.at("kernel").at(b).at("tables"))
      for (const json& c : t.at("chains"))
        if (str(c.at("name")).starts_with("KUBE-")) CHECK(c.at("owner") == "kube-proxy");
}

// 4
TEST_CASE("audit: hint chains in both backends") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  hint(ns, "legacy");

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.r.exit_code == 1);
  CHECK(a.j.at("mode") == "nft");
  CHECK(a.j.at("rule") == "hint");
  const json& h = finding(a.j, "HINT_IN_BOTH_BACKENDS");
  CHECK(h.at("severity") == "warning");
  CHECK(h.at("evidence") == json::array({"nf_tables: ip mangle KUBE-IPTABLES-HINT",
                                         "x_tables: ip mangle KUBE-IPTABLES-HINT"}));
  CHECK(contains(str(h.at("remedy")), "iptables-legacy"));
  CHECK(any_contains(a.j.at("decision").at("warnings"), "hint chains in both backends"));
}

// 5
TEST_CASE("audit: calico-node with FELIX_IPTABLESBACKEND=Legacy on an nft node") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "nft");  // the image's iptables does not matter to Felix
  auto env = FakeProcess::default_env();
  env.push_back("FELIX_IPTABLESBACKEND=Legacy");
  FakeProcess calico(root, "calico-node", &ns, env);

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.r.exit_code == 1);
  const json& c = component(a.j, calico);
  check_identity(c, "calico-node", calico.pid(), true);
  CHECK(c.at("mode") == "legacy");
  CHECK(c.at("source") == "FELIX_IPTABLESBACKEND=Legacy");
  CHECK(c.at("binary") == "/usr/sbin/xtables-nft-multi");
  CHECK(c.at("version") == kVersion);
  CHECK(c.at("wrapper_pending") == false);

  const json& split = finding(a.j, "MODE_SPLIT");
  CHECK(split.at("severity") == "error");
  CHECK(contains(str(split.at("message")),
                 "calico-node (pid " + std::to_string(calico.pid()) + ") on legacy"));
  CHECK(any_contains(split.at("evidence"), "FELIX_IPTABLESBACKEND=Legacy"));
  CHECK(contains(str(split.at("remedy")), "FELIX_IPTABLESBACKEND=NFT"));
}

TEST_CASE("audit: calico-node with FELIX_IPTABLESBACKEND unset follows Felix's auto detection") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "legacy");
  FakeProcess calico(root, "calico-node", &ns);  // PATH only

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  const json& c = component(a.j, calico);
  CHECK(c.at("mode") == "nft");  // the nf_tables mangle hint, not its legacy binary
  CHECK(c.at("predicted") == "nft");
  CHECK(contains(str(c.at("source")), "FELIX_IPTABLESBACKEND unset (auto): Felix picks nft"));
  CHECK_FALSE(has_finding(a.j, "MODE_SPLIT"));
  CHECK(a.r.exit_code == 0);
}

// 6
TEST_CASE("audit: a shell iptables-wrapper not yet run: WRAPPER_PENDING with the kernel's pick") {
  if (!require_root()) return;
  TestRoot root;
  root.write_file("/usr/sbin/iptables", kWrapperScript, 0755);

  SUBCASE("an nft hint: it will pick nft, as the node: info") {
    Netns ns;
    hint(ns, "nft");
    FakeProcess kr(root, "kube-router", &ns);
    Audit a = run_audit(ns);
    INFO("audit --json: " << a.j.dump(2));
    const json& c = component(a.j, kr);
    check_identity(c, "kube-router", kr.pid(), true);
    CHECK(c.at("binary") == "/usr/sbin/iptables");
    CHECK(c.at("kind") == "iptables-wrapper");
    CHECK(c.at("mode").is_null());
    CHECK(c.at("version").is_null());
    CHECK(c.at("wrapper_pending") == true);
    CHECK(c.at("predicted") == "nft");
    CHECK(c.at("source") ==
          "iptables-wrapper (kubernetes-sigs v2), not yet run: will pick nft (kubelet's hint in "
          "nf_tables mangle)");
    const json& w = finding_for(a.j, "WRAPPER_PENDING", "kube-router", kr.pid());
    CHECK(w.at("severity") == "info");
    CHECK(contains(str(w.at("message")), "will pick nft"));
    CHECK(w.at("evidence").at(0) == "/usr/sbin/iptables");
    CHECK(w.at("remedy") == "none needed");
    CHECK_FALSE(has_finding(a.j, "MODE_SPLIT"));
    CHECK(a.r.exit_code == 0);
  }
  SUBCASE("no hint, more x_tables rules: the shell wrapper picks legacy") {
    Netns ns;
    ipt(ns, "iptables-legacy", {"-A", "INPUT", "-j", "ACCEPT"});
    ipt(ns, "iptables-legacy", {"-A", "OUTPUT", "-j", "ACCEPT"});
    FakeProcess kr(root, "kube-router", &ns);
    Audit a = run_audit(ns);
    INFO("audit --json: " << a.j.dump(2));
    CHECK(a.j.at("mode") == "legacy");
    CHECK(a.j.at("rule") == "rule-count");
    const json& c = component(a.j, kr);
    CHECK(c.at("predicted") == "legacy");
    CHECK(finding_for(a.j, "WRAPPER_PENDING", "kube-router", kr.pid()).at("severity") == "info");
  }
}

TEST_CASE("audit: a Go iptables-wrapper that will pick nft on a legacy node: a warning") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-j", "ACCEPT"});
  TestRoot root;
  using namespace std::string_literals;
  root.write_file("/usr/sbin/iptables",
                  "\x7f"
                  "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0"
                  "sigs.k8s.io/iptables-wrappers\0iptables-wrapper\0"s,
                  0755);
  FakeProcess kr(root, "kube-router", &ns);

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.j.at("mode") == "legacy");
  const json& c = component(a.j, kr);
  CHECK(c.at("kind") == "iptables-wrapper");
  CHECK(c.at("predicted") == "nft");
  CHECK(c.at("source") ==
        "iptables-wrapper (kubernetes-sigs v3), not yet run: will pick nft (no hint: nft)");
  const json& w = finding_for(a.j, "WRAPPER_PENDING", "kube-router", kr.pid());
  CHECK(w.at("severity") == "warning");
  CHECK(contains(str(w.at("remedy")), "xtables-legacy-multi"));
  CHECK(a.r.exit_code == 1);
}

// 7
TEST_CASE("audit: a component in another network namespace is reported, not a split") {
  if (!require_root()) return;
  Netns ours;
  Netns theirs;
  hint(ours, "nft");
  TestRoot root;
  install_xtables(root, "legacy");
  FakeProcess kp(root, "kube-proxy", &theirs);

  Audit a = run_audit(ours);
  INFO("audit --json in ours: " << a.j.dump(2));
  const json& c = component(a.j, kp);
  check_identity(c, "kube-proxy", kp.pid(), false);
  check_xtables_component(c, "legacy");
  CHECK_FALSE(has_finding(a.j, "MODE_SPLIT"));
  // Exactly one about our fake (fakes of other test runs on this machine may add theirs).
  const std::string who = "kube-proxy (pid " + std::to_string(kp.pid()) + ")";
  std::vector<const json*> ours_found;
  for (const json* f : findings(a.j, "COMPONENT_NOT_IN_HOST_NETNS"))
    if (contains(str(f->at("message")), who)) ours_found.push_back(f);
  REQUIRE(ours_found.size() == 1);
  const json& n = *ours_found.front();
  CHECK(n.at("severity") == "info");
  CHECK(n.at("message") ==
        who + " runs in another network namespace; its rules are not this node's");
  CHECK(n.at("evidence") == json::array({"net_ns " + std::to_string(ns_inode(kp.pid(), "net"))}));
  CHECK(a.r.exit_code == 0);
  CHECK(run_audit(ours, {"--fail-on", "info"}).r.exit_code == 1);

  // From its own namespace (no hint there: the host's nft iptables decides) it splits.
  Audit t = run_audit(theirs);
  INFO("audit --json in theirs: " << t.j.dump(2));
  CHECK(component(t.j, kp).at("in_audit_netns") == true);
  CHECK(has_finding(t.j, "MODE_SPLIT"));
  CHECK(t.r.exit_code == 1);
}

// 8
TEST_CASE("audit: firewalld on the iptables backend for a worker, under --host-root") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot host;
  firewalld_host_root(host);
  const std::string root = host.dir().string();

  Audit a = run_audit(ns, {"--host-root", root, "--role", "worker"});
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.r.exit_code == 1);
  CHECK(a.j.at("mode") == "nft");
  // The host binaries are the root's.
  CHECK(a.j.at("host").at("iptables").at("path") == "/usr/sbin/xtables-nft-multi");
  CHECK(a.j.at("host").at("iptables").at("mode") == "nft");
  CHECK(a.j.at("host").at("nft").at("path") == "/usr/sbin/nft");
  CHECK(a.j.at("host").at("nft").at("version") == "1.0.6");

  const json& fw = a.j.at("firewalld");
  CHECK(fw.at("config_found") == true);
  CHECK(fw.at("running") == false);
  CHECK(fw.at("backend") == "iptables");
  CHECK(fw.at("zone") == "public");
  CHECK(fw.at("services") == json::array({"ssh", "dhcpv6-client"}));
  CHECK(fw.at("sources") == json::array());
  CHECK(fw.at("masquerade") == false);

  const json& m = finding(a.j, "FIREWALLD_BACKEND_MISMATCH");
  CHECK(m.at("severity") == "warning");  // no firewalld process runs
  CHECK(contains(str(m.at("message")), "FirewallBackend=iptables (legacy)"));
  CHECK(contains(str(m.at("remedy")), "FirewallBackend=nftables"));

  const json& s = finding(a.j, "FIREWALLD_SERVICE_MISSING");
  CHECK(s.at("severity") == "warning");
  CHECK(s.at("message") ==
        "firewalld zone public lacks service k0s-worker, masquerade, source 10.100.0.0/16, "
        "source 10.96.0.0/12");
  CHECK(s.at("remedy") ==
        "firewall-cmd --permanent --zone=public --add-service=k0s-worker --add-masquerade "
        "--add-source=10.100.0.0/16 --add-source=10.96.0.0/12 && firewall-cmd --reload");
  CHECK(any_contains(s.at("evidence"), "CIDRs from /etc/k0s/k0s.yaml"));

  // Flags beat k0s.yaml.
  Audit flags = run_audit(ns, {"--host-root", root, "--role", "worker", "--pod-cidr", "10.7.0.0/16",
                               "--service-cidr", "10.8.0.0/16"});
  CHECK(contains(str(finding(flags.j, "FIREWALLD_SERVICE_MISSING").at("remedy")),
                 "--add-source=10.7.0.0/16 --add-source=10.8.0.0/16"));

  // No role and nothing running: firewalld's config is not this audit's business.
  Audit none = run_audit(ns, {"--host-root", root});
  CHECK_FALSE(has_finding(none.j, "FIREWALLD_BACKEND_MISMATCH"));
  CHECK_FALSE(has_finding(none.j, "FIREWALLD_SERVICE_MISSING"));
  CHECK(none.r.exit_code == 0);
}

TEST_CASE("audit: a running firewalld on the wrong backend is an error") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot host;
  firewalld_host_root(host);
  TestRoot fw_root;
  FakeProcess firewalld(fw_root, "firewalld", &ns);

  Audit a = run_audit(ns, {"--host-root", host.dir().string(), "--fail-on", "error"});
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.j.at("firewalld").at("running") == true);
  CHECK(finding(a.j, "FIREWALLD_BACKEND_MISMATCH").at("severity") == "error");
  CHECK(a.r.exit_code == 1);
  // firewalld is not one of the components.
  for (const json& c : a.j.at("components")) CHECK(c.at("name") != "firewalld");
}

// 9
TEST_CASE("audit: components that exit while the audit runs never break it") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  // Four kube-proxy processes on either backend, and a calico-node started
  // with an empty environment (env -i), each in a root of its own.
  constexpr int kFakes = 5;
  std::vector<std::unique_ptr<TestRoot>> roots;
  for (int i = 0; i < kFakes; ++i) {
    roots.push_back(std::make_unique<TestRoot>());
    install_xtables(*roots.back(), i % 2 ? "legacy" : "nft");
  }
  auto name_of = [](int i) { return std::string(i == 4 ? "calico-node" : "kube-proxy"); };
  const auto argv = ns.wrap(audit_argv({}));
  int exits[3] = {0, 0, 0};
  for (int round = 0; round < 12; ++round) {
    CAPTURE(round);
    std::vector<std::unique_ptr<FakeProcess>> fakes;
    for (int i = 0; i < kFakes; ++i)
      fakes.push_back(std::make_unique<FakeProcess>(
          *roots[i], name_of(i), &ns,
          i == 4 ? std::vector<std::string>{} : FakeProcess::default_env()));
    Spawned audit = spawn(argv);
    // While it scans: some are killed, some told to exit, in a pattern that
    // changes each round; the rest stay.
    for (int i = 0; i < kFakes; ++i) {
      const int what = (round + i) % 3;
      if (what == 0) ::kill(fakes[i]->pid(), SIGKILL);
      if (what != 2) fakes[i].reset();
    }
    RunResult r = collect(audit, Clock::now() + std::chrono::seconds(120));
    ++exits[std::clamp(r.exit_code, 0, 2)];
    json j = parse_audit(argv, r);
    for (const json& c : j.at("components")) {
      if (c.at("in_audit_netns") != true) continue;
      CAPTURE(c.dump());
      if (c.at("name") == "kube-proxy") {
        CHECK(is_mode(c.at("mode")));
        CHECK(c.at("version") == kVersion);
      } else if (c.at("name") == "calico-node") {
        // Its environment is empty (or was gone by the time it was read).
        CHECK(contains(str(c.at("source")), "environment hidden"));
      }
    }
  }
  MESSAGE("exit statuses over 12 rounds: 0 x" << exits[0] << ", 1 x" << exits[1]);
}

TEST_CASE("audit: a zombie kube-proxy (exited, not yet reaped) is skipped") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "legacy");
  FakeProcess kp(root, "kube-proxy", &ns);
  // Its parent (the unshare that started it) is stopped, so it cannot reap it.
  const pid_t parent = parent_of(kp.pid());
  REQUIRE(parent > 1);
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, kp.pid(), 0)));
  REQUIRE(pidfd);
  REQUIRE(::kill(parent, SIGSTOP) == 0);
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{parent};
  // Only once it is stopped: a parent still in wait4() would reap the child.
  // `ip netns exec` execs unshare, so the parent is our own child and
  // waitpid(WUNTRACED) reports the stop (without reaping it).
  REQUIRE(parent_of(parent) == ::getpid());
  int status = 0;
  REQUIRE(::waitpid(parent, &status, WUNTRACED) == parent);
  REQUIRE(WIFSTOPPED(status));
  REQUIRE(::kill(kp.pid(), SIGKILL) == 0);
  // A pidfd turns readable when its process has exited: a zombie now.
  pollfd p{pidfd.get(), POLLIN, 0};
  REQUIRE(::poll(&p, 1, 30000) == 1);
  REQUIRE(state_of(kp.pid()) == 'Z');

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(state_of(kp.pid()) == 'Z');  // still there when the audit ended
  for (const json& c : a.j.at("components"))
    for (const json& pid : c.at("pids")) CHECK(pid != kp.pid());
  CHECK_FALSE(has_finding(a.j, "MODE_SPLIT"));
  CHECK(a.r.exit_code == 0);
}

TEST_CASE("audit: a calico-node with an empty environment: environment hidden") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "nft");
  FakeProcess calico(root, "calico-node", &ns, {});  // env -i

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  const json& c = component(a.j, calico);
  check_identity(c, "calico-node", calico.pid(), true);
  CHECK(c.at("source") == "iptables in its root is xtables-nft-multi; environment hidden");
  CHECK(c.at("mode") == "nft");
  CHECK(a.r.exit_code == 0);
}

// 10
TEST_CASE("audit: --prometheus writes the textfile, whole, and promtool accepts it") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-j", "ACCEPT"});
  TestRoot root;
  install_xtables(root, "legacy");
  FakeProcess kp(root, "kube-proxy", &ns);
  TestRoot out_dir;
  const fs::path prom = out_dir.dir() / "iptmode.prom";

  Audit a = run_audit(ns, {"--prometheus", prom.string()});
  INFO("audit --json: " << a.j.dump(2));
  REQUIRE(fs::exists(prom));
  CHECK((fs::status(prom).permissions() & fs::perms::all) == fs::perms(0644));
  // Written atomically: nothing else is left in the directory.
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(out_dir.dir())) left.push_back(e.path().filename());
  CHECK(left == std::vector<std::string>{"iptmode.prom"});

  std::ifstream f(prom);
  const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  INFO("metrics:\n" << text);
  const auto ls = lines(text);
  const std::set<std::string> have(ls.begin(), ls.end());
  auto line = [&](const std::string& l) {
    CHECK_MESSAGE(have.count(l) == 1, "missing line: " << l);
  };
  line("# TYPE iptmode_last_run_success gauge");
  line("iptmode_last_run_success 1");
  line("# TYPE iptmode_last_run_duration_seconds gauge");
  line("# TYPE iptmode_build_info gauge");
  line("iptmode_mode{mode=\"nft\",rule=\"hint\"} 1");
  line("iptmode_mode{mode=\"legacy\",rule=\"hint\"} 0");
  line("iptmode_findings{code=\"MODE_SPLIT\",level=\"error\"} 1");
  line("iptmode_findings{code=\"LEGACY_RULES_UNDER_NFT\",level=\"warning\"} 1");
  std::map<std::string, int> per_level{{"error", 0}, {"warning", 0}, {"info", 0}};
  for (const json& x : a.j.at("findings")) ++per_level[str(x.at("severity"))];
  for (const auto& [level, n] : per_level)
    line("iptmode_findings_by_level{level=\"" + level + "\"} " + std::to_string(n));
  const std::string mnt = std::to_string(ns_inode(kp.pid(), "mnt"));
  line("iptmode_component_backend{component=\"kube-proxy\",mount_ns=\"" + mnt +
       "\",backend=\"legacy\"} 1");
  line("iptmode_component_backend{component=\"kube-proxy\",mount_ns=\"" + mnt +
       "\",backend=\"nft\"} 0");
  line("iptmode_iptables_rules{backend=\"nft\"} " +
       std::to_string(a.j.at("kernel").at("nft").at("iptables_rules").get<unsigned>()));
  line("iptmode_iptables_rules{backend=\"legacy\"} 1");
  auto value = [&](std::string_view name) {
    for (const auto& l : ls)
      if (l.starts_with(name) && l.size() > name.size() && l[name.size()] == ' ')
        return std::strtod(l.c_str() + name.size() + 1, nullptr);
    return -1.0;
  };
  CHECK(value("iptmode_last_run_duration_seconds") > 0.0);
  // When it ran, by the wall clock: within the minute of this test.
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  CHECK(value("iptmode_last_run_timestamp_seconds") > now - 60);
  CHECK(value("iptmode_last_run_timestamp_seconds") <= now + 1);
  // Every sample line belongs to a family declared before it.
  std::set<std::string> declared;
  for (const auto& l : ls) {
    if (l.starts_with("# TYPE ")) declared.insert(l.substr(7, l.find(' ', 7) - 7));
    if (l.empty() || l.starts_with("#")) continue;
    CHECK_MESSAGE(declared.count(l.substr(0, l.find_first_of("{ "))) == 1, l);
  }

  // A second run replaces the file.
  Audit again = run_audit(ns, {"--prometheus", prom.string()});
  CHECK(fs::exists(prom));

  const bool have_promtool = run({"sh", "-c", "command -v promtool"}).exit_code == 0;
  const char* ci = std::getenv("CI");
  if (!have_promtool) {
    if (ci != nullptr && std::string_view(ci) == "true")
      FAIL_CHECK("promtool is missing: CI must install Debian's prometheus package");
    else
      MESSAGE("promtool not installed: its check is skipped (apt-get install prometheus)");
    return;
  }
  RunOptions opts;
  opts.stdin_text = text;
  RunResult check = run({"promtool", "check", "metrics"}, opts);
  CHECK_MESSAGE(check.exit_code == 0, "promtool check metrics: " << check.out << check.err);
}

// 11
TEST_CASE("audit: --npd prints one line, and the exit status follows --fail-on") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  auto npd = [&](const std::vector<std::string>& extra) {
    auto argv = audit_argv(extra, false);
    argv.push_back("--npd");
    RunResult r = ns.exec(argv);
    INFO(describe_run(argv, r));
    CHECK(r.err.empty());
    const auto ls = lines(r.out);
    CHECK(ls.size() == 1);
    CHECK(r.out.ends_with("\n"));
    return std::pair{r.exit_code, ls.empty() ? std::string() : ls.front()};
  };

  SUBCASE("no finding") {
    for (const char* level : {"error", "warning"}) {
      auto [code, line] = npd({"--fail-on", level});
      CHECK(code == 0);
      CHECK(line == "iptables backend consistent: nft (hint)");
    }
  }
  SUBCASE("only a warning (x_tables rules on an nft node)") {
    ipt(ns, "iptables-legacy", {"-A", "INPUT", "-j", "ACCEPT"});
    auto [w, wline] = npd({});
    CHECK(w == 1);
    CHECK(wline ==
          "LEGACY_RULES_UNDER_NFT: 1 iptables rules in x_tables, the backend not selected: "
          "packets traverse them too");
    CHECK(npd({"--fail-on", "warning"}).first == 1);
    CHECK(npd({"--fail-on", "info"}).first == 1);
    auto [e, eline] = npd({"--fail-on", "error"});
    CHECK(e == 0);
    CHECK(eline == "iptables backend consistent: nft (hint)");
    // The other outputs exit the same way.
    CHECK(ns.exec(audit_argv({"--fail-on", "error"})).exit_code == 0);
    CHECK(ns.exec(audit_argv({"--fail-on", "error"}, false)).exit_code == 0);
    CHECK(ns.exec(audit_argv({}, false)).exit_code == 1);
  }
  SUBCASE("an error: the first line is the error's") {
    TestRoot root;
    install_xtables(root, "legacy");
    FakeProcess kp(root, "kube-proxy", &ns);
    ipt(ns, "iptables-legacy", {"-A", "INPUT", "-j", "ACCEPT"});
    auto [code, line] = npd({"--fail-on", "error"});
    CHECK(code == 1);
    CHECK(line.starts_with("MODE_SPLIT: writers on different backends: kube-proxy (pid " +
                           std::to_string(kp.pid()) + ") on legacy"));
  }
  SUBCASE("only info") {
    TestRoot root;
    root.write_file("/usr/sbin/iptables", kWrapperScript, 0755);
    FakeProcess kr(root, "kube-router", &ns);
    auto [w, wline] = npd({});
    CHECK(w == 0);
    CHECK(wline == "iptables backend consistent: nft (hint)");
    auto [i, iline] = npd({"--fail-on", "info"});
    CHECK(i == 1);
    // The first info finding; a component of another test run elsewhere on
    // this machine (another netns) would come first, alphabetically.
    if (!iline.starts_with("COMPONENT_NOT_IN_HOST_NETNS: "))
      CHECK(iline.starts_with("WRAPPER_PENDING: kube-router (pid " + std::to_string(kr.pid()) +
                              ")'s iptables-wrapper (kubernetes-sigs v2) has not chosen yet"));
  }
}

// 12
TEST_CASE("audit: read-only: kernel state and files are the same before and after") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  ipt(ns, "iptables-nft", {"-t", "nat", "-N", "KUBE-SERVICES"});
  ipt(ns, "iptables-nft", {"-A", "INPUT", "-j", "ACCEPT"});
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-j", "ACCEPT"});
  ipt(ns, "ip6tables-legacy", {"-A", "OUTPUT", "-j", "ACCEPT"});
  ns.exec_ok({"nft",
              "add table inet firewalld; add chain inet firewalld filter_INPUT "
              "{ type filter hook input priority 10; }; add rule inet firewalld "
              "filter_INPUT accept"});

  // The host root: firewalld, k0s.yaml, iptmode.conf, the host binaries, and
  // the k0s bin dir with the shim installed and a recorded state.
  TestRoot host;
  firewalld_host_root(host);
  host.write_file("/etc/iptmode/iptmode.conf", "mode = auto\ncomponents = my-writer\n");
  shim_bin_dir(host, "/var/lib/k0s/bin", iptmode::Mode::nft);
  // A bin dir outside any host root, k0s-style links without the shim.
  TestRoot bin;
  bin.copy_in("/usr/sbin/xtables-nft-multi", "/xtables-nft-multi");
  for (const char* n : {"iptables", "iptables-save", "iptables-restore", "ip6tables",
                        "ip6tables-save", "ip6tables-restore"})
    bin.symlink(std::string("/") + n, "xtables-nft-multi");

  TestRoot kp_root;
  install_xtables(kp_root, "nft");
  kp_root.write_file("/var/lib/kube-proxy/config.conf", "mode: iptables\n");
  FakeProcess kp(kp_root, "kube-proxy", &ns, FakeProcess::default_env(),
                 {"--config=/var/lib/kube-proxy/config.conf"});
  TestRoot calico_root;
  install_xtables(calico_root, "legacy");
  auto calico_env = FakeProcess::default_env();
  calico_env.push_back("FELIX_IPTABLESBACKEND=Legacy");
  FakeProcess calico(calico_root, "calico-node", &ns, calico_env);

  auto snapshot = [&] {
    return "kernel\n" + kernel_snapshot(ns) + "host\n" + tree_snapshot(host.dir()) + "bin\n" +
           tree_snapshot(bin.dir()) + "kube-proxy\n" + tree_snapshot(kp_root.dir()) +
           "calico-node\n" + tree_snapshot(calico_root.dir());
  };
  const std::string before = snapshot();
  REQUIRE(snapshot() == before);  // the snapshot itself changes nothing

  Audit with_root = run_audit(ns, {"--host-root", host.dir().string(), "--bin-dir",
                                   "/var/lib/k0s/bin", "--role", "controller+worker"});
  INFO("audit --json with --host-root: " << with_root.j.dump(2));
  Audit with_bin = run_audit(ns, {"--bin-dir", bin.dir().string()});
  RunResult text = ns.exec(audit_argv({"--host-root", host.dir().string()}, false));
  RunResult npd = ns.exec(
      {IPTMODE_BIN, "audit", "--npd", "--bin-dir", bin.dir().string(), "--fail-on", "info"});
  CHECK((text.exit_code == 0 || text.exit_code == 1));
  CHECK((npd.exit_code == 0 || npd.exit_code == 1));

  const std::string after = snapshot();
  CHECK(after == before);
  if (after != before) {
    auto b = lines(before), a = lines(after);
    for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
      std::string x = i < b.size() ? b[i] : "<none>", y = i < a.size() ? a[i] : "<none>";
      if (x != y) MESSAGE("first difference, line " << i << "\nbefore: " << x << "\nafter:  " << y);
      if (x != y) break;
    }
  }

  // And what it read there is what was there.
  const json& b = with_root.j.at("bin_dir");
  CHECK(b.at("path") == "/var/lib/k0s/bin");
  CHECK(b.at("exists") == true);
  CHECK(b.at("shim_installed") == true);
  CHECK(b.at("state_mode") == "nft");
  CHECK(b.at("backend_dir") == "/var/lib/k0s/bin");
  for (const json& n : b.at("names")) {
    CHECK(n.at("present") == true);
    CHECK(n.at("target") == "iptmode-shim");
    CHECK(n.at("shim") == true);
  }
  CHECK(b.at("backends") == json::parse(R"([
    {"mode":"nft","path":"/var/lib/k0s/bin/xtables-nft-multi","version":"1.8.9","note":""},
    {"mode":"legacy","path":"/var/lib/k0s/bin/xtables-legacy-multi","version":"1.8.9","note":""}
  ])"));
  CHECK_FALSE(has_finding(with_root.j, "SHIM_NOT_INSTALLED"));
  CHECK_FALSE(has_finding(with_root.j, "SHIM_STATE_DRIFT"));
  CHECK_FALSE(has_finding(with_root.j, "BACKEND_MISSING"));
  CHECK(component(with_root.j, "kube-proxy", kp.pid()).at("proxy_mode") == "iptables");
  CHECK(finding(with_root.j, "MODE_SPLIT").at("severity") == "error");  // calico on legacy
  CHECK(has_finding(with_root.j, "FIREWALLD_SERVICE_MISSING"));

  const json& s = finding(with_bin.j, "SHIM_NOT_INSTALLED");
  CHECK(s.at("remedy") == "iptmode shim install --bin-dir " + bin.dir().string());
  CHECK(any_contains(s.at("evidence"), "iptables -> xtables-nft-multi"));
}

TEST_CASE("audit: a shim state that no longer matches the kernel: SHIM_STATE_DRIFT") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot bin;
  shim_bin_dir(bin, "/bin", iptmode::Mode::legacy);
  fs::remove(bin.host_path("/bin/xtables-legacy-multi"));
  const std::string dir = (bin.dir() / "bin").string();

  Audit a = run_audit(ns, {"--bin-dir", dir});
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.j.at("bin_dir").at("state_mode") == "legacy");
  CHECK(finding(a.j, "SHIM_STATE_DRIFT").at("severity") == "warning");
  CHECK(finding(a.j, "SHIM_STATE_DRIFT").at("remedy") ==
        "if nft is right: iptmode detect --write --bin-dir " + dir);
  const json& m = finding(a.j, "BACKEND_MISSING");
  CHECK(m.at("severity") == "error");
  CHECK(contains(str(m.at("message")), "legacy backend is missing"));
  CHECK(contains(str(finding(a.j, "MODE_SPLIT").at("message")), "the shim in " + dir));
  CHECK(a.r.exit_code == 1);
}

TEST_CASE("audit: kube-proxy in nftables mode with a newer nft than the host's") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "nft");
  using namespace std::string_literals;
  root.write_file("/usr/sbin/nft",
                  "\x7f"
                  "ELF\x02\x01\x01\0nft\0%s v%s (%s)\0"
                  "1.1.0\0Commodore Bullmoose #3\0"s,
                  0755);
  root.write_file("/var/lib/kube-proxy/config.conf",
                  "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
                  "mode: nftables\n");
  FakeProcess kp(root, "kube-proxy", &ns, FakeProcess::default_env(),
                 {"--config", "/var/lib/kube-proxy/config.conf"});

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  const json& c = component(a.j, "kube-proxy", kp.pid());
  check_identity(c, "kube-proxy", kp.pid(), true);
  CHECK(c.at("proxy_mode") == "nftables");
  CHECK(c.at("nft_version") == "1.1.0");
  CHECK(c.at("mode").is_null());
  CHECK(contains(str(c.at("source")), "proxy-mode nftables"));
  CHECK(a.j.at("host").at("nft").at("version") == "1.0.6");
  const json& n = finding(a.j, "NFT_VERSION_SKEW");
  CHECK(n.at("severity") == "warning");
  CHECK(contains(str(n.at("message")), "runs nft 1.1.0, newer than the host's nft 1.0.6"));
  CHECK(n.at("remedy") == "install nftables >= 1.1.0 on the host");
  CHECK_FALSE(has_finding(a.j, "MODE_SPLIT"));
  CHECK(a.r.exit_code == 1);
}

// kube-proxy's --config may name any file in its root, /proc/kmsg among them:
// reading it takes the kernel's messages from whoever else reads them
// (rsyslog loses them). A file on procfs is refused before it is opened,
// with a note, also when a link leads there; the mode is kube-proxy's default.
TEST_CASE("audit: kube-proxy's --config on procfs (/proc/kmsg, /proc/self/...) is not read") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot kmsg_root, self_root;
  install_xtables(kmsg_root, "nft");
  install_xtables(self_root, "nft");
  self_root.symlink("/etc/kube-proxy/config.conf", "/proc/self/status");
  const auto env = FakeProcess::default_env();
  FakeProcess kmsg(kmsg_root, "kube-proxy", &ns, env, {"--config=/proc/kmsg"});
  FakeProcess self(self_root, "kube-proxy", &ns, env, {"--config", "/etc/kube-proxy/config.conf"});
  // A procfs at /proc in each one's root, as a container has: mounted in its
  // own mount namespace, so the host never sees it.
  for (auto [pid, root] : {std::pair{kmsg.pid(), &kmsg_root}, std::pair{self.pid(), &self_root}}) {
    std::filesystem::create_directories(root->host_path("/proc"));
    run_ok({"nsenter", "--target", std::to_string(pid), "--mount", "mount", "-t", "proc", "proc",
            root->host_path("/proc").string()});
  }

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  for (auto [pid, path] : {std::pair{kmsg.pid(), "/proc/kmsg"},
                           std::pair{self.pid(), "/etc/kube-proxy/config.conf"}}) {
    CAPTURE(path);
    const json& c = component(a.j, "kube-proxy", pid);
    CHECK(c.at("proxy_mode") == "iptables");
    CHECK(c.at("mode") == "nft");
    CHECK(str(c.at("note")) ==
          fmt::format("--config not read: {}: on procfs, not a file a config can be read from",
                      path));
  }
}

TEST_CASE("audit: --exec-probe runs the component's own iptables -V in its root") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "nft");
  // What xtables-nft-multi needs to run inside the root: its libraries.
  RunResult ldd = run_ok({"ldd", "/usr/sbin/xtables-nft-multi"});
  for (const auto& l : lines(ldd.out)) {
    auto slash = l.find('/');
    if (slash == std::string::npos) continue;
    std::string path = l.substr(slash, l.find(' ', slash) - slash);
    root.copy_in(path, path);
  }
  FakeProcess kp(root, "kube-proxy", &ns);

  Audit off = run_audit(ns);
  CHECK_FALSE(component(off.j, kp).contains("probe"));

  Audit a = run_audit(ns, {"--exec-probe"});
  INFO("audit --json --exec-probe: " << a.j.dump(2));
  const json& c = component(a.j, kp);
  REQUIRE(c.contains("probe"));
  CHECK(c.at("probe").at("ran") == true);
  CHECK(c.at("probe").at("mode") == "nft");
  CHECK(c.at("probe").at("output") == "iptables v1.8.9 (nf_tables)");
  CHECK_FALSE(has_finding(a.j, "PROBE_DISAGREES"));
  CHECK(a.r.exit_code == 0);
}

// 13
TEST_CASE("audit: not root: exit 2 and one line, for people and for NPD") {
  if (!require_root()) return;
  // A copy anyone may run (the build tree may sit under a private home).
  TestRoot dir;
  dir.copy_in(IPTMODE_BIN, "/iptmode");
  const std::string bin = dir.host_path("/iptmode").string();
  fs::create_directories(dir.host_path("/out"));
  fs::permissions(dir.host_path("/out"), fs::perms::all);
  const std::string prom = dir.host_path("/out/iptmode.prom").string();
  const std::vector<std::string> nobody{"setpriv", "--reuid=65534", "--regid=65534",
                                        "--clear-groups", bin};

  auto as_nobody = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = nobody;
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run(argv);
    INFO(describe_run(argv, r));
    CHECK(r.exit_code == 2);
    return r;
  };

  RunResult text = as_nobody({"audit"});
  CHECK(text.out.empty());
  CHECK(lines(text.err).size() == 1);
  CHECK(contains(text.err, "needs root"));

  RunResult js = as_nobody({"audit", "--json"});
  CHECK(js.out.empty());
  CHECK(lines(js.err).size() == 1);

  RunResult npd = as_nobody({"audit", "--npd"});
  CHECK(lines(npd.out).size() == 1);
  CHECK(npd.out.starts_with("audit could not run: "));
  CHECK(contains(npd.out, "needs root"));
  CHECK(lines(npd.err).size() == 1);

  // The textfile says the audit could not run, when, and nothing more.
  as_nobody({"audit", "--npd", "--prometheus", prom});
  std::ifstream f(prom);
  const std::string metrics((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  INFO("metrics:\n" << metrics);
  CHECK(contains(metrics, "\niptmode_last_run_success 0\n"));
  CHECK(contains(metrics, "\niptmode_last_run_timestamp_seconds "));
  CHECK(contains(metrics, "\niptmode_build_info{version=\""));
  CHECK_FALSE(contains(metrics, "iptmode_mode"));
  CHECK_FALSE(contains(metrics, "iptmode_findings"));
}

TEST_CASE("audit: usage errors exit 2") {
  if (!require_root()) return;
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"--fail-on", "fatal"},
                                             {"--role", "master"},
                                             {"--json", "--npd"},
                                             {"--host-root", "/nonexistent/root"},
                                             {"--config", "/nonexistent/iptmode.conf"}}) {
    std::vector<std::string> argv{IPTMODE_BIN, "audit"};
    argv.insert(argv.end(), args.begin(), args.end());
    RunResult r = run(argv);
    INFO(describe_run(argv, r));
    CHECK(r.exit_code == 2);
    CHECK_FALSE(r.err.empty());
  }
}

TEST_CASE("audit: every refusal the shim would make is SHIM_REFUSES, read with the shim's checks") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot bin;
  shim_bin_dir(bin, "/bin", iptmode::Mode::nft);
  const std::string dir = (bin.dir() / "bin").string();
  const std::string state = dir + "/iptmode-shim.state";
  const std::string conf = dir + "/iptmode-shim.conf";

  // Installed and consistent: no refusal, the recorded mode is read.
  Audit a = run_audit(ns, {"--bin-dir", dir});
  CHECK(findings(a.j, "SHIM_REFUSES").empty());
  CHECK(a.j.at("bin_dir").at("state_mode") == "nft");

  // Each case: the audit names the file and the fix, at error level, and
  // the shim itself refuses a call with the same words.
  auto refused = [&](std::initializer_list<std::string_view> needles) {
    Audit r = run_audit(ns, {"--bin-dir", dir});
    INFO("audit --json: " << r.j.dump(2));
    CHECK(r.r.exit_code == 1);
    const auto fs = findings(r.j, "SHIM_REFUSES");
    REQUIRE(fs.size() == 1);
    CHECK(fs[0]->at("severity") == "error");
    for (auto n : needles) CHECK_MESSAGE(contains(str(fs[0]->at("message")), n), n);
    CHECK_FALSE(str(fs[0]->at("remedy")).empty());
    RunResult s = ns.exec({dir + "/iptables", "-S"});
    CHECK(s.exit_code == 1);
    CHECK(contains(s.err, str(fs[0]->at("evidence").at(0))));
    return r;
  };
  SUBCASE("a world-writable state") {
    REQUIRE(::chmod(state.c_str(), 0666) == 0);
    Audit r = refused({state, "writable by group or others", "chmod go-w"});
    // The shim does not use that state, and neither does the audit.
    CHECK(r.j.at("bin_dir").at("state_mode").is_null());
  }
  SUBCASE("a state that is not root's") {
    REQUIRE(::chown(state.c_str(), 65534, 65534) == 0);
    refused({state, "not owned by root"});
  }
  SUBCASE("a state that is a symlink or a FIFO") {
    fs::rename(state, dir + "/elsewhere.state");
    fs::create_symlink(dir + "/elsewhere.state", state);
    refused({state, "not a regular file"});
    fs::remove(state);
    REQUIRE(::mkfifo(state.c_str(), 0644) == 0);
    refused({state, "not a regular file"});  // and the audit did not block on it
  }
  SUBCASE("settings that are group-writable or not understood") {
    REQUIRE(::chmod(conf.c_str(), 0664) == 0);
    refused({conf, "writable by group or others"});
    REQUIRE(::chmod(conf.c_str(), 0644) == 0);
    bin.write_file("/bin/iptmode-shim.conf", "version-check = maybe\n");
    refused({conf + ":1:", "not understood"});
  }
  SUBCASE("a bin dir others can write") {
    REQUIRE(::chmod(dir.c_str(), 0777) == 0);
    refused({dir, "shim's directory", "chmod go-w"});
    REQUIRE(::chmod(dir.c_str(), 0755) == 0);
  }
}

TEST_CASE("audit: a process of nobody named kube-proxy is reported, never a writer") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  install_xtables(root, "legacy");
  // On its PATH a legacy iptables: were it counted, this were MODE_SPLIT.
  FakeProcess kp(root, "kube-proxy", &ns, {"PATH=" + root.host_path("/usr/sbin").string()}, {},
                 "nobody");

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.r.exit_code == 0);
  CHECK(serious(a.j).empty());
  CHECK_FALSE(has_finding(a.j, "MODE_SPLIT"));
  const json& f = finding_for(a.j, "COMPONENT_UNPRIVILEGED", "kube-proxy", kp.pid());
  CHECK(f.at("severity") == "info");
  CHECK(any_contains(f.at("evidence"), "unprivileged: cannot write the packet filter"));
  const json& c = component(a.j, kp);
  CHECK(c.at("mode").is_null());
  CHECK(c.at("binary").is_null());
}

TEST_CASE("audit: a component whose lookup blows the budget is COMPONENT_NOT_INSPECTED") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  Maze maze(root.host_path("/maze"), "/maze");
  FakeProcess bad(root, "kube-proxy", &ns, {"PATH=" + maze.path_var()});
  TestRoot good_root;
  install_xtables(good_root, "nft");
  FakeProcess good(good_root, "kube-router", &ns);

  Audit a = run_audit(ns);
  INFO("audit --json: " << a.j.dump(2).substr(0, 6000));
  CHECK(a.r.exit_code == 1);
  const json& f = finding_for(a.j, "COMPONENT_NOT_INSPECTED", "kube-proxy", bad.pid());
  CHECK(f.at("severity") == "warning");
  CHECK(any_contains(f.at("evidence"), "lookup stopped"));
  CHECK(component(a.j, bad).at("mode").is_null());
  // The scan went on: the other component is read as if alone.
  check_xtables_component(component(a.j, good), "nft");
  CHECK_FALSE(has_finding(a.j, "MODE_SPLIT"));
}

TEST_CASE("audit: --exec-probe hands container code no stdin and no inherited descriptor") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot root;
  root.copy_in(FD_REPORT_BIN, "/usr/sbin/iptables");
  FakeProcess kp(root, "kube-proxy", &ns);

  // The audit inherits fd 7 without O_CLOEXEC, as from a careless caller,
  // and a pipe as its stdin.
  const std::vector<std::string> argv =
      ns.wrap({"/bin/sh", "-c", "exec 7</etc/hostname; exec \"$0\" \"$@\"", IPTMODE_BIN, "audit",
               "--json", "--bin-dir", kNoBinDir, "--exec-probe"});
  RunOptions opts;
  opts.stdin_text = "typed at the audit\n";
  RunResult r = run(argv, opts);
  json j = parse_audit(argv, r);
  INFO("audit --json --exec-probe: " << j.dump(2));
  const json& probe = component(j, kp).at("probe");
  CHECK(probe.at("ran") == true);
  CHECK(probe.at("output") == "iptables v1.8.9 (nf_tables) stdin=/dev/null fds=none");
}

namespace {

// Stdout lines of `xtables-<m>-multi iptables-save` plus `ip6tables-save` of
// the real `suite` root, run in the namespace (procfs mounted in the root, in
// a mount namespace of its own, so x_tables' table list is the namespace's):
// what k0s's findMatchingEntries counts.
std::uint64_t real_save_lines(const Netns& ns, const std::filesystem::path& root,
                              const std::string& m) {
  const std::string multi = "xtables-" + m + "-multi";
  const auto r = ns.exec_ok({"unshare", "-m", "sh", "-c",
                             "mount -t proc proc \"$1/proc\" && chroot \"$1\" " + multi +
                                 " iptables-save && chroot \"$1\" " + multi + " ip6tables-save",
                             "_", root.string()});
  return lines(r.out).size();
}

std::uint64_t evidence_number(const std::string& text, const std::string& after) {
  const auto at = text.find(after);
  REQUIRE_MESSAGE(at != std::string::npos, "no \"" << after << "\" in " << text);
  return std::stoull(text.substr(at + after.size()));
}

}  // namespace

TEST_CASE("audit: k0s's next choice by save lines matches the real iptables-save of each root") {
  if (!require_root()) return;
  Netns ns;
  // nf_tables: 2 rules in one table (9 lines: iptables-nft made INPUT alone
  // in the kernel, its save prints all three built-in chains); x_tables: 1 rule, but two
  // tables of built-in chains (mangle 10 lines, ip6 raw 6): the rule count
  // says nft, k0s's line count legacy.
  ipt(ns, "iptables-nft", {"-A", "INPUT", "-j", "ACCEPT"});
  ipt(ns, "iptables-nft", {"-A", "INPUT", "-j", "ACCEPT"});
  ns.exec_ok({"nft", "add", "table", "inet", "native"});  // not in iptables-nft-save
  ipt(ns, "iptables-legacy", {"-t", "mangle", "-A", "PREROUTING", "-j", "ACCEPT"});
  ipt(ns, "ip6tables-legacy", {"-t", "raw", "-S"});
  TempDir bin("iptmode-k0s-bin");
  bin.file("xtables-nft-multi", "staged by k0s", 0755);
  for (const char* n : {"iptables", "iptables-save", "iptables-restore", "ip6tables",
                        "ip6tables-save", "ip6tables-restore"})
    bin.link(n, "xtables-nft-multi");

  Audit a = run_audit(ns, {"--bin-dir", bin.str()});
  INFO("audit --json: " << a.j.dump(2));
  CHECK(a.j.at("mode") == "nft");
  CHECK(a.j.at("rule") == "rule-count");
  CHECK_FALSE(has_finding(a.j, "BIN_DIR_NAME_BROKEN"));
  const json& f = finding(a.j, "K0S_NEXT_CHOICE_DIFFERS");
  CHECK(f.at("severity") == "warning");
  CHECK(f.at("message").get<std::string>().find("xtables-legacy-multi (line-count)") !=
        std::string::npos);
  const std::string step = f.at("evidence").back().get<std::string>();
  const std::uint64_t legacy = evidence_number(step, "line-count: ");
  const std::uint64_t nft = evidence_number(step, "legacy save lines, ");
  CHECK(legacy == 16);
  CHECK(nft == 9);
  // The oracle: the real binaries of each Debian release print exactly that.
  for (std::string_view suite : kRealSuites) {
    CAPTURE(suite);
    auto root = real_root(suite);
    if (!root) continue;
    CHECK(real_save_lines(ns, *root, "legacy") == legacy);
    CHECK(real_save_lines(ns, *root, "nft") == nft);
  }
}

TEST_CASE(
    "audit: a backend the shim would refuse is SHIM_REFUSES, by the shim's own checks (12.6)") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot bin;
  shim_bin_dir(bin, "/bin", iptmode::Mode::nft);
  const std::string dir = (bin.dir() / "bin").string();
  TestRoot staged;
  staged.copy_in("/usr/sbin/xtables-nft-multi", "/b/xtables-nft-multi");
  staged.copy_in("/usr/sbin/xtables-legacy-multi", "/b/xtables-legacy-multi");
  const std::string bdir = staged.host_path("/b").string();
  const std::string backend = bdir + "/xtables-nft-multi";
  bin.write_file("/bin/iptmode-shim.conf", "backend-dir = " + bdir + "\nversion-check = warn\n");
  Audit a = run_audit(ns, {"--bin-dir", dir});
  CHECK(findings(a.j, "SHIM_REFUSES").empty());
  CHECK_FALSE(has_finding(a.j, "BACKEND_MISSING"));

  // The audit's finding names the backend and the fix, and the shim refuses
  // a call with the very words of one of them.
  auto refused = [&](std::initializer_list<std::string_view> needles) {
    Audit r = run_audit(ns, {"--bin-dir", dir});
    INFO("audit --json: " << r.j.dump(2));
    CHECK(r.r.exit_code == 1);
    const auto fs = findings(r.j, "SHIM_REFUSES");
    REQUIRE_FALSE(fs.empty());
    CHECK_FALSE(has_finding(r.j, "BACKEND_MISSING"));  // it is there: refused, not missing
    RunResult s = ns.exec({dir + "/iptables", "-V"});
    INFO("shim: " << s.err);
    CHECK(s.exit_code == 1);
    bool same = false;
    for (const json* f : fs) {
      CHECK(f->at("severity") == "error");
      CHECK_FALSE(str(f->at("remedy")).empty());
      if (!contains(s.err, str(f->at("evidence").at(0)))) continue;
      same = true;
      for (auto n : needles) CHECK_MESSAGE(contains(str(f->at("message")), n), n);
    }
    CHECK_MESSAGE(same, "no finding in the shim's words");
  };
  SUBCASE("nobody links the backend to bash in a world-writable backend-dir") {
    REQUIRE(::chmod(bdir.c_str(), 0777) == 0);
    RunResult swap = run({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "ln",
                          "-sfn", "/bin/bash", backend});
    REQUIRE_MESSAGE(swap.exit_code == 0, swap.err);
    refused({backend, "chmod go-w " + bdir});
  }
  SUBCASE("root's /bin/bash, a #! script, a FIFO as the backend") {
    fs::remove(backend);
    fs::create_symlink("/bin/bash", backend);
    refused({backend, "not an xtables-nft-multi binary"});
    fs::remove(backend);
    staged.write_file("/b/xtables-nft-multi",
                      "#!/bin/sh\nexec /usr/sbin/xtables-nft-multi \"$@\"\n", 0755);
    refused({backend, "#! script", "stage the real xtables-nft-multi"});
    fs::remove(backend);
    REQUIRE(::mkfifo(backend.c_str(), 0755) == 0);
    refused({backend, "a FIFO, not a regular file"});  // and neither blocked on it
  }
}

TEST_CASE("audit: --prometheus refuses a target that is not a regular file (12.3)") {
  if (!require_root()) return;
  Netns ns;
  TempDir out{"iptmode-prom"};
  auto lstat_of = [](const fs::path& p) {
    struct stat st {};
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st;
  };
  auto refused = [&](const fs::path& target, std::string_view type) {
    RunResult r = ns.exec(audit_argv({"--prometheus", target.string()}));
    INFO(r.err);
    CHECK(r.exit_code == 2);
    const auto ls = lines(r.err);
    REQUIRE(ls.size() >= 1);
    CHECK(contains(ls.back(), "--prometheus " + target.string() + ": " + std::string(type) +
                                  ", not a regular file"));
  };
  // A device like /dev/full (1, 7), made here: the real one is not touched.
  const fs::path dev = out / "full";
  REQUIRE(::mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 7)) == 0);
  refused(dev, "a character device");
  CHECK(S_ISCHR(lstat_of(dev).st_mode));
  CHECK(lstat_of(dev).st_rdev == makedev(1, 7));
  const fs::path fifo = out / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  refused(fifo, "a FIFO");
  CHECK(S_ISFIFO(lstat_of(fifo).st_mode));
  fs::create_directory(out / "dir");
  refused(out / "dir", "a directory");
  CHECK(fs::is_directory(out / "dir"));
  // A symlink, even to a regular file: the rename would replace the link.
  std::ofstream(out / "real.prom") << "x\n";
  fs::create_symlink(out / "real.prom", out / "link.prom");
  refused(out / "link.prom", "a symlink");
  CHECK(fs::is_symlink(out / "link.prom"));
  fs::create_symlink("/dev/null", out / "null.prom");
  refused(out / "null.prom", "a symlink");
  // Nothing else was left behind (no temporary), and a regular file is
  // still replaced whole.
  Audit a = run_audit(ns, {"--prometheus", (out / "real.prom").string()});
  std::ifstream in(out / "real.prom");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(contains(text, "iptmode_last_run_success 1"));
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(out.path())) names.insert(e.path().filename());
  CHECK(names ==
        std::set<std::string>{"full", "fifo", "dir", "real.prom", "link.prom", "null.prom"});
}

TEST_CASE("audit: SHIM_OUTDATED when the package's shim is newer than the bin dir's") {
  if (!require_root()) return;
  Netns ns;
  hint(ns, "nft");
  TestRoot host;
  install_xtables(host, "nft");
  shim_bin_dir(host, "/var/lib/k0s/bin", iptmode::Mode::nft);
  const std::vector<std::string> args{"--host-root", host.dir().string(), "--bin-dir",
                                      "/var/lib/k0s/bin"};
  // Not installed from the package: nothing to compare with.
  CHECK_FALSE(has_finding(run_audit(ns, args).j, "SHIM_OUTDATED"));
  // The package's copy is the one in the bin dir.
  host.copy_in(SHIM_BIN, "/usr/libexec/iptmode/iptmode-shim");
  CHECK_FALSE(has_finding(run_audit(ns, args).j, "SHIM_OUTDATED"));
  // An upgrade replaced the package's copy only.
  std::ifstream in(SHIM_BIN, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes += "upgrade";
  host.write_file("/usr/libexec/iptmode/iptmode-shim", bytes, 0755);
  Audit a = run_audit(ns, args);
  INFO("audit --json: " << a.j.dump(2));
  const json& f = finding(a.j, "SHIM_OUTDATED");
  CHECK(f.at("severity") == "warning");
  CHECK(contains(str(f.at("message")),
                 "/var/lib/k0s/bin/iptmode-shim differs from the package's "
                 "/usr/libexec/iptmode/iptmode-shim"));
  CHECK(f.at("remedy") == "iptmode shim install --bin-dir /var/lib/k0s/bin");
}
