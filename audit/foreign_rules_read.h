// The rules and chains of the iptables tables that iptables-nft would not
// read back as the kernel holds them (audit/foreign_rules.h decides), read
// from this network namespace over netlink. Read-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/foreign_rules.h"
#include "core/error.h"
#include "detect/kernel.h"

namespace iptmode {

struct ForeignRule {
  std::string family, table, chain;
  std::optional<std::uint64_t> handle;  // unset: the chain itself
  ReadbackVerdict verdict;              // never ok
  std::string comment;                  // the rule's comment, if any
};

// A chain's rules as the read found them (every rule, classified or not).
struct ChainRules {
  std::string family, table, chain;
  std::uint64_t rules = 0;
};

struct ForeignRules {
  bool read = false;  // false: not looked at (no nf_tables), or `note` says why
  std::string note;
  std::uint64_t rules = 0;  // rules classified
  std::vector<ForeignRule> found;
  // Every chain read, in dump order: the read sees every rule anyway, so a
  // caller that needs exact counts of the iptables tables need not dump
  // them all a second time (see count_from).
  std::vector<ChainRules> chains;
};

// Sets the rule count of every chain of `nft`'s iptables tables from what
// `f` read, exactly: true when `f` read each of those chains (false, and
// `nft` untouched, when one appeared after its read: count it then).
bool count_from(const ForeignRules& f, BackendState& nft);

// Every chain and rule of the ip/ip6 filter, nat, mangle, raw and security
// tables; the rules of a base chain iptables-nft leaves out are not looked
// at (the chain is the finding). `jobs` chains are read at once (see
// visit_iptables_rules); the answer is the same for any number.
Result<ForeignRules> read_foreign_rules(unsigned jobs = 1);

}  // namespace iptmode
