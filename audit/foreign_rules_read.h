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

namespace iptmode {

struct ForeignRule {
  std::string family, table, chain;
  std::optional<std::uint64_t> handle;  // unset: the chain itself
  ReadbackVerdict verdict;              // never ok
  std::string comment;                  // the rule's comment, if any
};

struct ForeignRules {
  bool read = false;  // false: not looked at (no nf_tables), or `note` says why
  std::string note;
  std::uint64_t rules = 0;  // rules classified
  std::vector<ForeignRule> found;
};

// Every chain and rule of the ip/ip6 filter, nat, mangle, raw and security
// tables; the rules of a base chain iptables-nft leaves out are not looked
// at (the chain is the finding).
Result<ForeignRules> read_foreign_rules();

}  // namespace iptmode
