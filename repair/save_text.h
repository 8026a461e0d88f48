// The text iptables-save writes, read back: tables, their chains (built-in
// with a policy, or user-defined with "-") and their rules in order. The
// planner works on this text so that what it shows is exactly what an
// operator sees in `iptables-save`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace iptmode::repair {

struct SavedChain {
  std::string name;
  std::string policy;  // "ACCEPT", "DROP"; "-" for a user-defined chain
  bool builtin() const { return policy != "-"; }
};

struct SavedRule {
  std::string chain;
  std::size_t index = 0;  // 0-based position among its chain's rules
  std::string text;       // "-A INPUT -j KUBE-FIREWALL", as written
  std::string target;     // the -j/-g target; empty when the rule has none
};

struct SavedTable {
  std::string name;
  // iptables-nft-save could not translate it back ("is incompatible"):
  // something other than iptables wrote it, and repair leaves it alone.
  bool incompatible = false;
  std::vector<SavedChain> chains;
  std::vector<SavedRule> rules;

  const SavedChain* chain(std::string_view name) const;
  std::size_t rule_count(std::string_view chain) const;
};

struct SavedRuleset {
  std::string family;  // "ip" or "ip6"
  std::vector<SavedTable> tables;
};

// Parses `iptables-save` (without -c) output. A line it cannot place is an
// error naming the line: the plan is never made from text half understood.
Result<SavedRuleset> parse_save(std::string_view text, std::string family);

// The words of a rule as the shell would split them: iptables-save quotes
// with "..." and escapes with backslash.
std::vector<std::string> split_rule(std::string_view text);

// The target of `-j`/`--jump`/`-g`/`--goto` in a rule's words, or "".
std::string rule_target(const std::vector<std::string>& words);

}  // namespace iptmode::repair
