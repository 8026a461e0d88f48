// audit/foreign_rules_read: the audit reads the iptables tables' chains with
// several threads at once (--jobs). Whatever the number, the report must be
// the one a single reader gives, byte for byte: the same findings, in the
// same order, and the same counts. And on a k0s node, whose prediction needs
// every nf_tables rule counted, the counts it takes from that read must be
// the kernel's exact ones.
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/temp_dir.h"
#include "tests/support/validate_json.h"

namespace iptmode::test {
namespace {

using json = nlohmann::json;

constexpr int kChains = 240;
constexpr int kPerChain = 3;

// kChains user chains of kPerChain rules in ip filter and in ip6 filter, one
// restore each (one transaction).
std::string restore_text(bool ip6) {
  std::string s = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  for (int c = 0; c < kChains; ++c) s += fmt::format(":KUBE-SVC-{:04d} - [0:0]\n", c);
  for (int c = 0; c < kChains; ++c)
    for (int r = 0; r < kPerChain; ++r)
      s += ip6 ? fmt::format("-A KUBE-SVC-{:04d} -s 2001:db8::{:x}/128 -j ACCEPT\n", c, r + 1)
               : fmt::format("-A KUBE-SVC-{:04d} -s 10.0.{}.{}/32 -j ACCEPT\n", c, c % 250, r + 1);
  return s + "COMMIT\n";
}

// Native rules spread over the chains, so different readers meet them, and
// a base chain iptables-nft does not know (left out whole).
constexpr const char* kNative =
    "add rule ip filter KUBE-SVC-0003 ct state established accept\n"
    "add rule ip filter KUBE-SVC-0117 limit rate 10/second accept\n"
    "add rule ip filter KUBE-SVC-0117 meta mark set 0x1\n"
    "add rule ip filter KUBE-SVC-0238 counter\n"
    "add rule ip6 filter KUBE-SVC-0050 ct state new drop\n"
    "add chain ip filter odd-base { type filter hook input priority 7; }\n"
    "add rule ip filter odd-base accept\n";
constexpr int kNativeRules = 6;

json audit(const Netns& ns, const std::string& jobs, const std::string& bin_dir) {
  const auto r = ns.exec({IPTMODE_BIN, "audit", "--json", "--jobs", jobs, "--bin-dir", bin_dir});
  REQUIRE_MESSAGE(r.exit_code != 2, "audit --jobs " << jobs << ": " << r.err);
  check_schema(r.out, "audit --json");
  return json::parse(r.out);
}

std::vector<std::string> foreign_evidence(const json& report) {
  std::vector<std::string> out;
  for (const auto& f : report.at("findings"))
    if (f.at("code") == "FOREIGN_RULE")
      for (const auto& e : f.at("evidence")) out.push_back(e.get<std::string>());
  return out;
}

void load(const Netns& ns) {
  RunOptions in;
  in.stdin_text = restore_text(false);
  ns.exec_ok({"iptables-nft-restore"}, in);
  in.stdin_text = restore_text(true);
  ns.exec_ok({"ip6tables-nft-restore"}, in);
  in.stdin_text = kNative;
  ns.exec_ok({"nft", "-f", "-"}, in);
}

}  // namespace

TEST_CASE("foreign rules read: any number of readers gives the one reader's report") {
  if (!require_root()) return;
  Netns ns;
  load(ns);
  const json one = audit(ns, "1", "/nonexistent/iptmode-jobs");
  const auto evidence = foreign_evidence(one);
  // The native rules iptables-nft cannot read back (ct, meta mark set; a
  // limit and a bare counter it can) and the odd base chain.
  REQUIRE(evidence.size() == 4);
  std::string all;
  for (const auto& e : evidence) all += e + "\n";
  for (const char* where : {"KUBE-SVC-0003", "KUBE-SVC-0117", "KUBE-SVC-0050", "odd-base"})
    CHECK_MESSAGE(all.find(where) != std::string::npos, std::string(where) << " missing from\n"
                                                                           << all);
  for (const char* jobs : {"2", "3", "64"}) {
    const json many = audit(ns, jobs, "/nonexistent/iptmode-jobs");
    CHECK_MESSAGE(many == one, "--jobs " << jobs << " differs from --jobs 1:\n"
                                         << many.dump(1) << "\nagainst\n"
                                         << one.dump(1));
  }
}

TEST_CASE("foreign rules read: a k0s node's exact counts come from the same read") {
  if (!require_root()) return;
  Netns ns;
  load(ns);
  TempDir bin("iptmode-jobs-bin");  // a k0s bin dir: its prediction needs whole counts
  for (const char* jobs : {"1", "4"}) {
    const json report = audit(ns, jobs, bin.str());
    const json& nft = report.at("kernel").at("nft");
    CHECK(nft.at("iptables_rules_exact") == true);
    CHECK(nft.at("iptables_rules") == 2 * kChains * kPerChain + kNativeRules);
    for (const auto& t : nft.at("tables")) {
      if (t.at("family") != "ip" || t.at("name") != "filter") continue;
      for (const auto& c : t.at("chains")) {
        const std::string name = c.at("name");
        const int want = name == "KUBE-SVC-0117"         ? kPerChain + 2
                         : name == "KUBE-SVC-0003"       ? kPerChain + 1
                         : name == "KUBE-SVC-0238"       ? kPerChain + 1
                         : name == "odd-base"            ? 1
                         : name.starts_with("KUBE-SVC-") ? kPerChain
                                                         : 0;
        CHECK_MESSAGE(c.at("rules") == want, "--jobs " << jobs << " chain " << name);
        CHECK(c.at("rules_exact") == true);
      }
    }
  }
}

}  // namespace iptmode::test
