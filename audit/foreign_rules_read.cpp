#include "audit/foreign_rules_read.h"

#include <libnftnl/chain.h>
#include <linux/netfilter.h>

#include <set>

#include "detect/nft_reader.h"

namespace iptmode {

Result<ForeignRules> read_foreign_rules() {
  ForeignRules out;
  std::set<const nftnl_chain*> left_out;
  IptablesRuleVisitor v;
  v.chain = [&](const Table& t, const nftnl_chain* c) {
    auto verdict = classify_chain(t.name, c);
    if (verdict.outcome == Readback::ok) return;
    left_out.insert(c);
    out.found.push_back({t.family,
                         t.name,
                         nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
                         std::nullopt,
                         std::move(verdict),
                         {}});
  };
  v.rule = [&](const Table& t, const nftnl_chain* c, const nlmsghdr* m) {
    if (left_out.contains(c)) return;
    ++out.rules;
    auto r = classify_rule_msg(m, t.family == "ip6" ? NFPROTO_IPV6 : NFPROTO_IPV4);
    if (r.verdict.outcome == Readback::ok) return;
    out.found.push_back({t.family, t.name, nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), r.handle,
                         std::move(r.verdict), std::move(r.comment)});
  };
  if (auto r = visit_iptables_rules(v); !r) return std::unexpected(r.error());
  out.read = true;
  return out;
}

}  // namespace iptmode
