// `iptmode repair` against the real kernel: each case builds a split node
// with the real iptables-legacy and iptables-nft in a fresh network
// namespace (kube-proxy's and kubelet's chains in both backends, firewalld's
// and an operator's chains beside them), runs the real binary there, and
// compares the real iptables-*-save output before and after.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_root.h"
#include "tests/support/validate_json.h"

using namespace iptmode::test;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr const char* kNoBinDir = "/nonexistent/iptmode-repair-test/bin";

// The same Kubernetes objects in both backends, and in each backend objects
// of firewalld and of an operator that repair must never touch.
void split_node(const Netns& ns) {
  ns.exec_ok({"sh", "-ec", R"(
for b in nft legacy; do
  ipt() { iptables-$b -w "$@"; }
  ipt -t nat -N KUBE-SERVICES
  ipt -t nat -N KUBE-SVC-ERIFXISQEP7F7OF4
  ipt -t nat -A KUBE-SERVICES -d 10.96.0.1/32 -m comment --comment "default/kubernetes:https cluster IP" -j KUBE-SVC-ERIFXISQEP7F7OF4
  ipt -t nat -A KUBE-SVC-ERIFXISQEP7F7OF4 -j DNAT --to-destination 192.0.2.10
  ipt -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
  ipt -t nat -A OUTPUT -j KUBE-SERVICES
  ipt -t nat -N OPERATOR-NAT
  ipt -t nat -A POSTROUTING -j OPERATOR-NAT
  ipt -t filter -N KUBE-FIREWALL
  ipt -t filter -A KUBE-FIREWALL -m mark --mark 0x8000/0x8000 -j DROP
  ipt -t filter -A INPUT -j KUBE-FIREWALL
  ipt -t filter -N IN_public
  ipt -t filter -A IN_public -p tcp --dport 22 -j ACCEPT
  ipt -t filter -A INPUT -j IN_public
  ipt -t filter -N OPERATOR
  ipt -t filter -A OPERATOR -s 198.51.100.0/24 -j ACCEPT
  ipt -t filter -A INPUT -j OPERATOR
  ipt -t filter -A FORWARD -j OPERATOR
  ipt -t mangle -N KUBE-IPTABLES-HINT
  ip6tables-$b -w -t filter -N KUBE-FIREWALL
  ip6tables-$b -w -t filter -A INPUT -j KUBE-FIREWALL
  ip6tables-$b -w -t filter -N OPERATOR6
  ip6tables-$b -w -t filter -A OUTPUT -j OPERATOR6
done
)"});
}

std::string save_cmd(const std::string& backend, const std::string& family) {
  return (family == "ip6" ? "ip6tables-" : "iptables-") + backend + "-save";
}

// A save without its "# Generated/Completed ... <date>" comments.
std::vector<std::string> save_lines(const Netns& ns, const std::string& backend,
                                    const std::string& family) {
  std::vector<std::string> out;
  for (auto& l : lines(ns.exec_ok({save_cmd(backend, family)}).out))
    if (!l.starts_with("#")) out.push_back(l);
  return out;
}

using Saves = std::map<std::string, std::vector<std::string>>;  // "nft ip" -> lines

Saves all_saves(const Netns& ns) {
  Saves s;
  for (const char* b : {"nft", "legacy"})
    for (const char* f : {"ip", "ip6"}) s[std::string(b) + " " + f] = save_lines(ns, b, f);
  return s;
}

// `before` less exactly what the plan says it deletes.
std::vector<std::string> expected_after(const std::vector<std::string>& before, const json& plan,
                                        const std::string& family) {
  std::map<std::string, std::set<std::string>> drop;  // table -> lines
  std::set<std::string> whole;
  for (const json& t : plan.at("tables")) {
    if (t.at("family") != family) continue;
    const std::string name = t.at("table");
    if (t.at("delete_table")) whole.insert(name);
    for (const json& r : t.at("rules")) drop[name].insert(r.at("rule").get<std::string>());
    for (const json& c : t.at("chains")) {
      drop[name].insert(":" + c.at("name").get<std::string>() + " - [0:0]");
      for (const json& r : c.at("rules")) drop[name].insert(r.get<std::string>());
    }
  }
  std::vector<std::string> out;
  std::string table;
  for (const auto& l : before) {
    if (l.starts_with("*")) table = l.substr(1);
    if (whole.contains(table)) continue;
    if (drop[table].contains(l)) continue;
    out.push_back(l);
  }
  return out;
}

struct Repair {
  RunResult r;
  json j;
};

Repair repair(const Netns& ns, std::vector<std::string> args,
              const std::optional<std::vector<std::string>>& env = std::nullopt) {
  std::vector<std::string> argv{IPTMODE_BIN, "repair", "--json", "--bin-dir", kNoBinDir};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.env = env;
  Repair rep{ns.exec(argv, o), {}};
  INFO(describe(argv) << "\nexit " << rep.r.exit_code << "\nstderr: " << rep.r.err);
  rep.j = json::parse(rep.r.out, nullptr, false);
  REQUIRE_FALSE(rep.j.is_discarded());
  check_schema(rep.r.out, "repair --json");
  CHECK(rep.j.at("schema") == "iptmode.repair/v1");
  return rep;
}

bool mentions_k8s(const std::vector<std::string>& save) {
  for (const auto& l : save)
    if (l.find("KUBE-") != std::string::npos) return true;
  return false;
}

// After repair: the stale backend lost exactly the planned lines and holds no
// Kubernetes object; the kept backend is as it was.
void check_repaired(const Saves& before, const Saves& after, const json& j) {
  const std::string stale = j.at("stale"), kept = j.at("kept");
  for (const char* f : {"ip", "ip6"}) {
    CAPTURE(f);
    CHECK(after.at(kept + " " + f) == before.at(kept + " " + f));
    CHECK(after.at(stale + " " + f) == expected_after(before.at(stale + " " + f), j.at("plan"), f));
    CHECK_FALSE(mentions_k8s(after.at(stale + " " + f)));
  }
}

void install_xtables(TestRoot& root, const std::string& mode) {
  const std::string multi = "xtables-" + mode + "-multi";
  root.copy_in("/usr/sbin/" + multi, "/usr/sbin/" + multi);
  root.symlink("/usr/sbin/iptables", multi);
}

}  // namespace

TEST_CASE("repair: a split node, either way round, then --restore puts it back") {
  if (!require_root()) return;
  for (const std::string kept : {"nft", "legacy"}) {
    CAPTURE(kept);
    Netns ns;
    split_node(ns);
    TempDir backups;
    const Saves before = all_saves(ns);
    Repair r =
        repair(ns, {"--yes", "--mode", kept, "--backup-dir", backups.path().string() + "/b"});
    INFO(r.j.dump(2));
    CHECK(r.r.exit_code == 0);
    CHECK(r.j.at("kept") == kept);
    CHECK(r.j.at("refusals").empty());
    CHECK(r.j.at("result").at("applied") == true);
    CHECK(r.j.at("result").at("replans") == 0);
    for (const json& f : r.j.at("result").at("findings")) {
      CHECK(f.at("code") != "K8S_CHAINS_IN_BOTH_BACKENDS");
      CHECK(f.at("code") != "HINT_IN_BOTH_BACKENDS");
    }
    // Nothing of firewalld's or the operator's was planned.
    for (const json& t : r.j.at("plan").at("tables")) {
      for (const json& c : t.at("chains"))
        CHECK(c.at("name").get<std::string>().starts_with("KUBE-"));
      for (const json& rule : t.at("rules"))
        CHECK(rule.at("rule").get<std::string>().find(" -j KUBE-") != std::string::npos);
    }
    const Saves after = all_saves(ns);
    check_repaired(before, after, r.j);
    if (kept == "legacy") CHECK(after.at("nft ip").size() < before.at("nft ip").size());

    // The backup: a directory only root reads, five files.
    struct stat st {};
    REQUIRE(::stat((backups.path().string() + "/b").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);
    const std::string prefix = r.j.at("backup");
    for (const char* s :
         {".nft.rules", ".nft.ip6.rules", ".legacy.rules", ".legacy.ip6.rules", ".plan.json"})
      CHECK(fs::exists(prefix + s));

    // Without --yes off a terminal, --restore only says what it would do.
    RunResult dry = ns.exec({IPTMODE_BIN, "repair", "--restore", prefix});
    CHECK(dry.exit_code == 0);
    CHECK(all_saves(ns) == after);
    RunResult back = ns.exec({IPTMODE_BIN, "repair", "--restore", prefix + ".plan.json", "--yes"});
    INFO(back.err);
    CHECK(back.exit_code == 0);
    CHECK(all_saves(ns) == before);
  }
}

TEST_CASE("repair: --dry-run, and no --yes off a terminal, change nothing") {
  if (!require_root()) return;
  Netns ns;
  split_node(ns);
  TempDir backups;
  const Saves before = all_saves(ns);
  for (std::vector<std::string> args :
       {std::vector<std::string>{"--dry-run"}, std::vector<std::string>{}}) {
    args.insert(args.end(), {"--backup-dir", backups.path().string() + "/b"});
    Repair r = repair(ns, args);
    CHECK(r.r.exit_code == 0);
    CHECK(r.j.at("dry_run") == true);
    CHECK(r.j.at("backup").is_null());
    CHECK_FALSE(r.j.at("plan").at("tables").empty());
    CHECK(all_saves(ns) == before);
    CHECK_FALSE(fs::exists(backups.path().string() + "/b"));
  }
}

TEST_CASE("repair: refuses while a legacy kube-proxy writes this namespace") {
  if (!require_root()) return;
  Netns ns;
  split_node(ns);
  TestRoot root;
  install_xtables(root, "legacy");
  FakeProcess kp(root, "kube-proxy", &ns);
  TempDir backups;
  const Saves before = all_saves(ns);
  Repair r = repair(ns, {"--yes", "--mode", "nft", "--backup-dir", backups.path().string() + "/b"});
  CHECK(r.r.exit_code == 1);
  REQUIRE(r.j.at("refusals").size() == 1);
  const std::string line = r.j.at("refusals").at(0);
  CHECK(line.starts_with("kube-proxy (pid " + std::to_string(kp.pid()) + ") still writes legacy"));
  CHECK(line.find("move it to nft first") != std::string::npos);
  CHECK(all_saves(ns) == before);
  CHECK_FALSE(fs::exists(backups.path().string() + "/b"));
}

TEST_CASE("repair: refuses when the kept backend has none of the Kubernetes chains") {
  if (!require_root()) return;
  Netns ns;
  ns.exec_ok({"iptables-legacy", "-w", "-t", "nat", "-N", "KUBE-SERVICES"});
  ns.exec_ok({"iptables-nft", "-t", "filter", "-N", "OPERATOR"});
  const Saves before = all_saves(ns);
  Repair r = repair(ns, {"--yes", "--mode", "nft"});
  CHECK(r.r.exit_code == 1);
  REQUIRE(r.j.at("refusals").size() == 1);
  CHECK(r.j.at("refusals").at(0).get<std::string>().find("move the writers first, then repair") !=
        std::string::npos);
  CHECK(all_saves(ns) == before);
}

TEST_CASE("repair: an nf_tables change between plan and apply is caught, and re-planned") {
  if (!require_root()) return;
  Netns ns;
  split_node(ns);
  TempDir dir;
  const std::string fifo = dir.path().string() + "/pause";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                               "IPTMODE_TEST_PAUSE_BEFORE_APPLY=" + fifo};
  std::vector<std::string> argv{
      IPTMODE_BIN, "repair",    "--json",  "--yes",        "--mode",
      "legacy",    "--bin-dir", kNoBinDir, "--backup-dir", dir.path().string() + "/b"};
  Spawned child = spawn(ns.wrap(argv), env);
  {
    // Opening the FIFO waits until repair has planned and stopped before applying.
    iptmode::UniqueFd w(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));
    REQUIRE(w);
    ns.exec_ok({"iptables-nft", "-A", "OPERATOR", "-s", "203.0.113.7", "-j", "ACCEPT"});
  }  // closing it lets repair go on
  const RunResult done = collect(child, Clock::now() + std::chrono::seconds(120));
  const std::string& out = done.out;
  INFO(out << done.err);
  CHECK(done.exit_code == 0);
  check_schema(out, "repair --json");
  const json j = json::parse(out);
  CHECK(j.at("result").at("replans") == 1);
  CHECK(j.at("result").at("applied") == true);
  const auto nft = save_lines(ns, "nft", "ip");
  CHECK(std::find(nft.begin(), nft.end(), "-A OPERATOR -s 203.0.113.7/32 -j ACCEPT") != nft.end());
  CHECK_FALSE(mentions_k8s(nft));
}

TEST_CASE("repair: a concurrent writer in both backends loses none of its rules") {
  if (!require_root()) return;
  constexpr int kRules = 150;
  for (const std::string kept : {"nft", "legacy"}) {
    CAPTURE(kept);
    Netns ns;
    split_node(ns);
    TempDir dir;
    ns.exec_ok({"iptables-legacy", "-w", "-N", "WRITER"});
    ns.exec_ok({"iptables-nft", "-N", "WRITER"});
    // A bounded loop, as kube-proxy's and an operator's writes would come.
    const std::string loop = "i=0; while [ $i -lt " + std::to_string(kRules) +
                             " ]; do i=$((i+1)); "
                             "iptables-legacy -w -A WRITER -s 10.1.$((i/250)).$((i%250+1)) -j "
                             "ACCEPT; iptables-nft -A WRITER -s 10.1.$((i/250)).$((i%250+1)) -j "
                             "ACCEPT; done";
    Spawned writer = spawn(ns.wrap({"sh", "-ec", loop}));
    Repair r = repair(ns, {"--yes", "--mode", kept, "--backup-dir", dir.path().string() + "/b"});
    // The writer may outpace the re-plan (exit 4, nothing applied); then once more.
    CHECK((r.r.exit_code == 0 || r.r.exit_code == 4));
    REQUIRE(collect(writer, Clock::now() + std::chrono::seconds(120)).exit_code == 0);
    if (r.r.exit_code == 4)
      CHECK(repair(ns, {"--yes", "--mode", kept, "--backup-dir", dir.path().string() + "/b"})
                .r.exit_code == 0);
    for (const char* b : {"nft", "legacy"}) {
      int n = 0;
      for (const auto& l : save_lines(ns, b, "ip")) n += l.starts_with("-A WRITER ");
      CHECK_MESSAGE(n == kRules, b);
    }
    const std::string stale = kept == "nft" ? "legacy" : "nft";
    CHECK_FALSE(mentions_k8s(save_lines(ns, stale, "ip")));
  }
}
