// What iptables-nft makes of a rule or chain that another writer (nft, a
// library) put into one of its tables, decided from the netlink objects
// alone: a pure model of iptables-nft 1.8.9's reading (iptables/nft.c
// nft_is_table_compatible, nft-cache.c nft_cache_add_base_chain,
// nft-shared.c nft_rule_to_iptables_command_state at tag v1.8.9;
// docs/audit.md lists where other versions differ).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct nftnl_rule;
struct nlmsghdr;
struct nftnl_chain;

namespace iptmode {

// How iptables-nft-save reads it back, from harmless to worst for the table
// (the table's outcome is the worst of its rules and chains):
//   ok            saved as the kernel holds it;
//   lossy         saved, exit 0, but a match or a verdict is silently gone
//                 (a base chain it does not know is left out whole);
//   fail          the save stops: "Parsing nftables rule failed", exit 3;
//   incompatible  the whole table is left out ("# Table `filter' is
//                 incompatible, use 'nft' tool."), exit 0; iptables -L exits 1.
enum class Readback { ok, lossy, fail, incompatible };

std::string_view to_string(Readback r);

struct ReadbackVerdict {
  Readback outcome = Readback::ok;
  std::string expr;  // the expression (or chain property) that decides it: "ct", "lookup"
  std::string why;   // what iptables-nft does with it
};

// A rule of an ip (family NFPROTO_IPV4) or ip6 (NFPROTO_IPV6) table.
ReadbackVerdict classify_rule(const nftnl_rule* r, std::uint32_t family);

// The same from an NFT_MSG_NEWRULE message as the kernel sends it (a rule
// dump's answer, a ruleset notification), read in place without libnftnl's
// allocations: what the audit uses over every rule; with the rule's handle
// and, for a rule that is not ok (a finding), its comment.
struct RuleReading {
  ReadbackVerdict verdict;
  std::optional<std::uint64_t> handle;
  std::string comment;
};
RuleReading classify_rule_msg(const nlmsghdr* nlh, std::uint32_t family);

// A chain of iptables table `table` (filter, nat, mangle, raw, security): a
// base chain must be that table's built-in chain for its hook, with its
// name, type and priority.
ReadbackVerdict classify_chain(std::string_view table, const nftnl_chain* c);

// The rule's comment (nftnl userdata, as nft and iptables-nft store it);
// empty without one.
std::string rule_comment(const nftnl_rule* r);

}  // namespace iptmode
