#include "audit/foreign_rules_read.h"

#include <libnftnl/chain.h>
#include <linux/netfilter.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "detect/nft_reader.h"

namespace iptmode {

Result<ForeignRules> read_foreign_rules(unsigned jobs) {
  // What one chain gave: chains are read side by side (visit_iptables_rules'
  // jobs), each into its own slot, and joined in dump order afterwards, so
  // the findings come out in the same order however many readers there were.
  struct PerChain {
    ChainRules where;
    std::uint32_t family = NFPROTO_IPV4;
    bool left_out = false;    // a base chain iptables-nft leaves out: its rules are not looked at
    std::uint64_t seen = 0;   // its rules
    std::uint64_t rules = 0;  // of those, classified
    std::optional<ForeignRule> chain_finding;
    std::vector<ForeignRule> rule_findings;
  };
  std::vector<PerChain> per;
  IptablesRuleVisitor v;
  v.begin = [&](std::size_t n) { per.resize(n); };
  v.chain = [&](std::size_t i, const Table& t, const nftnl_chain* c) {
    PerChain& p = per[i];
    p.where = {t.family, t.name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), 0};
    p.family = t.family == "ip6" ? NFPROTO_IPV6 : NFPROTO_IPV4;
    auto verdict = classify_chain(t.name, c);
    if (verdict.outcome == Readback::ok) return;
    p.left_out = true;
    p.chain_finding = ForeignRule{
        t.family,           t.name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), std::nullopt,
        std::move(verdict), {}};
  };
  v.rule = [&](std::size_t i, const Table& t, const nftnl_chain* c, const nlmsghdr* m) {
    PerChain& p = per[i];
    ++p.seen;
    if (p.left_out) return;
    ++p.rules;
    auto r = classify_rule_msg(m, p.family);
    if (r.verdict.outcome == Readback::ok) return;
    p.rule_findings.push_back({t.family, t.name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), r.handle,
                               std::move(r.verdict), std::move(r.comment)});
  };
  // An interrupted dump is read again from the chain's first rule.
  v.restart = [&](std::size_t i, const Table&, const nftnl_chain*) {
    per[i].seen = per[i].rules = 0;
    per[i].rule_findings.clear();
  };
  if (auto r = visit_iptables_rules(v, jobs); !r) return std::unexpected(r.error());
  ForeignRules out;
  out.chains.reserve(per.size());
  for (auto& p : per) {
    p.where.rules = p.seen;
    out.chains.push_back(std::move(p.where));
    out.rules += p.rules;
    if (p.chain_finding) out.found.push_back(std::move(*p.chain_finding));
    for (auto& f : p.rule_findings) out.found.push_back(std::move(f));
  }
  out.read = true;
  return out;
}

bool count_from(const ForeignRules& f, BackendState& nft) {
  // Views into f.chains, which outlives the map (a tuple of strings here
  // would leave them pointing into a temporary).
  using Key = std::tuple<std::string_view, std::string_view, std::string_view>;
  std::map<Key, std::uint64_t> n;
  for (const auto& c : f.chains) n.emplace(Key(c.family, c.table, c.chain), c.rules);
  std::vector<std::pair<Chain*, std::uint64_t>> counts;
  for (auto& t : nft.tables) {
    if (!is_iptables_table(t)) continue;
    for (auto& c : t.chains) {
      auto it = n.find({t.family, t.name, c.name});
      if (it == n.end()) return false;
      counts.emplace_back(&c, it->second);
    }
  }
  for (auto& [c, rules] : counts) {
    c->rules = rules;
    c->rules_exact = true;
  }
  nft.rules_counted = true;
  nft.rules_exact = true;
  return true;
}

}  // namespace iptmode
