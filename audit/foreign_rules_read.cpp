#include "audit/foreign_rules_read.h"

#include <libnftnl/chain.h>
#include <linux/netfilter.h>

#include <cstddef>

#include "detect/nft_reader.h"

namespace iptmode {

Result<ForeignRules> read_foreign_rules() {
  ForeignRules out;
  // The chain being read: its rules come right after it, so what a rule
  // needs of it is worked out once, not per rule.
  struct Current {
    const nftnl_chain* chain = nullptr;
    bool left_out = false;  // a base chain iptables-nft leaves out: its rules are not looked at
    std::uint32_t family = NFPROTO_IPV4;
    std::uint64_t rules_before = 0;  // out.rules and out.found when it began, for a restart
    std::size_t found_before = 0;
  } cur;
  IptablesRuleVisitor v;
  v.chain = [&](const Table& t, const nftnl_chain* c) {
    cur = {c, false, t.family == "ip6" ? NFPROTO_IPV6 : NFPROTO_IPV4, out.rules, out.found.size()};
    auto verdict = classify_chain(t.name, c);
    if (verdict.outcome == Readback::ok) return;
    cur.left_out = true;
    out.found.push_back({t.family,
                         t.name,
                         nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
                         std::nullopt,
                         std::move(verdict),
                         {}});
    cur.found_before = out.found.size();
  };
  v.rule = [&](const Table& t, const nftnl_chain* c, const nlmsghdr* m) {
    if (cur.left_out) return;
    ++out.rules;
    auto r = classify_rule_msg(m, cur.family);
    if (r.verdict.outcome == Readback::ok) return;
    out.found.push_back({t.family, t.name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), r.handle,
                         std::move(r.verdict), std::move(r.comment)});
  };
  // An interrupted dump is read again from the chain's first rule.
  v.restart = [&](const Table&, const nftnl_chain*) {
    out.rules = cur.rules_before;
    out.found.resize(cur.found_before);
  };
  if (auto r = visit_iptables_rules(v); !r) return std::unexpected(r.error());
  out.read = true;
  return out;
}

}  // namespace iptmode
