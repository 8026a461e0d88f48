// `iptmode detect --json` against the real kernel: each case builds its
// packet-filter state with the real iptables-legacy, iptables-nft and nft in
// a fresh network namespace, then checks the mode and the rule that decided.
#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "tests/support/as_nobody.h"
#include "tests/support/detect.h"
#include "tests/support/netns.h"
#include "tests/support/run.h"

using namespace iptmode::test;

namespace {

// `bin -w args...` inside the namespace; -w waits for the xtables lock
// instead of failing when another iptables holds it.
void ipt(const Netns& ns, const std::string& bin, std::vector<std::string> args) {
  args.insert(args.begin(), {bin, "-w"});
  ns.exec_ok(args);
}

void nft(const Netns& ns, std::vector<std::string> args) {
  args.insert(args.begin(), "nft");
  ns.exec_ok(args);
}

// The mode of the host's own iptables, which decides when the kernel has
// nothing to say: on a stock Debian 12, the nft alternative.
std::string host_mode() {
  std::error_code ec;
  auto target = std::filesystem::canonical("/usr/sbin/iptables", ec).filename().string();
  REQUIRE_MESSAGE(!ec, "/usr/sbin/iptables: " << ec.message());
  if (target == "xtables-nft-multi") return "nft";
  if (target == "xtables-legacy-multi") return "legacy";
  FAIL("/usr/sbin/iptables resolves to " << target << ", neither xtables multi binary");
  return "";
}

void check_host_iptables(const json& j) {
  const json& h = j.at("evidence").at("host_iptables");
  CAPTURE(h.dump());
  const std::string mode = host_mode();
  CHECK(h.at("kind") == "xtables-" + mode + "-multi");
  CHECK(h.at("mode") == mode);
  CHECK(h.at("path") == "/usr/sbin/xtables-" + mode + "-multi");
  CHECK(h.at("version").is_string());
  CHECK(any_contains(h.at("links"), "/usr/sbin/iptables -> "));
}

std::string proc_lines(const Netns& ns, const std::string& file) {
  return ns.exec_ok({"cat", file}).out;
}

// iptables-legacy-save without its "# Generated ... on <date>" comments.
std::string legacy_save(const Netns& ns) {
  std::string out;
  for (const auto& line : lines(ns.exec_ok({"iptables-legacy-save"}).out))
    if (!line.starts_with("#")) out += line + "\n";
  return out;
}

}  // namespace

TEST_CASE("empty namespace: the host's iptables decides") {
  if (!require_root()) return;
  Netns ns;
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == host_mode());
  CHECK(j.at("rule") == "host-binary");
  CHECK(reason(j, "hint").at("says").is_null());
  CHECK(reason(j, "rule-count").at("says").is_null());
  CHECK(reason(j, "kernel-default").at("says") == "nft");
  check_host_iptables(j);
  // On this machine (Debian 12 defaults): the nft alternative, 1.8.9.
  CHECK(j.at("evidence").at("host_iptables").at("kind") == "xtables-nft-multi");
  CHECK(j.at("evidence").at("host_iptables").at("version") == "1.8.9");

  const json& kernel = j.at("evidence").at("kernel");
  for (const char* backend : {"nft", "legacy"}) {
    CAPTURE(backend);
    CHECK(kernel.at(backend).at("available") == true);
    CHECK(kernel.at(backend).at("rules_counted") == true);  // no hint: detect counts
    CHECK(kernel.at(backend).at("tables").empty());
  }
  CHECK(j.at("warnings").empty());
}

TEST_CASE("nft hint decides nft") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-nft", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "nft");
  CHECK(j.at("rule") == "hint");
  const json* hint = find_chain(find_table(j, "nft", "ip", "mangle"), "KUBE-IPTABLES-HINT");
  REQUIRE(hint != nullptr);
  CHECK(hint->at("base") == false);
  CHECK(j.at("evidence").at("kernel").at("legacy").at("tables").empty());
  // Nothing disagrees: the host's iptables is nft too.
  if (host_mode() == "nft") CHECK(j.at("warnings").empty());
}

TEST_CASE("legacy hint decides legacy") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "hint");
  CHECK(reason(j, "hint").at("says") == "legacy");
  CHECK(find_chain(find_table(j, "legacy", "ip", "mangle"), "KUBE-IPTABLES-HINT") != nullptr);
  CHECK(find_table(j, "nft", "ip", "mangle") == nullptr);
}

TEST_CASE("a legacy hint ends the legacy read: later tables are named unread") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
  ipt(ns, "iptables-legacy", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "hint");
  const json& legacy = j.at("evidence").at("kernel").at("legacy");
  CHECK(legacy.at("rules_counted") == false);
  CHECK(any_contains(legacy.at("unread"), "ip filter"));
  CHECK(find_table(j, "legacy", "ip", "filter") == nullptr);
  CHECK(reason(j, "rule-count").at("says").is_null());
}

TEST_CASE("hints in both backends: nft wins with a warning") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  ipt(ns, "iptables-nft", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "nft");
  CHECK(j.at("rule") == "hint");
  CHECK_FALSE(j.at("warnings").empty());
}

TEST_CASE("ip6-only legacy hint decides legacy") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "ip6tables-legacy", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  REQUIRE(proc_lines(ns, "/proc/net/ip_tables_names").empty());
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "hint");
  CHECK(find_chain(find_table(j, "legacy", "ip6", "mangle"), "KUBE-IPTABLES-HINT") != nullptr);
}

TEST_CASE("ip6-only nft hint decides nft") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "ip6tables-nft", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  // A legacy rule that would win the count: the hint must come first.
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "nft");
  CHECK(j.at("rule") == "hint");
  CHECK(find_chain(find_table(j, "nft", "ip6", "mangle"), "KUBE-IPTABLES-HINT") != nullptr);
}

TEST_CASE("kubelet canary alone is a legacy hint") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-t", "nat", "-N", "KUBE-KUBELET-CANARY"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "hint");
  CHECK(find_chain(find_table(j, "legacy", "ip", "nat"), "KUBE-KUBELET-CANARY") != nullptr);
}

TEST_CASE("legacy rules only: the rule count decides legacy") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.2", "-j", "DROP"});
  ipt(ns, "iptables-legacy", {"-A", "OUTPUT", "-d", "192.0.2.3", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "rule-count");
  CHECK(reason(j, "hint").at("says").is_null());
  const json& legacy = j.at("evidence").at("kernel").at("legacy");
  CHECK(legacy.at("rules_counted") == true);
  CHECK(chain_rules(j, "legacy", "ip", "filter", "INPUT") == 2);
  CHECK(chain_rules(j, "legacy", "ip", "filter", "OUTPUT") == 1);
  CHECK(chain_rules(j, "legacy", "ip", "filter", "FORWARD") == 0);
  const json* input = find_chain(find_table(j, "legacy", "ip", "filter"), "INPUT");
  REQUIRE(input != nullptr);
  CHECK(input->at("base") == true);
}

TEST_CASE("more legacy rules than nft rules: legacy") {
  if (!require_root()) return;
  Netns ns;
  for (const char* src : {"192.0.2.1", "192.0.2.2", "192.0.2.3"})
    ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", src, "-j", "ACCEPT"});
  ipt(ns, "iptables-nft", {"-A", "INPUT", "-s", "192.0.2.9", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "rule-count");
  CHECK(chain_rules(j, "legacy", "ip", "filter", "INPUT") == 3);
  CHECK(chain_rules(j, "nft", "ip", "filter", "INPUT") == 1);
  // The host's iptables (nft) disagrees with the decision.
  if (host_mode() == "nft") CHECK(reason(j, "host-binary").at("says") == "nft");
}

TEST_CASE("more nft rules than legacy rules: nft") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
  ipt(ns, "iptables-nft", {"-A", "INPUT", "-s", "192.0.2.2", "-j", "ACCEPT"});
  ipt(ns, "iptables-nft",
      {"-t", "nat", "-A", "POSTROUTING", "-s", "192.0.2.3", "-j", "MASQUERADE"});
  ipt(ns, "ip6tables-nft", {"-A", "INPUT", "-s", "2001:db8::1", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "nft");
  CHECK(j.at("rule") == "rule-count");
  // nf_tables is counted only until it passes x_tables' one rule: two of its
  // three rules are enough, whichever two the kernel lists first.
  const json& kernel = j.at("evidence").at("kernel");
  CHECK(kernel.at("legacy").at("rules_exact") == true);
  CHECK(kernel.at("nft").at("rules_exact") == false);
  long long counted = 0;
  for (auto [family, table, chain] : {std::array<const char*, 3>{"ip", "filter", "INPUT"},
                                      {"ip", "nat", "POSTROUTING"},
                                      {"ip6", "filter", "INPUT"}})
    counted += std::max(0LL, chain_rules(j, "nft", family, table, chain));
  CHECK(counted == 2);
  CHECK(reason(j, "rule-count")
            .at("text")
            .get<std::string>()
            .find("nf_tables at least 2, x_tables 1") != std::string::npos);
}

TEST_CASE("ip6 rules are counted: two ip6tables-legacy rules beat one iptables-nft rule") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "ip6tables-legacy", {"-A", "INPUT", "-s", "2001:db8::1", "-j", "ACCEPT"});
  ipt(ns, "ip6tables-legacy", {"-A", "INPUT", "-s", "2001:db8::2", "-j", "ACCEPT"});
  ipt(ns, "iptables-nft", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "rule-count");
  CHECK(chain_rules(j, "legacy", "ip6", "filter", "INPUT") == 2);
}

TEST_CASE("equal rule counts fall through to the host's iptables") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
  ipt(ns, "iptables-nft", {"-A", "INPUT", "-s", "192.0.2.2", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == host_mode());
  CHECK(j.at("rule") == "host-binary");
  CHECK(reason(j, "rule-count").at("says").is_null());
  CHECK(chain_rules(j, "legacy", "ip", "filter", "INPUT") == 1);
  CHECK(chain_rules(j, "nft", "ip", "filter", "INPUT") == 1);
}

TEST_CASE("native nftables tables are not iptables rules") {
  if (!require_root()) return;
  Netns ns;
  nft(ns, {"add", "table", "inet", "firewalld"});
  nft(ns, {"add", "chain", "inet", "firewalld", "c"});
  nft(ns, {"add", "rule", "inet", "firewalld", "c", "counter"});
  nft(ns, {"add", "chain", "inet", "firewalld", "in",
           "{ type filter hook input priority 0; policy accept; }"});
  nft(ns, {"add", "rule", "inet", "firewalld", "in", "jump", "c"});
  // kube-proxy's nftables mode: family ip, but not an iptables table name.
  nft(ns, {"add", "table", "ip", "kube-proxy"});
  nft(ns, {"add", "chain", "ip", "kube-proxy", "services"});
  nft(ns, {"add", "rule", "ip", "kube-proxy", "services", "counter"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == host_mode());
  CHECK(j.at("rule") == "host-binary");
  CHECK(reason(j, "rule-count").at("says").is_null());
  // Seen, and not counted: they are not iptables rules, so no count needs
  // them, and detect lists no chain the decision does not look at.
  const json& nft_json = j.at("evidence").at("kernel").at("nft");
  CHECK(nft_json.at("rules_exact") == true);
  CHECK(nft_json.at("chains_listed") == false);
  for (const char* table : {"firewalld", "kube-proxy"}) {
    const json* t = find_table(j, "nft", table == std::string("firewalld") ? "inet" : "ip", table);
    REQUIRE_MESSAGE(t != nullptr, table);
    CHECK(t->at("chains").empty());
  }
}

TEST_CASE("one legacy rule outweighs any number of native nftables rules") {
  if (!require_root()) return;
  Netns ns;
  nft(ns, {"add", "table", "inet", "firewalld"});
  nft(ns, {"add", "chain", "inet", "firewalld", "c"});
  for (int i = 0; i < 3; ++i) nft(ns, {"add", "rule", "inet", "firewalld", "c", "counter"});
  ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "rule-count");
  CHECK(chain_rules(j, "nft", "inet", "firewalld", "c") == -1);  // not an iptables table
  CHECK(reason(j, "rule-count").at("text").get<std::string>().find("nf_tables 0, x_tables 1") !=
        std::string::npos);
}

TEST_CASE("--mode overrides a hint and warns") {
  if (!require_root()) return;
  Netns ns;
  ipt(ns, "iptables-nft", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  json j = run_detect(ns, {"--mode", "legacy"});
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "override");
  CHECK(reason(j, "override").at("decided") == true);
  CHECK(reason(j, "hint").at("says") == "nft");  // still recorded
  CHECK_FALSE(j.at("warnings").empty());
}

TEST_CASE("--mode agreeing with the evidence overrides without a warning") {
  if (!require_root()) return;
  if (host_mode() != "nft") return;  // the host binary would disagree
  Netns ns;
  ipt(ns, "iptables-nft", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  json j = run_detect(ns, {"--mode", "nft"});
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "nft");
  CHECK(j.at("rule") == "override");
  CHECK(j.at("warnings").empty());
}

TEST_CASE("detect leaves a fresh namespace exactly as it found it") {
  if (!require_root()) return;
  Netns ns;
  json j = run_detect(ns);
  CHECK(j.at("evidence").at("kernel").at("legacy").at("rules_counted") == true);

  // libiptc creates a table it is asked about; the kernel lists those here.
  CHECK(proc_lines(ns, "/proc/net/ip_tables_names") == "");
  CHECK(proc_lines(ns, "/proc/net/ip6_tables_names") == "");
  CHECK(ns.exec_ok({"nft", "list", "ruleset"}).out == "");
}

TEST_CASE("detect writes nothing into either backend") {
  if (!require_root()) return;
  Netns ns;
  SUBCASE("nft rules only: no legacy table appears, the ruleset is unchanged") {
    ipt(ns, "iptables-nft", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
    ipt(ns, "ip6tables-nft", {"-t", "mangle", "-N", "KUBE-IPTABLES-HINT"});
  }
  SUBCASE("legacy rules only: no nft table appears, the legacy tables are unchanged") {
    ipt(ns, "iptables-legacy", {"-A", "INPUT", "-s", "192.0.2.1", "-j", "ACCEPT"});
    ipt(ns, "ip6tables-legacy", {"-t", "nat", "-N", "KUBE-KUBELET-CANARY"});
  }
  const std::string save4 = legacy_save(ns);
  const std::string ruleset = ns.exec_ok({"nft", "list", "ruleset"}).out;
  const std::string v4 = proc_lines(ns, "/proc/net/ip_tables_names");
  const std::string v6 = proc_lines(ns, "/proc/net/ip6_tables_names");

  run_detect(ns);

  CHECK(ns.exec_ok({"nft", "list", "ruleset"}).out == ruleset);
  CHECK(proc_lines(ns, "/proc/net/ip_tables_names") == v4);
  CHECK(proc_lines(ns, "/proc/net/ip6_tables_names") == v6);
  // Counters aside (the save prints none without -c), the legacy rules are as they were.
  CHECK(legacy_save(ns) == save4);
}

TEST_CASE("not root: exit 2 with one line that says so") {
  if (!require_root()) return;
  Netns ns;
  const RunnableCopies runnable;
  for (const bool json_flag : {false, true}) {
    std::vector<std::string> argv = as_nobody({runnable(IPTMODE_BIN), "detect"});
    if (json_flag) argv.push_back("--json");
    RunResult r = ns.exec(argv);
    CAPTURE(describe(argv));
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(lines(r.err).size() == 1);
    CHECK(r.err.find("root") != std::string::npos);
    CHECK(r.out == "");  // not half a JSON document
  }
}

TEST_CASE("usage errors exit 2") {
  if (!require_root()) return;
  Netns ns;
  SUBCASE("unknown flag") {
    RunResult r = ns.exec({IPTMODE_BIN, "detect", "--no-such-flag"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("--no-such-flag") != std::string::npos);
    CHECK(r.out == "");
  }
  SUBCASE("bad --mode value") {
    RunResult r = ns.exec({IPTMODE_BIN, "detect", "--json", "--mode", "banana"});
    CAPTURE(r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("banana") != std::string::npos);
    CHECK(r.out == "");
  }
}

namespace {

// A restore file: `rules` rules in one chain of filter, one transaction.
std::string restore_file(int rules, const std::string& chain = "KUBE-SVC-BENCH") {
  std::string out = "*filter\n:" + chain + " - [0:0]\n-A INPUT -j " + chain + "\n";
  for (int i = 1; i < rules; ++i)
    out += "-A " + chain + " -s 10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256) +
           "/32 -j ACCEPT\n";
  return out + "COMMIT\n";
}

void restore(const Netns& ns, const std::string& bin, const std::string& text) {
  RunOptions o;
  o.stdin_text = text;
  ns.exec_ok({bin}, o);
}

const json& backend_json(const json& j, const char* backend) {
  return j.at("evidence").at("kernel").at(backend);
}

}  // namespace

TEST_CASE("an nft-heavy node: nf_tables counted only past x_tables, in its first chain") {
  if (!require_root()) return;
  Netns ns;
  // Far more rules than one netlink answer holds, so the cut is inside the chain.
  restore(ns, "iptables-nft-restore", restore_file(3000));
  ipt(ns, "iptables-legacy", {"-A", "FORWARD", "-s", "192.0.2.1", "-j", "ACCEPT"});
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "nft");
  CHECK(j.at("rule") == "rule-count");
  CHECK(backend_json(j, "legacy").at("rules_exact") == true);
  CHECK(backend_json(j, "nft").at("rules_exact") == false);
  CHECK(backend_json(j, "nft").at("rules_counted") == true);
  const json* chain = find_chain(find_table(j, "nft", "ip", "filter"), "KUBE-SVC-BENCH");
  REQUIRE(chain != nullptr);
  // Cut inside the chain: more than x_tables' one rule, far from all 2999.
  REQUIRE(chain->at("rules").is_number());
  CHECK(chain->at("rules_exact") == false);
  CHECK(chain->at("rules").get<long long>() < 2999);
  CHECK(reason(j, "rule-count").at("text").get<std::string>().find("nf_tables at least ") !=
        std::string::npos);
}

TEST_CASE("a legacy-heavy node: x_tables exact, an empty nf_tables exactly none") {
  if (!require_root()) return;
  Netns ns;
  restore(ns, "iptables-legacy-restore", restore_file(3000));
  ipt(ns, "iptables-nft", {"-N", "EMPTY"});  // nf_tables has a filter table, without rules
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "rule-count");
  CHECK(backend_json(j, "legacy").at("rules_exact") == true);
  CHECK(backend_json(j, "nft").at("rules_exact") == true);
  CHECK(chain_rules(j, "legacy", "ip", "filter", "KUBE-SVC-BENCH") == 2999);
  CHECK(reason(j, "rule-count").at("text").get<std::string>().find("nf_tables 0, x_tables 3000") !=
        std::string::npos);
}

TEST_CASE("a tie of many rules is counted to its end on both sides: a tie") {
  if (!require_root()) return;
  Netns ns;
  restore(ns, "iptables-nft-restore", restore_file(500));
  restore(ns, "iptables-legacy-restore", restore_file(500));
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("rule") == "host-binary");
  CHECK(j.at("mode") == host_mode());
  CHECK(reason(j, "rule-count").at("says").is_null());
  CHECK(backend_json(j, "nft").at("rules_exact") == true);
  CHECK(backend_json(j, "legacy").at("rules_exact") == true);
  CHECK(chain_rules(j, "nft", "ip", "filter", "KUBE-SVC-BENCH") == 499);
  CHECK(reason(j, "rule-count")
            .at("text")
            .get<std::string>()
            .find("nf_tables 500, x_tables 500 (a tie)") != std::string::npos);
}

// detect counts nf_tables one table-wide dump at a time; past a few thousand
// rules, or a few dozen chains, without an answer it lists the chains and
// counts them one by one. Both ways must give the same exact answer.
TEST_CASE("a tie past a table-wide dump's reach is still counted exactly: a tie") {
  if (!require_root()) return;
  Netns ns;
  restore(ns, "iptables-nft-restore", restore_file(6000));
  restore(ns, "iptables-legacy-restore", restore_file(6000));
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("rule") == "host-binary");
  CHECK(backend_json(j, "nft").at("rules_exact") == true);
  CHECK(backend_json(j, "nft").at("chains_listed") == true);  // listed after all
  CHECK(chain_rules(j, "nft", "ip", "filter", "KUBE-SVC-BENCH") == 5999);
  CHECK(reason(j, "rule-count")
            .at("text")
            .get<std::string>()
            .find("nf_tables 6000, x_tables 6000 (a tie)") != std::string::npos);
}

TEST_CASE("many small nf_tables chains below x_tables' count: counted exactly, legacy") {
  if (!require_root()) return;
  Netns ns;
  std::string text = "*filter\n";
  for (int c = 0; c < 60; ++c) text += fmt::format(":KUBE-SEP-{:02d} - [0:0]\n", c);
  for (int c = 0; c < 60; ++c)
    text += fmt::format("-A KUBE-SEP-{0:02d} -s 10.1.0.{0}/32 -j ACCEPT\n", c);
  restore(ns, "iptables-nft-restore", text + "COMMIT\n");
  restore(ns, "iptables-legacy-restore", restore_file(61));
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "legacy");
  CHECK(j.at("rule") == "rule-count");
  CHECK(backend_json(j, "nft").at("rules_exact") == true);
  CHECK(chain_rules(j, "nft", "ip", "filter", "KUBE-SEP-59") == 1);
  CHECK(reason(j, "rule-count").at("text").get<std::string>().find("nf_tables 60, x_tables 61") !=
        std::string::npos);
}

TEST_CASE("a few nf_tables chains past x_tables: counted table-wide, the chains met listed") {
  if (!require_root()) return;
  Netns ns;
  std::string text = "*filter\n";
  for (int c = 0; c < 3; ++c) text += fmt::format(":KUBE-SEP-{:02d} - [0:0]\n", c);
  for (int c = 0; c < 3; ++c)
    for (int r = 0; r < 2; ++r)
      text += fmt::format("-A KUBE-SEP-{:02d} -s 10.1.{}.{}/32 -j ACCEPT\n", c, c, r);
  restore(ns, "iptables-nft-restore", text + "COMMIT\n");
  restore(ns, "iptables-legacy-restore", restore_file(4));
  json j = run_detect(ns);
  INFO("detect --json: " << j.dump(2));

  CHECK(j.at("mode") == "nft");
  CHECK(backend_json(j, "nft").at("chains_listed") == false);
  // All 6 fit one answer; whether the dump's end came with it decides
  // whether the count is known to be exact, so either is right.
  for (int c = 0; c < 3; ++c)
    CHECK(chain_rules(j, "nft", "ip", "filter", fmt::format("KUBE-SEP-{:02d}", c)) == 2);
  const json* sep = find_chain(find_table(j, "nft", "ip", "filter"), "KUBE-SEP-00");
  REQUIRE(sep != nullptr);
  CHECK(sep->at("base") == false);
  const std::string why = reason(j, "rule-count").at("text");
  CHECK_MESSAGE((why.find("nf_tables 6, x_tables 4") != std::string::npos ||
                 why.find("nf_tables at least 6, x_tables 4") != std::string::npos),
                why);
}

namespace {

// "family table chain" -> rules, as iptables-legacy-save and
// ip6tables-legacy-save list them (":CHAIN" lines, then one "-A CHAIN" a rule).
std::map<std::string, int> saved_counts(const Netns& ns) {
  std::map<std::string, int> out;
  for (const auto& [family, save] :
       {std::pair{"ip", "iptables-legacy-save"}, std::pair{"ip6", "ip6tables-legacy-save"}}) {
    std::string table;
    for (const auto& line : lines(ns.exec_ok({save}).out)) {
      if (line.starts_with("*")) table = line.substr(1);
      auto key = [&](std::string_view rest) {
        return std::string(family) + " " + table + " " +
               std::string(rest.substr(0, rest.find(' ')));
      };
      if (line.starts_with(":")) out[key(std::string_view(line).substr(1))] += 0;
      if (line.starts_with("-A ")) out[key(std::string_view(line).substr(3))] += 1;
    }
  }
  return out;
}

}  // namespace

// The x_tables walk (detect/xtables_blob) against the real iptables-legacy's
// own reading through libiptc: every chain, in every table and family, with
// the same rule count, including empty builtin and user chains, a user chain
// whose last rule is a RETURN, and rules with matches and jumps.
TEST_CASE("x_tables counts per chain equal iptables-legacy-save's") {
  if (!require_root()) return;
  Netns ns;
  const std::string v4 =
      "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      ":AAA - [0:0]\n:EMPTY - [0:0]\n:KUBE-SVC-X - [0:0]\n"
      "-A INPUT -s 192.0.2.1/32 -j ACCEPT\n-A INPUT -j KUBE-SVC-X\n"
      "-A AAA -j EMPTY\n"
      "-A KUBE-SVC-X -m comment --comment \"ns/svc:http\" -m statistic --mode random "
      "--probability 0.5 -j AAA\n-A KUBE-SVC-X -j RETURN\nCOMMIT\n"
      "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
      ":POSTROUTING ACCEPT [0:0]\n:ZED - [0:0]\n-A POSTROUTING -j MASQUERADE\nCOMMIT\n"
      "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n";
  const std::string v6 =
      "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
      ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n:KUBE-IPTABLES-HINT - [0:0]\n"
      "-A OUTPUT -d 2001:db8::1/128 -j MARK --set-xmark 0x1/0xffffffff\nCOMMIT\n";
  RunOptions in4, in6;
  in4.stdin_text = v4;
  in6.stdin_text = v6;
  ns.exec_ok({"iptables-legacy-restore", "-w"}, in4);
  ns.exec_ok({"ip6tables-legacy-restore", "-w"}, in6);
  const auto expected = saved_counts(ns);
  REQUIRE(expected.size() == 19);

  const auto r = ns.exec({IPTMODE_BIN, "audit", "--json", "--bin-dir", "/nonexistent-iptmode"});
  REQUIRE_MESSAGE(r.exit_code != 2, "audit: " << r.err);
  const json a = json::parse(r.out);
  std::map<std::string, int> got;
  for (const json& t : a.at("kernel").at("legacy").at("tables"))
    for (const json& c : t.at("chains")) {
      CHECK(c.at("rules_exact") == true);
      got[t.at("family").get<std::string>() + " " + t.at("name").get<std::string>() + " " +
          c.at("name").get<std::string>()] = c.at("rules").get<int>();
    }
  CHECK(got == expected);
  CHECK(got.at("ip filter KUBE-SVC-X") == 2);
  CHECK(got.at("ip filter EMPTY") == 0);
  CHECK(got.at("ip6 mangle OUTPUT") == 1);
}
