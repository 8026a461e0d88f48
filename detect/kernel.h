// What the kernel holds in each backend, as read by nft_reader (nf_tables,
// over netlink) and legacy_reader (x_tables, through libiptc).
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace iptmode {

struct Chain {
  std::string name;
  bool base = false;                   // hooked into the stack (INPUT, PREROUTING, ...)
  std::optional<std::uint64_t> rules;  // unset until rules are counted
  bool rules_exact = true;             // false: counting stopped inside it, `rules` is "at least"
};

struct Table {
  std::string family;  // "ip", "ip6"; for nf_tables also "inet", "arp", "bridge", "netdev"
  std::string name;
  std::vector<Chain> chains;
};

struct BackendState {
  bool available = true;  // false: the kernel lacks the backend, or it was not probed (see note)
  std::string note;       // why unavailable; empty otherwise
  bool loadable = false;  // unavailable only because its module is not loaded yet
  // false: read for the decision only (read_nft_for_decision): each table
  // lists only the chains the decision looked at (hint chains asked for by
  // name, chains whose rules were counted), not all it holds.
  bool chains_listed = true;
  bool rules_counted = false;
  // With rules_counted: false when counting stopped early, once the count
  // had passed the other backend's (all a comparison needs). The count is
  // then a lower bound, "at least N": chains not reached have no count, and
  // the one it stopped in has rules_exact false. Never a guess.
  bool rules_exact = true;
  std::vector<Table> tables;
  std::vector<std::string> unread;  // "ip filter": tables not read because a hint decided
};

struct KernelState {
  BackendState nft;
  BackendState legacy;
};

// The chain names kubelet creates to tell everyone which backend it uses.
inline constexpr const char* kHintChains[] = {"KUBE-IPTABLES-HINT", "KUBE-KUBELET-CANARY"};

// A table iptables itself writes: family ip or ip6 and one of filter, nat,
// mangle, raw, security. In nf_tables, anything else (`inet firewalld`,
// `ip kube-proxy`, calico's) is a native nftables table.
bool is_iptables_table(const Table& t);

struct ChainRef {
  std::string family;
  std::string table;
  std::string chain;
};

// Hint chains in any ip or ip6 table of the backend.
std::vector<ChainRef> find_hint_chains(const BackendState& b);

// Rules in the backend's iptables tables (is_iptables_table); needs counted
// rules. A lower bound unless b.rules_exact (see iptables_rules).
std::uint64_t iptables_rule_count(const BackendState& b);

// A count that is exact or a lower bound ("at least n").
struct RuleCount {
  std::uint64_t n = 0;
  bool exact = true;
};

// The backend's iptables rules; an unavailable backend holds exactly none.
RuleCount iptables_rules(const BackendState& b);

// "12" or "at least 12".
std::string to_string(const RuleCount& c);

// How a compares to b, only where the counts prove it: exact against exact,
// or a lower bound above an exact count. Unset when they do not (two lower
// bounds, or a lower bound not above the other).
std::optional<std::strong_ordering> compare_counts(const RuleCount& a, const RuleCount& b);

std::string to_string(const ChainRef& c);

}  // namespace iptmode
