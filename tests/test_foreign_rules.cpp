// FOREIGN_RULE against the real iptables-nft 1.8.9 as the oracle: each
// native rule shape goes into an iptables-nft table of a fresh network
// namespace, `iptmode audit` predicts what iptables-nft makes of it, and the
// real iptables-nft-save shows what it does: the table left out
// (incompatible), a failed save (fail), or a save that, restored into a
// second fresh namespace, no longer holds what the first one held (lossy; nft
// lists both, normalised for counters and the protocol dependency nft leaves
// implicit). Every flagged rule must break the save that way, and every rule
// not flagged must come back as it was.
#include <algorithm>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/support/netns.h"
#include "tests/support/run.h"
#include "tests/support/validate_json.h"

namespace iptmode::test {
namespace {

using json = nlohmann::json;

struct Shape {
  const char* name;
  const char* family;  // "ip" or "ip6"
  const char* table;
  const char* chain;   // the built-in chain iptables-nft creates first
  const char* native;  // nft -f text, run after iptables-nft made the table
};

// `%T` is replaced by "FAMILY TABLE".
const Shape kShapes[] = {
    {"ct state", "ip", "filter", "INPUT",
     "add rule %T INPUT ct state established,related counter accept"},
    {"set lookup ip saddr @s1", "ip", "filter", "INPUT",
     "add set %T s1 { type ipv4_addr; elements = { 10.1.1.1 } }\n"
     "add rule %T INPUT ip saddr @s1 accept"},
    {"meta mark set", "ip", "filter", "INPUT", "add rule %T INPUT meta mark set 0x1"},
    {"limit", "ip", "filter", "INPUT", "add rule %T INPUT limit rate 10/second accept"},
    {"counter alone", "ip", "filter", "INPUT", "add rule %T INPUT counter"},
    {"log prefix", "ip", "filter", "INPUT", "add rule %T INPUT log prefix \"x \""},
    {"log group (NFLOG)", "ip", "filter", "INPUT", "add rule %T INPUT log group 2"},
    {"ip daddr prefix /8", "ip", "filter", "INPUT", "add rule %T INPUT ip daddr 10.0.0.0/8 drop"},
    {"ip saddr prefix /12", "ip", "filter", "INPUT",
     "add rule %T INPUT ip saddr 172.16.0.0/12 accept"},
    {"ip saddr range", "ip", "filter", "INPUT",
     "add rule %T INPUT ip saddr 10.0.0.1-10.0.0.9 accept"},
    {"tcp dport single", "ip", "filter", "INPUT", "add rule %T INPUT tcp dport 80 accept"},
    {"tcp dport != single", "ip", "filter", "INPUT", "add rule %T INPUT tcp dport != 22 drop"},
    {"tcp dport range", "ip", "filter", "INPUT", "add rule %T INPUT tcp dport 1000-2000 drop"},
    {"tcp dport set {80,443}", "ip", "filter", "INPUT",
     "add rule %T INPUT tcp dport { 80, 443 } accept"},
    {"udp sport", "ip", "filter", "INPUT", "add rule %T INPUT udp sport 53 accept"},
    {"sctp dport", "ip", "filter", "INPUT", "add rule %T INPUT sctp dport 80 accept"},
    {"tcp flags", "ip", "filter", "INPUT", "add rule %T INPUT tcp flags syn / syn,ack drop"},
    {"iifname wildcard", "ip", "filter", "INPUT", "add rule %T INPUT iifname \"eth*\" accept"},
    {"oifname", "ip", "filter", "OUTPUT", "add rule %T OUTPUT oifname \"veth0\" drop"},
    {"meta l4proto", "ip", "filter", "INPUT", "add rule %T INPUT meta l4proto udp accept"},
    {"meta mark match", "ip", "filter", "INPUT", "add rule %T INPUT meta mark 0x5 accept"},
    {"meta mark and mask", "ip", "filter", "INPUT",
     "add rule %T INPUT meta mark and 0xff == 0x1 accept"},
    {"ct mark", "ip", "filter", "INPUT", "add rule %T INPUT ct mark 0x1 accept"},
    {"reject icmp type", "ip", "filter", "INPUT",
     "add rule %T INPUT reject with icmp type host-unreachable"},
    {"icmp type", "ip", "filter", "INPUT", "add rule %T INPUT icmp type echo-request accept"},
    {"ip ttl", "ip", "filter", "INPUT", "add rule %T INPUT ip ttl 64 accept"},
    {"ip dscp", "ip", "filter", "INPUT", "add rule %T INPUT ip dscp cs1 accept"},
    {"fib", "ip", "filter", "INPUT", "add rule %T INPUT fib daddr type local accept"},
    {"verdict map (vmap)", "ip", "filter", "INPUT",
     "add rule %T INPUT ip saddr vmap { 10.2.2.2 : drop }"},
    {"jump to a native chain", "ip", "filter", "INPUT",
     "add chain %T native-x\nadd rule %T native-x accept\nadd rule %T INPUT jump native-x"},
    {"numgen", "ip", "filter", "INPUT", "add rule %T INPUT meta mark set numgen inc mod 2"},
    {"quota", "ip", "filter", "INPUT", "add rule %T INPUT quota 100 mbytes accept"},
    {"native base chain, other priority", "ip", "filter", "INPUT",
     "add chain %T extra { type filter hook input priority 10; }\nadd rule %T extra accept"},
    {"notrack", "ip", "raw", "PREROUTING", "add rule %T PREROUTING notrack"},
    {"meta nftrace set (TRACE)", "ip", "raw", "PREROUTING",
     "add rule %T PREROUTING meta nftrace set 1"},
    {"dnat to", "ip", "nat", "PREROUTING",
     "add rule %T PREROUTING tcp dport 8080 dnat to 10.0.0.1"},
    {"masquerade", "ip", "nat", "POSTROUTING",
     "add rule %T POSTROUTING oifname \"eth0\" masquerade"},
    {"ip6 saddr prefix", "ip6", "filter", "INPUT",
     "add rule %T INPUT ip6 saddr 2001:db8::/32 accept"},
    {"ip6 icmpv6 type", "ip6", "filter", "INPUT",
     "add rule %T INPUT icmpv6 type echo-request accept"},
    {"ip6 meta mark set", "ip6", "filter", "INPUT", "add rule %T INPUT meta mark set 0x2"},
    {"ip6 ct state", "ip6", "filter", "INPUT", "add rule %T INPUT ct state new accept"},
};

std::string expand(std::string s, const Shape& sh) {
  const std::string t = fmt::format("{} {}", sh.family, sh.table);
  for (std::size_t at; (at = s.find("%T")) != std::string::npos;) s.replace(at, 2, t);
  return s;
}

// What `iptmode audit` predicts for the table: the worst outcome among its
// FOREIGN_RULE evidence lines, "ok" without the finding.
std::string predicted(const Netns& ns, const Shape& sh) {
  auto r = ns.exec({IPTMODE_BIN, "audit", "--json", "--bin-dir", "/nonexistent/iptmode-foreign"});
  check_schema(r.out, "iptmode audit --json");
  json j = json::parse(r.out);
  const std::string prefix = fmt::format("{} {} ", sh.family, sh.table);
  std::string worst = "ok";
  const std::vector<std::string> order{"ok", "lossy", "fail", "incompatible"};
  for (const auto& f : j.at("findings")) {
    if (f.at("code") != "FOREIGN_RULE") continue;
    for (const auto& e : f.at("evidence")) {
      const std::string line = e.get<std::string>();
      if (!line.starts_with(prefix)) continue;
      for (const auto& o : order)
        if (line.find("-> " + o + ":") != std::string::npos &&
            std::find(order.begin(), order.end(), o) > std::find(order.begin(), order.end(), worst))
          worst = o;
    }
  }
  return worst;
}

// nft's listing of each chain of the table: rule lines, without counters,
// the protocol dependency it leaves implicit on one side, and set contents.
std::map<std::string, std::vector<std::string>> listed(const Netns& ns, const Shape& sh) {
  auto r = ns.exec({"nft", "list", "table", sh.family, sh.table});
  std::map<std::string, std::vector<std::string>> out;
  std::string chain;
  static const std::regex kCounter(R"( ?counter packets \d+ bytes \d+)");
  static const std::regex kDependency(R"(^meta l4proto (\w+) (\1 ))");
  static const std::regex kIcmpv6Dependency(R"(^meta l4proto ipv6-icmp (icmpv6 ))");
  for (std::string line : lines(r.out)) {
    line.erase(0, line.find_first_not_of('\t'));
    if (line.starts_with("chain ")) {
      chain = line.substr(6, line.find(' ', 6) - 6);
      out[chain];
      continue;
    }
    if (chain.empty() || line.empty() || line == "}" || line.starts_with("type ")) continue;
    line = std::regex_replace(line, kCounter, "");
    line = std::regex_replace(line, kDependency, "$2");
    line = std::regex_replace(line, kIcmpv6Dependency, "$1");
    line.erase(0, line.find_first_not_of(' '));
    if (!line.empty()) out[chain].push_back(line);
  }
  return out;
}

struct Observed {
  std::string outcome;
  std::string detail;
};

Observed observe(const Netns& a, const Shape& sh) {
  const char* save =
      std::string_view(sh.family) == "ip6" ? "ip6tables-nft-save" : "iptables-nft-save";
  const char* restore =
      std::string_view(sh.family) == "ip6" ? "ip6tables-nft-restore" : "iptables-nft-restore";
  auto s = a.exec({save, "-t", sh.table});
  if (s.out.find("is incompatible, use 'nft' tool") != std::string::npos)
    return {"incompatible", "the save left the table out"};
  if (s.exit_code != 0)
    return {"fail",
            fmt::format("save exit {}: {}", s.exit_code, s.err.substr(0, s.err.find('\n')))};
  Netns b;
  RunOptions in;
  in.stdin_text = s.out;
  b.exec_ok({restore}, in);
  const auto held = listed(a, sh), back = listed(b, sh);
  for (const auto& [chain, rules] : held) {
    auto it = back.find(chain);
    if (it == back.end()) return {"lossy", fmt::format("chain {} did not come back", chain)};
    if (it->second != rules)
      return {"lossy", fmt::format("chain {}: held [{}], came back [{}]", chain,
                                   fmt::join(rules, " | "), fmt::join(it->second, " | "))};
  }
  return {"ok", "came back as held"};
}

}  // namespace

TEST_CASE(
    "FOREIGN_RULE: every native rule shape predicted as the real iptables-nft-save reads it") {
  if (!require_root()) return;
  std::string table =
      fmt::format("\n{:<36} {:<13} {:<13} {}\n", "shape", "predicted", "observed", "detail");
  int mismatches = 0;
  std::map<std::string, int> seen;
  for (const auto& sh : kShapes) {
    Netns a;
    const char* ipt = std::string_view(sh.family) == "ip6" ? "ip6tables-nft" : "iptables-nft";
    const char* addr = std::string_view(sh.family) == "ip6" ? "2001:db8::1" : "192.0.2.1";
    a.exec_ok({ipt, "-t", sh.table, "-A", sh.chain, "-s", addr, "-j", "ACCEPT"});
    RunOptions in;
    in.stdin_text = expand(sh.native, sh) + "\n";
    a.exec_ok({"nft", "-f", "-"}, in);
    const std::string p = predicted(a, sh);
    const Observed o = observe(a, sh);
    // A lossy prediction is met by any broken save; the others exactly.
    const bool agrees = p == o.outcome || (p != "ok" && o.outcome != "ok" && p == "lossy");
    if (!agrees) ++mismatches;
    ++seen[o.outcome];
    table += fmt::format("{:<36} {:<13} {:<13} {}{}\n", sh.name, p, o.outcome,
                         agrees ? "" : "MISMATCH ", o.detail);
    CHECK_MESSAGE(agrees,
                  sh.name << ": predicted " << p << ", observed " << o.outcome << ": " << o.detail);
  }
  fmt::print("{}", table);
  CHECK(mismatches == 0);
  // The set covers every outcome the real binary has.
  for (const char* o : {"ok", "lossy", "fail", "incompatible"}) CHECK_MESSAGE(seen[o] > 0, o);
  CHECK(std::size(kShapes) >= 20);
}

}  // namespace iptmode::test
