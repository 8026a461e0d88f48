#include "monitor/verdict.h"

#include <algorithm>
#include <array>

namespace iptmode::monitor {

bool is_xtables_nft_table(std::string_view family, std::string_view table) {
  static constexpr std::array<std::string_view, 5> kIp = {"filter", "nat", "mangle", "raw",
                                                          "security"};
  static constexpr std::array<std::string_view, 3> kBridge = {"filter", "nat", "broute"};
  if (family == "ip" || family == "ip6") return std::ranges::find(kIp, table) != kIp.end();
  if (family == "arp") return table == "filter";
  if (family == "bridge") return std::ranges::find(kBridge, table) != kBridge.end();
  return false;
}

Verdict verdict(Mode decided, const Event& e) {
  if (e.kind != EventKind::write) return Verdict::ok;
  const bool ip = e.family == "ip" || e.family == "ip6";
  // Deleting from the stale backend is cleaning it up (iptmode repair,
  // kube-proxy's --cleanup): only what adds to it splits the node.
  const bool adds = e.op == Operation::add_table || e.op == Operation::add_chain ||
                    e.op == Operation::add_rule || e.rules_added > 0;
  if (ip && e.iptables_table && adds && e.backend != decided) return Verdict::wrong_backend;
  // A rule iptables-nft cannot read back breaks its saves, listings and
  // restores of that table, whichever mode is decided.
  if (ip && e.iptables_table && e.backend == Mode::nft && e.foreign) return Verdict::foreign_rule;
  return Verdict::ok;
}

}  // namespace iptmode::monitor
